"""What vLLM v0.31.0 runs on which GPU, as data: the quantizations' capability floors and activation dtypes, the
dtypes each compute capability supports, the architectures that refuse float16, and the MXFP4 MoE kernels with
their weight padding.

Data, not logic. Read in vLLM's release wheel (`pip download --no-deps vllm==0.31.0`, its `vllm/` tree), file and
function at each constant. components/vllm_support.py applies them.
"""

from __future__ import annotations

from dataclasses import dataclass

Dtype = str
"""A torch dtype by its vLLM name: "bfloat16", "float16", "float32"."""

DTYPE_BYTES: dict[Dtype, int] = {"bfloat16": 2, "float16": 2, "float32": 4}


@dataclass(frozen=True)
class Quantization:
    """A weight format's vLLM quantization class: vllm/config/vllm.py `_get_quantization_config` raises "Minimum
    capability" below `get_min_capability()` and "... is not supported for quantization method" when the resolved
    dtype is not among `get_supported_act_dtypes()`."""

    vllm_class: str
    min_capability: tuple[int, int]
    act_dtypes: tuple[Dtype, ...]


QUANTIZATIONS: dict[str, Quantization] = {
    # vllm/model_executor/layers/quantization/mxfp4.py Mxfp4Config (GptOssMxfp4Config for gpt-oss):
    # get_min_capability 80, get_supported_act_dtypes [torch.bfloat16].
    "mxfp4": Quantization("Mxfp4Config", (8, 0), ("bfloat16",)),
    # compressed-tensors (Red Hat's FP8 checkpoints): CompressedTensorsConfig min 70, act dtypes fp32/fp16/bf16;
    # below 8.9 its scheme falls back from CompressedTensorsW8A8Fp8 (89) to CompressedTensorsW8A16Fp8 (75,
    # Marlin), which is the floor that binds (compressed_tensors.py `_get_scheme_from_parts`).
    "fp8": Quantization("CompressedTensorsW8A16Fp8", (7, 5), ("float32", "float16", "bfloat16")),
    # auto_awq.py AutoAWQConfig: get_min_capability 75, get_supported_act_dtypes [half, bfloat16].
    "int4": Quantization("AutoAWQConfig", (7, 5), ("float16", "bfloat16")),
}

BF16_MIN_CAPABILITY = (8, 0)
"""vllm/platforms/cuda.py `supported_dtypes`: [bfloat16, float16, float32] from capability 8.0, [float16,
float32] from 6.0 (no bfloat16 on Turing)."""

FLOAT16_NOT_SUPPORTED_MODEL_TYPES = frozenset({"gemma2", "gemma3", "gemma3_text", "glm4"})
"""vllm/config/model.py `_FLOAT16_NOT_SUPPORTED_MODELS` ("Numerical instability"): `_resolve_auto_dtype` drops
float16 for them, so on a GPU without bfloat16 `auto` resolves to float32 (weights and the `auto` KV cache at 4
bytes)."""


MXFP4_TRITON_MEASURED_EXPERT_RATIO = 1.065
"""The source leaves gpt-oss-120b's experts unpadded at TP 1 on Hopper's OAI Triton kernel, yet a published load on
one H100 with that kernel prints 'Model loading took 64.38 GiB' (vllm#33155, v0.14.1, 'Using Triton backend')
where the checkpoint's shapes give 60.69 GiB, 56.73 of it experts: 1 + 3.69 / 56.73 = 1.065 times the expert
bytes, a measurement, not a rule read in the source (triton_kernels' weight layout is the likely cause). The same
shapes with Marlin's padding give 65.82 GiB against the 65.97 GiB published for Marlin on an H100 (vllm#23278,
v0.10): the source rule holds to 0.2 %."""


@dataclass(frozen=True)
class MoeKernel:
    """An MXFP4 MoE backend and how it rounds each TP partition's expert shapes up before allocating them
    (vllm/model_executor/layers/fused_moe/oracle/mxfp4.py `mxfp4_round_up_hidden_size_and_intermediate_size`,
    applied per partition by quantization/mxfp4.py `maybe_roundup_sizes` before `create_weights`)."""

    name: str
    hidden_multiple: int
    intermediate_multiple: int
    measured_expert_ratio: float = 1.0
    """Expert bytes over the checkpoint's, as published loads measured them, where that exceeds the padding."""


MXFP4_KERNELS: tuple[tuple[tuple[int, int], tuple[int, int], MoeKernel], ...] = (
    # `_get_priority_backends_for_gpt_oss`, first supported on the device:
    # FlashInfer TRTLLM (SM100 family): intermediate 128, hidden 256.
    ((10, 0), (11, 0), MoeKernel("FlashInfer TRTLLM MXFP4", 256, 128)),
    # OAI Triton (gpt_oss_triton_kernels_moe.py `_triton_kernel_moe_supports_current_device`: 9.0 <= cap < 11.0;
    # the wheel ships vllm/third_party/triton_kernels): the generic branch, intermediate to 64.
    ((9, 0), (10, 0), MoeKernel("OAI Triton MXFP4", 1, 64, MXFP4_TRITON_MEASURED_EXPERT_RATIO)),
    # FlashInfer CUTLASS needs 9.0/10.x/12.x; below Hopper only Marlin is left (marlin_moe.py: capability 7.5+,
    # though Mxfp4Config's floor of 8.0 refuses Turing first): intermediate 128, hidden 256.
    ((8, 0), (9, 0), MoeKernel("Marlin MXFP4", 256, 128)),
)

UNQUANTIZED_MOE_KERNEL = MoeKernel("Triton fused_moe", 1, 1)
"""bf16 experts (oracle/unquantized.py): FlashInfer TRTLLM/CUTLASS need SM90+/SM100 and Hopper moves them behind
Triton; on this catalogue's GPUs Triton, which pads nothing (`unquantized_round_up_...` pads only TRTLLM)."""

SUPPORTED_ATTENTION = ("gqa", "mla")
"""The KV caches the formula models: K and V per KV head (multi-head, grouped-query, sliding window), and MLA's
one latent of kv_lora_rank + qk_rope_head_dim per token and layer, the same on every TP rank
(layers/attention/mla_attention.py `get_kv_cache_spec`: num_kv_heads=1, max_tp_shards=1; MLAAttentionSpec keeps
no separate V, head_size_v=0)."""

UNMODELLED_ATTENTION: dict[str, str] = {
    "mla": "multi-head latent attention without its kvLoraRank and qkRopeHeadDim (the latent it caches per token)",
    "mamba": "Mamba layers keep a fixed state per request (kv_cache_interface.py MambaSpec)",
    "linear": "linear-attention layers keep a fixed state per request (kv_cache_interface.py MambaSpec pages)",
}
"""Architectures whose KV or state pages the formula does not model: refused, never sized wrong."""
