"""How much GPU memory a model needs, and which tensor parallelism and context vLLM will start with: pure functions.

The formula follows vLLM's own accounting (components/catalog/vllm_memory.py holds every constant and its
source). Per GPU of one replica, at tensor parallelism TP:

    budget      = CUDA-visible memory x --gpu-memory-utilization
    kv room     = budget - weights / TP - activation peak - non-torch memory - CUDA-graph estimate
    one request = its KV cache for --max-model-len tokens, in blocks of 16 (vLLM's check at startup)

vLLM refuses to start when the KV room, less the null block, holds less than one request; this project also
asks for `concurrency` requests and keeps a margin (vllm_memory.MARGIN_*) in every placement. KV heads are split
over the GPUs, but never below one per GPU (vLLM replicates them when TP exceeds the KV heads); sliding-window
layers keep their window plus two batches in flight, in KV groups padded to equal layer counts. Weights and the
`auto` KV cache take the dtype vLLM resolves on the GPU (components/vllm_support.py), MoE experts the padding of
the kernel it picks; a GPU vLLM refuses outright (`vllm_support.refusal`) is never sized. MLA models (DeepSeek,
Kimi) cache one latent of kv_lora_rank + qk_rope_head_dim per token and layer, the same on every TP rank.

Past one node (components/pipeline.py): TP over each node's GPUs, one pipeline stage per node; every stage's GPUs
must start with the margin, the stage with the least headroom is the one reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from components.catalog import vllm_memory as vm
from components.catalog.gpus import GPUS, GpuType
from components.catalog.mig import mig_profile
from components.catalog.models import ModelArchitecture
from components.catalog.vllm_engine import DTYPE_BYTES
from components.clusters.contract import Sharing, SharingMode
from components.pipeline import stages
from components.vllm_support import dtype_bytes, expert_padding, moe_kernel, refusal, resolved_dtype

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
    """vLLM's batch defaults follow NVML's total of the physical device (`get_device_total_memory`), the whole
    GPU even on a MIG instance or a time-slice: 'xlarge' from 160 GiB, 'large' from 70 GiB (A100 excepted)."""
    nvml_gib = GPUS[gpu].nvidia_smi_mib / 1024
    if nvml_gib >= vm.XLARGE_CLASS_MIN_GIB:
        return "xlarge"
    if nvml_gib >= vm.LARGE_CLASS_MIN_GIB and not gpu.value.startswith("A100"):
        return "large"
    return "small"


def supports_fp8_kv_cache(gpu: GpuType) -> bool:
    """This project's choice, not vLLM's limit: see vllm_memory.FP8_KV_MIN_CAPABILITY."""
    return GPUS[gpu].compute_capability >= vm.FP8_KV_MIN_CAPABILITY


def margin_gib(budget_gib: float) -> float:
    """KV room every placement leaves unused per GPU: vLLM measures activations and CUDA graphs at startup."""
    return max(vm.MARGIN_MIN_GIB, vm.MARGIN_FRACTION * budget_gib)


# --- the model -----------------------------------------------------------------------------------------------


def weights_bytes(architecture: ModelArchitecture, dtype_size: int = 2, padding: float = 1.0) -> float:
    """The checkpoint in GPU memory: quantized parameters at their format's bytes, the rest in the resolved
    dtype (`dtype_size` bytes); MoE experts times the kernel's `padding`."""
    total = architecture.recomputed_parameters() or round(architecture.parameters_billion * 1e9)
    experts = architecture.expert_parameters()
    if architecture.weights == "bf16":
        return (total - experts) * dtype_size + experts * dtype_size * padding
    if architecture.weights == "mxfp4" and experts:
        return experts * vm.BYTES_PER_PARAMETER["mxfp4"] * padding + (total - experts) * dtype_size
    if architecture.hidden_size is not None:
        quantized = total - architecture.embedding_parameters() - round(architecture.extra_parameters_billion * 1e9)
    else:
        quantized = total
    return quantized * vm.BYTES_PER_PARAMETER[architecture.weights] + (total - quantized) * dtype_size


def kv_heads_per_gpu(architecture: ModelArchitecture, tensor_parallel: int) -> int:
    """vLLM's `ModelConfig.get_num_kv_heads`: max(1, kv_heads // TP): past the KV heads, each GPU keeps a copy."""
    return max(1, architecture.kv_heads // tensor_parallel)


def kv_bytes_per_token_layer(
    architecture: ModelArchitecture, tensor_parallel: int, kv_dtype: KvCacheDtype, dtype_size: int = 2
) -> int:
    """K and V of one token in one layer, on one GPU; `auto` keeps the model's resolved dtype. MLA: its latent,
    on every GPU whatever the TP. None for an encoder-only model: vLLM gives its bidirectional layers no KV cache
    (v1/worker/gpu_model_runner.py `get_kv_cache_spec` skips ENCODER_ONLY attention; `check_enough_kv_cache_memory`
    passes an empty spec)."""
    if architecture.encoder_only:
        return 0
    element = dtype_size if kv_dtype == "auto" else vm.KV_BYTES[kv_dtype]
    if architecture.mla_latent:
        return architecture.mla_latent * element
    return 2 * kv_heads_per_gpu(architecture, tensor_parallel) * architecture.head_dim * element


def kv_bytes_per_token(architecture: ModelArchitecture, kv_dtype: KvCacheDtype = "auto", dtype_size: int = 2) -> int:
    """K and V of one token over all layers, on one GPU without tensor parallelism."""
    return kv_bytes_per_token_layer(architecture, 1, kv_dtype, dtype_size) * architecture.layers


def _blocks(tokens: int) -> int:
    return -(-tokens // vm.BLOCK_SIZE)


def kv_group_size(architecture: ModelArchitecture) -> int:
    """Layers per KV-cache group (vllm/v1/core/kv_cache_utils.py `_get_kv_cache_groups_uniform_page_size`): one
    group of every layer when all are alike; for sliding plus full layers the smaller count, or the larger when
    it is under 1.5 times the smaller, each kind padded up to whole groups (Gemma 3 27B: 52 + 10 -> 60 + 10)."""
    full = architecture.layers - architecture.sliding_layers
    sliding = architecture.sliding_layers if architecture.sliding_window else 0
    if not sliding or not full:
        return architecture.layers
    smallest, largest = min(full, sliding), max(full, sliding)
    return largest if largest < smallest * 1.5 else smallest


def pool_block_bytes(
    architecture: ModelArchitecture, tensor_parallel: int, kv_dtype: KvCacheDtype, dtype_size: int = 2
) -> int:
    """One block of the shared pool, one page per layer of a group (`_get_kv_cache_bytes_per_block`): what the
    null block vLLM holds back costs (`check_enough_kv_cache_memory` subtracts it before the check)."""
    page = vm.BLOCK_SIZE * kv_bytes_per_token_layer(architecture, tensor_parallel, kv_dtype, dtype_size)
    return kv_group_size(architecture) * page


def request_kv_bytes(
    architecture: ModelArchitecture,
    context: int,
    tensor_parallel: int,
    kv_dtype: KvCacheDtype,
    batched_tokens: int,
    dtype_size: int = 2,
) -> int:
    """vLLM's `_max_memory_usage_bytes_from_groups` for one request of `context` tokens, per GPU: the pool's
    bytes per block times the blocks each group claims. Full attention claims cdiv(context, 16); a sliding window
    cdiv(min(window - 1 + in-flight tokens, context), 16) + 1, in-flight being 2 batches of max_num_batched_tokens
    with async scheduling, on by default (kv_cache_interface.py `SlidingWindowSpec.max_admission_blocks_per_
    request`, config/vllm.py `max_in_flight_tokens`)."""
    block = pool_block_bytes(architecture, tensor_parallel, kv_dtype, dtype_size)
    group = kv_group_size(architecture)
    full_layers = architecture.layers - (architecture.sliding_layers if architecture.sliding_window else 0)
    total = -(-full_layers // group) * _blocks(context) if full_layers else 0
    if architecture.sliding_layers and architecture.sliding_window:
        in_flight = vm.MAX_CONCURRENT_BATCHES * batched_tokens
        window = min(architecture.sliding_window - 1 + in_flight, context)
        total += -(-architecture.sliding_layers // group) * (_blocks(window) + 1)
    return total * block


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
    dtype: str = "bfloat16"
    """The dtype vLLM resolves for `--dtype auto` on this GPU (weights outside quantized layers, `auto` KV)."""
    moe_kernel: str | None = None
    """The kernel vLLM picks for the experts; None for a dense model."""

    @property
    def dtype_size(self) -> int:
        return DTYPE_BYTES[self.dtype]

    @property
    def budget_gib(self) -> float:
        return self.visible_gib * self.utilization

    @property
    def margin_gib(self) -> float:
        return margin_gib(self.budget_gib)

    @property
    def kv_room_gib(self) -> float:
        """What vLLM has left for the KV cache (negative: the weights and overheads do not even fit)."""
        return self.budget_gib - self.weights_gib - self.activation_gib - self.non_torch_gib - self.cuda_graph_gib

    def as_output(self) -> dict[str, float | int | str]:
        return {
            "visibleGiB": round(self.visible_gib, 2),
            "budgetGiB": round(self.budget_gib, 2),
            "weightsGiB": round(self.weights_gib, 2),
            "activationGiB": round(self.activation_gib, 2),
            "nonTorchGiB": round(self.non_torch_gib, 2),
            "cudaGraphGiB": round(self.cuda_graph_gib, 2),
            "kvRoomGiB": round(self.kv_room_gib, 2),
            "marginGiB": round(self.margin_gib, 2),
            "maxNumBatchedTokens": self.max_num_batched_tokens,
            "maxNumSeqs": self.max_num_seqs,
            "dtype": self.dtype,
            "moeKernel": self.moe_kernel or "",
        }


def activation_bytes(
    architecture: ModelArchitecture, tensor_parallel: int, tokens: int, seqs: int, dtype_size: int = 2
) -> float:
    """The peak of vLLM's profiling forward pass on `tokens` tokens and its sampler run on `seqs` rows. A pooling
    model runs its pooler instead (gpu_worker.py: `_dummy_pooler_run`), on hidden states, no vocabulary logits."""
    layer = tokens * (
        vm.ACTIVATION_HIDDEN_COPIES * architecture.hidden * dtype_size
        + vm.ACTIVATION_MLP_COPIES * architecture.mlp_width / tensor_parallel * dtype_size
    )
    sampler = (
        min(seqs, tokens) * architecture.vocab * 4 * vm.SAMPLER_LOGIT_COPIES if architecture.task == "generate" else 0
    )
    return (layer + sampler) * vm.ACTIVATION_SAFETY


def batched_tokens(architecture: ModelArchitecture, default_tokens: int, seqs: int, context: int | None) -> int:
    """`--max-num-batched-tokens` vLLM defaults to. Without chunked prefill (an encoder-only pooling model,
    config/model.py `is_chunked_prefill_supported`) a whole prompt must fit one batch: at least `--max-model-len`,
    at most max_num_seqs of them (engine/arg_utils.py, after `get_batch_defaults`); scheduler.py refuses to start
    below the context otherwise."""
    if not architecture.encoder_only or context is None:
        return default_tokens
    return min(seqs * context, max(context, default_tokens))


def memory_terms(
    architecture: ModelArchitecture,
    gpu: GpuType,
    sharing: Sharing,
    tensor_parallel: int,
    nodes: int = 1,
    context: int | None = None,
) -> MemoryTerms:
    """One GPU's terms; `architecture` is what its stage holds when the replica spans `nodes` nodes; `context`:
    `--max-model-len`, which sets an encoder's batch."""
    kind = batch_class(gpu, sharing)
    seqs = vm.MAX_NUM_SEQS[kind]
    tokens = batched_tokens(architecture, vm.MAX_NUM_BATCHED_TOKENS[kind], seqs, context)
    size = dtype_bytes(architecture, gpu)
    padding = expert_padding(architecture, gpu, tensor_parallel)
    kernel = moe_kernel(architecture, gpu)
    return MemoryTerms(
        visible_gib=visible_memory_gib(gpu, sharing),
        utilization=gpu_memory_utilization(sharing),
        weights_gib=weights_bytes(architecture, size, padding) / tensor_parallel / GIB,
        activation_gib=activation_bytes(architecture, tensor_parallel, tokens, seqs, size) / GIB,
        non_torch_gib=vm.NON_TORCH_GIB_SINGLE if tensor_parallel * nodes == 1 else vm.NON_TORCH_GIB_TENSOR_PARALLEL,
        cuda_graph_gib=vm.CUDA_GRAPH_GIB[kind],
        max_num_batched_tokens=tokens,
        max_num_seqs=seqs,
        dtype=resolved_dtype(architecture, gpu),
        moe_kernel=kernel.name if kernel else None,
    )


def fits(
    architecture: ModelArchitecture,
    terms: MemoryTerms,
    tensor_parallel: int,
    context: int,
    concurrency: int,
    kv_dtype: KvCacheDtype,
) -> bool:
    """vLLM starts (its KV room less the null block holds one request of `context`) and holds `concurrency` of
    them with the margin left over."""
    return (
        concurrency_kv_bytes(architecture, terms, tensor_parallel, context, concurrency, kv_dtype)
        <= (terms.kv_room_gib - terms.margin_gib) * GIB
    )


def concurrency_kv_bytes(
    architecture: ModelArchitecture,
    terms: MemoryTerms,
    tensor_parallel: int,
    context: int,
    concurrency: int,
    kv_dtype: KvCacheDtype,
) -> int:
    """`concurrency` requests of `context` tokens plus the null block, per GPU."""
    size = terms.dtype_size
    need = request_kv_bytes(architecture, context, tensor_parallel, kv_dtype, terms.max_num_batched_tokens, size)
    return concurrency * need + pool_block_bytes(architecture, tensor_parallel, kv_dtype, size)


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
    """GPUs per node of a replica (`--tensor-parallel-size`)."""
    context_tokens: int
    """`--max-model-len`: the configured context, or the largest that fits when none is configured."""
    context_is_capped: bool
    """No context was configured and memory, not the model, set `context_tokens`."""
    concurrency: int
    kv_cache_dtype: KvCacheDtype
    terms: MemoryTerms
    architecture: ModelArchitecture
    """What one GPU holds: the whole model on one node, the tightest pipeline stage past one."""
    nodes: int = 1
    """Nodes per replica, one pipeline stage each (`--pipeline-parallel-size`)."""

    @property
    def gpus(self) -> int:
        """GPUs per replica over all its nodes."""
        return self.tensor_parallel * self.nodes

    @property
    def layout(self) -> str:
        """How a replica is laid out, as the plan summary and messages say it."""
        if self.nodes == 1:
            return f"{self.tensor_parallel} GPU(s) (tensor parallel {self.tensor_parallel})"
        return (
            f"{self.nodes} nodes x {self.tensor_parallel} GPUs (tensor parallel {self.tensor_parallel} in each node, "
            f"pipeline parallel {self.nodes} across them)"
        )

    @property
    def kv_needed_gib(self) -> float:
        return self.kv_bytes / GIB

    @property
    def kv_bytes(self) -> int:
        """`concurrency` requests of `context_tokens` and the null block, per GPU."""
        return concurrency_kv_bytes(
            self.architecture,
            self.terms,
            self.tensor_parallel,
            self.context_tokens,
            self.concurrency,
            self.kv_cache_dtype,
        )

    @property
    def headroom_gib(self) -> float:
        """KV room left per GPU after `concurrency` requests of `context_tokens`: at least the margin."""
        return self.terms.kv_room_gib - self.kv_needed_gib

    @property
    def gpu_memory_utilization(self) -> float:
        return self.terms.utilization

    @property
    def usable_per_gpu_gib(self) -> float:
        return self.terms.budget_gib


def _placement(
    architecture: ModelArchitecture,
    context: int,
    concurrency: int,
    gpu: GpuType,
    sharing: Sharing,
    kv_dtype: KvCacheDtype,
    size: int,
    nodes: int,
) -> tuple[MemoryTerms, ModelArchitecture] | None:
    """The terms of the stage with the least headroom when every stage fits `concurrency` requests of `context`
    at `size` GPUs per node over `nodes` nodes; None when one does not."""
    tightest: tuple[float, MemoryTerms, ModelArchitecture] | None = None
    for stage in stages(architecture, nodes):
        terms = memory_terms(stage, gpu, sharing, size, nodes, context)
        if not fits(stage, terms, size, context, concurrency, kv_dtype):
            return None
        left = terms.kv_room_gib * GIB - concurrency_kv_bytes(stage, terms, size, context, concurrency, kv_dtype)
        if tightest is None or left < tightest[0]:
            tightest = (left, terms, stage)
    return None if tightest is None else (tightest[1], tightest[2])


def _longest(
    architecture: ModelArchitecture,
    concurrency: int,
    gpu: GpuType,
    sharing: Sharing,
    kv_dtype: KvCacheDtype,
    size: int,
    nodes: int,
) -> int:
    """The longest context every stage fits (a whole number of blocks); 0 when some stage fits none."""
    return min(
        largest_context(
            stage,
            memory_terms(stage, gpu, sharing, size, nodes, architecture.default_context),
            size,
            concurrency,
            kv_dtype,
        )
        for stage in stages(architecture, nodes)
    )


def _size_on(
    architecture: ModelArchitecture,
    context_tokens: int | None,
    concurrency: int,
    gpu: GpuType,
    sizes: list[int],
    sharing: Sharing,
    kv_dtype: KvCacheDtype,
    nodes: int,
) -> Sizing | None:
    wanted = context_tokens or architecture.default_context
    for size in sizes:
        placed = _placement(architecture, wanted, concurrency, gpu, sharing, kv_dtype, size, nodes)
        if placed is not None:
            return Sizing(size, wanted, False, concurrency, kv_dtype, placed[0], placed[1], nodes)
    if context_tokens is not None:
        return None
    best: tuple[int, int] | None = None
    for size in sizes:
        context = _longest(architecture, concurrency, gpu, sharing, kv_dtype, size, nodes)
        if context > 0 and (best is None or context > best[0]):
            best = (context, size)
    if best is None:
        return None
    placed = _placement(architecture, best[0], concurrency, gpu, sharing, kv_dtype, best[1], nodes)
    assert placed is not None
    return Sizing(best[1], best[0], True, concurrency, kv_dtype, placed[0], placed[1], nodes)


def size_model(
    architecture: ModelArchitecture,
    context_tokens: int | None,
    concurrency: int,
    gpu: GpuType,
    gpus_per_node: int,
    sharing: Sharing,
    kv_dtype: KvCacheDtype = "auto",
    max_nodes: int = 1,
    nodes: int | None = None,
) -> Sizing | None:
    """The smallest tensor parallelism at which the model starts with `concurrency` requests of the configured
    context. Without a configured context: the smallest at which the model's full context fits, else the one
    that fits the longest (the smallest among equals), capped there. A shared GPU is never split further: one
    replica, one share. None, too, on a GPU vLLM refuses the model on (`vllm_support.refusal` says why).

    When nothing on one node starts, the fewest nodes up to `max_nodes` at which it does, every node's GPUs in
    tensor parallel (the most the model's heads allow) and one pipeline stage per node; `nodes` asks for exactly
    that many. None when no count starts."""
    if refusal(architecture, gpu) is not None:
        return None
    most = 1 if sharing.mode is not SharingMode.NONE else gpus_per_node
    sizes = allowed_sizes(architecture, most)
    if nodes is None and (
        sizing := _size_on(architecture, context_tokens, concurrency, gpu, sizes, sharing, kv_dtype, 1)
    ):
        return sizing
    if sharing.mode is not SharingMode.NONE or not sizes:
        return None
    counts = [nodes] if nodes is not None else range(2, max_nodes + 1)
    whole_node = sizes[-1:]
    for count in counts:
        sizing = _size_on(
            architecture, context_tokens, concurrency, gpu, whole_node if count > 1 else sizes, sharing, kv_dtype, count
        )
        if sizing is not None:
            return sizing
    return None


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
    overheads, no padding, no replicated KV heads, in the dtype vLLM resolves. What no engine could beat."""
    size = dtype_bytes(architecture, gpu)
    need = weights_bytes(architecture, size) + request_kv_bytes(architecture, context, 1, kv_dtype, 0, size)
    gpus = max(1, math.ceil(need / (usable_memory_gib(gpu, Sharing()) * GIB)))
    return 1 << (gpus - 1).bit_length()
