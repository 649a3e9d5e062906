"""How much GPU memory a model needs, and which tensor parallelism and context vLLM will start with: pure functions.

The formula follows vLLM's own accounting (components/catalog/vllm_memory.py holds every constant and its
source). Per GPU of one replica, at tensor parallelism TP:

    budget      = CUDA-visible memory x --gpu-memory-utilization
    kv room     = budget - weights / TP - activation peak - non-torch memory - CUDA-graph estimate
    one request = its KV cache for --max-model-len tokens, in blocks of 16 (vLLM's check at startup)

vLLM refuses to start when the KV room holds less than one request; this project also asks for `concurrency`
requests. KV heads are split over the GPUs, but never below one per GPU (vLLM replicates them when TP exceeds
the KV heads); sliding-window layers keep only their window (plus the tokens of one batch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from components.catalog import vllm_memory as vm
from components.catalog.gpus import GPUS, GpuType
from components.catalog.mig import mig_profile
from components.catalog.models import ModelArchitecture
from components.clusters.contract import Sharing, SharingMode

GIB = vm.GIB
KvCacheDtype = Literal["auto", "fp8"]
TENSOR_PARALLEL_SIZES = (1, 2, 4, 8, 16)


# --- the device ----------------------------------------------------------------------------------------------


def visible_memory_gib(gpu: GpuType, sharing: Sharing) -> float:
    """What CUDA reports as the device's total: the whole GPU, or its MIG instance. A MIG instance's figure is
    not published per profile: its name's decimal gigabytes, in GiB, stand in (at most what it really has)."""
    if sharing.mode is SharingMode.MIG:
        profile = mig_profile(gpu, sharing.mig_profile or "")
        if profile is not None:
            return profile.memory_gib * 1e9 / GIB
    spec = GPUS[gpu]
    if spec.cuda_total_gib is not None:
        return spec.cuda_total_gib
    return (spec.nvidia_smi_mib - vm.CUDA_RESERVED_MIB) / 1024


def gpu_memory_utilization(sharing: Sharing) -> float:
    """vLLM's `--gpu-memory-utilization` on one GPU (or MIG instance). Time-sliced replicas share one GPU's
    memory without isolation: each vLLM must take only its part, or the second one to start runs out of memory."""
    if sharing.mode is SharingMode.TIME_SLICING and sharing.replicas:
        return round(vm.GPU_MEMORY_UTILIZATION / sharing.replicas, 3)
    return vm.GPU_MEMORY_UTILIZATION


def usable_memory_gib(gpu: GpuType, sharing: Sharing) -> float:
    """The budget vLLM takes on one GPU (or share): the visible memory times its utilization."""
    return visible_memory_gib(gpu, sharing) * gpu_memory_utilization(sharing)


def batch_class(gpu: GpuType, sharing: Sharing) -> str:
    """vLLM's batch defaults follow the device it sees: 'large' from 70 GiB up, A100 excepted."""
    large = visible_memory_gib(gpu, sharing) >= vm.LARGE_CLASS_MIN_GIB and not gpu.value.startswith("A100")
    return "large" if large else "small"


def supports_fp8_kv_cache(gpu: GpuType) -> bool:
    return GPUS[gpu].compute_capability >= vm.FP8_KV_MIN_CAPABILITY


# --- the model -----------------------------------------------------------------------------------------------


def weights_bytes(architecture: ModelArchitecture) -> float:
    """The checkpoint in GPU memory: quantized parameters at their format's bytes, the rest in bf16."""
    total = architecture.recomputed_parameters() or round(architecture.parameters_billion * 1e9)
    if architecture.weights == "bf16":
        return total * vm.BYTES_PER_PARAMETER["bf16"]
    if architecture.weights == "mxfp4" and architecture.expert_parameters():
        quantized = architecture.expert_parameters()
    elif architecture.hidden_size is not None:
        quantized = total - architecture.embedding_parameters() - round(architecture.extra_parameters_billion * 1e9)
    else:
        quantized = total
    return quantized * vm.BYTES_PER_PARAMETER[architecture.weights] + (total - quantized) * 2.0


def kv_heads_per_gpu(architecture: ModelArchitecture, tensor_parallel: int) -> int:
    """vLLM's `ModelConfig.get_num_kv_heads`: max(1, kv_heads // TP): past the KV heads, each GPU keeps a copy."""
    return max(1, architecture.kv_heads // tensor_parallel)


def kv_bytes_per_token_layer(architecture: ModelArchitecture, tensor_parallel: int, kv_dtype: KvCacheDtype) -> int:
    """K and V of one token in one layer, on one GPU."""
    return 2 * kv_heads_per_gpu(architecture, tensor_parallel) * architecture.head_dim * vm.KV_BYTES[kv_dtype]


def kv_bytes_per_token(architecture: ModelArchitecture, kv_dtype: KvCacheDtype = "auto") -> int:
    """K and V of one token over all layers, on one GPU without tensor parallelism."""
    return kv_bytes_per_token_layer(architecture, 1, kv_dtype) * architecture.layers


def _blocks(tokens: int) -> int:
    return -(-tokens // vm.BLOCK_SIZE)


def request_kv_bytes(
    architecture: ModelArchitecture, context: int, tensor_parallel: int, kv_dtype: KvCacheDtype, batched_tokens: int
) -> int:
    """vLLM's `max_memory_usage_bytes` for one request of `context` tokens, per GPU: full-attention layers hold
    cdiv(context, 16) blocks, sliding-window ones cdiv(min(window - 1 + max_num_batched_tokens, context), 16) + 1
    (vllm/v1/kv_cache_interface.py FullAttentionSpec / SlidingWindowSpec)."""
    block = vm.BLOCK_SIZE * kv_bytes_per_token_layer(architecture, tensor_parallel, kv_dtype)
    full_layers = architecture.layers - architecture.sliding_layers
    total = full_layers * _blocks(context) * block
    if architecture.sliding_layers and architecture.sliding_window:
        window = min(architecture.sliding_window - 1 + batched_tokens, context)
        total += architecture.sliding_layers * (_blocks(window) + 1) * block
    return total


# --- the terms -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryTerms:
    """One GPU of a replica, in GiB, as vLLM accounts for it at startup."""

    visible_gib: float
    utilization: float
    weights_gib: float
    activation_gib: float
    non_torch_gib: float
    cuda_graph_gib: float
    max_num_batched_tokens: int
    max_num_seqs: int

    @property
    def budget_gib(self) -> float:
        return self.visible_gib * self.utilization

    @property
    def kv_room_gib(self) -> float:
        """What vLLM has left for the KV cache (negative: the weights and overheads do not even fit)."""
        return self.budget_gib - self.weights_gib - self.activation_gib - self.non_torch_gib - self.cuda_graph_gib

    def as_output(self) -> dict[str, float | int]:
        return {
            "visibleGiB": round(self.visible_gib, 2),
            "budgetGiB": round(self.budget_gib, 2),
            "weightsGiB": round(self.weights_gib, 2),
            "activationGiB": round(self.activation_gib, 2),
            "nonTorchGiB": round(self.non_torch_gib, 2),
            "cudaGraphGiB": round(self.cuda_graph_gib, 2),
            "kvRoomGiB": round(self.kv_room_gib, 2),
            "maxNumBatchedTokens": self.max_num_batched_tokens,
            "maxNumSeqs": self.max_num_seqs,
        }


def activation_bytes(architecture: ModelArchitecture, tensor_parallel: int, tokens: int, seqs: int) -> float:
    """The peak of vLLM's profiling forward pass on `tokens` tokens and its sampler run on `seqs` rows."""
    layer = tokens * (
        vm.ACTIVATION_HIDDEN_COPIES * architecture.hidden * 2
        + vm.ACTIVATION_MLP_COPIES * architecture.mlp_width / tensor_parallel * 2
    )
    sampler = min(seqs, tokens) * architecture.vocab * 4 * vm.SAMPLER_LOGIT_COPIES
    return (layer + sampler) * vm.ACTIVATION_SAFETY


def memory_terms(architecture: ModelArchitecture, gpu: GpuType, sharing: Sharing, tensor_parallel: int) -> MemoryTerms:
    kind = batch_class(gpu, sharing)
    tokens, seqs = vm.MAX_NUM_BATCHED_TOKENS[kind], vm.MAX_NUM_SEQS[kind]
    return MemoryTerms(
        visible_gib=visible_memory_gib(gpu, sharing),
        utilization=gpu_memory_utilization(sharing),
        weights_gib=weights_bytes(architecture) / tensor_parallel / GIB,
        activation_gib=activation_bytes(architecture, tensor_parallel, tokens, seqs) / GIB,
        non_torch_gib=vm.NON_TORCH_GIB_SINGLE if tensor_parallel == 1 else vm.NON_TORCH_GIB_TENSOR_PARALLEL,
        cuda_graph_gib=vm.CUDA_GRAPH_GIB[kind],
        max_num_batched_tokens=tokens,
        max_num_seqs=seqs,
    )


def fits(
    architecture: ModelArchitecture,
    terms: MemoryTerms,
    tensor_parallel: int,
    context: int,
    concurrency: int,
    kv_dtype: KvCacheDtype,
) -> bool:
    """vLLM starts (its KV room holds one request of `context`) and holds `concurrency` of them."""
    need = request_kv_bytes(architecture, context, tensor_parallel, kv_dtype, terms.max_num_batched_tokens)
    return concurrency * need <= terms.kv_room_gib * GIB


def largest_context(
    architecture: ModelArchitecture, terms: MemoryTerms, tensor_parallel: int, concurrency: int, kv_dtype: KvCacheDtype
) -> int:
    """The longest context, a whole number of blocks up to the model's maximum, of which `concurrency` requests
    fit; 0 when not even one block does."""
    ceiling = architecture.default_context
    if fits(architecture, terms, tensor_parallel, ceiling, concurrency, kv_dtype):
        return ceiling
    low, high = 0, ceiling // vm.BLOCK_SIZE
    while low < high:
        middle = (low + high + 1) // 2
        if fits(architecture, terms, tensor_parallel, middle * vm.BLOCK_SIZE, concurrency, kv_dtype):
            low = middle
        else:
            high = middle - 1
    return low * vm.BLOCK_SIZE


def allowed_sizes(architecture: ModelArchitecture, most: int) -> list[int]:
    """Powers of two within one node that divide the attention heads."""
    heads = architecture.attention_heads
    return [size for size in TENSOR_PARALLEL_SIZES if size <= most and (heads is None or heads % size == 0)]


# --- the choice ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizing:
    """How a model is served on a pool's GPUs."""

    tensor_parallel: int
    """GPUs per replica, all on one node."""
    context_tokens: int
    """`--max-model-len`: the configured context, or the largest that fits when none is configured."""
    context_is_capped: bool
    """No context was configured and memory, not the model, set `context_tokens`."""
    concurrency: int
    kv_cache_dtype: KvCacheDtype
    terms: MemoryTerms
    architecture: ModelArchitecture

    @property
    def kv_needed_gib(self) -> float:
        return self.kv_bytes / GIB

    @property
    def kv_bytes(self) -> int:
        return self.concurrency * request_kv_bytes(
            self.architecture,
            self.context_tokens,
            self.tensor_parallel,
            self.kv_cache_dtype,
            self.terms.max_num_batched_tokens,
        )

    @property
    def headroom_gib(self) -> float:
        """KV room left per GPU after `concurrency` requests of `context_tokens`."""
        return self.terms.kv_room_gib - self.kv_needed_gib

    @property
    def gpu_memory_utilization(self) -> float:
        return self.terms.utilization

    @property
    def usable_per_gpu_gib(self) -> float:
        return self.terms.budget_gib


def size_model(
    architecture: ModelArchitecture,
    context_tokens: int | None,
    concurrency: int,
    gpu: GpuType,
    gpus_per_node: int,
    sharing: Sharing,
    kv_dtype: KvCacheDtype = "auto",
) -> Sizing | None:
    """The smallest tensor parallelism at which the model starts with `concurrency` requests of the configured
    context. Without a configured context: the smallest at which the model's full context fits, else the one
    that fits the longest (the smallest among equals), capped there. None when nothing on one node starts.
    A shared GPU is never split further: one replica, one share."""
    most = 1 if sharing.mode is not SharingMode.NONE else gpus_per_node
    sizes = allowed_sizes(architecture, most)
    wanted = context_tokens or architecture.default_context
    for size in sizes:
        terms = memory_terms(architecture, gpu, sharing, size)
        if fits(architecture, terms, size, wanted, concurrency, kv_dtype):
            return Sizing(size, wanted, False, concurrency, kv_dtype, terms, architecture)
    if context_tokens is not None:
        return None
    best: tuple[int, int, MemoryTerms] | None = None
    for size in sizes:
        terms = memory_terms(architecture, gpu, sharing, size)
        context = largest_context(architecture, terms, size, concurrency, kv_dtype)
        if context > 0 and (best is None or context > best[0]):
            best = (context, size, terms)
    if best is None:
        return None
    return Sizing(best[1], best[0], True, concurrency, kv_dtype, best[2], architecture)


def best_fit(
    architecture: ModelArchitecture,
    concurrency: int,
    gpu: GpuType,
    gpus_per_node: int,
    sharing: Sharing,
    kv_dtype: KvCacheDtype = "auto",
) -> Sizing | None:
    """The longest context that any allowed tensor parallelism on the node fits (for error messages)."""
    return size_model(architecture, None, concurrency, gpu, gpus_per_node, sharing, kv_dtype)


def lower_bound_gpus(
    architecture: ModelArchitecture, context: int, gpu: GpuType, kv_dtype: KvCacheDtype = "auto"
) -> int:
    """Weights plus one request's KV cache over the budget of one GPU, rounded up to a power of two: no
    overheads, no replicated KV heads. What no engine could beat."""
    need = weights_bytes(architecture) + request_kv_bytes(architecture, context, 1, kv_dtype, 0)
    gpus = max(1, math.ceil(need / (usable_memory_gib(gpu, Sharing()) * GIB)))
    return 1 << (gpus - 1).bit_length()
