"""Embedding models are sized as vLLM v0.31.0's pooling runner starts them: weights, activations and the batch;
a KV cache only for a decoder (Qwen3-Embedding), none for a BERT-style encoder."""

from __future__ import annotations

import dataclasses

import pytest

from components.catalog import vllm_memory as vm
from components.catalog.gpus import GpuType
from components.catalog.models import MODELS
from components.clusters.contract import Sharing, SharingMode
from components.sizing import GIB, activation_bytes, memory_terms, size_model
from components.vllm_support import resolved_dtype

BGE_M3 = MODELS["BAAI/bge-m3"]
E5 = MODELS["intfloat/e5-large-v2"]
QWEN3_EMBEDDING = MODELS["Qwen/Qwen3-Embedding-0.6B"]


def test_the_catalogue_has_three_common_embedding_models() -> None:
    assert {name for name, model in MODELS.items() if model.task == "embed"} == {
        "BAAI/bge-m3",
        "intfloat/e5-large-v2",
        "Qwen/Qwen3-Embedding-0.6B",
    }


def test_an_encoder_only_model_needs_no_kv_cache() -> None:
    sizing = size_model(BGE_M3, None, 8, GpuType.L4, 1, Sharing())
    assert sizing is not None
    assert sizing.kv_bytes == 0
    assert sizing.context_tokens == 8192
    assert not sizing.context_is_capped


def test_a_decoder_embedding_model_keeps_a_kv_cache_for_its_requests() -> None:
    sizing = size_model(QWEN3_EMBEDDING, 8192, 2, GpuType.L4, 1, Sharing())
    assert sizing is not None
    # 28 layers x 2 (K, V) x 8 heads x 128 x 2 bytes per token, 512 blocks of 16, for each of two requests.
    per_request = 28 * 2 * 8 * 128 * 2 * 8192
    assert sizing.kv_bytes >= 2 * per_request


def test_an_encoder_batches_a_whole_prompt_because_it_cannot_chunk_its_prefill() -> None:
    # L4's default batch is 2048 tokens; bge-m3's 8192-token prompts need max_num_batched_tokens >= max_model_len.
    terms = memory_terms(BGE_M3, GpuType.L4, Sharing(), 1, context=8192)
    assert vm.MAX_NUM_BATCHED_TOKENS["small"] == 2048
    assert terms.max_num_batched_tokens == 8192


def test_a_short_encoder_keeps_the_default_batch() -> None:
    assert memory_terms(E5, GpuType.L4, Sharing(), 1, context=512).max_num_batched_tokens == 2048


def test_a_decoder_embedding_model_chunks_its_prefill_in_the_default_batch() -> None:
    assert memory_terms(QWEN3_EMBEDDING, GpuType.L4, Sharing(), 1, context=32768).max_num_batched_tokens == 2048


def test_a_pooling_model_counts_no_vocabulary_logits() -> None:
    as_generator = dataclasses.replace(QWEN3_EMBEDDING, task="generate")
    pooling = activation_bytes(QWEN3_EMBEDDING, 1, 2048, 256)
    generating = activation_bytes(as_generator, 1, 2048, 256)
    # The sampler's two fp32 copies of 256 x 151669 logits, times the safety factor.
    assert generating - pooling == pytest.approx(256 * 151669 * 4 * 2 * vm.ACTIVATION_SAFETY)


@pytest.mark.parametrize("gpu", [GpuType.L4, GpuType.H100])
def test_a_float32_embedding_checkpoint_loads_in_float16_where_a_generator_would_take_bfloat16(gpu: GpuType) -> None:
    assert BGE_M3.config_dtype == "float32"
    assert resolved_dtype(BGE_M3, gpu) == "float16"
    assert resolved_dtype(dataclasses.replace(BGE_M3, task="generate"), gpu) == "bfloat16"


def test_bge_m3_weights_take_about_a_gibibyte_in_float16() -> None:
    terms = memory_terms(BGE_M3, GpuType.L4, Sharing(), 1, context=8192)
    assert terms.weights_gib == pytest.approx(BGE_M3.recomputed_parameters() * 2 / GIB)
    assert 1.0 < terms.weights_gib < 1.1


def test_an_embedding_model_fits_a_quarter_of_a_time_sliced_l4() -> None:
    sizing = size_model(BGE_M3, None, 1, GpuType.L4, 1, Sharing(mode=SharingMode.TIME_SLICING, replicas=4))
    assert sizing is not None
    assert sizing.gpu_memory_utilization == pytest.approx(0.225)
    assert sizing.headroom_gib >= sizing.terms.margin_gib
