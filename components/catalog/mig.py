"""Multi-Instance GPU profiles per GPU: the partitions a MIG-capable GPU can be cut into.

Data, not logic. Sources, read 2026-11-23: GoogleCloudPlatform/container-engine-accelerators
`partition_gpu/partition_gpu.go` (A100, H100, H200 partition sizes GKE accepts) and NVIDIA's MIG user guide
("Supported MIG Profiles") for the H100 NVL (94 GB), which GKE does not offer.

What CUDA reports inside a MIG instance is not published per profile in any source found here: sizing
(components/sizing.py `visible_memory_gib`) takes the name's decimal gigabytes in GiB (10 GB: 9.31 GiB), at most
what the instance has.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.catalog.gpus import GpuType


@dataclass(frozen=True)
class MigProfile:
    name: str
    """`<compute slices>g.<memory>gb`, as NVIDIA and GKE name it."""
    slices: int
    """Compute slices (of 7) the instance gets."""
    memory_gib: int
    """Memory of one instance."""
    per_gpu: int
    """How many such instances one GPU holds."""


def _profiles(*rows: tuple[str, int]) -> tuple[MigProfile, ...]:
    return tuple(
        MigProfile(name=name, slices=int(name.split("g.")[0]), memory_gib=int(name.split(".")[1][:-2]), per_gpu=count)
        for name, count in rows
    )


_A100_80 = _profiles(("1g.10gb", 7), ("2g.20gb", 3), ("3g.40gb", 2), ("4g.40gb", 1), ("7g.80gb", 1))

MIG_PROFILES: dict[GpuType, tuple[MigProfile, ...]] = {
    GpuType.A100_40GB: _profiles(("1g.5gb", 7), ("2g.10gb", 3), ("3g.20gb", 2), ("4g.20gb", 1), ("7g.40gb", 1)),
    GpuType.A100_80GB: _A100_80,
    GpuType.H100: (*_A100_80[:1], *_profiles(("1g.20gb", 4)), *_A100_80[1:]),
    GpuType.H100_NVL: _profiles(
        ("1g.12gb", 7), ("1g.24gb", 4), ("2g.24gb", 3), ("3g.47gb", 2), ("4g.47gb", 1), ("7g.94gb", 1)
    ),
    GpuType.H200: _profiles(
        ("1g.18gb", 7), ("1g.35gb", 4), ("2g.35gb", 3), ("3g.71gb", 2), ("4g.71gb", 1), ("7g.141gb", 1)
    ),
}


def mig_profile(gpu: GpuType, name: str) -> MigProfile | None:
    return next((profile for profile in MIG_PROFILES.get(gpu, ()) if profile.name == name), None)


def aks_instance_profile(gpu: GpuType, name: str) -> str | None:
    """AKS names a MIG layout only by its slices (`MIG1g` ... `MIG7g`) and then uses the smallest-memory
    profile with that many slices; a profile AKS cannot express gives None."""
    profile = mig_profile(gpu, name)
    if profile is None:
        return None
    smallest = min((p for p in MIG_PROFILES[gpu] if p.slices == profile.slices), key=lambda p: p.memory_gib)
    return f"MIG{profile.slices}g" if smallest == profile else None
