"""Embedding models on vLLM's pooling runner: the flags vLLM v0.31.0 reads for them, on either engine.

`--runner pooling` (vllm/config/model.py `RunnerOption`) and `--convert embed` (`ConvertOption`) are passed
explicitly rather than left to `auto`: Qwen3-Embedding's config.json names `Qwen3ForCausalLM`, which `auto` resolves
to the generate runner unless the repository's sentence-transformers files are found (`_get_default_runner_type`:
`get_pooling_config`), and a pooling model under `--runner generate` is refused ("Embedding models do not support
`--runner generate`"). `--convert embed` leaves a native pooling model (BertModel, XLMRobertaModel) as it is
(model_executor/models/adapters.py `as_embedding_model`: `if is_pooling_model(cls): return cls`) and wraps a
generative one. The OpenAI server then registers /v1/embeddings (entrypoints/pooling/factories.py
`register_pooling_api_routers`: `if "embed" in supported_tasks`) and answers /health as for any model.
"""

from __future__ import annotations

RUNNER = "pooling"
CONVERT = "embed"


def pooling_flags(task: str) -> list[str]:
    """`vllm serve` flags for the task: the pooling runner for `embed`, none for `generate` (vLLM's default)."""
    return ["--runner", RUNNER, "--convert", CONVERT] if task == "embed" else []


def pooling_runtime_flags(task: str) -> list[str]:
    """The same flags as KServe's Hugging Face server passes them through to vLLM (`--flag=value`)."""
    return [f"--runner={RUNNER}", f"--convert={CONVERT}"] if task == "embed" else []
