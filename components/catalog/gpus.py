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
    nvidia_smi_mib: int
    """The device's Total in nvidia-smi (MiB), after ECC and the driver's share."""
    compute_capability: tuple[int, int]
    cuda_total_gib: float | None = None
    """What CUDA (and so vLLM) reports as the device total, where a published startup log prints it; None:
    nvidia-smi's Total less components/catalog/vllm_memory.CUDA_RESERVED_MIB."""


# nvidia-smi Totals: published nvidia-smi tables found with the search tool's find_string (ids are its file
# ids): T4 15360MiB (35156577386), A10G 23028MiB (10369262131), A10 23028MiB (36216951582), L4 23034MiB
# (49087902293), L40S 46068MiB (70310070431), A100-40GB 40960MiB (35141299213), A100-80GB 81920MiB (52484502977),
# H100 80GB HBM3 81559MiB (8134165308), H100 NVL 95830MiB (22207881571), H200 143771MiB (6737105653).
# CUDA totals from vLLM startup logs ('total_gpu_memory (X GiB)'): T4 14.56 (55594152188), H100 79.14
# (57908690698), H200 139.81 (20903468563, beside its nvidia-smi table of 143771MiB). Compute capabilities:
# NVIDIA's CUDA GPUs table (T4 7.5, A10/A10G 8.6, L4/L40S 8.9, A100 8.0, H100/H200 9.0). B200 (10.0) is not
# catalogued yet: whether the example stacks' regions sell it was not checked (sizing already knows its batch
# class from 160 GiB and its MXFP4 kernel).
GPUS: dict[GpuType, GpuSpec] = {
    GpuType.T4: GpuSpec(
        memory_gib=16, mig_capable=False, nvidia_smi_mib=15360, compute_capability=(7, 5), cuda_total_gib=14.56
    ),
    GpuType.A10G: GpuSpec(memory_gib=24, mig_capable=False, nvidia_smi_mib=23028, compute_capability=(8, 6)),
    # Azure's NVadsA10 v5 (full GPU sizes only): the data-centre A10, a sibling of AWS's A10G.
    GpuType.A10: GpuSpec(memory_gib=24, mig_capable=False, nvidia_smi_mib=23028, compute_capability=(8, 6)),
    GpuType.L4: GpuSpec(memory_gib=24, mig_capable=False, nvidia_smi_mib=23034, compute_capability=(8, 9)),
    GpuType.L40S: GpuSpec(memory_gib=48, mig_capable=False, nvidia_smi_mib=46068, compute_capability=(8, 9)),
    GpuType.A100_40GB: GpuSpec(memory_gib=40, mig_capable=True, nvidia_smi_mib=40960, compute_capability=(8, 0)),
    GpuType.A100_80GB: GpuSpec(memory_gib=80, mig_capable=True, nvidia_smi_mib=81920, compute_capability=(8, 0)),
    GpuType.H100: GpuSpec(
        memory_gib=80, mig_capable=True, nvidia_smi_mib=81559, compute_capability=(9, 0), cuda_total_gib=79.14
    ),
    # Azure's NC H100 v5: the PCIe NVL part with 94 GB (KAITO's SKU table).
    GpuType.H100_NVL: GpuSpec(memory_gib=94, mig_capable=True, nvidia_smi_mib=95830, compute_capability=(9, 0)),
    GpuType.H200: GpuSpec(
        memory_gib=141, mig_capable=True, nvidia_smi_mib=143771, compute_capability=(9, 0), cuda_total_gib=139.81
    ),
}
