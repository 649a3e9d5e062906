"""The CPU machine types a system pool runs on, with their vCPUs and memory: where a model without a GPU pool lands
on a cloud target (the system nodes on EKS and GKE; AKS's `general` pool, on the same type, as its system pool is
tainted CriticalAddonsOnly). components/catalog/allocatable.py says what one of them leaves to pods.

Sizes from the clouds' machine tables (EC2 "General purpose instances" M7i, M6i, M5; Compute Engine "General-purpose
machine family" E2; Azure "Ddsv5 sizes"), read 2026-12-07. A type not listed here cannot be fit-checked."""

from __future__ import annotations

from dataclasses import dataclass

from components.catalog.instances import Cloud


@dataclass(frozen=True, kw_only=True)
class CpuMachine:
    name: str
    vcpus: int
    memory_gib: int


DEFAULT_SYSTEM_MACHINE = {Cloud.AWS: "m7i.large", Cloud.GCP: "e2-standard-4", Cloud.AZURE: "Standard_D4ds_v5"}
"""Each target's system machine type when `systemInstanceType` is unset (stacks/aws.py, gcp.py, azure.py say the
same; a test holds them together)."""

_SHAPES: dict[Cloud, list[tuple[str, int, int]]] = {
    Cloud.AWS: [
        ("m7i.large", 2, 8),
        ("m7i.xlarge", 4, 16),
        ("m7i.2xlarge", 8, 32),
        ("m7i.4xlarge", 16, 64),
        ("m6i.large", 2, 8),
        ("m6i.xlarge", 4, 16),
        ("m5.large", 2, 8),
        ("m5.xlarge", 4, 16),
    ],
    Cloud.GCP: [
        ("e2-standard-2", 2, 8),
        ("e2-standard-4", 4, 16),
        ("e2-standard-8", 8, 32),
        ("e2-standard-16", 16, 64),
    ],
    Cloud.AZURE: [
        ("Standard_D2ds_v5", 2, 8),
        ("Standard_D4ds_v5", 4, 16),
        ("Standard_D8ds_v5", 8, 32),
        ("Standard_D16ds_v5", 16, 64),
    ],
}

SYSTEM_MACHINES: dict[Cloud, dict[str, CpuMachine]] = {
    cloud: {name: CpuMachine(name=name, vcpus=vcpus, memory_gib=memory) for name, vcpus, memory in rows}
    for cloud, rows in _SHAPES.items()
}
