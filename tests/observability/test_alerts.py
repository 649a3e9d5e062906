"""Each alert fires on synthetic series that show its trouble and stays quiet on healthy ones, evaluated with the
small evaluator in promql_eval.py (not Prometheus: no extrapolation in rate, see its docstring)."""

from __future__ import annotations

import pytest

from components.observability.alerts import (
    NODE_SCALE_UP_SECONDS,
    ModelWatch,
    gpu_rules,
    model_rules,
    tpot_objective,
    ttft_objective,
)
from components.serving.vllm import STARTUP_BUDGET_SECONDS
from tests.observability.promql_eval import Series, counter, fires, gauge

NS = "llm-serving"
MODEL = ModelWatch(
    name="chat",
    namespace=NS,
    deployment="chat",
    service="chat",
    max_replicas=4,
    queue_per_replica=4,
    startup_budget_seconds=STARTUP_BUDGET_SECONDS,
    on_gpu=True,
    gpu_metrics=True,
    objectives=(ttft_objective(1.0), tpot_objective(0.1)),
)
POD = "chat-7d9f8b6c5-x2k4q"
VLLM = {"namespace": NS, "service": "chat", "pod": POD, "model_name": "chat", "engine": "0"}


def rule(alert: str, window: str | None = None) -> dict:
    groups = [*model_rules(MODEL)["rules"], *gpu_rules()["rules"]]
    return next(r for r in groups if r["alert"] == alert and r["labels"].get("window") == window)


def replicas(spec: float, available: float, **timing: float) -> list[Series]:
    return [
        gauge("kube_deployment_spec_replicas", spec, namespace=NS, deployment="chat", **timing),
        gauge("kube_deployment_status_replicas_available", available, namespace=NS, deployment="chat", **timing),
    ]


def test_every_model_alert_names_its_model() -> None:
    assert {r["labels"]["model"] for r in model_rules(MODEL)["rules"]} == {"chat"}
    assert model_rules(MODEL)["name"] == "llm-platform.model.chat"


def test_no_ready_replica_fires_after_the_startup_budget() -> None:
    assert rule("LlmModelNoReadyReplica")["for"] == f"{STARTUP_BUDGET_SECONDS // 60}m"
    assert fires(rule("LlmModelNoReadyReplica"), replicas(1, 0))


def test_no_ready_replica_waits_out_a_start_within_the_budget() -> None:
    started = [*replicas(1, 1, end=-1200), *replicas(1, 0, start=-1199)]
    assert not fires(rule("LlmModelNoReadyReplica"), started)


def test_no_ready_replica_is_quiet_while_serving_or_asleep() -> None:
    assert not fires(rule("LlmModelNoReadyReplica"), replicas(2, 1))
    assert not fires(rule("LlmModelNoReadyReplica"), replicas(0, 0))


def waiting(*per_pod: float) -> list[Series]:
    return [
        gauge("vllm:num_requests_waiting", value, **{**VLLM, "pod": f"chat-7d9f8b6c5-p{i}"})
        for i, value in enumerate(per_pod)
    ]


def test_capacity_exhausted_fires_at_max_replicas_with_the_queue_above_their_share() -> None:
    # 4 replicas x 4 per replica = 16.
    assert fires(rule("LlmModelCapacityExhausted"), [*waiting(9, 8), *replicas(4, 4)])


def test_capacity_exhausted_is_quiet_below_max_replicas_or_within_the_share() -> None:
    assert not fires(rule("LlmModelCapacityExhausted"), [*waiting(9, 8), *replicas(3, 3)])
    assert not fires(rule("LlmModelCapacityExhausted"), [*waiting(8, 8), *replicas(4, 4)])


def test_capacity_exhausted_reads_the_renamed_queue_metric() -> None:
    queue = [gauge("vllm_num_requests_waiting", 20, **VLLM)]
    assert fires(rule("LlmModelCapacityExhausted"), [*queue, *replicas(4, 4)])


def test_capacity_exhausted_needs_ten_minutes() -> None:
    brief = [gauge("vllm:num_requests_waiting", 20, start=-300, **VLLM), *replicas(4, 4)]
    assert not fires(rule("LlmModelCapacityExhausted"), brief)


@pytest.mark.parametrize("name", ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "vllm_kv_cache_usage_perc"])
def test_kv_cache_near_full_fires_under_either_name(name: str) -> None:
    assert fires(rule("LlmModelKvCacheNearFull"), [gauge(name, 0.97, **VLLM)])


def test_kv_cache_near_full_is_quiet_at_ordinary_use() -> None:
    assert not fires(rule("LlmModelKvCacheNearFull"), [gauge("vllm:kv_cache_usage_perc", 0.9, **VLLM)])


def test_preempting_fires_above_one_a_minute() -> None:
    assert fires(rule("LlmModelPreempting"), [counter("vllm:num_preemptions_total", 0.05, **VLLM)])
    assert not fires(rule("LlmModelPreempting"), [counter("vllm:num_preemptions_total", 0.01, **VLLM)])


def http(status: str, per_second: float) -> Series:
    return counter("http_requests_total", per_second, handler="/v1/chat/completions", status=status, **VLLM)


def test_errors_rising_fires_above_five_percent_of_requests() -> None:
    assert fires(rule("LlmModelErrorsRising"), [http("2xx", 9), http("5xx", 1)])


def test_errors_rising_is_quiet_on_rare_errors() -> None:
    assert not fires(rule("LlmModelErrorsRising"), [http("2xx", 9.9), http("5xx", 0.1), http("4xx", 3)])


def pending(pod: str, **timing: float) -> list[Series]:
    return [
        gauge("kube_pod_status_phase", 1, namespace=NS, pod=pod, phase="Pending", **timing),
        gauge("kube_pod_container_resource_requests", 1, namespace=NS, pod=pod, resource="nvidia_com_gpu", **timing),
    ]


def test_pod_pending_for_gpu_fires_after_a_node_scale_up() -> None:
    assert rule("LlmModelPodPendingForGpu")["for"] == f"{NODE_SCALE_UP_SECONDS // 60}m"
    assert fires(rule("LlmModelPodPendingForGpu"), pending(POD))


def test_pod_pending_for_gpu_waits_out_a_scale_up_and_ignores_other_models() -> None:
    assert not fires(rule("LlmModelPodPendingForGpu"), pending(POD, start=-600))
    assert not fires(rule("LlmModelPodPendingForGpu"), pending("chat-large-7d9f8b6c5-x2k4q"))


def test_gpu_idle_while_queue_waits() -> None:
    util = {"namespace": NS, "pod": POD, "gpu": "0", "Hostname": "node-1"}
    assert fires(rule("LlmModelGpuIdleWhileQueueWaits"), [gauge("DCGM_FI_DEV_GPU_UTIL", 0, **util), *waiting(3)])
    assert not fires(rule("LlmModelGpuIdleWhileQueueWaits"), [gauge("DCGM_FI_DEV_GPU_UTIL", 80, **util), *waiting(3)])
    assert not fires(rule("LlmModelGpuIdleWhileQueueWaits"), [gauge("DCGM_FI_DEV_GPU_UTIL", 0, **util), *waiting(0)])


def histogram(name: str, le: str, within_per_second: float, total_per_second: float) -> list[Series]:
    return [
        counter(f"{name}_bucket", within_per_second, le=le, **VLLM),
        counter(f"{name}_bucket", total_per_second, le="+Inf", **VLLM),
        counter(f"{name}_count", total_per_second, **VLLM),
    ]


TTFT = "vllm:time_to_first_token_seconds"


@pytest.mark.parametrize("le", ["1", "1.0"])
def test_ttft_page_fires_when_most_requests_miss_the_objective(le: str) -> None:
    # 80% slower than 1s: the budget (5%) burns 16 times too fast, above the page's 14.4.
    assert fires(rule("LlmModelTtftBudgetBurn", "page"), histogram(TTFT, le, 0.2, 1.0))


def test_ttft_page_is_quiet_on_a_slow_burn_the_ticket_catches() -> None:
    # 10% slow: twice the budget; pages need 6x over six hours.
    slow = histogram(TTFT, "1", 0.9, 1.0)
    assert not fires(rule("LlmModelTtftBudgetBurn", "page"), slow)
    assert fires(rule("LlmModelTtftBudgetBurn", "ticket"), slow)


def test_ttft_ticket_is_quiet_within_budget() -> None:
    assert not fires(rule("LlmModelTtftBudgetBurn", "ticket"), histogram(TTFT, "1", 0.98, 1.0))


def test_ttft_page_ignores_another_bucket() -> None:
    assert not fires(
        rule("LlmModelTtftBudgetBurn", "page"), histogram(TTFT, "10", 0.2, 1.0) + histogram(TTFT, "1", 0.99, 1.0)[:1]
    )


@pytest.mark.parametrize("name", ["vllm:request_time_per_output_token_seconds", "vllm:time_per_output_token_seconds"])
def test_tpot_page_fires_under_the_current_or_the_old_name(name: str) -> None:
    assert fires(rule("LlmModelTpotBudgetBurn", "page"), histogram(name, "0.1", 0.1, 1.0))
    assert not fires(rule("LlmModelTpotBudgetBurn", "page"), histogram(name, "0.1", 0.99, 1.0))


GPU = {"gpu": "0", "Hostname": "node-1", "UUID": "GPU-1", "modelName": "NVIDIA L4"}


def test_xid_error_fires_on_any_xid() -> None:
    xid = [gauge("DCGM_FI_DEV_XID_ERRORS", 0, end=-120, **GPU), gauge("DCGM_FI_DEV_XID_ERRORS", 79, start=-60, **GPU)]
    assert fires(rule("GpuXidError"), xid)
    assert not fires(rule("GpuXidError"), [gauge("DCGM_FI_DEV_XID_ERRORS", 0, **GPU)])


def test_memory_row_remap_failure_fires_on_failure_or_new_uncorrectable_rows() -> None:
    assert fires(rule("GpuMemoryRowRemapFailure"), [gauge("DCGM_FI_DEV_ROW_REMAP_FAILURE", 1, **GPU)])
    assert fires(
        rule("GpuMemoryRowRemapFailure"),
        [
            gauge("DCGM_FI_DEV_ROW_REMAP_FAILURE", 0, **GPU),
            counter("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", 0.001, **GPU),
        ],
    )
    healthy = [
        gauge("DCGM_FI_DEV_ROW_REMAP_FAILURE", 0, **GPU),
        gauge("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", 2, **GPU),
    ]
    assert not fires(rule("GpuMemoryRowRemapFailure"), healthy)


def test_gpu_too_hot() -> None:
    assert fires(rule("GpuTooHot"), [gauge("DCGM_FI_DEV_GPU_TEMP", 90, **GPU)])
    assert not fires(rule("GpuTooHot"), [gauge("DCGM_FI_DEV_GPU_TEMP", 80, **GPU)])


def test_a_model_on_cpu_gets_no_gpu_alerts() -> None:
    from dataclasses import replace

    alerts = {r["alert"] for r in model_rules(replace(MODEL, on_gpu=False))["rules"]}
    assert "LlmModelPodPendingForGpu" not in alerts
    assert "LlmModelGpuIdleWhileQueueWaits" not in alerts


def test_no_objective_no_burn_rate_alert() -> None:
    from dataclasses import replace

    alerts = {r["alert"] for r in model_rules(replace(MODEL, objectives=()))["rules"]}
    assert not {"LlmModelTtftBudgetBurn", "LlmModelTpotBudgetBurn"} & alerts


def test_a_model_on_cpu_is_not_pointed_at_the_gpu_pending_alert() -> None:
    from dataclasses import replace

    rules = {r["alert"]: r for r in model_rules(replace(MODEL, on_gpu=False))["rules"]}
    assert "LlmModelPodPendingForGpu" not in rules["LlmModelNoReadyReplica"]["annotations"]["description"]
    gpu_rules = {r["alert"]: r for r in model_rules(MODEL)["rules"]}
    assert "LlmModelPodPendingForGpu" in gpu_rules["LlmModelNoReadyReplica"]["annotations"]["description"]
