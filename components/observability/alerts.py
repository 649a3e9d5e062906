"""Alerting rules: one group per model (is it up, does it keep up, does it meet its latency objectives) and the
platform's (the GPUs themselves). Pure functions: the components only wrap the groups in PrometheusRules.

Every rule carries `severity` (critical: users are affected now; warning: soon, or a ticket) and a summary, a
description saying what to do; docs/manual.md, "Observability", lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.observability.metric_names import (
    REQUEST_LATENCY_BUCKETS,
    TIME_PER_OUTPUT_TOKEN_BUCKETS,
    TIME_TO_FIRST_TOKEN_BUCKETS,
)
from components.observability.promql import le_matcher, pod_regex, selector, vllm, vllm_rate

# cluster-autoscaler gives up on a node that has not registered after --max-node-provision-time (default 15m,
# kubernetes/autoscaler cluster-autoscaler/FAQ.md) and tries another group; a GPU pod still Pending after that
# found no capacity in any of its pools (stock-out, quota) rather than a slow boot. GKE's and AKS's managed
# autoscalers use the same default.
NODE_SCALE_UP_SECONDS = 900
CAPACITY_EXHAUSTED_FOR = "10m"
KV_CACHE_NEAR_FULL = 0.95
PREEMPTIONS_PER_MINUTE = 1
ERROR_RATIO = 0.05
GPU_TEMPERATURE_CELSIUS = 85
# The "Memory Max Operating Temp" nvidia-smi -q reports for A100 and H100 HBM; GDDR GPUs (L4, T4) report no memory
# temperature, and the rule stays quiet on them.
GPU_MEMORY_TEMPERATURE_CELSIUS = 95
GPU_IDLE_PERCENT = 10
SLO_PERCENTILE = 0.95
"""Latency objectives are set at p95: 95% of requests within the bound, a 5% error budget."""

# The Google SRE workbook's multiwindow, multi-burn-rate alerts (Alerting on SLOs, table 5-8): each condition
# needs the burn rate over a long and a short window (the short one resets the alert once the burn stops).
# For a 30-day budget: 2% spent in 1h or 5% in 6h pages; 10% in 1d or in 3d opens a ticket.
PAGE_WINDOWS: tuple[tuple[str, str, float], ...] = (("1h", "5m", 14.4), ("6h", "30m", 6.0))
TICKET_WINDOWS: tuple[tuple[str, str, float], ...] = (("1d", "2h", 3.0), ("3d", "6h", 1.0))


@dataclass(frozen=True, kw_only=True)
class Objective:
    """A latency objective on one of vLLM's histograms: SLO_PERCENTILE of requests within `seconds`."""

    key: str
    """Its config key under `slo`, and what the alert is called after."""
    names: tuple[str, ...]
    """The histogram's names, the current one first."""
    seconds: float


@dataclass(frozen=True, kw_only=True)
class ModelWatch:
    """What the rules of one model need to know about it."""

    name: str
    namespace: str
    deployment: str
    service: str
    """The Service Prometheus scrapes the model through (the `service` label of its vLLM series)."""
    max_replicas: int
    queue_per_replica: int
    startup_budget_seconds: int
    on_gpu: bool
    gpu_metrics: bool
    """DCGM's per-GPU series are in the same Prometheus (the exporter this stack installs)."""
    objectives: tuple[Objective, ...] = ()
    group_nodes: int = 1
    """Nodes per replica of a model past one node (a LeaderWorkerSet `deployment` names); 1: a Deployment."""
    kv_cache: bool = True
    """The server keeps a KV cache (false for an encoder-only embedding model: no KV-cache or preemption rules)."""


def group_pod_regex(name: str) -> str:
    """A LeaderWorkerSet's pods: leaders `<name>-<group>`, workers `<name>-<group>-<index>`."""
    return f"{name}-[0-9]+(-[0-9]+)?"


def ttft_objective(seconds: float) -> Objective:
    return Objective(key="ttftSeconds", names=("vllm:time_to_first_token_seconds",), seconds=seconds)


def tpot_objective(seconds: float) -> Objective:
    # The per-request histogram (v0.11 on); before, the per-token one had the name.
    return Objective(
        key="timePerOutputTokenSeconds",
        names=("vllm:request_time_per_output_token_seconds", "vllm:time_per_output_token_seconds"),
        seconds=seconds,
    )


def request_latency_objective(seconds: float) -> Objective:
    """Whole-request latency: an embedding model's (its answer is one vector, no first or next token)."""
    return Objective(key="requestLatencySeconds", names=("vllm:e2e_request_latency_seconds",), seconds=seconds)


OBJECTIVE_BUCKETS: dict[str, tuple[float, ...]] = {
    "ttftSeconds": TIME_TO_FIRST_TOKEN_BUCKETS,
    "timePerOutputTokenSeconds": TIME_PER_OUTPUT_TOKEN_BUCKETS,
    "requestLatencySeconds": REQUEST_LATENCY_BUCKETS,
}
"""Bounds an objective may take: a fraction of requests within a bound is only known at a bucket's `le`."""


OBJECTIVE_ALERTS: dict[str, tuple[str, str]] = {
    "ttftSeconds": ("LlmModelTtftBudgetBurn", "time to first token"),
    "timePerOutputTokenSeconds": ("LlmModelTpotBudgetBurn", "time per output token"),
    "requestLatencySeconds": ("LlmModelLatencyBudgetBurn", "request latency"),
}
"""Each objective's burn-rate alert and what it measures."""


def _rule(alert: str, expr: str, for_: str, severity: str, summary: str, description: str, **labels: str) -> dict:
    return {
        "alert": alert,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity, **labels},
        "annotations": {"summary": summary, "description": description},
    }


def _duration(seconds: int) -> str:
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def model_selector(model: ModelWatch) -> str:
    return selector(namespace=model.namespace, service=model.service)


def slow_ratio(objective: Objective, match: str, window: str) -> str:
    """The share of requests slower than the objective's bound over `window`."""
    within = vllm_rate(objective.names, "_bucket", match, window, le_matcher(objective.seconds))
    total = vllm_rate(objective.names, "_count", match, window)
    return f"(1 - sum({within}) / sum({total}))"


def burn_rate_expr(objective: Objective, match: str, windows: tuple[tuple[str, str, float], ...]) -> str:
    budget = 1 - SLO_PERCENTILE
    conditions = [
        f"({slow_ratio(objective, match, long)} > {factor:g} * {budget:g}"
        f" and {slow_ratio(objective, match, short)} > {factor:g} * {budget:g})"
        for long, short, factor in windows
    ]
    return " or ".join(conditions)


def model_rules(model: ModelWatch) -> dict[str, Any]:
    """The model's rule group."""
    labels = {"model": model.name}
    match = model_selector(model)
    deployment = selector(namespace=model.namespace, deployment=model.deployment)
    grouped = model.group_nodes > 1
    regex = group_pod_regex(model.deployment) if grouped else pod_regex(model.deployment)
    pods = f'namespace="{model.namespace}",pod=~"{regex}"'
    waiting = f"sum({vllm('vllm:num_requests_waiting', match)})"
    rules = [
        _rule(
            "LlmModelNoReadyReplica",
            f"kube_deployment_spec_replicas{{{deployment}}} > 0"
            f" and on(namespace, deployment) kube_deployment_status_replicas_available{{{deployment}}} == 0",
            _duration(model.startup_budget_seconds),
            "critical",
            f"Model {model.name} has no ready replica",
            f"No replica of {model.name} has been ready for longer than a replica may take to start (node scale-up, "
            "image pull, weight download and load). Requests fail. Look at the pods' events and logs "
            f"(kubectl -n {model.namespace} describe pods; kubectl logs)"
            + (" and at LlmModelPodPendingForGpu." if model.on_gpu else "."),
            **labels,
        ),
        _rule(
            "LlmModelCapacityExhausted",
            f"{waiting} > {model.queue_per_replica * model.max_replicas}"
            f" and on() sum(kube_deployment_spec_replicas{{{deployment}}}) >= {model.max_replicas}",
            CAPACITY_EXHAUSTED_FOR,
            "warning",
            f"Model {model.name} is at maxReplicas and its queue keeps growing",
            f"More than queuePerReplica x maxReplicas ({model.queue_per_replica} x {model.max_replicas}) requests "
            f"have waited for {CAPACITY_EXHAUSTED_FOR} while {model.name} runs its maximum of replicas: users wait. "
            "Raise maxReplicas (and the pool's maxNodes), or add a pool.",
            **labels,
        ),
    ]
    kv_rules = [
        _rule(
            "LlmModelKvCacheNearFull",
            f"max({vllm('vllm:kv_cache_usage_perc', match)} or {vllm('vllm:gpu_cache_usage_perc', match)})"
            f" > {KV_CACHE_NEAR_FULL:g}",
            "15m",
            "warning",
            f"Model {model.name}'s KV cache is nearly full",
            f"A replica of {model.name} has used more than {KV_CACHE_NEAR_FULL:.0%} of its KV cache for 15 minutes: "
            "new requests wait and running ones get preempted. Lower concurrency per replica (queuePerReplica), "
            "more replicas, or a larger GPU / more tensor parallelism.",
            **labels,
        ),
        _rule(
            "LlmModelPreempting",
            f"sum({vllm_rate(('vllm:num_preemptions',), '_total', match, '5m')}) * 60 > {PREEMPTIONS_PER_MINUTE}",
            "15m",
            "warning",
            f"Model {model.name} keeps preempting requests",
            f"{model.name} has preempted more than {PREEMPTIONS_PER_MINUTE} request a minute for 15 minutes (its KV "
            "cache runs out): preempted requests are recomputed, latency rises. Same remedies as "
            "LlmModelKvCacheNearFull.",
            **labels,
        ),
    ]
    rules += [
        *(kv_rules if model.kv_cache else []),
        _rule(
            "LlmModelErrorsRising",
            f'sum(rate(http_requests_total{{{match},status="5xx"}}[5m]))'
            f" / sum(rate(http_requests_total{{{match}}}[5m])) > {ERROR_RATIO:g}",
            "10m",
            "critical",
            f"Model {model.name} answers with server errors",
            f"More than {ERROR_RATIO:.0%} of {model.name}'s requests have ended in a 5xx for 10 minutes. Read the "
            "server's logs (kubectl logs) for engine errors, out-of-memory or dead workers.",
            **labels,
        ),
    ]
    if model.on_gpu:
        rules.append(
            _rule(
                "LlmModelPodPendingForGpu",
                f'sum by (namespace, pod) (kube_pod_status_phase{{{pods},phase="Pending"}}) > 0'
                f" and on(namespace, pod) sum by (namespace, pod) "
                f'(kube_pod_container_resource_requests{{{pods},resource="nvidia_com_gpu"}}) > 0',
                _duration(NODE_SCALE_UP_SECONDS),
                "warning",
                f"A pod of {model.name} waits for a GPU",
                f"A pod of {model.name} has been Pending for longer than a node scale-up takes: no pool of its GPU "
                "could grow (cloud stock-out, quota, or maxNodes reached). Read the autoscaler's events on the pod "
                "(kubectl describe pod), the cloud's GPU quota, and consider a stand-in pool.",
                **labels,
            )
        )
    if model.on_gpu and model.gpu_metrics:
        rules.append(
            _rule(
                "LlmModelGpuIdleWhileQueueWaits",
                f"avg(DCGM_FI_DEV_GPU_UTIL{{{pods}}}) < {GPU_IDLE_PERCENT} and on() {waiting} > 0",
                "10m",
                "warning",
                f"{model.name}'s GPUs idle while requests wait",
                f"{model.name}'s GPUs have been under {GPU_IDLE_PERCENT}% busy for 10 minutes while requests wait in "
                "its queue: the server is stuck (a hung worker, a stalled NCCL collective). Restart the pods and "
                "read their logs.",
                **labels,
            )
        )
    for objective in model.objectives:
        name, what = OBJECTIVE_ALERTS[objective.key]
        bound = f"p{SLO_PERCENTILE * 100:.0f} {what} within {objective.seconds:g}s"
        rules.append(
            _rule(
                name,
                burn_rate_expr(objective, match, PAGE_WINDOWS),
                "2m",
                "critical",
                f"Model {model.name} burns its {what} budget fast",
                f"{model.name} misses its objective ({bound}) fast enough to spend 2% of a 30-day error budget in an "
                "hour (or 5% in six hours). Look at LlmModelCapacityExhausted and LlmModelKvCacheNearFull; add "
                "replicas or shorten contextLength.",
                window="page",
                **labels,
            )
        )
        rules.append(
            _rule(
                name,
                burn_rate_expr(objective, match, TICKET_WINDOWS),
                "1h",
                "warning",
                f"Model {model.name} slowly burns its {what} budget",
                f"{model.name} misses its objective ({bound}) at a rate that spends 10% of a 30-day error budget in "
                "a day or three: plan capacity.",
                window="ticket",
                **labels,
            )
        )
    if grouped:
        rules = [_group_rule(model, pods, labels), *(r for r in rules if r["alert"] != "LlmModelNoReadyReplica")]
    return {"name": f"llm-platform.model.{model.name}", "rules": rules}


def _group_rule(model: ModelWatch, pods: str, labels: dict[str, str]) -> dict[str, Any]:
    """A model past one node has no Deployment: its groups' pods, leaders and workers, must all be ready. A missing
    or unready worker stalls its leader's collectives, so one pod short is as bad as none."""
    wanted = model.max_replicas * model.group_nodes
    ready = f'sum(kube_pod_status_ready{{{pods},condition="true"}})'
    return _rule(
        "LlmModelGroupIncomplete",
        f"({ready} or vector(0)) < {wanted}",
        _duration(model.startup_budget_seconds),
        "critical",
        f"Model {model.name} has a group with a missing or unready pod",
        f"Fewer than {wanted} pods of {model.name} ({model.max_replicas} group(s) of {model.group_nodes} nodes) have "
        "been ready for longer than a group may take to start. A group serves only with every worker: look at "
        f"kubectl -n {model.namespace} get pods -l leaderworkerset.sigs.k8s.io/name={model.name}, the pods' events "
        "(a node that did not join, an EFA or GPU resource missing) and the leader's log.",
        **labels,
    )


def gpu_rules() -> dict[str, Any]:
    """The platform's group: every GPU DCGM reports, whichever model holds it."""
    return {
        "name": "llm-platform.gpus",
        "rules": [
            _rule(
                "GpuXidError",
                "max_over_time(DCGM_FI_DEV_XID_ERRORS[5m]) > 0",
                "0m",
                "critical",
                "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported XID {{ $value }}",
                "The driver reported an XID error (NVIDIA's XID catalogue says what the number means; 48, 63, 64, 74, "
                "79, 94, 95 mean failing memory, a fallen-off bus or NVLink). Drain the node (kubectl drain) and "
                "replace it if it repeats.",
            ),
            _rule(
                "GpuMemoryRowRemapFailure",
                "DCGM_FI_DEV_ROW_REMAP_FAILURE > 0 or increase(DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS[1h]) > 0",
                "0m",
                "critical",
                "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has failing memory",
                "The GPU remapped rows after uncorrectable memory errors, or could not remap: its memory is failing. "
                "Drain the node and have the cloud replace it.",
            ),
            *thermal_rules(),
        ],
    }


def thermal_rules() -> list[dict[str, Any]]:
    """A GPU or its memory running hot: from fields both the stack's DCGM exporter and GKE's managed one export."""
    return [
        _rule(
            "GpuTooHot",
            f"DCGM_FI_DEV_GPU_TEMP > {GPU_TEMPERATURE_CELSIUS}",
            "10m",
            "warning",
            "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} runs at {{ $value }} °C",
            f"The GPU has run above {GPU_TEMPERATURE_CELSIUS} °C for 10 minutes: it throttles its clocks, and "
            "latency rises. On a cloud node, report it and move the workload (drain the node).",
        ),
        _rule(
            "GpuMemoryTooHot",
            f"DCGM_FI_DEV_MEMORY_TEMP > {GPU_MEMORY_TEMPERATURE_CELSIUS}",
            "10m",
            "warning",
            "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has its memory at {{ $value }} °C",
            f"The GPU's memory has run above {GPU_MEMORY_TEMPERATURE_CELSIUS} °C (its maximum operating temperature) "
            "for 10 minutes: the GPU slows down to protect it, and memory errors become likelier. On a cloud node, "
            "report it and move the workload (drain the node).",
        ),
    ]


def gke_gpu_rules() -> dict[str, Any]:
    """The platform's GPU group on GKE, for Managed Prometheus's rule evaluator: only what GKE's managed DCGM
    collection exports (metric_names.GKE_MANAGED_DCGM), which has no XID or row-remapping field, and no vLLM series
    (those go to the stack's own Prometheus), so neither GpuXidError, GpuMemoryRowRemapFailure nor
    LlmModelGpuIdleWhileQueueWaits can be evaluated there."""
    return {"name": "llm-platform.gpus.gke", "rules": thermal_rules()}
