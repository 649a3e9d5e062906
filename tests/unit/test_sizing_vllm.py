"""Sizing accepts only what vLLM v0.31.0 starts: each rule pinned with the figure read in its release wheel."""

from __future__ import annotations

import dataclasses

import pytest

from components.catalog import vllm_engine as ve
from components.catalog import vllm_memory as vm
from components.catalog.gpus import GPUS, GpuType
from components.catalog.models import MODELS, ModelArchitecture
from components.clusters.contract import Sharing, SharingMode
from components.sizing import (
    GIB,
    batch_class,
    concurrency_kv_bytes,
    fits,
    kv_group_size,
    margin_gib,
    memory_terms,
    pool_block_bytes,
    request_kv_bytes,
    size_model,
    weights_bytes,
)
from components.vllm_support import expert_padding, moe_kernel, refusal, resolved_dtype
from tests.unit.test_config_clouds import aws, problems

GPT_OSS = ("openai/gpt-oss-20b", "openai/gpt-oss-120b")


@pytest.mark.parametrize("model", GPT_OSS)
def test_gpt_oss_on_a_t4_is_refused_for_mxfp4s_minimum_capability(model: str) -> None:
    """vllm/model_executor/layers/quantization/mxfp4.py `Mxfp4Config.get_min_capability` returns 80; vllm/config/
    vllm.py `_get_quantization_config` raises 'Minimum capability' below it. The T4 is 7.5."""
    architecture = MODELS[model]
    assert refusal(architecture, GpuType.T4) == (
        "mxfp4 (Mxfp4Config) needs compute capability 8.0; T4 has 7.5 (vLLM: 'Minimum capability')"
    )
    assert size_model(architecture, None, 1, GpuType.T4, 8, Sharing()) is None
    assert refusal(architecture, GpuType.A10G) is None


def test_mxfp4_runs_only_with_bfloat16_activations() -> None:
    """mxfp4.py `Mxfp4Config.get_supported_act_dtypes` returns [torch.bfloat16]; `_get_quantization_config` raises
    when the resolved dtype is not in it (a float16 checkpoint on an A100 keeps float16)."""
    half = dataclasses.replace(MODELS["openai/gpt-oss-20b"], config_dtype="float16")
    assert refusal(half, GpuType.A100_80GB) == "mxfp4 runs only in bfloat16; on A100-80GB vLLM resolves float16"


def test_every_quantized_catalogue_format_carries_its_vllm_floor_and_dtypes() -> None:
    """Each from its vLLM class: Mxfp4Config 80 [bf16]; CompressedTensorsW8A16Fp8 75 (compressed_tensors.py falls
    back to it below CompressedTensorsW8A8Fp8's 89); AutoAWQConfig 75 [fp16, bf16]."""
    formats = {architecture.weights for architecture in MODELS.values()} - {"bf16"}
    assert formats <= set(ve.QUANTIZATIONS)
    assert {name: (q.min_capability, q.act_dtypes) for name, q in ve.QUANTIZATIONS.items()} == {
        "mxfp4": ((8, 0), ("bfloat16",)),
        "fp8": ((7, 5), ("float32", "float16", "bfloat16")),
        "int4": ((7, 5), ("float16", "bfloat16")),
    }


def test_gemma_2_9b_on_a_t4_is_sized_in_float32() -> None:
    """vllm/config/model.py `_FLOAT16_NOT_SUPPORTED_MODELS` holds gemma2/gemma3, and vllm/platforms/cuda.py
    `supported_dtypes` has no bfloat16 below 8.0, so `_resolve_auto_dtype` falls back to float32: 4 bytes per
    weight and per `auto` KV element."""
    gemma = MODELS["google/gemma-2-9b-it"]
    assert resolved_dtype(gemma, GpuType.T4) == "float32"
    assert resolved_dtype(gemma, GpuType.L4) == "bfloat16"
    terms = memory_terms(gemma, GpuType.T4, Sharing(), 8)
    assert terms.weights_gib == pytest.approx(gemma.recomputed_parameters() * 4 / 8 / GIB)
    assert request_kv_bytes(gemma, 8192, 8, "auto", 2048, 4) == 2 * request_kv_bytes(gemma, 8192, 8, "auto", 2048)
    sizing = size_model(gemma, None, 1, GpuType.T4, 8, Sharing())
    assert (sizing.tensor_parallel, sizing.terms.dtype) == (8, "float32")


def test_other_bf16_models_on_a_t4_resolve_float16_at_two_bytes() -> None:
    """`_resolve_auto_dtype`: bfloat16 is not supported on 7.5, float16 is allowed, so it is the first left."""
    llama = MODELS["meta-llama/Llama-3.1-8B-Instruct"]
    assert resolved_dtype(llama, GpuType.T4) == "float16"
    assert memory_terms(llama, GpuType.T4, Sharing(), 1).weights_gib == pytest.approx(weights_bytes(llama) / GIB)


def test_marlin_pads_gpt_oss_experts_below_hopper() -> None:
    """vllm/model_executor/layers/fused_moe/oracle/mxfp4.py `mxfp4_round_up_hidden_size_and_intermediate_size`:
    Marlin rounds the partition's intermediate up to 128 and hidden to 256 (quantization/mxfp4.py
    `maybe_roundup_sizes` before `create_weights`): 2880 -> 3072 hidden; 2880 -> 2944 at TP 1, 1440 -> 1536 at 2."""
    oss = MODELS["openai/gpt-oss-120b"]
    assert moe_kernel(oss, GpuType.A100_80GB).name == "Marlin MXFP4"
    assert expert_padding(oss, GpuType.A100_80GB, 1) == pytest.approx(3072 * 2944 / (2880 * 2880))  # +9.0 %
    assert expert_padding(oss, GpuType.L4, 2) == pytest.approx(3072 * 1536 / (2880 * 1440))  # +13.8 %


def test_hopper_takes_the_published_triton_load_of_gpt_oss_120b() -> None:
    """Hopper gets OAI Triton (gpt_oss_triton_kernels_moe.py: 9.0 <= capability < 11.0), which pads only the
    intermediate to 64: nothing at TP 1 in the source. The published load with that kernel on one H100 is 64.38 GiB
    (vllm#33155): a measurement the weights term is held to."""
    oss = MODELS["openai/gpt-oss-120b"]
    assert moe_kernel(oss, GpuType.H100).name == "OAI Triton MXFP4"
    assert memory_terms(oss, GpuType.H100, Sharing(), 1).weights_gib == pytest.approx(64.38, abs=0.05)


def test_marlins_padding_reproduces_the_published_marlin_load() -> None:
    """vllm#23278 (v0.10, Marlin on an H100) prints 'Model loading took 65.9651 GiB'; Marlin's source padding on
    the checkpoint's shapes gives 65.82 GiB, as any Ampere or Ada GPU now gets."""
    oss = MODELS["openai/gpt-oss-120b"]
    assert memory_terms(oss, GpuType.A100_80GB, Sharing(), 1).weights_gib == pytest.approx(65.97, abs=0.2)


def test_gpt_oss_120b_is_placed_neither_on_one_a100_80gb_nor_on_four_l4s() -> None:
    """With Marlin's padding the A100-80GB at TP 1 keeps 3.7 GiB of KV room, under one full-context request
    (4.6 GiB) and the margin; four L4s do not even hold the padded weights and overheads."""
    oss = MODELS["openai/gpt-oss-120b"]
    a100 = memory_terms(oss, GpuType.A100_80GB, Sharing(), 1)
    assert not fits(oss, a100, 1, 131072, 1, "auto")
    assert size_model(oss, None, 1, GpuType.A100_80GB, 8, Sharing()).tensor_parallel == 2
    assert memory_terms(oss, GpuType.L4, Sharing(), 4).kv_room_gib < 0
    assert size_model(oss, None, 1, GpuType.L4, 8, Sharing()).tensor_parallel == 8


def test_gemma_3_27b_at_131072_tokens_on_one_h100_needs_18_gib_of_kv() -> None:
    """vllm/v1/kv_cache_interface.py `SlidingWindowSpec.max_admission_blocks_per_request`: cdiv(min(1024 - 1 +
    2 x 8192, 131072), 16) + 1 = 1089 blocks, two batches in flight (vllm/config/vllm.py `max_in_flight_tokens`);
    kv_cache_utils.py `_get_kv_cache_groups_uniform_page_size` groups 52 sliding + 10 full layers as 6 + 1
    groups of 10, and `_max_memory_usage_bytes_from_groups` sums their blocks at 10 pages each."""
    gemma = MODELS["google/gemma-3-27b-it"]
    page = 16 * 2 * 16 * 128 * 2
    need = request_kv_bytes(gemma, 131072, 1, "auto", 8192)
    assert need == 10 * page * (8192 + 6 * 1089)
    assert need / GIB == pytest.approx(17.98, abs=0.01)


def test_kv_groups_pad_each_attention_kind_to_equal_layer_counts() -> None:
    """`_get_kv_cache_groups_uniform_page_size`: the smaller count sets the group, unless the larger is under 1.5
    times it (12 sliding + 13 full -> groups of 13)."""
    assert kv_group_size(MODELS["google/gemma-3-27b-it"]) == 10
    assert kv_group_size(MODELS["google/gemma-3-12b-it"]) == 8
    assert kv_group_size(MODELS["openai/gpt-oss-20b"]) == 12
    odd = dataclasses.replace(MODELS["openai/gpt-oss-20b"], layers=25)
    assert kv_group_size(odd) == 13
    assert kv_group_size(MODELS["Qwen/Qwen3-8B"]) == 36


def test_the_null_block_is_held_back_before_the_check() -> None:
    """kv_cache_utils.py `get_kv_cache_configs`: check_memory = available - `_pool_bytes_per_block` (the null block
    BlockPool keeps), then `_check_enough_kv_cache_memory`."""
    qwen = MODELS["Qwen/Qwen3-8B"]
    terms = memory_terms(qwen, GpuType.L4, Sharing(), 1)
    request = request_kv_bytes(qwen, 4096, 1, "auto", terms.max_num_batched_tokens)
    assert pool_block_bytes(qwen, 1, "auto") == 36 * 16 * 2 * 8 * 128 * 2
    assert concurrency_kv_bytes(qwen, terms, 1, 4096, 3, "auto") == 3 * request + pool_block_bytes(qwen, 1, "auto")


def test_the_margin_is_half_a_gib_or_three_percent_of_the_budget() -> None:
    assert margin_gib(10) == 0.5
    assert margin_gib(71.23) == pytest.approx(0.03 * 71.23)


@pytest.mark.parametrize("model", list(MODELS))
def test_every_catalogue_placement_keeps_the_margin(model: str) -> None:
    """No zero-margin contexts: Qwen3-8B on two T4s used to keep 0.03 GiB."""
    for gpu in GpuType:
        sizing = size_model(MODELS[model], None, 1, gpu, 8, Sharing())
        if sizing is not None:
            assert sizing.headroom_gib >= sizing.terms.margin_gib - 1e-9


@pytest.mark.parametrize("attention", ["mla", "mamba", "linear"])
def test_attention_the_formula_does_not_model_is_refused_not_sized(attention: str) -> None:
    """MLA keeps one latent per token on every rank (vllm/config/model.py `get_num_kv_heads` returns 1); Mamba and
    linear-attention layers keep state pages (kv_cache_interface.py `MambaSpec`)."""
    architecture = dataclasses.replace(MODELS["Qwen/Qwen3-8B"], attention=attention)  # type: ignore[arg-type]
    assert "does not model" in (refusal(architecture, GpuType.H100) or "")
    assert size_model(architecture, None, 1, GpuType.H100, 8, Sharing()) is None


def test_batch_defaults_follow_the_whole_gpu_even_on_a_mig_instance() -> None:
    """vllm/engine/arg_utils.py `get_batch_defaults` reads platforms/cuda.py `get_device_total_memory`, NVML's total
    of the physical device: a 1g.10gb slice of an H100 gets the H100's 8192 tokens; 160 GiB and up 16384."""
    mig = Sharing(mode=SharingMode.MIG, mig_profile="1g.10gb")
    assert batch_class(GpuType.H100, mig) == "large"
    assert batch_class(GpuType.A100_80GB, Sharing()) == "small"
    assert batch_class(GpuType.H200, Sharing()) == "large"
    assert vm.MAX_NUM_BATCHED_TOKENS == {"xlarge": 16384, "large": 8192, "small": 2048}


def test_h200_is_catalogued_with_hopper_capability_and_its_memory() -> None:
    h200 = GPUS[GpuType.H200]
    assert (h200.compute_capability, h200.nvidia_smi_mib) == ((9, 0), 143771)
    assert size_model(MODELS["openai/gpt-oss-120b"], None, 1, GpuType.H200, 8, Sharing()).tensor_parallel == 1


def test_a_model_given_without_its_type_keeps_float16_on_a_t4() -> None:
    custom = ModelArchitecture(
        parameters_billion=1, layers=8, kv_heads=8, head_dim=128, default_context=4096, gated=False
    )
    assert resolved_dtype(custom, GpuType.T4) == "float16"


def test_a_stack_declaring_mla_attention_for_an_unknown_model_is_refused_with_the_reason() -> None:
    architecture = {
        "parametersBillion": 16,
        "layers": 27,
        "kvHeads": 16,
        "headDim": 128,
        "defaultContext": 8192,
        "attention": "mla",
    }
    models = {"m": {"huggingFaceId": "acme/latent-16b", "pool": "h", "architecture": architecture}}
    [message] = problems(aws(gpuPools={"h": {"gpu": "H100", "gpusPerNode": 8}}, models=models))
    assert message.startswith("models.m: acme/latent-16b does not start on H100: not sized: multi-head latent")


def test_a_stack_placing_gpt_oss_on_t4s_is_told_vllm_refuses_the_gpu() -> None:
    models = {"m": {"huggingFaceId": "openai/gpt-oss-20b", "pool": "t4"}}
    [message] = problems(aws(gpuPools={"t4": {"gpu": "T4", "gpusPerNode": 4}}, models=models))
    assert message.startswith(
        "models.m: openai/gpt-oss-20b does not start on T4: mxfp4 (Mxfp4Config) needs compute capability 8.0; "
        "T4 has 7.5 (vLLM: 'Minimum capability'); pool 't4' offers 4 x T4 per node"
    )
    assert "T4 (tensor parallel" not in message
