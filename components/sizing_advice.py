"""What to tell a user whose model does not fit: the same formula as components/sizing.py, on the GPU types and
per-node counts the target cloud really sells (components/catalog/instances.py)."""

from __future__ import annotations

from components.catalog.gpus import GPUS, GpuType
from components.catalog.instances import Cloud, offered
from components.catalog.models import ModelArchitecture
from components.clusters.contract import Sharing, SharingMode
from components.sizing import (
    KvCacheDtype,
    Sizing,
    allowed_sizes,
    memory_terms,
    size_model,
    supports_fp8_kv_cache,
    usable_memory_gib,
)
from components.vllm_support import refusal


def gpus_that_fit(
    architecture: ModelArchitecture,
    context: int | None,
    concurrency: int,
    kv_dtype: KvCacheDtype,
    cloud: Cloud | None,
) -> list[str]:
    """`L40S (tensor parallel 2)` for each GPU type whose largest node shape on the cloud starts the model with
    the requested context (the model's full one when none is set). An fp8 KV cache counts only where it runs."""
    offers = offered(cloud) if cloud else {gpu: [1, 2, 4, 8] for gpu in GPUS}
    fitting = []
    for gpu, counts in offers.items():
        if kv_dtype == "fp8" and not supports_fp8_kv_cache(gpu):
            continue
        sizing = size_model(
            architecture, context or architecture.default_context, concurrency, gpu, max(counts), Sharing(), kv_dtype
        )
        if sizing is not None:
            fitting.append(f"{gpu.value} (tensor parallel {sizing.tensor_parallel})")
    return fitting


def describe_offer(gpu: GpuType, gpus_per_node: int, sharing: Sharing, mig_profile: str | None) -> str:
    budget = usable_memory_gib(gpu, sharing)
    if sharing.mode is SharingMode.MIG:
        return f"one {mig_profile} MIG instance of {gpu.value} ({budget:.1f} GiB budget)"
    if sharing.mode is SharingMode.TIME_SLICING:
        return f"a 1/{sharing.replicas} time-slice of one {gpu.value} ({budget:.1f} GiB budget)"
    return f"{gpus_per_node} x {gpu.value} per node ({budget:.1f} GiB budget each)"


def too_long(context: int, best: Sizing) -> str:
    """`contextLength` set and too long for the pool: the largest that would start, and where."""
    return (
        f"{context} tokens do not fit; the largest context that fits is {best.context_tokens} "
        f"(tensor parallel {best.tensor_parallel}, {best.concurrency} request(s) at once)"
    )


def no_fit(
    architecture: ModelArchitecture,
    hugging_face_id: str,
    context: int | None,
    concurrency: int,
    kv_dtype: KvCacheDtype,
    gpu: GpuType,
    gpus_per_node: int,
    sharing: Sharing,
) -> str:
    """Why nothing starts: the reason vLLM refuses the GPU, else the terms at the largest tensor parallelism the
    pool allows."""
    refused = refusal(architecture, gpu)
    if refused is not None:
        return f"{hugging_face_id} does not start on {gpu.value}: {refused}"
    most = 1 if sharing.mode is not SharingMode.NONE else gpus_per_node
    size = (allowed_sizes(architecture, most) or [1])[-1]
    terms = memory_terms(architecture, gpu, sharing, size)
    return (
        f"{hugging_face_id} does not start: at tensor parallel {size} each GPU's budget of {terms.budget_gib:.1f} GiB "
        f"holds weights {terms.weights_gib:.1f} + activations {terms.activation_gib:.1f} + non-torch "
        f"{terms.non_torch_gib:.2f} + CUDA graphs {terms.cuda_graph_gib:.1f} GiB ({terms.dtype}), leaving "
        f"{terms.kv_room_gib:.1f} GiB for the KV cache, less than {concurrency} request(s) of "
        f"{context or architecture.default_context} tokens need with the {terms.margin_gib:.1f} GiB margin"
    )
