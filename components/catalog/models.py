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


MODELS: dict[str, ModelArchitecture] = {
    # huggingface.co/Qwen/Qwen2.5-0.5B-Instruct/blob/main/config.json (Apache-2.0, not gated):
    # 24 layers, 14 attention heads over hidden 896 (head_dim 64), 2 KV heads, 32768 positions.
    "Qwen/Qwen2.5-0.5B-Instruct": ModelArchitecture(
        parameters_billion=0.49, layers=24, kv_heads=2, head_dim=64, default_context=32768, gated=False
    ),
}
