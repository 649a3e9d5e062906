"""`make sizing-report`: every catalogue model on every GPU type, sized as the stack would size it, against the
lower bound no engine could beat. A benchmark of the formula, not a test: it prints, it asserts nothing.

Per row: the tensor parallelism chosen (on an 8-GPU node, contextLength unset), the context that fits, the GPUs
per replica, and the lower bound: weights plus one request of that context's KV cache over one GPU's budget,
rounded up to a power of two. Where the project uses more GPUs than the bound, the reason column says why.
"""

from __future__ import annotations

import collections

from components.catalog.gpus import GpuType
from components.catalog.models import MODELS
from components.clusters.contract import Sharing
from components.sizing import allowed_sizes, kv_heads_per_gpu, lower_bound_gpus, memory_terms, size_model

NODE_GPUS = 8


def _reason(model: str, gpu: GpuType, chosen: int, bound: int) -> str:
    architecture = MODELS[model]
    if chosen in allowed_sizes(architecture, NODE_GPUS) and bound not in allowed_sizes(architecture, NODE_GPUS):
        return "TP must divide the attention heads"
    terms = memory_terms(architecture, gpu, Sharing(), bound)
    if terms.budget_gib - terms.weights_gib < terms.activation_gib + terms.non_torch_gib + terms.cuda_graph_gib:
        return "overheads (activations, non-torch, CUDA graphs)"
    if kv_heads_per_gpu(architecture, bound) * bound > architecture.kv_heads:
        return "KV heads replicated"
    return "overheads leave too little KV room for the full context"


def main() -> None:
    rows = []
    reasons: collections.Counter[str] = collections.Counter()
    for model, architecture in MODELS.items():
        for gpu in GpuType:
            sizing = size_model(architecture, None, 1, gpu, NODE_GPUS, Sharing())
            if sizing is None:
                rows.append((model, gpu.value, "-", "does not fit on 8", "-", "-", ""))
                continue
            bound = lower_bound_gpus(architecture, sizing.context_tokens, gpu)
            reason = ""
            if sizing.tensor_parallel > bound:
                reason = _reason(model, gpu, sizing.tensor_parallel, bound)
                reasons[reason] += 1
            context = f"{sizing.context_tokens}" + (" (capped)" if sizing.context_is_capped else "")
            rows.append(
                (
                    model,
                    gpu.value,
                    str(sizing.tensor_parallel),
                    context,
                    str(sizing.tensor_parallel),
                    str(bound),
                    reason,
                )
            )
    header = ("model", "gpu", "tp", "context", "gpus/replica", "lower bound", "why more")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    sized = sum(1 for row in rows if row[2] != "-")
    print(f"\n{sized} sizings; {sum(reasons.values())} use more GPUs than the lower bound:")
    for reason, count in reasons.most_common():
        print(f"  {count:3d}  {reason}")


if __name__ == "__main__":
    main()
