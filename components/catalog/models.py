"""Architectures of the open models this project knows how to size, keyed by Hugging Face id.

Data, not logic. Each entry names its source: the model's `config.json` on the Hugging Face Hub.
A model missing here can still be served: its stack config then gives the same numbers under
`models.<name>.architecture`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class ModelArchitecture:
    parameters_billion: float
    """Total parameter count, in billions."""
    layers: int
    """`num_hidden_layers`."""
    kv_heads: int
    """`num_key_value_heads` (grouped-query attention); equals the attention heads without GQA."""
    head_dim: int
    """`head_dim`, or `hidden_size / num_attention_heads` where the config has no head_dim."""
    default_context: int
    """`max_position_embeddings`: the longest context the model was trained for."""
    gated: bool
    """Whether the Hub asks users to accept a licence before download (a token is then required)."""
    attention_heads: int | None = None
    """`num_attention_heads`: tensor parallelism must divide it; None: not checked."""


def _model(
    params: float, layers: int, heads: int, kv_heads: int, head_dim: int, context: int, *, gated: bool
) -> ModelArchitecture:
    return ModelArchitecture(
        parameters_billion=params,
        layers=layers,
        attention_heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        default_context=context,
        gated=gated,
    )


# Each row: the model's config.json on the Hugging Face Hub (num_hidden_layers, num_attention_heads,
# num_key_value_heads, head_dim or
# hidden_size / num_attention_heads, max_position_embeddings) and its model card (parameter count, gating), as
# published in 2024-2025. Qwen2.5-0.5B and Qwen2.5-7B were re-checked on 2026-11-23 against copies of their
# config.json; the others are as published, not re-checked in this workplace (no Hub access).
MODELS: dict[str, ModelArchitecture] = {
    # Small enough for the CPU build on a laptop (dev stack).
    "Qwen/Qwen2.5-0.5B-Instruct": _model(0.49, 24, 14, 2, 64, 32768, gated=False),
    "Qwen/Qwen2.5-7B-Instruct": _model(7.62, 28, 28, 4, 128, 32768, gated=False),
    "Qwen/Qwen2.5-32B-Instruct": _model(32.8, 64, 40, 8, 128, 32768, gated=False),
    "Qwen/Qwen2.5-72B-Instruct": _model(72.7, 80, 64, 8, 128, 32768, gated=False),
    "meta-llama/Llama-3.1-8B-Instruct": _model(8.03, 32, 32, 8, 128, 131072, gated=True),
    "meta-llama/Llama-3.1-70B-Instruct": _model(70.6, 80, 64, 8, 128, 131072, gated=True),
    "meta-llama/Llama-3.3-70B-Instruct": _model(70.6, 80, 64, 8, 128, 131072, gated=True),
    "mistralai/Mistral-7B-Instruct-v0.3": _model(7.25, 32, 32, 8, 128, 32768, gated=True),
    # Mixture of experts: every expert's weights are loaded, so memory follows the total, not the active, count.
    "mistralai/Mixtral-8x7B-Instruct-v0.1": _model(46.7, 32, 32, 8, 128, 32768, gated=True),
    "google/gemma-2-9b-it": _model(9.24, 42, 16, 8, 256, 8192, gated=True),
    "google/gemma-2-27b-it": _model(27.2, 46, 32, 16, 128, 8192, gated=True),
}
