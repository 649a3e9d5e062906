"""Whether vLLM v0.31.0 starts a model on a GPU at all, and in which dtype and MoE kernel: pure functions over
components/catalog/vllm_engine.py. Sizing (components/sizing.py) asks here before it counts bytes."""

from __future__ import annotations

import math

from components.catalog import vllm_engine as ve
from components.catalog.gpus import GPUS, GpuType
from components.catalog.models import ModelArchitecture


def _capability(gpu: GpuType) -> tuple[int, int]:
    return GPUS[gpu].compute_capability


def _dotted(capability: tuple[int, int]) -> str:
    return f"{capability[0]}.{capability[1]}"


def resolved_dtype(architecture: ModelArchitecture, gpu: GpuType) -> ve.Dtype:
    """vllm/config/model.py `_resolve_auto_dtype` for `--dtype auto`: the platform's dtypes (bfloat16 only from
    8.0), less float16 for the architectures that refuse it; the checkpoint's dtype if still there, else the
    preferred one: the first left (float16 on Turing, float32 for Gemma 2/3 on Turing), or float16 for a pooling
    model wherever it is left (`is_pooling_model`): a float32 embedding checkpoint loads in float16, not bfloat16."""
    supported = ["float16", "float32"]
    if _capability(gpu) >= ve.BF16_MIN_CAPABILITY:
        supported.insert(0, "bfloat16")
    if architecture.model_type in ve.FLOAT16_NOT_SUPPORTED_MODEL_TYPES:
        supported.remove("float16")
    preferred = "float16" if architecture.task == "embed" and "float16" in supported else supported[0]
    config_dtype = architecture.config_dtype
    if config_dtype == "float32":
        config_dtype = preferred
    return config_dtype if config_dtype in supported else preferred


def dtype_bytes(architecture: ModelArchitecture, gpu: GpuType) -> int:
    return ve.DTYPE_BYTES[resolved_dtype(architecture, gpu)]


def refusal(architecture: ModelArchitecture, gpu: GpuType) -> str | None:
    """Why vLLM refuses to start this model on this GPU, whatever the memory; None when it starts."""
    if architecture.attention not in ve.SUPPORTED_ATTENTION or (
        architecture.attention == "mla" and not architecture.mla_latent
    ):
        reason = ve.UNMODELLED_ATTENTION.get(architecture.attention, f"attention {architecture.attention!r}")
        return f"not sized: {reason}, which this project's formula does not model"
    quantization = ve.QUANTIZATIONS.get(architecture.weights)
    if quantization is None:
        return None
    capability = _capability(gpu)
    if capability < quantization.min_capability:
        return (
            f"{architecture.weights} ({quantization.vllm_class}) needs compute capability "
            f"{_dotted(quantization.min_capability)}; {gpu.value} has {_dotted(capability)} "
            "(vLLM: 'Minimum capability')"
        )
    dtype = resolved_dtype(architecture, gpu)
    if dtype not in quantization.act_dtypes:
        return (
            f"{architecture.weights} runs only in {', '.join(quantization.act_dtypes)}; on {gpu.value} vLLM "
            f"resolves {dtype}"
        )
    return None


def moe_kernel(architecture: ModelArchitecture, gpu: GpuType) -> ve.MoeKernel | None:
    """The kernel vLLM picks for the experts on this GPU; None for a dense model or a GPU with none."""
    if not architecture.experts:
        return None
    if architecture.weights != "mxfp4":
        return ve.UNQUANTIZED_MOE_KERNEL
    capability = _capability(gpu)
    return next((kernel for low, high, kernel in ve.MXFP4_KERNELS if low <= capability < high), None)


def _round_up(value: int, multiple: int) -> int:
    return math.ceil(value / multiple) * multiple


def expert_padding(architecture: ModelArchitecture, gpu: GpuType, tensor_parallel: int) -> float:
    """Allocated over checkpoint expert bytes: each partition's hidden and intermediate sizes rounded up to the
    kernel's multiples (Marlin on gpt-oss: 2880 -> 3072 hidden, 2880 / TP -> next 128: x1.09 at TP 1, x1.138
    from TP 2). On the Triton MXFP4 kernel, the ratio measured on a published H100 load where it is larger."""
    kernel = moe_kernel(architecture, gpu)
    if kernel is None or architecture.intermediate_size is None:
        return 1.0
    hidden = architecture.hidden
    partition = architecture.intermediate_size // tensor_parallel
    padded = _round_up(hidden, kernel.hidden_multiple) * _round_up(partition, kernel.intermediate_multiple)
    return max(padded / (hidden * partition), kernel.measured_expert_ratio)
