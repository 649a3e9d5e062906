"""Which GPU stands in for another on a cloud that does not sell it: data, not logic.

Used when a stack moves to another cloud (tools/translate.py). Each GPU lists its stand-ins, nearest first, by the
rule: at least the memory of the GPU replaced (a model sized for it must still fit one GPU's share), then the
nearest memory, then the nearest compute capability (what kernels and the KV cache's FP8 need); the one tie (A10G
and A10, the same GA102 part) never meets on one cloud. Price is not a criterion: prices.json knows three regions.
Memory and compute capability come from components/catalog/gpus.py (its sources: NVIDIA's data sheets and CUDA
GPUs table, FACTS.md §4); which cloud sells which GPU, how many to a machine, from components/catalog/instances.py
(each cloud's GPU machine pages). tests/unit/test_gpu_equivalents.py holds every row to the rule.
"""

from __future__ import annotations

from components.catalog.gpus import GpuType

STAND_INS: dict[GpuType, tuple[GpuType, ...]] = {
    # 16 GB, 7.5: the 24 GB parts; the A10G/A10 (8.6) before the L4 (8.9).
    GpuType.T4: (GpuType.A10G, GpuType.A10, GpuType.L4),
    # 24 GB, 8.6: the A10 is the same GA102 part as the A10G (AWS's variant); then the L4, then the A100 40GB.
    GpuType.A10G: (GpuType.A10, GpuType.L4, GpuType.A100_40GB),
    GpuType.A10: (GpuType.A10G, GpuType.L4, GpuType.A100_40GB),
    # 24 GB, 8.9: the A10G/A10 have the same memory but 8.6 (no FP8 KV cache). Azure sells no L4 and no L40S.
    GpuType.L4: (GpuType.A10G, GpuType.A10, GpuType.A100_40GB),
    # 48 GB, 8.9: no other part has 48 GB; of the 80 GB ones the H100 (9.0) is nearer than the A100 (8.0).
    GpuType.L40S: (GpuType.H100, GpuType.A100_80GB, GpuType.H100_NVL),
    GpuType.A100_40GB: (GpuType.L40S, GpuType.A100_80GB, GpuType.H100),
    # 80 GB, 8.0: the H100 has the same memory; AWS sells the A100 80GB only eight to a machine (p4de.24xlarge)
    # while p5.4xlarge carries one H100.
    GpuType.A100_80GB: (GpuType.H100, GpuType.H100_NVL, GpuType.H200),
    # 80 GB, 9.0: Azure sells H100s one or two to a machine only as the 94 GB NVL part (NC40ads_H100_v5), which
    # comes after the same-memory A100 80GB by the rule.
    GpuType.H100: (GpuType.A100_80GB, GpuType.H100_NVL, GpuType.H200),
    GpuType.H100_NVL: (GpuType.H200,),
    GpuType.H200: (),
}
"""GPU -> the GPUs that may replace it, nearest first. An empty tuple: nothing larger exists in the catalogue."""
