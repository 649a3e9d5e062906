"""A GKE pool's zones must sell its GPU machine types, where the catalogue knows them (catalog/gpu_zones.py)."""

from __future__ import annotations

from typing import Any

import pytest

from components.catalog.gpu_zones import GCP_MACHINE_ZONES
from components.catalog.instances import INSTANCES, Cloud
from components.catalog.regions import REGIONS
from stacks.config import ConfigError, parse_config
from tests.unit.test_config_clouds import gcp

MODEL = {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "pool": "gpus"}


def problems(**pool: Any) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(gcp(gpuPools={"gpus": pool}, models={"m": MODEL}), stack="zones")
    return [str(issue) for issue in error.value.issues]


def test_a_zone_that_does_not_sell_l4_machines_is_refused_with_the_zones_that_do() -> None:
    assert problems(gpu="L4", zones=["us-central1-a", "us-central1-f"]) == [
        "gpuPools.gpus.zones: 'us-central1-f' does not sell this pool's machine types (g2-standard-4 and 4 more); "
        "use 'us-central1-a', 'us-central1-b', 'us-central1-c'"
    ]


def test_an_explicit_machine_type_is_checked_alone() -> None:
    # a3-highgpu-8g (H100 x 8) is in us-central1-a, -b and -c; a3-ultragpu-8g (H200) only in -b.
    [message] = problems(gpu="H200", gpusPerNode=8, instanceType="a3-ultragpu-8g", zones=["us-central1-a"])
    assert message == (
        "gpuPools.gpus.zones: 'us-central1-a' does not sell this pool's machine types (a3-ultragpu-8g); use "
        "'us-central1-b'"
    )


def test_zones_that_sell_the_gpu_plan() -> None:
    config = parse_config(
        gcp(gpuPools={"gpus": {"gpu": "L4", "zones": ["us-central1-a", "us-central1-c"]}}, models={"m": MODEL}),
        stack="zones",
    )
    assert config.gpu_pools["gpus"].zones == ["us-central1-a", "us-central1-c"]


def test_a_machine_type_the_catalogue_does_not_place_is_not_checked() -> None:
    # N1 with T4: no zones in the catalogue, so any well-formed zone of the region passes.
    config = parse_config(
        gcp(gpuPools={"gpus": {"gpu": "T4", "zones": ["us-central1-f"]}}, models={"m": MODEL}), stack="zones"
    )
    assert config.gpu_pools["gpus"].zones == ["us-central1-f"]


def test_every_zone_of_the_catalogue_is_a_zone_of_a_region_the_config_accepts() -> None:
    for machine, by_region in GCP_MACHINE_ZONES.items():
        assert machine in {i.name for i in INSTANCES[Cloud.GCP]}
        for region, zones in by_region.items():
            assert region in REGIONS[Cloud.GCP], (machine, region)
            assert all(zone.startswith(f"{region}-") for zone in zones)
