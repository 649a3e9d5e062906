"""What each example stack costs at list prices: idle, ceiling, per pool and per model, from the catalogue."""

from __future__ import annotations

from typing import Any

import pytest

from components.catalog.instances import Cloud
from components.catalog.prices import catalogue
from stacks.config import Capacity, StackConfig, parse_config
from stacks.cost import HOURS_PER_MONTH, default_system_instance_type, money, stack_cost
from tests.support import stack_config
from tools.cost_report import summary_lines
from tools.plan import summary


def example(stack: str, **overrides: Any) -> StackConfig:
    raw = {key.split(":", 1)[1]: value for key, value in stack_config(stack).items()}
    return parse_config({**raw, **overrides}, stack=stack)


def node_price(cloud: Cloud, region: str, machine: str, *, spot: bool) -> float | None:
    row = catalogue().instance(cloud, region, machine)
    return (row.spot if spot else row.on_demand).usd


def test_prod_aws_costs_what_the_catalogue_rows_add_up_to_by_hand() -> None:
    # Rows of components/catalog/prices.json for us-east-1: m7i.large 0.1008, g6.2xlarge 0.9776 (spot unknown:
    # counted at on-demand, its ceiling), g6e.12xlarge 10.49264; EKS 0.10, NAT gateway 0.045 and its Elastic IP
    # 0.005, one per zone (3).
    cost = stack_cost(example("prod-aws"))
    assert cost is not None
    fixed = 0.10 + 3 * 0.045 + 3 * 0.005
    # Ceiling: 4 system nodes (2 + 2), l4-ondemand 4, l40s 2, l4-spot 6 at the on-demand price.
    assert cost.ceiling.usd == pytest.approx(4 * 0.1008 + 4 * 0.9776 + 2 * 10.49264 + fixed + 6 * 0.9776)
    assert cost.ceiling.usd == pytest.approx(31.41448)
    assert (cost.ceiling.unknown, cost.ceiling.bounded) == ((), ("g6.2xlarge spot in us-east-1",))
    # Idle: 2 system nodes, l4-ondemand's minimum 1, l4-spot the 2 nodes that qwen-7b's and its canary chat-next's
    # minReplicas need, l40s none (qwen-32b sleeps at zero).
    assert cost.idle.usd == pytest.approx(2 * 0.1008 + 1 * 0.9776 + fixed + 2 * 0.9776)
    assert cost.idle.bounded == ("g6.2xlarge spot in us-east-1",)
    # qwen-32b takes two of the g6e.12xlarge's four L40S (tensor parallel 2).
    assert cost.models["qwen-32b"].replica.usd == pytest.approx(10.49264 / 2)
    assert cost.models["qwen-32b"].at_max_replicas.usd == pytest.approx(10.49264)


@pytest.mark.parametrize("stack", ["prod-aws", "prod-gcp", "prod-azure"])
def test_every_gpu_pool_costs_its_nodes_at_the_catalogue_price_of_its_capacity(stack: str) -> None:
    config = example(stack)
    cost = stack_cost(config)
    assert cost is not None
    assert config.cloud is not None
    for name, pool in config.gpu_pools.items():
        machine = config.pool_instances[name].name
        price = node_price(config.cloud, config.region or "", machine, spot=pool.capacity is Capacity.SPOT)
        line = cost.gpu_pools[name]
        assert line.max_nodes == pool.max_nodes
        on_demand = node_price(config.cloud, config.region or "", machine, spot=False)
        if price is None and on_demand is not None:
            # A spot price the catalogue lacks counts at the on-demand price, which spot never exceeds.
            assert line.ceiling.usd == pytest.approx(pool.max_nodes * on_demand)
            assert line.ceiling.bounded
        elif price is None:
            assert not line.ceiling.complete
        else:
            assert line.ceiling.usd == pytest.approx(pool.max_nodes * price)
            assert line.idle.usd == pytest.approx(line.idle_nodes * price)


@pytest.mark.parametrize("stack", ["prod-aws", "prod-gcp", "prod-azure"])
def test_system_nodes_cost_their_default_machine_from_system_nodes_to_two_more(stack: str) -> None:
    config = example(stack)
    cost = stack_cost(config)
    assert cost is not None
    assert config.cloud is not None
    system = cost.system_pools[0]
    price = node_price(config.cloud, config.region or "", default_system_instance_type(config.cloud), spot=False)
    assert price is not None
    assert system.idle.usd == pytest.approx(config.system_nodes * price)
    assert system.ceiling.usd == pytest.approx((config.system_nodes + 2) * price)


def test_a_pool_idles_at_the_nodes_its_models_min_replicas_need_when_above_min_nodes() -> None:
    # prod-azure's a100spot has minNodes 0, but qwen-32b keeps one replica (a whole A100 node) running.
    cost = stack_cost(example("prod-azure"))
    assert cost is not None
    assert (cost.gpu_pools["a100spot"].idle_nodes, cost.gpu_pools["a100spot"].idle_reason) == (
        1,
        "its models' minReplicas",
    )
    assert cost.gpu_pools["a100"].idle_nodes == 0


def test_a_time_sliced_replica_costs_its_share_of_the_node() -> None:
    # prod-azure's t4 pool slices one T4 four ways; qwen-small takes one slice of Standard_NC16as_T4_v3 (1.204).
    cost = stack_cost(example("prod-azure"))
    assert cost is not None
    model = cost.models["qwen-small"]
    assert model.share == "1/4 of one Standard_NC16as_T4_v3"
    assert model.replica.usd == pytest.approx(1.204 / 4)
    assert model.at_max_replicas.usd == pytest.approx(3 * 1.204 / 4)


def test_gke_pays_the_cluster_fee_cloud_nat_per_node_and_the_filestore_minimum() -> None:
    cost = stack_cost(example("prod-gcp"))
    assert cost is not None
    fixed = {part.item: part for part in cost.fixed}
    assert fixed["gke-cluster-management"].ceiling.usd == pytest.approx(0.10)
    # 2 system + l4-spot 2 (qwen-7b's and embed's minimum replica) + l4-ondemand 1 + h100 1 nodes idle; 4 + 6 + 4 + 1
    # at the ceiling; $0.0014 per VM.
    assert fixed["cloud-nat"].idle.usd == pytest.approx(6 * 0.0014)
    assert fixed["cloud-nat"].ceiling.usd == pytest.approx(15 * 0.0014)
    # Two models download (qwen-7b, embed; qwen-72b streams from GCS), a 200 GiB cache each, on Basic HDD (100 GiB
    # minimum): the per-GiB price is not in the catalogue.
    assert fixed["filestore-basic-hdd"].ceiling.unknown == ("2 Filestore Basic HDD caches, 400 GiB",)


def test_the_filestore_minimum_applies_to_small_caches() -> None:
    cost = stack_cost(example("prod-gcp", modelCacheGiB=50))
    assert cost is not None
    assert [part.description for part in cost.fixed if part.item == "filestore-basic-hdd"] == [
        "2 Filestore Basic HDD caches, 200 GiB"
    ]


def test_aks_pays_its_tier_an_outbound_and_an_internal_load_balancer_and_their_ip() -> None:
    cost = stack_cost(example("prod-azure"))
    assert cost is not None
    fixed = {part.item: part.ceiling.usd for part in cost.fixed if part.ceiling.complete}
    # qwen-small's load balancer is internal: a second Standard load balancer, no second public IP.
    assert fixed == pytest.approx({"aks-standard-tier": 0.10, "standard-load-balancer": 0.05, "public-ipv4": 0.005})


def test_no_nat_gateways_are_counted_on_existing_subnets() -> None:
    cost = stack_cost(example("prod-aws", existingSubnetIds=["subnet-0abc1234def567890", "subnet-0abc1234def567891"]))
    assert cost is not None
    assert [part.item for part in cost.fixed] == ["eks-control-plane"]


def test_an_unknown_price_makes_the_amount_a_lower_bound_that_names_what_is_missing() -> None:
    cost = stack_cost(example("prod-gcp"))
    assert cost is not None
    missing = "2 prices unknown: a3-highgpu-8g on-demand in us-central1, 2 Filestore Basic HDD caches, 400 GiB"
    assert money(cost.ceiling) == f"at least ${cost.ceiling.usd:,.2f}/h ({missing})"
    assert money(cost.ceiling, "month") == f"at least ${cost.ceiling.usd * HOURS_PER_MONTH:,.2f}/month ({missing})"


def test_a_spot_price_the_catalogue_lacks_makes_the_amount_an_upper_bound() -> None:
    cost = stack_cost(example("prod-aws"))
    assert cost is not None
    assert money(cost.ceiling) == "at most $31.41/h"
    assert cost.as_output()["ceiling"]["spotAtOnDemand"] == ["g6.2xlarge spot in us-east-1"]


def test_an_existing_cluster_has_no_cost() -> None:
    assert stack_cost(example("dev")) is None


def test_the_cost_output_gives_idle_and_ceiling_per_hour_and_month_with_the_catalogue_date() -> None:
    cost = stack_cost(example("prod-aws"))
    assert cost is not None
    output = cost.as_output()
    assert output["catalogue"] == {
        "assembled": "2026-12-01",
        "pricesAsOf": "2026-02-24",
        "regionPriced": True,
        "regionsPriced": ["us-east-1"],
    }
    assert output["ceiling"]["usdPerHour"] == 31.4145
    assert output["ceiling"]["usdPerMonth"] == round(31.41448 * 730, 2)
    assert output["pools"]["l40s"]["capacity"] == "on-demand"
    assert output["pools"]["l4-spot"]["spotSnapshot"] is True
    assert output["models"]["qwen-32b"]["maxReplicas"] == 2


def test_the_plan_summary_states_idle_and_ceiling_and_names_the_unknown_prices() -> None:
    cost = stack_cost(example("prod-gcp"))
    assert cost is not None
    lines = summary_lines({"estimated": True, **cost.as_output()})
    unknown = "a3-highgpu-8g on-demand in us-central1, 2 Filestore Basic HDD caches, 400 GiB"
    ceiling = f"${cost.ceiling.usd:,.2f}/h, ${cost.ceiling.usd * HOURS_PER_MONTH:,.2f}/month"
    assert f"  ceiling (maximum scale): at least {ceiling} (2 prices unknown: {unknown})" in lines
    listed = "2 Filestore Basic HDD caches, 400 GiB, a3-highgpu-8g on-demand in us-central1"
    assert lines[-1] == f"  prices unknown (not counted; give them with priceOverrides): {listed}"
    # Nothing known is not free: the h100 pool's price is unknown.
    assert not any("at least $0.00/h" in line for line in lines)
    assert any(
        line.endswith("ceiling not known (1 price unknown: a3-highgpu-8g on-demand in us-central1)") for line in lines
    )


def test_the_plan_summary_says_which_spot_prices_count_at_on_demand() -> None:
    cost = stack_cost(example("prod-aws"))
    assert cost is not None
    lines = summary_lines({"estimated": True, **cost.as_output()})
    assert "  ceiling (maximum scale): at most $31.41/h, $22,932.57/month" in lines
    assert lines[-1] == (
        "  spot prices unknown, counted at the on-demand price (spot never costs more): g6.2xlarge spot in us-east-1"
    )


@pytest.mark.parametrize("stack", ["prod-aws", "prod-gcp", "prod-azure"])
def test_each_cloud_stacks_plan_exports_its_cost_and_summarises_it(plans: dict[Any, Any], stack: str) -> None:
    plan = plans[(stack, "update")]
    cost = stack_cost(example(stack))
    assert cost is not None
    assert plan.document["outputs"]["cost"] == {"estimated": True, **cost.as_output()}
    text = summary(plan)
    assert f"  ceiling (maximum scale): {money(cost.ceiling).split('/h')[0]}" in text


def test_the_dev_stacks_plan_says_its_cost_is_not_estimated(plans: dict[Any, Any]) -> None:
    outputs = plans[("dev", "update")].document["outputs"]
    assert outputs["cost"]["estimated"] is False
    assert "Cost: not estimated, an existing cluster" in summary(plans[("dev", "update")])
