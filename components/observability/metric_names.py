"""Every metric name the stack's PromQL may use (alerts, dashboards, the KEDA query), each with where it comes from.

A name not listed here is a typo or a metric the pinned exporters do not emit; tests parse every expression and
check its names against this catalogue. vLLM's names are listed as its source spells them (`vllm:` prefix);
`vllm_series` adds the `vllm_` spelling exporters that cannot carry a colon use.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from components import versions


class Kind(Enum):
    GAUGE = "gauge"
    COUNTER = "counter"
    HISTOGRAM = "histogram"


@dataclass(frozen=True)
class Source:
    exporter: str
    where: str


VLLM = Source(
    f"vLLM {versions.VLLM_VERSION}",
    f"vllm-project/vllm@{versions.VLLM_VERSION} vllm/v1/metrics/loggers.py (PrometheusStatLogger; labels model_name, "
    "engine); counters gain `_total` (prometheus_client); buckets in vllm/v1/metrics/buckets.py",
)
VLLM_LEGACY = Source(
    "vLLM before the renames",
    "vllm-project/vllm v0.10 vllm/v1/metrics/loggers.py: vllm:gpu_cache_usage_perc (now vllm:kv_cache_usage_perc) "
    "and vllm:time_per_output_token_seconds (now vllm:inter_token_latency_seconds and "
    "vllm:request_time_per_output_token_seconds)",
)
VLLM_HTTP = Source(
    "vLLM's API server (prometheus-fastapi-instrumentator)",
    f"vllm-project/vllm@{versions.VLLM_VERSION} vllm/entrypoints/serve/instrumentator/metrics.py: "
    "Instrumentator().add() registers http_requests_total{handler,method,status}, status grouped as 2xx/4xx/5xx",
)
DCGM = Source(
    f"DCGM exporter {versions.DCGM_EXPORTER_CHART}",
    "NVIDIA/dcgm-exporter@4.5.3-4.8.2 etc/default-counters.csv (the chart's default `-f` counters); labels gpu, "
    "UUID, modelName, Hostname, and namespace/pod/container of the pod holding the GPU",
)
KUBE_STATE_METRICS = Source(
    "kube-state-metrics (kube-prometheus-stack dependency, chart 8.1.3)",
    "kubernetes/kube-state-metrics docs/metrics/workload/{deployment,pod}-metrics.md; resource names sanitised "
    "(nvidia.com/gpu -> nvidia_com_gpu)",
)

METRICS: dict[str, tuple[Kind, Source]] = {
    # vLLM scheduler state.
    "vllm:num_requests_running": (Kind.GAUGE, VLLM),
    "vllm:num_requests_waiting": (Kind.GAUGE, VLLM),
    "vllm:kv_cache_usage_perc": (Kind.GAUGE, VLLM),
    "vllm:gpu_cache_usage_perc": (Kind.GAUGE, VLLM_LEGACY),
    # vLLM counters.
    "vllm:num_preemptions_total": (Kind.COUNTER, VLLM),
    "vllm:prompt_tokens_total": (Kind.COUNTER, VLLM),
    "vllm:generation_tokens_total": (Kind.COUNTER, VLLM),
    "vllm:request_success_total": (Kind.COUNTER, VLLM),
    "vllm:prefix_cache_queries_total": (Kind.COUNTER, VLLM),
    "vllm:prefix_cache_hits_total": (Kind.COUNTER, VLLM),
    # vLLM latency histograms.
    "vllm:time_to_first_token_seconds": (Kind.HISTOGRAM, VLLM),
    "vllm:inter_token_latency_seconds": (Kind.HISTOGRAM, VLLM),
    "vllm:request_time_per_output_token_seconds": (Kind.HISTOGRAM, VLLM),
    "vllm:time_per_output_token_seconds": (Kind.HISTOGRAM, VLLM_LEGACY),
    "vllm:e2e_request_latency_seconds": (Kind.HISTOGRAM, VLLM),
    "vllm:request_queue_time_seconds": (Kind.HISTOGRAM, VLLM),
    # vLLM's HTTP layer.
    "http_requests_total": (Kind.COUNTER, VLLM_HTTP),
    # DCGM, per GPU.
    "DCGM_FI_DEV_GPU_UTIL": (Kind.GAUGE, DCGM),
    "DCGM_FI_DEV_FB_USED": (Kind.GAUGE, DCGM),
    "DCGM_FI_DEV_FB_FREE": (Kind.GAUGE, DCGM),
    "DCGM_FI_DEV_GPU_TEMP": (Kind.GAUGE, DCGM),
    "DCGM_FI_DEV_MEMORY_TEMP": (Kind.GAUGE, DCGM),
    "DCGM_FI_DEV_POWER_USAGE": (Kind.GAUGE, DCGM),
    "DCGM_FI_DEV_XID_ERRORS": (Kind.GAUGE, DCGM),
    "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS": (Kind.COUNTER, DCGM),
    "DCGM_FI_DEV_ROW_REMAP_FAILURE": (Kind.GAUGE, DCGM),
    # Kubernetes objects.
    "kube_deployment_spec_replicas": (Kind.GAUGE, KUBE_STATE_METRICS),
    "kube_deployment_status_replicas": (Kind.GAUGE, KUBE_STATE_METRICS),
    "kube_deployment_status_replicas_available": (Kind.GAUGE, KUBE_STATE_METRICS),
    "kube_pod_status_phase": (Kind.GAUGE, KUBE_STATE_METRICS),
    "kube_pod_container_resource_requests": (Kind.GAUGE, KUBE_STATE_METRICS),
}

GKE_DCGM = Source(
    "GKE's managed DCGM collection (monitoring_config DCGM, ClusterPodMonitoring gke-managed-dcgm-exporter)",
    "GKE docs, Collect and view DCGM metrics (cloud.google.com/kubernetes-engine/docs/how-to/dcgm-metrics): a "
    "fixed list of fields, sent to Managed Prometheus (prometheus.googleapis.com/<name>/gauge), not to this stack's "
    "Prometheus; a live cluster's catalogue (gke-dcgm-exporter 4.4.1-4.6.0-gke.17) shows the same 21 fields and "
    "no XID, ECC or row-remapping field; series keyed by gpu and Hostname",
)

GKE_MANAGED_DCGM: frozenset[str] = frozenset(
    {
        "DCGM_FI_DEV_FB_FREE",
        "DCGM_FI_DEV_FB_TOTAL",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_GPU_TEMP",
        "DCGM_FI_DEV_MEMORY_TEMP",
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_MEM_COPY_UTIL",
        "DCGM_FI_DEV_POWER_USAGE",
        "DCGM_FI_DEV_SM_CLOCK",
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
        "DCGM_FI_PROF_DRAM_ACTIVE",
        "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
        "DCGM_FI_PROF_SM_ACTIVE",
        "DCGM_FI_PROF_PIPE_FP16_ACTIVE",
        "DCGM_FI_PROF_PIPE_FP32_ACTIVE",
        "DCGM_FI_PROF_PIPE_FP64_ACTIVE",
        "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
        "DCGM_FI_PROF_NVLINK_RX_BYTES",
        "DCGM_FI_PROF_NVLINK_TX_BYTES",
        "DCGM_FI_PROF_PCIE_RX_BYTES",
        "DCGM_FI_PROF_PCIE_TX_BYTES",
    }
)
"""What GKE's managed DCGM collection exports (GKE_DCGM): the only names a rule for Managed Prometheus's evaluator
may select. The stack's own exporter (DCGM, above) exports more (XID, row remapping)."""

_HISTOGRAM_SERIES = ("_bucket", "_count", "_sum")


def vllm_series(name: str) -> tuple[str, str]:
    """The two spellings of a vLLM series: `vllm:x` as vLLM exposes it, `vllm_x` where the colon was replaced."""
    assert name.startswith("vllm:"), name
    return name, "vllm_" + name.removeprefix("vllm:")


def series_names() -> frozenset[str]:
    """Every series name a query may select: histograms as their `_bucket`, `_count` and `_sum` series, vLLM's in
    both spellings."""
    names: set[str] = set()
    for name, (kind, _) in METRICS.items():
        spellings = vllm_series(name) if name.startswith("vllm:") else (name,)
        for spelling in spellings:
            if kind is Kind.HISTOGRAM:
                names.update(spelling + suffix for suffix in _HISTOGRAM_SERIES)
            else:
                names.add(spelling)
    return frozenset(names)


# vLLM's classic histogram bounds (vllm/v1/metrics/buckets.py at the pinned tag): a latency objective can only be
# counted against a bound that exists as an `le` bucket.
TIME_TO_FIRST_TOKEN_BUCKETS: tuple[float, ...] = (
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
    160.0, 640.0, 2560.0,
)  # fmt: skip
TIME_PER_OUTPUT_TOKEN_BUCKETS: tuple[float, ...] = (
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
)  # fmt: skip
"""INTER_TOKEN_LATENCY_BUCKETS, which vllm:request_time_per_output_token_seconds uses too."""
REQUEST_LATENCY_BUCKETS: tuple[float, ...] = (
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0,
    1920.0, 7680.0,
)  # fmt: skip
"""vllm:e2e_request_latency_seconds (v0.31 vllm/v1/metrics/buckets.py REQUEST_LATENCY_BUCKETS): nothing under 0.3 s,
so an embedding model's objective starts there."""
