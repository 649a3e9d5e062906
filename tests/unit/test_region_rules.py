"""`region` is one of the target cloud's public regions, and GKE zones are zones of it."""

from __future__ import annotations

import pytest

from components.catalog.instances import Cloud
from components.catalog.regions import REGIONS
from stacks.config import parse_config
from tests.unit.test_config_clouds import aws, azure, gcp, problems


def test_an_aws_stack_with_a_gcp_region_is_told_the_aws_spelling() -> None:
    assert problems(aws(region="us-east1")) == [
        "region: 'us-east1' is a gcp region, not an aws one; did you mean 'us-east-1'?"
    ]


def test_a_gcp_stack_with_an_aws_region_is_told_the_gcp_spelling() -> None:
    assert problems(gcp(region="us-east-1")) == [
        "region: 'us-east-1' is an aws region, not a gcp one; did you mean 'us-east1'?"
    ]


def test_an_azure_stack_with_a_display_like_region_is_told_the_api_name() -> None:
    assert problems(azure(region="east-us2")) == ["region: 'east-us2' is not an azure region; did you mean 'eastus2'?"]


def test_a_region_like_nothing_lists_the_clouds_regions() -> None:
    [message] = problems(aws(region="europe"))
    assert message.startswith("region: 'europe' is not an aws region; use one of 'af-south-1', 'ap-east-1', ")
    assert message.endswith(", 'us-west-1', 'us-west-2'")


@pytest.mark.parametrize("region", ["cn-north-1", "us-gov-west-1", "eusc-de-east-1"])
def test_aws_partitions_other_than_the_public_one_are_refused(region: str) -> None:
    assert problems(aws(region=region))[0].startswith(f"region: '{region}' is not an aws region;")


@pytest.mark.parametrize("region", ["chinaeast2", "usgovvirginia", "germanycentral"])
def test_azure_sovereign_clouds_are_refused(region: str) -> None:
    assert problems(azure(region=region))[0].startswith(f"region: '{region}' is not an azure region;")


@pytest.mark.parametrize(("cloud", "keys"), [(Cloud.AWS, aws), (Cloud.GCP, gcp), (Cloud.AZURE, azure)])
def test_every_catalogued_region_plans(cloud: Cloud, keys: object) -> None:
    for region in sorted(REGIONS[cloud]):
        assert parse_config(keys(region=region), stack="t").region == region  # type: ignore[operator]


def test_the_catalogues_do_not_share_a_region_name() -> None:
    # The "is an aws region, not a gcp one" message relies on it.
    assert not REGIONS[Cloud.AWS] & REGIONS[Cloud.GCP]
    assert not REGIONS[Cloud.GCP] & REGIONS[Cloud.AZURE]
    assert not REGIONS[Cloud.AWS] & REGIONS[Cloud.AZURE]


def test_a_gke_zone_is_the_region_and_one_letter() -> None:
    # The region's prefix alone is not enough: 'us-central1-zone2' is no zone.
    assert problems(gcp(gpuPools={"l4": {"gpu": "L4", "zones": ["us-central1-a", "us-central1-zone2"]}})) == [
        "gpuPools.l4.zones: 'us-central1-zone2' is not a zone of region 'us-central1'; zones are "
        "'us-central1-<letter>', e.g. 'us-central1-a'"
    ]
