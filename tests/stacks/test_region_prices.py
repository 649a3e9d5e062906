"""Prices in every region the regions catalogue accepts: the catalogue's where it was read, "unknown" per price and
one line naming the region elsewhere; a price a cloud states for every region counts everywhere."""

from __future__ import annotations

import pytest

from components.catalog.instances import Cloud
from components.catalog.prices import catalogue
from components.catalog.regions import REGIONS
from stacks.config import parse_config
from stacks.cost import StackCost, stack_cost
from tools.cost_report import summary_lines
from tools.prices import requested_regions

POOL = {Cloud.AWS: "L4", Cloud.GCP: "L4", Cloud.AZURE: "A100-80GB"}


def cost_in(cloud: Cloud, region: str) -> StackCost:
    config = parse_config(
        {
            "target": cloud.value,
            "region": region,
            **({"gcpProject": "llm-platform-demo"} if cloud is Cloud.GCP else {}),
            "gpuPools": {"gpus": {"gpu": POOL[cloud]}},
            "models": {"m": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "pool": "gpus", "cpuCores": 2}},
        },
        stack="region",
    )
    cost = stack_cost(config)
    assert cost is not None
    return cost


@pytest.mark.parametrize(("cloud", "region"), [(c, r) for c in Cloud for r in sorted(REGIONS[c])])
def test_every_accepted_region_is_priced_or_says_unknown_per_region(cloud: Cloud, region: str) -> None:
    cost = cost_in(cloud, region)
    lines = summary_lines({"estimated": True, **cost.as_output()})
    covered = catalogue().covers(cloud, region)
    assert cost.as_output()["catalogue"]["regionPriced"] is covered
    says_so = any(line.startswith(f"  the catalogue has no machine prices for {region} ") for line in lines)
    assert says_so is not covered
    if not covered:
        machine = cost.system_pools[0]
        assert machine.node_price.usd is None
        assert f"{machine.instance_type} on-demand in {region}" in cost.ceiling.unknown


@pytest.mark.parametrize(("cloud", "item"), [(Cloud.AWS, "eks-control-plane"), (Cloud.GCP, "gke-cluster-management")])
def test_a_price_the_cloud_states_for_every_region_counts_in_any(cloud: Cloud, item: str) -> None:
    region = next(r for r in sorted(REGIONS[cloud]) if not catalogue().covers(cloud, r))
    fixed = {part.item: part for part in cost_in(cloud, region).fixed}
    assert fixed[item].ceiling.usd == pytest.approx(0.10)


def test_the_price_tool_reads_any_accepted_region_or_all() -> None:
    assert requested_regions(["eu-west-1", "westeurope"]) == {Cloud.AWS: {"eu-west-1"}, Cloud.AZURE: {"westeurope"}}
    assert requested_regions(["all"]) == {cloud: set(REGIONS[cloud]) for cloud in Cloud}
    with pytest.raises(SystemExit, match="'mars-1' is not a region"):
        requested_regions(["mars-1"])
