"""How much GPU memory a model needs, and how much a (possibly shared) GPU gives it: pure functions.

Weights: parameters x 2 bytes (bf16/fp16 checkpoints). KV cache per token: 2 (K and V) x layers x KV heads x
head dim x 2 bytes. vLLM takes `--gpu-memory-utilization` of the GPU's memory for weights, activations and the
KV cache together (docs.vllm.ai engine args; the KAITO calculation in ../shared/FACTS.md is the same idea).
"""

from __future__ import annotations

from dataclasses import dataclass

from components.catalog.gpus import GPUS, GpuType
from components.catalog.mig import mig_profile
from components.catalog.models import ModelArchitecture
from components.clusters.contract import Sharing, SharingMode

GIB = 1024**3
BYTES_PER_PARAMETER = 2
BYTES_PER_KV_ELEMENT = 2
GPU_MEMORY_UTILIZATION = 0.90
"""vLLM's default share of a whole GPU."""
ACTIVATION_RESERVE_GIB = 1.0
"""Room for activations and CUDA graphs within vLLM's share, on top of weights and KV cache."""


@dataclass(frozen=True)
class MemoryNeed:
    weights_gib: float
    kv_cache_gib: float
    reserve_gib: float = ACTIVATION_RESERVE_GIB

    @property
    def total_gib(self) -> float:
        return self.weights_gib + self.kv_cache_gib + self.reserve_gib


def kv_bytes_per_token(architecture: ModelArchitecture) -> int:
    return 2 * architecture.layers * architecture.kv_heads * architecture.head_dim * BYTES_PER_KV_ELEMENT


def memory_need(architecture: ModelArchitecture, context_tokens: int, sequences: int = 1) -> MemoryNeed:
    """Weights plus the KV cache of `sequences` requests of `context_tokens` each."""
    return MemoryNeed(
        weights_gib=architecture.parameters_billion * 1e9 * BYTES_PER_PARAMETER / GIB,
        kv_cache_gib=kv_bytes_per_token(architecture) * context_tokens * sequences / GIB,
    )


def gpu_memory_utilization(sharing: Sharing) -> float:
    """vLLM's `--gpu-memory-utilization` on one GPU (or MIG instance). Time-sliced replicas share one GPU's
    memory without isolation: each vLLM must take only its part, or the second one to start runs out of memory."""
    if sharing.mode is SharingMode.TIME_SLICING and sharing.replicas:
        return round(GPU_MEMORY_UTILIZATION / sharing.replicas, 3)
    return GPU_MEMORY_UTILIZATION


def usable_memory_gib(gpu: GpuType, sharing: Sharing) -> float:
    """Memory one replica's vLLM may use on one GPU of the pool: its MIG instance, its time-slice share, or
    the whole GPU, times the utilization vLLM is given."""
    if sharing.mode is SharingMode.MIG:
        profile = mig_profile(gpu, sharing.mig_profile or "")
        memory = profile.memory_gib if profile else GPUS[gpu].memory_gib
        return memory * GPU_MEMORY_UTILIZATION
    return GPUS[gpu].memory_gib * gpu_memory_utilization(sharing)


TENSOR_PARALLEL_SIZES = (1, 2, 4, 8, 16)


@dataclass(frozen=True)
class Sizing:
    """How a model is served on a pool's GPUs."""

    tensor_parallel: int
    """GPUs per replica, all on one node."""
    need: MemoryNeed
    """Memory the model needs in all (weights and KV cache split across the GPUs; a reserve on each)."""
    usable_per_gpu_gib: float
    gpu_memory_utilization: float

    @property
    def per_gpu_gib(self) -> float:
        return (self.need.weights_gib + self.need.kv_cache_gib) / self.tensor_parallel + self.need.reserve_gib


def fits(need: MemoryNeed, usable_per_gpu_gib: float, tensor_parallel: int) -> bool:
    return (need.weights_gib + need.kv_cache_gib) / tensor_parallel + need.reserve_gib <= usable_per_gpu_gib


def choose_tensor_parallel(
    need: MemoryNeed, usable_per_gpu_gib: float, gpus_per_node: int, attention_heads: int | None
) -> int | None:
    """The smallest power of two, within one node and dividing the attention heads, at which the model fits."""
    for size in TENSOR_PARALLEL_SIZES:
        if size > gpus_per_node:
            return None
        if attention_heads is not None and attention_heads % size:
            continue
        if fits(need, usable_per_gpu_gib, size):
            return size
    return None


def size_model(
    architecture: ModelArchitecture,
    context_tokens: int,
    concurrency: int,
    gpu: GpuType,
    gpus_per_node: int,
    sharing: Sharing,
) -> Sizing | None:
    """None when no setting fits the pool. A shared GPU is never split further: one replica, one share."""
    need = memory_need(architecture, context_tokens, concurrency)
    usable = usable_memory_gib(gpu, sharing)
    most = 1 if sharing.mode is not SharingMode.NONE else gpus_per_node
    tensor_parallel = choose_tensor_parallel(need, usable, most, architecture.attention_heads)
    if tensor_parallel is None:
        return None
    return Sizing(tensor_parallel, need, usable, gpu_memory_utilization(sharing))
