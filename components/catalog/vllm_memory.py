"""How vLLM budgets GPU memory, as constants: every figure sizing uses, each cited once, here.

Data, not logic. The rules (budget, KV heads per GPU, KV groups and the sliding-window bound, the startup check,
batch defaults) were read in vLLM v0.31.0's release wheel (`pip download --no-deps vllm==0.31.0`, its `vllm/`
tree), file and function at each; the calibration figures (activation peak, non-torch, CUDA graphs) come from
published startup logs (search index file ids below), not from the source.

vLLM's accounting (vllm/v1/worker/gpu_worker.py `determine_available_memory`, vllm/v1/worker/utils.py
`request_memory`; the v0.26 reading quoted in a public deployment log, id 63492351042 in the search index):

    requested = ceil(total_memory x gpu_memory_utilization)      # total_memory: what CUDA reports for the device
    kv_cache  = requested - (weights + torch activation peak + non-torch increase) - cuda_graph_estimate

`total_memory` is `torch.cuda.mem_get_info()[1]`, a little less than nvidia-smi's "Total" (the driver keeps its
reservation); the CUDA-graph pool is estimated and subtracted *before* the KV budget (VLLM_MEMORY_PROFILER_
ESTIMATE_CUDAGRAPHS, on by default), not taken from the headroom after it as in vLLM 0.10 and earlier.
"""

from __future__ import annotations

GIB = 1024**3
MIB = 1024**2

GPU_MEMORY_UTILIZATION = 0.90
"""`--gpu-memory-utilization` this project passes explicitly. vLLM v0.31's own default is 0.92
(vllm/config/cache.py `CacheConfig.gpu_memory_utilization`); 0.9 leaves the CUDA context, NCCL and any
time-slice neighbour the other 10 %."""

MARGIN_MIN_GIB = 0.5
MARGIN_FRACTION = 0.03
"""The KV room every placement leaves unused per GPU, full context included: max(0.5 GiB, 3 % of the budget).
Chosen over `--max-model-len auto` (v0.31 config/model.py `max_model_len` -1/'auto', kv_cache_utils.py
`_auto_fit_max_model_len`): auto-fit sizes one request of the longest context, not `concurrency` of them, and
leaves the plan unable to say which context will be served; the activation, non-torch and CUDA-graph terms
below are estimates vLLM measures only at startup (a few hundred MiB either way), which this margin covers."""

MAX_CONCURRENT_BATCHES = 2
"""Batches in flight with async scheduling, on by default for `vllm serve` (vllm/config/vllm.py
`max_concurrent_batches`: 2 with async scheduling and no pipeline parallelism; `async_scheduling` None resolves
to True unless pooling, some speculative methods, an unsupporting executor or V1 PP). Sliding-window layers keep
`max_in_flight_tokens` = 2 x max_num_batched_tokens beyond their window."""

BLOCK_SIZE = 16
"""Tokens per KV-cache block when `--block-size` is unset: vllm/config/cache.py `CacheConfig.DEFAULT_BLOCK_SIZE`.
`update_block_size_for_backend` (platforms/interface.py) raises it only for some backends (FlashAttention 4 with
an fp8 cache on SM90, or head_dim 256 on Blackwell); a larger block rounds each group up by less than one block,
inside the margin."""

# The rules components/sizing.py reproduces:
# - the startup check (vllm/v1/core/kv_cache_utils.py `check_enough_kv_cache_memory`, ids 42701108, 53860900613):
#   when one request's `max_memory_usage_bytes` exceeds the KV room vLLM raises "To serve at least one request with
#   the models's max seq len (N), (X GiB KV cache is needed, which is larger than the available KV cache memory
#   (Y GiB). Based on the available memory, the estimated maximum model length is M. ...".
# - KV heads per GPU (vllm/config/model.py `ModelConfig.get_num_kv_heads`, ids 41172368, 30249078627):
#   max(1, total_num_kv_heads // tensor_parallel_size): past the KV heads each GPU keeps a replica of one.
# - full attention holds cdiv(max_model_len, block_size) pages per layer; sliding window
#   cdiv(min(sliding_window - 1 + extra_retained_tokens + max_in_flight_tokens, max_model_len), block_size) + 1
#   (v0.31 vllm/v1/kv_cache_interface.py `SlidingWindowSpec.max_admission_blocks_per_request`), with the hybrid
#   KV-cache manager giving sliding and full layers their own groups of equal, padded, layer counts; v0.31 checks
#   the sum of blocks over groups times the pool's bytes per block (kv_cache_utils.py
#   `_max_memory_usage_bytes_from_groups`) against the KV room less one null block (`get_kv_cache_configs`).

CUDA_RESERVED_MIB = 605
"""nvidia-smi's Total less what CUDA reports as the device total, where no startup log gives the latter: the
largest gap among the published pairs (H200 143,771 MiB vs 139.81 GiB: 605 MiB; H100 81,559 MiB vs 79.14 GiB:
520 MiB; T4 15,360 MiB vs 14.56 GiB: 451 MiB)."""

# --- batch defaults: vllm/engine/arg_utils.py `EngineArgs.get_batch_defaults` (v0.31) ------------------------
# `device_memory >= 160 * GiB_bytes` (B200/B300): 16384 tokens; `>= 70 * GiB_bytes and "a100" not in
# device_name` (H100, H200): 8192; else 2048. OPENAI_API_SERVER context, which `vllm serve` and KServe's vLLM
# backend use. `device_memory` is NVML's total of the physical device (platforms/cuda.py
# `get_device_total_memory`: nvmlDeviceGetMemoryInfo on the physical index), so a MIG instance or a time-slice
# of an H100 gets the H100's defaults: sizing takes the class from nvidia-smi's Total of the whole GPU.
XLARGE_CLASS_MIN_GIB = 160
LARGE_CLASS_MIN_GIB = 70
MAX_NUM_BATCHED_TOKENS = {"xlarge": 16384, "large": 8192, "small": 2048}
MAX_NUM_SEQS = {"xlarge": 1024, "large": 1024, "small": 256}

# --- activation peak: what `profile_run` allocates (vllm/v1/worker/gpu_model_runner.py `profile_run`,
# `_dummy_run(max_num_batched_tokens)` then `_dummy_sampler_run` on max_num_seqs rows of logits) ---------------
ACTIVATION_HIDDEN_COPIES = 4
"""bf16 tensors of [tokens, hidden] alive at the peak of one layer: residual, normed input, attention output,
the layer output."""
ACTIVATION_MLP_COPIES = 3
"""bf16 tensors of [tokens, intermediate / TP] at the MLP peak: gate_up (two wide) and the activation output."""
SAMPLER_LOGIT_COPIES = 2
"""fp32 tensors of [max_num_seqs, vocab] in the dummy sampler run: the logits and their softmax."""
ACTIVATION_SAFETY = 1.5
"""The shapes above undercount allocator rounding and kernel workspaces: published startup logs print
'PyTorch activation peak memory takes 1.19GiB' for Llama 3.1 8B on an 80 GB H100 (search index id 57908690698)
and 1.40 GiB for an 8B Qwen (id 68872636542), where the bare shapes give 0.8 to 1.0 GiB. Check against a whole
startup (id 57978845466: Qwen3-8B on an A100 40GB, v1 engine): 36 GiB budget - 15.27 weights - 19.36 KV = 1.37 GiB
for activations, non-torch memory and CUDA graphs together, where this module's terms give 1.89 GiB: on the safe
side by about half a GiB."""

# --- non-torch memory (cuBLAS workspaces, NCCL and custom all-reduce buffers) --------------------------------
NON_TORCH_GIB_SINGLE = 0.15
"""One GPU: startup logs print 'non_torch_memory takes' 0.05, 0.06 and 0.12 GiB (ids 14319663172, 68872636542,
57908690698); rounded up."""
NON_TORCH_GIB_TENSOR_PARALLEL = 1.0
"""TP > 1: a deliberate reserve, probably counted twice. vLLM initialises NCCL and the custom all-reduce buffers
(v1/worker/gpu_worker.py `init_device`: `init_worker_distributed_environment`) before it takes the memory
snapshot its budget is measured from, so that memory comes out of the 10 % outside the budget, not the KV room;
what TP adds after the snapshot has no published figure. Kept at 1 GiB on the safe side; one edit corrects it."""

# --- CUDA-graph pool estimate (subtracted before the KV budget, see above) -----------------------------------
CUDA_GRAPH_GIB = {"xlarge": 1.5, "large": 1.5, "small": 1.0}
"""Not the capture sizes: both classes capture the same ones, up to min(2 x max_num_seqs, 512) = 512 tokens
(vllm/config/vllm.py, `default_max_graph_size` 512; 1024 on the SM100 family). The pool follows the model's
activations and the GPU. A published startup log of vLLM 0.2x on an H100 prints 'Estimated CUDA graph memory'
1.53 GiB (id 62905048036); GPUs under 70 GiB have no published figure here and take 1.0 GiB, an assumption the
margin above covers."""

# --- weights ------------------------------------------------------------------------------------------------
BYTES_PER_PARAMETER = {
    "bf16": 2.0,
    "fp8": 1.0 + 4 / 4096,
    "int4": 0.5 + 4 / 128,
    "mxfp4": 0.5 + 1 / 32,
}
"""Per quantized parameter. fp8: one byte plus a per-channel fp32 scale (RedHat/Neural Magic `fp8-dynamic`
checkpoints; 4096-wide rows). int4 (AWQ, GPTQ): half a byte plus an fp16 scale and zero per group of 128.
mxfp4 (OCP microscaling, gpt-oss): 4 bits plus one e8m0 scale byte per block of 32. Embeddings, the LM head and,
for mxfp4, everything but the experts stay in bf16 (the checkpoints' `quantization_config` `ignore` lists)."""

KV_BYTES = {"fp8": 1}
"""`--kv-cache-dtype fp8` (e4m3): one byte. `auto` keeps the dtype vLLM resolves for the model on the GPU
(components/vllm_support.py `resolved_dtype`: 2 bytes, 4 in a float32 fallback)."""

FP8_KV_MIN_CAPABILITY = (8, 9)
"""This project's choice, not vLLM's limit: vLLM's Triton attention backend also reads an fp8 cache on Ampere and
Turing, without fp8 tensor cores (dequantizing in the kernel). The project offers fp8 KV only from Ada (8.9)
and Hopper (9.0), where the fp8 paths are native, and refuses it on T4, A10G/A10 and A100."""
