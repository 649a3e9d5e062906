"""An embedding model's alerts: its request latency, not time to first token; no KV-cache rules for an encoder."""

from __future__ import annotations

import dataclasses

from components.observability.alerts import ModelWatch, model_rules, request_latency_objective
from components.serving.vllm import STARTUP_BUDGET_SECONDS
from tests.observability.promql_eval import counter, fires, gauge

NS = "llm-serving"
ENCODER = ModelWatch(
    name="embed",
    namespace=NS,
    deployment="embed",
    service="embed",
    max_replicas=2,
    queue_per_replica=4,
    startup_budget_seconds=STARTUP_BUDGET_SECONDS,
    on_gpu=True,
    gpu_metrics=True,
    objectives=(request_latency_objective(0.5),),
    kv_cache=False,
)
VLLM = {"namespace": NS, "service": "embed", "pod": "embed-5c7d9f8b6-q2x4k", "model_name": "embed", "engine": "0"}
E2E = "vllm:e2e_request_latency_seconds"


def alerts(model: ModelWatch) -> set[str]:
    return {rule["alert"] for rule in model_rules(model)["rules"]}


def latency_rule(window: str) -> dict:
    return next(
        r
        for r in model_rules(ENCODER)["rules"]
        if r["alert"] == "LlmModelLatencyBudgetBurn" and r["labels"]["window"] == window
    )


def latency(within_per_second: float, total_per_second: float) -> list:
    return [
        counter(f"{E2E}_bucket", within_per_second, le="0.5", **VLLM),
        counter(f"{E2E}_bucket", total_per_second, le="+Inf", **VLLM),
        counter(f"{E2E}_count", total_per_second, **VLLM),
    ]


def test_an_encoder_has_no_kv_cache_or_preemption_alerts() -> None:
    assert not {"LlmModelKvCacheNearFull", "LlmModelPreempting"} & alerts(ENCODER)
    assert {"LlmModelNoReadyReplica", "LlmModelCapacityExhausted", "LlmModelErrorsRising"} <= alerts(ENCODER)


def test_a_model_with_a_kv_cache_keeps_its_kv_cache_alerts() -> None:
    assert {"LlmModelKvCacheNearFull", "LlmModelPreempting"} <= alerts(dataclasses.replace(ENCODER, kv_cache=True))


def test_an_embedding_model_has_no_time_to_first_token_alert() -> None:
    assert not {"LlmModelTtftBudgetBurn", "LlmModelTpotBudgetBurn"} & alerts(ENCODER)


def test_request_latency_page_fires_when_most_requests_miss_the_objective() -> None:
    # 80% slower than 0.5 s: the 5% budget burns 16 times too fast, above the page's 14.4.
    assert fires(latency_rule("page"), latency(0.2, 1.0))


def test_request_latency_is_read_from_the_e2e_histogram_not_ttft() -> None:
    ttft = [
        counter("vllm:time_to_first_token_seconds_bucket", 0.2, le="0.5", **VLLM),
        counter("vllm:time_to_first_token_seconds_bucket", 1.0, le="+Inf", **VLLM),
        counter("vllm:time_to_first_token_seconds_count", 1.0, **VLLM),
    ]
    assert not fires(latency_rule("page"), ttft)


def test_request_latency_ticket_is_quiet_within_budget() -> None:
    assert not fires(latency_rule("ticket"), latency(0.98, 1.0))


def test_the_queue_alert_reads_the_queue_pooling_requests_go_through() -> None:
    rule = next(r for r in model_rules(ENCODER)["rules"] if r["alert"] == "LlmModelCapacityExhausted")
    series = [
        gauge("vllm:num_requests_waiting", 9, **VLLM),
        gauge("kube_deployment_spec_replicas", 2, namespace=NS, deployment="embed"),
    ]
    assert fires(rule, series)
