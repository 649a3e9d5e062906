"""`priceOverrides`: a stack gives the prices the catalogue lacks, so the budget guard works on every example."""

from __future__ import annotations

import json

import pytest

from stacks.config import ConfigError
from stacks.cost import stack_cost
from tests.stacks.test_cost import example
from tools.offline import Mode, run_program

# The prices of the example stacks no public source read for the catalogue gives (docs/manual.md, "Cost"): a stack that
# uses them names its own. The values are placeholders for the test; the guard only needs some price.
UNSOURCED = {
    "prod-aws": {},
    "prod-gcp": {"a3-highgpu-8g": {"onDemand": 90}, "filestore-basic-hdd": {"usd": 0.2}},
    "prod-azure": {"azure-files-premium": {"usd": 0.2}},
}


@pytest.mark.parametrize("stack", sorted(UNSOURCED))
def test_a_budget_set_on_every_cloud_example_stack_plans(stack: str) -> None:
    config = {"maxHourlyCost": "1000", "maxIdleHourlyCost": "1000"}
    if UNSOURCED[stack]:
        config["priceOverrides"] = json.dumps(UNSOURCED[stack])
    run = run_program(stack, Mode.UPDATE, config_overrides=config)
    assert run.outputs["cost"]["ceiling"]["complete"] is True


@pytest.mark.parametrize("stack", sorted(UNSOURCED))
def test_without_overrides_only_the_unsourced_prices_stop_the_guard(stack: str) -> None:
    cost = stack_cost(example(stack))
    assert cost is not None
    unknown = " ".join(cost.ceiling.unknown)
    assert all(name.split("-")[0] in unknown.lower() for name in UNSOURCED[stack])
    assert len(cost.ceiling.unknown) == len(UNSOURCED[stack])


def test_an_override_names_its_source_in_the_cost_output() -> None:
    overrides = {"g6.2xlarge": {"spot": 0.45, "source": "EC2 spot price history, 2026-12-06"}}
    cost = stack_cost(example("prod-aws", priceOverrides=overrides))
    assert cost is not None
    pool = cost.as_output()["pools"]["l4-spot"]
    assert (pool["nodeUsdPerHour"], cost.ceiling.bounded) == (0.45, ())
    assert cost.gpu_pools["l4-spot"].node_price.source == "EC2 spot price history, 2026-12-06"


def test_an_override_without_a_source_says_it_comes_from_the_stack_file() -> None:
    cost = stack_cost(example("prod-aws", priceOverrides={"g6.2xlarge": {"spot": 0.45}}))
    assert cost is not None
    assert cost.gpu_pools["l4-spot"].node_price.source == "priceOverrides in Pulumi.prod-aws.yaml"


def test_a_misspelt_machine_type_is_refused_with_the_closest_name() -> None:
    with pytest.raises(ConfigError) as error:
        example("prod-aws", priceOverrides={"g6.2xlarg": {"spot": 0.45}})
    assert [str(issue) for issue in error.value.issues] == [
        "priceOverrides['g6.2xlarg']: 'g6.2xlarg' is neither a machine type nor a fixed item the cost counts; "
        "did you mean 'g6.2xlarge'?"
    ]


def test_a_fixed_item_takes_usd_and_a_machine_type_on_demand_or_spot() -> None:
    with pytest.raises(ConfigError) as error:
        example(
            "prod-gcp",
            priceOverrides={"filestore-basic-hdd": {"onDemand": 0.2}, "a3-highgpu-8g": {"usd": 90}},
        )
    assert [str(issue) for issue in error.value.issues] == [
        "priceOverrides.filestore-basic-hdd: 'filestore-basic-hdd' is a fixed item of the catalogue: give its price "
        "as `usd`",
        "priceOverrides.a3-highgpu-8g: 'a3-highgpu-8g' is a machine type: give its price as `onDemand` and/or `spot` "
        "(USD/h)",
    ]


def test_a_price_must_be_positive() -> None:
    with pytest.raises(ConfigError, match=r"priceOverrides\['g6\.2xlarge'\]\.spot: 0 is out of range; must be > 0"):
        example("prod-aws", priceOverrides={"g6.2xlarge": {"spot": 0}})


def test_an_existing_cluster_has_no_price_to_override() -> None:
    with pytest.raises(ConfigError) as error:
        example("dev", priceOverrides={"g6.2xlarge": {"spot": 0.45}})
    assert [str(issue) for issue in error.value.issues] == [
        "priceOverrides: on an existing cluster the stack chooses no machines and has no cost to price; remove the key"
    ]
