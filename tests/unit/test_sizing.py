"""Sizing: the chosen tensor parallelism always fits, and the next smaller one never does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.catalog.gpus import GPUS, GpuType
from components.catalog.models import MODELS, ModelArchitecture
from components.clusters.contract import Sharing
from components.sizing import TENSOR_PARALLEL_SIZES, fits, kv_bytes_per_token, memory_need, size_model

architectures = st.builds(
    ModelArchitecture,
    parameters_billion=st.floats(min_value=0.1, max_value=500),
    layers=st.integers(min_value=1, max_value=128),
    kv_heads=st.sampled_from([1, 2, 4, 8, 16]),
    head_dim=st.sampled_from([64, 128, 256]),
    default_context=st.integers(min_value=256, max_value=131072),
    gated=st.just(False),
    attention_heads=st.sampled_from([None, 14, 28, 32, 40, 64]),
)


@given(
    architecture=architectures,
    context=st.integers(min_value=256, max_value=131072),
    concurrency=st.integers(min_value=1, max_value=64),
    gpu=st.sampled_from(list(GpuType)),
    gpus_per_node=st.sampled_from([1, 2, 4, 8, 16]),
)
def test_chosen_tensor_parallelism_fits_and_the_next_smaller_does_not(
    architecture: ModelArchitecture, context: int, concurrency: int, gpu: GpuType, gpus_per_node: int
) -> None:
    sizing = size_model(architecture, context, concurrency, gpu, gpus_per_node, Sharing())
    need = memory_need(architecture, context, concurrency)
    usable = GPUS[gpu].memory_gib * 0.9
    if sizing is None:
        # Nothing on one node fits: not even the largest allowed size.
        assert not any(
            fits(need, usable, size)
            for size in TENSOR_PARALLEL_SIZES
            if size <= gpus_per_node and (architecture.attention_heads or size) % size == 0
        )
        return
    assert sizing.tensor_parallel <= gpus_per_node
    assert fits(need, usable, sizing.tensor_parallel)
    assert sizing.per_gpu_gib <= usable
    for smaller in (size for size in TENSOR_PARALLEL_SIZES if size < sizing.tensor_parallel):
        divides = architecture.attention_heads is None or architecture.attention_heads % smaller == 0
        assert not (divides and fits(need, usable, smaller))


def test_kv_cache_per_token_of_a_known_model() -> None:
    # Llama 3.1 8B: 2 x 32 layers x 8 KV heads x 128 dims x 2 bytes = 128 KiB per token.
    assert kv_bytes_per_token(MODELS["meta-llama/Llama-3.1-8B-Instruct"]) == 131072


def test_weights_follow_the_parameter_count() -> None:
    need = memory_need(MODELS["Qwen/Qwen2.5-7B-Instruct"], 8192)
    assert need.weights_gib == pytest.approx(7.62e9 * 2 / 1024**3)
    assert need.kv_cache_gib == pytest.approx(57344 * 8192 / 1024**3)


def test_tensor_parallelism_skips_sizes_that_do_not_divide_the_heads() -> None:
    # About 80 GiB of weights: too much for 4 x T4 (14.4 GiB usable each), enough for 8.
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
