"""The GPU stand-in table (components/catalog/gpu_equivalents.py) and what a pool takes on each cloud."""

from __future__ import annotations

import pytest

from components.catalog.gpu_equivalents import STAND_INS
from components.catalog.gpus import GPUS, GpuType
from components.catalog.instances import Cloud
from tools.translation import GpuOption, absent_types, gpu_options, priced_types


def _capability(gpu: GpuType) -> int:
    major, minor = GPUS[gpu].compute_capability
    return major * 10 + minor


def _by_the_rule(gpu: GpuType) -> list[GpuType]:
    """Every GPU with at least `gpu`'s memory, nearest memory first, then nearest compute capability."""
    larger = [other for other in GpuType if other is not gpu and GPUS[other].memory_gib >= GPUS[gpu].memory_gib]
    return sorted(larger, key=lambda o: (GPUS[o].memory_gib, abs(_capability(o) - _capability(gpu))))


def test_every_gpu_has_a_row() -> None:
    assert set(STAND_INS) == set(GpuType)


@pytest.mark.parametrize("gpu", list(GpuType))
def test_stand_ins_are_the_nearest_by_memory_then_compute_capability(gpu: GpuType) -> None:
    assert list(STAND_INS[gpu]) == _by_the_rule(gpu)[:3]


@pytest.mark.parametrize("gpu", list(GpuType))
def test_no_stand_in_has_less_memory_than_the_gpu_it_replaces(gpu: GpuType) -> None:
    assert all(GPUS[stand_in].memory_gib >= GPUS[gpu].memory_gib for stand_in in STAND_INS[gpu])


def _first(gpu: GpuType, gpus: int, cloud: Cloud, region: str) -> GpuOption:
    return gpu_options(
        cloud, region, gpu, gpus, absent=absent_types(cloud, region), priced=priced_types(cloud, region)
    )[0]


# (GPU, per node, cloud, region) -> what the pool takes, by the table and components/catalog/instances.py.
MAPPING = {
    (GpuType.L4, 1, Cloud.AZURE, "eastus2"): (GpuType.A10, 1),
    (GpuType.L40S, 4, Cloud.AZURE, "eastus2"): (GpuType.A100_80GB, 4),
    (GpuType.L40S, 4, Cloud.GCP, "us-central1"): (GpuType.H100, 4),
    (GpuType.A10G, 1, Cloud.AZURE, "eastus2"): (GpuType.A10, 1),
    (GpuType.A10, 1, Cloud.AWS, "us-east-1"): (GpuType.A10G, 1),
    (GpuType.A10G, 1, Cloud.GCP, "us-central1"): (GpuType.L4, 1),
    (GpuType.A100_80GB, 1, Cloud.AWS, "us-east-1"): (GpuType.H100, 1),
    (GpuType.H100, 1, Cloud.AZURE, "eastus2"): (GpuType.A100_80GB, 1),
    (GpuType.H100, 8, Cloud.AZURE, "eastus2"): (GpuType.H100, 8),
    (GpuType.T4, 1, Cloud.GCP, "us-central1"): (GpuType.T4, 1),
    (GpuType.H100_NVL, 1, Cloud.AWS, "us-east-1"): (GpuType.H200, 8),
    # prices.json: Standard_ND96asr_v4 (8 x A100 40GB) is absent from eastus2; Azure sells no L40S.
    (GpuType.A100_40GB, 8, Cloud.AZURE, "eastus2"): (GpuType.A100_80GB, 8),
}


@pytest.mark.parametrize(("asked", "taken"), list(MAPPING.items()))
def test_a_pool_takes_the_nearest_gpu_the_cloud_sells(
    asked: tuple[GpuType, int, Cloud, str], taken: tuple[GpuType, int]
) -> None:
    option = _first(*asked)
    assert (option.gpu, option.gpus) == taken


def test_the_reason_names_what_the_cloud_lacks_and_the_stand_ins_memory() -> None:
    reason = _first(GpuType.L4, 1, Cloud.AZURE, "eastus2").reason
    assert "azure does not sell L4" in reason
    assert "24 GB, compute capability 8.6 (was 24 GB, 8.9)" in reason


def test_a_gpu_absent_from_the_region_is_skipped_and_the_reason_says_so() -> None:
    reason = _first(GpuType.A100_40GB, 8, Cloud.AZURE, "eastus2").reason
    assert "Standard_ND96asr_v4: not sold in eastus2" in reason


def test_the_same_gpu_is_kept_where_the_cloud_sells_it() -> None:
    assert _first(GpuType.L4, 1, Cloud.GCP, "us-central1").reason == "same GPU"
