"""Sizing past one node: MLA's latent KV, pipeline stages as vLLM v0.31.0 cuts them, and the fewest nodes that
start with the margin."""

from __future__ import annotations

import pytest

from components.catalog.gpus import GpuType
from components.catalog.models import MODELS
from components.clusters.contract import Sharing
from components.pipeline import stage_layers, stages
from components.sizing import kv_bytes_per_token_layer, size_model, weights_bytes

DEEPSEEK = MODELS["deepseek-ai/DeepSeek-V3.1"]
LLAMA_405B = MODELS["meta-llama/Llama-3.1-405B-Instruct"]
LLAMA_405B_FP8 = MODELS["RedHatAI/Meta-Llama-3.1-405B-Instruct-FP8"]


@pytest.mark.parametrize("tensor_parallel", [1, 8, 16])
def test_mla_caches_one_latent_of_576_elements_per_token_and_layer_on_every_tp_rank(tensor_parallel: int) -> None:
    """layers/attention/mla_attention.py `get_kv_cache_spec`: num_kv_heads=1, max_tp_shards=1, head_size
    kv_lora_rank + qk_rope_head_dim; MLAAttentionSpec keeps no separate V (head_size_v=0)."""
    assert kv_bytes_per_token_layer(DEEPSEEK, tensor_parallel, "auto", 2) == (512 + 64) * 2


def test_a_gqa_model_still_splits_its_kv_heads_over_tp() -> None:
    assert kv_bytes_per_token_layer(LLAMA_405B, 8, "auto", 2) == 2 * 1 * 128 * 2


@pytest.mark.parametrize(
    ("layers", "count", "expected"),
    [(61, 2, [31, 30]), (126, 2, [63, 63]), (126, 4, [31, 32, 32, 31]), (61, 3, [20, 21, 20])],
)
def test_layers_are_cut_into_stages_as_vllm_get_pp_indices_does(layers: int, count: int, expected: list[int]) -> None:
    """vllm/distributed/utils.py `get_pp_indices`: the remainder goes one each to the stages before the last."""
    assert stage_layers(layers, count) == expected


def test_deepseeks_dense_layers_fall_in_the_first_stage() -> None:
    first, last = stages(DEEPSEEK, 2)
    assert (first.layers, first.dense_layers, last.layers, last.dense_layers) == (31, 3, 30, 0)


def test_stages_together_hold_the_models_layers_and_one_embedding_matrix_each() -> None:
    parts = stages(LLAMA_405B, 2)
    whole = LLAMA_405B.recomputed_parameters()
    assert (
        sum(part.recomputed_parameters() for part in parts) == whole
    )  # untied: embed on one end, lm_head on the other


def test_deepseek_fp8_does_not_start_on_one_node_of_eight_h100s() -> None:
    assert size_model(DEEPSEEK, None, 1, GpuType.H100, 8, Sharing()) is None


def test_deepseek_fp8_starts_on_two_nodes_of_eight_h100s_with_its_full_context() -> None:
    sizing = size_model(DEEPSEEK, None, 1, GpuType.H100, 8, Sharing(), max_nodes=4)
    assert sizing is not None
    assert (sizing.tensor_parallel, sizing.nodes, sizing.gpus) == (8, 2, 16)
    assert (sizing.context_tokens, sizing.context_is_capped) == (163840, False)
    assert sizing.headroom_gib >= sizing.terms.margin_gib


def test_the_reported_stage_is_the_heaviest_one_deepseeks_last_all_expert_stage() -> None:
    sizing = size_model(DEEPSEEK, None, 1, GpuType.H100, 8, Sharing(), max_nodes=2)
    assert (sizing.architecture.layers, sizing.architecture.dense_layers) == (30, 0)


def test_deepseek_fp8_fits_one_node_of_eight_h200s() -> None:
    sizing = size_model(DEEPSEEK, None, 1, GpuType.H200, 8, Sharing(), max_nodes=4)
    assert (sizing.tensor_parallel, sizing.nodes) == (8, 1)


def test_llama_405b_in_bf16_needs_two_h100_nodes_and_in_fp8_one() -> None:
    bf16 = size_model(LLAMA_405B, 32768, 1, GpuType.H100, 8, Sharing(), max_nodes=4)
    fp8 = size_model(LLAMA_405B_FP8, 32768, 1, GpuType.H100, 8, Sharing(), max_nodes=4)
    assert (bf16.nodes, bf16.gpus) == (2, 16)
    assert (fp8.nodes, fp8.gpus) == (1, 8)


def test_llama_405b_bf16_per_gpu_weights_are_half_the_model_over_eight_gpus() -> None:
    sizing = size_model(LLAMA_405B, 32768, 1, GpuType.H100, 8, Sharing(), max_nodes=2)
    per_stage = weights_bytes(stages(LLAMA_405B, 2)[0], 2) / 8
    assert sizing.terms.weights_gib * 2**30 == pytest.approx(per_stage)
    assert 46 < sizing.terms.weights_gib < 48


def test_the_fewest_nodes_that_start_are_chosen_and_an_explicit_count_is_kept() -> None:
    chosen = size_model(LLAMA_405B, 32768, 1, GpuType.H100, 8, Sharing(), max_nodes=8)
    asked = size_model(LLAMA_405B, 32768, 1, GpuType.H100, 8, Sharing(), nodes=4)
    assert (chosen.nodes, asked.nodes, asked.architecture.layers) == (2, 4, 32)


def test_refused_when_no_node_count_up_to_the_pools_starts_the_model() -> None:
    """671 GB of FP8 weights on 2 x 8 L4s (24 GB each: 384 GB)."""
    assert size_model(DEEPSEEK, None, 1, GpuType.L4, 8, Sharing(), max_nodes=2) is None


def test_a_longer_context_than_two_nodes_hold_takes_a_third() -> None:
    two = size_model(LLAMA_405B, 131072, 8, GpuType.H100, 8, Sharing(), max_nodes=2)
    three = size_model(LLAMA_405B, 131072, 8, GpuType.H100, 8, Sharing(), max_nodes=3)
    assert two is None
    assert three is not None
    assert three.nodes == 3
