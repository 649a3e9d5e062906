"""The normalized GPU list every stack chooses from, with what sizing and sharing need to know.

Data, not logic. Source: ../shared/FACTS.md §4 (KAITO SKU tables, AWS/GCP/Azure GPU docs), read 2026-11-23.
Per-cloud instance types live with each cloud's cluster code; this is the cloud-independent part.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class GpuType(enum.StrEnum):
    T4 = "T4"
    A10G = "A10G"
    A10 = "A10"
    L4 = "L4"
    L40S = "L40S"
    A100_40GB = "A100-40GB"
    A100_80GB = "A100-80GB"
    H100 = "H100"
    H100_NVL = "H100-NVL"
    H200 = "H200"


@dataclass(frozen=True, kw_only=True)
class GpuSpec:
    memory_gib: int
    """Memory of one GPU as the vendor states it (GB on the data sheet)."""
    mig_capable: bool
    """Whether the GPU can be partitioned with Multi-Instance GPU."""


GPUS: dict[GpuType, GpuSpec] = {
    GpuType.T4: GpuSpec(memory_gib=16, mig_capable=False),
    GpuType.A10G: GpuSpec(memory_gib=24, mig_capable=False),
    # Azure's NVadsA10 v5 (full GPU sizes only): the data-centre A10, a sibling of AWS's A10G.
    GpuType.A10: GpuSpec(memory_gib=24, mig_capable=False),
    GpuType.L4: GpuSpec(memory_gib=24, mig_capable=False),
    GpuType.L40S: GpuSpec(memory_gib=48, mig_capable=False),
    GpuType.A100_40GB: GpuSpec(memory_gib=40, mig_capable=True),
    GpuType.A100_80GB: GpuSpec(memory_gib=80, mig_capable=True),
    GpuType.H100: GpuSpec(memory_gib=80, mig_capable=True),
    # Azure's NC H100 v5: the PCIe NVL part with 94 GB (KAITO's SKU table).
    GpuType.H100_NVL: GpuSpec(memory_gib=94, mig_capable=True),
    GpuType.H200: GpuSpec(memory_gib=141, mig_capable=True),
}
