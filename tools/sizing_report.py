"""`make sizing-report`: every catalogue model on every GPU type, sized as the stack would size it, against the
lower bound no engine could beat. A benchmark of the formula, not a test: it prints, it asserts nothing.

Per row: the dtype vLLM v0.31 resolves on that GPU and the MoE kernel it picks; then either the reason vLLM
refuses the model there, or the tensor parallelism chosen (on an 8-GPU node, contextLength unset), the context
that fits, the headroom left per GPU (at least the margin) and the lower bound: weights plus one request of that
context's KV cache over one GPU's budget, rounded up to a power of two. Where the project uses more GPUs than the
bound, the last column says why.
"""

from __future__ import annotations

import collections

from components.catalog.gpus import GpuType
from components.catalog.models import MODELS
from components.clusters.contract import Sharing
from components.sizing import allowed_sizes, kv_heads_per_gpu, lower_bound_gpus, memory_terms, size_model
from components.vllm_support import moe_kernel, refusal, resolved_dtype

NODE_GPUS = 8


def _reason(model: str, gpu: GpuType, chosen: int, bound: int) -> str:
    architecture = MODELS[model]
    if chosen in allowed_sizes(architecture, NODE_GPUS) and bound not in allowed_sizes(architecture, NODE_GPUS):
        return "TP must divide the attention heads"
    terms = memory_terms(architecture, gpu, Sharing(), bound)
    overheads = terms.activation_gib + terms.non_torch_gib + terms.cuda_graph_gib
    if terms.budget_gib - terms.weights_gib < overheads:
        return "overheads (activations, non-torch, CUDA graphs, kernel padding)"
    if kv_heads_per_gpu(architecture, bound) * bound > architecture.kv_heads:
        return "KV heads replicated"
    return "overheads and the margin leave too little KV room for the full context"


def _row(model: str, gpu: GpuType, reasons: collections.Counter[str]) -> tuple[str, ...]:
    architecture = MODELS[model]
    kernel = moe_kernel(architecture, gpu)
    head = (model, gpu.value, resolved_dtype(architecture, gpu), kernel.name if kernel else "-")
    refused = refusal(architecture, gpu)
    if refused is not None:
        reasons["vLLM refuses the GPU"] += 1
        return (*head, "-", "-", "-", "-", f"refused: {refused}")
    sizing = size_model(architecture, None, 1, gpu, NODE_GPUS, Sharing())
    if sizing is None:
        reasons["does not fit on 8"] += 1
        return (*head, "-", "does not fit on 8", "-", "-", "")
    bound = lower_bound_gpus(architecture, sizing.context_tokens, gpu)
    reason = ""
    if sizing.tensor_parallel > bound:
        reason = _reason(model, gpu, sizing.tensor_parallel, bound)
        reasons[reason] += 1
    context = f"{sizing.context_tokens}" + (" (capped)" if sizing.context_is_capped else "")
    headroom = f"{sizing.headroom_gib:.2f} (>= {sizing.terms.margin_gib:.2f})"
    return (*head, str(sizing.tensor_parallel), context, headroom, str(bound), reason)


def main() -> None:
    reasons: collections.Counter[str] = collections.Counter()
    rows = [_row(model, gpu, reasons) for model in MODELS for gpu in GpuType]
    header = ("model", "gpu", "dtype", "moe kernel", "tp", "context", "headroom GiB (margin)", "lower bound", "why")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    sized = sum(1 for row in rows if row[4] != "-")
    print(f"\n{sized} sizings of {len(rows)}; the rest and those above the lower bound:")
    for reason, count in reasons.most_common():
        print(f"  {count:3d}  {reason}")


if __name__ == "__main__":
    main()
