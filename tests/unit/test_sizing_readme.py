"""The manual's worked examples (docs/manual.md) are the formula's own numbers."""

from __future__ import annotations

import pytest

from components.catalog.gpus import GpuType
from components.catalog.models import MODELS
from components.clusters.contract import Sharing
from components.sizing import GIB, memory_terms, request_kv_bytes, size_model
from tools.offline import ROOT

EXAMPLES = [
    ("Qwen2.5-7B, 8k, L4 (small class)", "Qwen/Qwen2.5-7B-Instruct", GpuType.L4, 1, 8192, 1, "1"),
    ("Qwen2.5-32B, 8k, L40S", "Qwen/Qwen2.5-32B-Instruct", GpuType.L40S, 2, 8192, 1, "2"),
    ("Qwen2.5-32B, 2 x 8k, A100-80GB", "Qwen/Qwen2.5-32B-Instruct", GpuType.A100_80GB, 1, 8192, 2, "1"),
    (
        "Llama-3.1-70B, 8k, H100 (large class) at TP 2",
        "meta-llama/Llama-3.1-70B-Instruct",
        GpuType.H100,
        2,
        8192,
        1,
        "no: 4",
    ),
]


@pytest.mark.parametrize(("label", "model", "gpu", "tp", "context", "concurrency", "chosen"), EXAMPLES)
def test_readme_worked_example_is_what_the_formula_computes(
    label: str, model: str, gpu: GpuType, tp: int, context: int, concurrency: int, chosen: str
) -> None:
    architecture = MODELS[model]
    terms = memory_terms(architecture, gpu, Sharing(), tp)
    need = concurrency * request_kv_bytes(architecture, context, tp, "auto", terms.max_num_batched_tokens) / GIB
    row = (
        f"| {label} | {terms.visible_gib:.2f} x 0.9 = {terms.budget_gib:.2f} | {terms.weights_gib:.2f} | "
        f"{terms.activation_gib:.2f} | {terms.non_torch_gib:.2f} | {terms.cuda_graph_gib:.1f} | "
        f"{terms.kv_room_gib:.2f} | {need:.2f} | {chosen} |"
    )
    assert row in (ROOT / "docs" / "manual.md").read_text()
    sizing = size_model(architecture, context, concurrency, gpu, 8, Sharing())
    assert str(sizing.tensor_parallel) == chosen.removeprefix("no: ")
