"""GPU machine types per cloud: which types carry which GPU, how many, and the host around them.

Data, not logic (the lookups at the bottom are the only code). Sources, read 2026-11-23 (../shared/FACTS.md §4):
AWS EC2 accelerated-computing instance pages, KAITO `pkg/sku/aws_sku_handler.go` and the DescribeInstanceTypes
dump bundled with moto 5.2.1 (vCPU and memory); Google Cloud
"GPU machine types" (accelerator-optimized A2/A3/G2 and N1 + T4); Azure NC/ND/NV series pages and KAITO
`pkg/sku/azure_sku_handler.go` (the Azure NC/NV sizes' vCPUs and memory checked again 2026-12-01 against
microsoft/aspire `src/Aspire.Hosting.Azure.Kubernetes/AksNodeVmSizes.cs`). vCPUs and memory are what node sizing
holds pods against (components/catalog/allocatable.py). Region and zone availability is not catalogued: it changes
often and the cloud reports it when the pool is created.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from components.catalog.gpus import GPUS, GpuType


class Cloud(enum.StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"


@dataclass(frozen=True, kw_only=True)
class InstanceType:
    name: str
    gpu: GpuType
    gpus: int
    vcpus: int
    memory_gib: int
    accelerator: str | None = None
    """GCP only: the accelerator type the node pool declares (`nvidia-l4`, ...)."""


def _family(gpu: GpuType, rows: list[tuple[str, int, int, int]], accelerator: str | None = None) -> list[InstanceType]:
    return [
        InstanceType(name=name, gpu=gpu, gpus=gpus, vcpus=vcpus, memory_gib=memory, accelerator=accelerator)
        for name, gpus, vcpus, memory in rows
    ]


INSTANCES: dict[Cloud, list[InstanceType]] = {
    Cloud.AWS: [
        *_family(
            GpuType.T4,
            [
                ("g4dn.xlarge", 1, 4, 16),
                ("g4dn.2xlarge", 1, 8, 32),
                ("g4dn.4xlarge", 1, 16, 64),
                ("g4dn.8xlarge", 1, 32, 128),
                ("g4dn.16xlarge", 1, 64, 256),
                ("g4dn.12xlarge", 4, 48, 192),
                ("g4dn.metal", 8, 96, 384),
            ],
        ),
        *_family(
            GpuType.A10G,
            [
                ("g5.xlarge", 1, 4, 16),
                ("g5.2xlarge", 1, 8, 32),
                ("g5.4xlarge", 1, 16, 64),
                ("g5.8xlarge", 1, 32, 128),
                ("g5.16xlarge", 1, 64, 256),
                ("g5.12xlarge", 4, 48, 192),
                ("g5.24xlarge", 4, 96, 384),
                ("g5.48xlarge", 8, 192, 768),
            ],
        ),
        *_family(
            GpuType.L4,
            [
                ("g6.xlarge", 1, 4, 16),
                ("g6.2xlarge", 1, 8, 32),
                ("g6.4xlarge", 1, 16, 64),
                ("g6.8xlarge", 1, 32, 128),
                ("g6.16xlarge", 1, 64, 256),
                ("g6.12xlarge", 4, 48, 192),
                ("g6.24xlarge", 4, 96, 384),
                ("g6.48xlarge", 8, 192, 768),
            ],
        ),
        *_family(
            GpuType.L40S,
            [
                ("g6e.xlarge", 1, 4, 32),
                ("g6e.2xlarge", 1, 8, 64),
                ("g6e.4xlarge", 1, 16, 128),
                ("g6e.8xlarge", 1, 32, 256),
                ("g6e.16xlarge", 1, 64, 512),
                ("g6e.12xlarge", 4, 48, 384),
                ("g6e.24xlarge", 4, 96, 768),
                ("g6e.48xlarge", 8, 192, 1536),
            ],
        ),
        *_family(GpuType.A100_40GB, [("p4d.24xlarge", 8, 96, 1152)]),
        *_family(GpuType.A100_80GB, [("p4de.24xlarge", 8, 96, 1152)]),
        *_family(GpuType.H100, [("p5.4xlarge", 1, 16, 256), ("p5.48xlarge", 8, 192, 2048)]),
        *_family(GpuType.H200, [("p5e.48xlarge", 8, 192, 2048), ("p5en.48xlarge", 8, 192, 2048)]),
    ],
    Cloud.GCP: [
        # N1 machines take 1, 2 or 4 T4s; these are the sizes that feed them well.
        *_family(
            GpuType.T4,
            [("n1-standard-8", 1, 8, 30), ("n1-standard-16", 2, 16, 60), ("n1-standard-32", 4, 32, 120)],
            "nvidia-tesla-t4",
        ),
        *_family(
            GpuType.L4,
            [
                ("g2-standard-4", 1, 4, 16),
                ("g2-standard-8", 1, 8, 32),
                ("g2-standard-12", 1, 12, 48),
                ("g2-standard-16", 1, 16, 64),
                ("g2-standard-32", 1, 32, 128),
                ("g2-standard-24", 2, 24, 96),
                ("g2-standard-48", 4, 48, 192),
                ("g2-standard-96", 8, 96, 384),
            ],
            "nvidia-l4",
        ),
        *_family(
            GpuType.A100_40GB,
            [
                ("a2-highgpu-1g", 1, 12, 85),
                ("a2-highgpu-2g", 2, 24, 170),
                ("a2-highgpu-4g", 4, 48, 340),
                ("a2-highgpu-8g", 8, 96, 680),
                ("a2-megagpu-16g", 16, 96, 1360),
            ],
            "nvidia-tesla-a100",
        ),
        *_family(
            GpuType.A100_80GB,
            [
                ("a2-ultragpu-1g", 1, 12, 170),
                ("a2-ultragpu-2g", 2, 24, 340),
                ("a2-ultragpu-4g", 4, 48, 680),
                ("a2-ultragpu-8g", 8, 96, 1360),
            ],
            "nvidia-a100-80gb",
        ),
        *_family(
            GpuType.H100,
            [
                ("a3-highgpu-1g", 1, 26, 234),
                ("a3-highgpu-2g", 2, 52, 468),
                ("a3-highgpu-4g", 4, 104, 936),
                ("a3-highgpu-8g", 8, 208, 1872),
                # A3 Mega: the H100 type with GPUDirect-TCPXO (components/catalog/fabric.py); same host.
                ("a3-megagpu-8g", 8, 208, 1872),
            ],
            "nvidia-h100-80gb",
        ),
        *_family(GpuType.H200, [("a3-ultragpu-8g", 8, 224, 2952)], "nvidia-h200-141gb"),
    ],
    Cloud.AZURE: [
        *_family(
            GpuType.T4,
            [
                ("Standard_NC4as_T4_v3", 1, 4, 28),
                ("Standard_NC8as_T4_v3", 1, 8, 56),
                ("Standard_NC16as_T4_v3", 1, 16, 110),
                ("Standard_NC64as_T4_v3", 4, 64, 440),
            ],
        ),
        # Only the full-GPU NVadsA10 v5 sizes: the fractional ones are GRID vGPUs that vLLM cannot use.
        *_family(GpuType.A10, [("Standard_NV36ads_A10_v5", 1, 36, 440), ("Standard_NV72ads_A10_v5", 2, 72, 880)]),
        *_family(
            GpuType.A100_80GB,
            [
                ("Standard_NC24ads_A100_v4", 1, 24, 220),
                ("Standard_NC48ads_A100_v4", 2, 48, 440),
                ("Standard_NC96ads_A100_v4", 4, 96, 880),
                ("Standard_ND96amsr_A100_v4", 8, 96, 1900),
            ],
        ),
        *_family(GpuType.A100_40GB, [("Standard_ND96asr_v4", 8, 96, 900)]),
        *_family(
            GpuType.H100_NVL, [("Standard_NC40ads_H100_v5", 1, 40, 320), ("Standard_NC80adis_H100_v5", 2, 80, 640)]
        ),
        *_family(GpuType.H100, [("Standard_ND96isr_H100_v5", 8, 96, 1900)]),
        *_family(GpuType.H200, [("Standard_ND96isr_H200_v5", 8, 96, 1850)]),
    ],
}


def offered(cloud: Cloud) -> dict[GpuType, list[int]]:
    """GPU types the cloud offers, each with the GPU counts per node it comes in."""
    counts: dict[GpuType, set[int]] = {}
    for instance in INSTANCES[cloud]:
        counts.setdefault(instance.gpu, set()).add(instance.gpus)
    return {gpu: sorted(counts[gpu]) for gpu in GpuType if gpu in counts}


def carrying(cloud: Cloud, gpu: GpuType, gpus: int) -> list[InstanceType]:
    """The cloud's types with exactly `gpus` x `gpu`, smallest first (memory, then vCPUs)."""
    return sorted(
        (i for i in INSTANCES[cloud] if i.gpu is gpu and i.gpus == gpus), key=lambda i: (i.memory_gib, i.vcpus)
    )


def choose_instance(
    cloud: Cloud,
    gpu: GpuType,
    gpus: int,
    name: str | None = None,
    holds: Callable[[InstanceType], bool] | None = None,
) -> InstanceType | None:
    """The machine type for a pool: `name` if given and it carries the GPUs, else the smallest type with `gpus`
    GPUs that `holds` the pool's pods (any, without `holds`), preferring host memory of at least the GPUs' memory
    (weights pass through host memory while loading). None when nothing matches."""
    candidates = carrying(cloud, gpu, gpus)
    if name is not None:
        return next((i for i in candidates if i.name == name), None)
    fitting = [i for i in candidates if holds is None or holds(i)]
    roomy = [i for i in fitting if i.memory_gib >= GPUS[gpu].memory_gib * gpus]
    return next(iter(roomy or fitting), None)
