"""Sizing follows vLLM's memory accounting: the chosen tensor parallelism starts, the next smaller one does not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.catalog import vllm_memory as vm
from components.catalog.gpus import GpuType
from components.catalog.instances import Cloud
from components.catalog.models import MODELS, ModelArchitecture
from components.clusters.contract import Sharing
from components.sizing import (
    GIB,
    allowed_sizes,
    fits,
    kv_bytes_per_token,
    kv_heads_per_gpu,
    largest_context,
    memory_terms,
    request_kv_bytes,
    size_model,
    visible_memory_gib,
    weights_bytes,
)
from components.sizing_advice import gpus_that_fit

architectures = st.builds(
    ModelArchitecture,
    parameters_billion=st.floats(min_value=0.1, max_value=300),
    layers=st.integers(min_value=1, max_value=128),
    kv_heads=st.sampled_from([1, 2, 4, 8, 16]),
    head_dim=st.sampled_from([64, 128, 256]),
    default_context=st.integers(min_value=256, max_value=131072),
    gated=st.just(False),
    attention_heads=st.sampled_from([None, 14, 28, 32, 40, 64]),
    vocab_size=st.sampled_from([None, 32000, 128256, 262208]),
    weights=st.sampled_from(["bf16", "fp8", "int4"]),
)


@settings(max_examples=300, deadline=None)
@given(
    architecture=architectures,
    context=st.one_of(st.none(), st.integers(min_value=256, max_value=131072)),
    concurrency=st.integers(min_value=1, max_value=64),
    gpu=st.sampled_from(list(GpuType)),
    gpus_per_node=st.sampled_from([1, 2, 4, 8]),
    kv_dtype=st.sampled_from(["auto", "fp8"]),
)
def test_chosen_tensor_parallelism_fits_the_next_smaller_does_not_and_kv_room_is_never_negative(
    architecture: ModelArchitecture,
    context: int | None,
    concurrency: int,
    gpu: GpuType,
    gpus_per_node: int,
    kv_dtype: str,
) -> None:
    sizing = size_model(architecture, context, concurrency, gpu, gpus_per_node, Sharing(), kv_dtype)  # type: ignore[arg-type]
    sizes = allowed_sizes(architecture, gpus_per_node)
    wanted = context or architecture.default_context
    if sizing is None:
        for size in sizes:
            terms = memory_terms(architecture, gpu, Sharing(), size)
            assert not fits(architecture, terms, size, wanted, concurrency, kv_dtype)  # type: ignore[arg-type]
            if context is None:
                assert largest_context(architecture, terms, size, concurrency, kv_dtype) == 0  # type: ignore[arg-type]
        return
    size = sizing.tensor_parallel
    assert fits(architecture, sizing.terms, size, sizing.context_tokens, concurrency, kv_dtype)  # type: ignore[arg-type]
    assert sizing.terms.kv_room_gib >= 0
    assert sizing.headroom_gib >= sizing.terms.margin_gib
    if context is not None:
        assert sizing.context_tokens == context  # an explicit context is never cut
    else:
        assert sizing.context_tokens <= architecture.default_context
    if sizing.context_is_capped:
        assert sizing.context_tokens % vm.BLOCK_SIZE == 0
    for smaller in (s for s in sizes if s < size):
        terms = memory_terms(architecture, gpu, Sharing(), smaller)
        assert not fits(architecture, terms, smaller, wanted, concurrency, kv_dtype)  # type: ignore[arg-type]


def test_the_issue_case_llama_70b_at_8k_on_h100_takes_four_gpus_not_two() -> None:
    # At TP 2 each H100 holds 65.7 GiB of weights; with the activation, non-torch and CUDA-graph terms, vLLM is
    # left with less than one 8k request (1.25 GiB per GPU) of KV room.
    llama = MODELS["meta-llama/Llama-3.1-70B-Instruct"]
    assert not fits(llama, memory_terms(llama, GpuType.H100, Sharing(), 2), 2, 8192, 1, "auto")
    assert size_model(llama, 8192, 1, GpuType.H100, 8, Sharing()).tensor_parallel == 4


def test_the_budget_starts_from_the_memory_cuda_reports_not_the_data_sheet() -> None:
    assert visible_memory_gib(GpuType.H100, Sharing()) == 79.14
    assert visible_memory_gib(GpuType.L4, Sharing()) == pytest.approx((23034 - 605) / 1024)


def test_kv_heads_are_replicated_when_tensor_parallelism_exceeds_them() -> None:
    qwen = MODELS["Qwen/Qwen2.5-7B-Instruct"]  # 4 KV heads
    assert kv_heads_per_gpu(qwen, 4) == 1
    assert kv_heads_per_gpu(qwen, 8) == 1  # not half a head: each GPU keeps one
    assert request_kv_bytes(qwen, 4096, 8, "auto", 2048) == request_kv_bytes(qwen, 4096, 4, "auto", 2048)


def test_one_request_rounds_up_to_whole_blocks_as_vllm_checks_at_startup() -> None:
    llama = MODELS["meta-llama/Llama-3.1-8B-Instruct"]
    per_token = kv_bytes_per_token(llama)
    assert per_token == 131072  # 2 x 32 layers x 8 KV heads x 128 dims x 2 bytes
    assert request_kv_bytes(llama, 8193, 1, "auto", 2048) == 8208 * per_token


def test_fp8_kv_cache_halves_the_bytes_per_token() -> None:
    llama = MODELS["meta-llama/Llama-3.1-8B-Instruct"]
    assert kv_bytes_per_token(llama, "fp8") * 2 == kv_bytes_per_token(llama, "auto")


def test_context_unset_takes_the_largest_that_fits_in_whole_blocks() -> None:
    llama = MODELS["meta-llama/Llama-3.1-8B-Instruct"]
    sizing = size_model(llama, None, 1, GpuType.L4, 1, Sharing())
    assert sizing.context_is_capped
    assert sizing.context_tokens % 16 == 0
    terms = sizing.terms
    assert fits(llama, terms, 1, sizing.context_tokens, 1, "auto")
    assert not fits(llama, terms, 1, sizing.context_tokens + 16, 1, "auto")


def test_context_unset_prefers_the_full_context_at_a_larger_tensor_parallelism() -> None:
    llama = MODELS["meta-llama/Llama-3.1-8B-Instruct"]
    sizing = size_model(llama, None, 1, GpuType.L4, 4, Sharing())
    assert (sizing.tensor_parallel, sizing.context_tokens, sizing.context_is_capped) == (2, 131072, False)


def test_an_explicit_context_that_does_not_fit_is_not_cut() -> None:
    llama = MODELS["meta-llama/Llama-3.1-8B-Instruct"]
    assert size_model(llama, 131072, 1, GpuType.L4, 1, Sharing()) is None


def test_quantized_weights_keep_embeddings_in_bf16() -> None:
    fp8 = MODELS["RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic"]
    embeddings = 2 * 128256 * 8192
    linear = fp8.recomputed_parameters() - embeddings
    assert weights_bytes(fp8) == pytest.approx(linear * vm.BYTES_PER_PARAMETER["fp8"] + embeddings * 2)


def test_mxfp4_quantizes_only_the_experts() -> None:
    oss = MODELS["openai/gpt-oss-20b"]
    experts = 24 * 32 * 3 * 2880 * 2880
    rest = oss.recomputed_parameters() - experts
    # About 13 GiB: the published checkpoint is 13.8 GB.
    assert weights_bytes(oss) / GIB == pytest.approx((experts * (0.5 + 1 / 32) + rest * 2) / GIB)
    assert 12.5 < weights_bytes(oss) / GIB < 13.5


def test_a_mixture_of_experts_holds_every_expert() -> None:
    qwen = MODELS["Qwen/Qwen3-30B-A3B"]
    assert weights_bytes(qwen) / GIB == pytest.approx(qwen.recomputed_parameters() * 2 / GIB)
    assert weights_bytes(qwen) / GIB > 56


def test_tensor_parallelism_skips_sizes_that_do_not_divide_the_heads() -> None:
    def model(heads: int) -> ModelArchitecture:
        return ModelArchitecture(
            parameters_billion=42.95,
            layers=1,
            kv_heads=1,
            head_dim=64,
            default_context=256,
            gated=False,
            attention_heads=heads,
        )

    assert size_model(model(32), 256, 1, GpuType.T4, 8, Sharing()).tensor_parallel == 8
    assert size_model(model(28), 256, 1, GpuType.T4, 8, Sharing()) is None  # 8 does not divide 28 heads


def test_the_h100_class_gets_vllms_larger_batch_defaults_and_the_a100_does_not() -> None:
    qwen = MODELS["Qwen/Qwen2.5-7B-Instruct"]
    assert memory_terms(qwen, GpuType.H100, Sharing(), 1).max_num_batched_tokens == 8192
    assert memory_terms(qwen, GpuType.A100_80GB, Sharing(), 1).max_num_batched_tokens == 2048


def test_suggestions_with_an_fp8_kv_cache_name_only_gpus_that_run_it() -> None:
    qwen = MODELS["Qwen/Qwen2.5-72B-Instruct"]
    with_fp8 = gpus_that_fit(qwen, 8192, 1, "fp8", Cloud.AWS)
    assert with_fp8
    assert all(name.split(" ")[0] in {"L4", "L40S", "H100", "H200"} for name in with_fp8)
    assert any(name.startswith("A100") for name in gpus_that_fit(qwen, 8192, 1, "auto", Cloud.AWS))
