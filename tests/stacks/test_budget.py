"""The budget guard: maxHourlyCost bounds the ceiling, maxIdleHourlyCost what runs idle, at the catalogue's prices.

The stack below has only on-demand pools in us-east-1, all priced in the catalogue: m7i.large 0.1008,
g6.2xlarge 0.9776, g6e.12xlarge 10.49264, and fixed parts 0.25 (EKS 0.10, three NAT gateways 0.135 and their
Elastic IPs 0.015). Idle: 2 x 0.1008 + 0.9776 + 10.49264 (big keeps one replica) + 0.25 = 11.92184.
Ceiling: 4 x 0.1008 + 4 x 0.9776 + 2 x 10.49264 + 0.25 = 25.54888.
"""

from __future__ import annotations

from typing import Any

import pytest

from stacks import build
from stacks.budget import budget_issues
from stacks.config import ConfigError, StackConfig, parse_config
from stacks.cost import stack_cost
from tests.stacks.test_cost import example


def aws(**keys: Any) -> StackConfig:
    model = {"contextLength": 8192, "minReplicas": 1}
    return parse_config(
        {
            "target": "aws",
            "region": "us-east-1",
            "gpuPools": {
                "l4": {"gpu": "L4", "minNodes": 1, "maxNodes": 4},
                "l40s": {"gpu": "L40S", "gpusPerNode": 4, "minNodes": 0, "maxNodes": 2},
            },
            "models": {
                "qwen": {
                    **model,
                    "huggingFaceId": "Qwen/Qwen2.5-7B-Instruct",
                    "pool": "l4",
                    "maxReplicas": 4,
                    "cpuCores": 6,
                    "memoryGiB": 24,
                },
                "big": {
                    **model,
                    "huggingFaceId": "Qwen/Qwen2.5-32B-Instruct",
                    "pool": "l40s",
                    "maxReplicas": 2,
                    "cpuCores": 8,
                    "memoryGiB": 64,
                },
            },
            **keys,
        },
        stack="budget",
    )


def messages(config: StackConfig) -> list[str]:
    return [str(issue) for issue in budget_issues(config, stack_cost(config))]


def test_a_stack_under_both_limits_passes() -> None:
    assert messages(aws(maxHourlyCost="25.6", maxIdleHourlyCost="12")) == []


def test_the_limits_take_pulumi_strings_as_numbers() -> None:
    config = aws(maxHourlyCost="40", maxIdleHourlyCost="2.5")
    assert (config.max_hourly_cost, config.max_idle_hourly_cost) == (40.0, 2.5)


def test_a_ceiling_over_the_limit_names_the_pools_and_models_and_the_cuts_that_fit() -> None:
    assert messages(aws(maxHourlyCost="15")) == [
        "maxHourlyCost: 15, but the ceiling costs $25.55/h ($18,650.68/month) at the list prices of the catalogue "
        "(2026-12-01); it comes from gpuPools.l40s $20.99/h (2 x g6e.12xlarge on-demand, models big ($10.49/h at 2 "
        "replicas)); gpuPools.l4 $3.91/h (4 x g6.2xlarge on-demand, models qwen ($3.91/h at 4 replicas)); system "
        "pools and fixed parts $0.65/h; to bring it under $15/h: lower gpuPools.l40s.maxNodes to 1 and "
        "gpuPools.l4.maxNodes to 3 and models.qwen.maxReplicas to 3 (saves $11.47/h)"
    ]


def test_advice_that_lowers_maxnodes_lowers_the_maxreplicas_the_pool_would_no_longer_hold() -> None:
    # qwen's 4 replicas take a whole L4 node each; 3 nodes hold 3. big's 2 replicas (TP 2) fit one g6e.12xlarge.
    [message] = messages(aws(maxHourlyCost="15"))
    assert "gpuPools.l4.maxNodes to 3 and models.qwen.maxReplicas to 3 (saves" in message
    assert "models.big.maxReplicas" not in message
    # The advice taken plans: no overcommit is refused.
    pools = {
        "l4": {"gpu": "L4", "minNodes": 1, "maxNodes": 3},
        "l40s": {"gpu": "L40S", "gpusPerNode": 4, "minNodes": 0, "maxNodes": 1},
    }
    models = aws().models
    raw_models = {
        name: {
            "huggingFaceId": model.spec.hugging_face_id,
            "pool": model.spec.pool,
            "minReplicas": 1,
            "maxReplicas": {"qwen": 3, "big": 2}[name],
            "contextLength": 8192,
            "cpuCores": model.spec.cpu_cores,
            "memoryGiB": model.spec.memory_gib,
        }
        for name, model in models.items()
    }
    assert messages(aws(maxHourlyCost="15", gpuPools=pools, models=raw_models)) == []


def test_one_pool_that_can_absorb_the_excess_is_offered_alone() -> None:
    # 3.54888 over: one g6e.12xlarge fewer does it; l4 would have to give four nodes and has only three to give.
    assert messages(aws(maxHourlyCost="22"))[0].endswith(
        "to bring it under $22/h: lower gpuPools.l40s.maxNodes to 1 (saves $10.49/h)"
    )


def test_idle_over_the_limit_offers_scale_to_zero_for_the_model_that_holds_the_node() -> None:
    assert messages(aws(maxIdleHourlyCost="2")) == [
        "maxIdleHourlyCost: 2, but what runs at minimum scale costs $11.92/h ($8,702.94/month) at the list prices of "
        "the catalogue (2026-12-01); it comes from gpuPools.l40s $10.49/h (1 x g6e.12xlarge on-demand, models big); "
        "gpuPools.l4 $0.98/h (1 x g6.2xlarge on-demand, models qwen); system pools and fixed parts $0.45/h; to "
        "bring it under $2/h: let models.big scale to zero (minReplicas 0) (saves $10.49/h)"
    ]


def test_idle_below_what_the_models_need_also_offers_scale_to_zero() -> None:
    config = aws(
        maxIdleHourlyCost="1",
        gpuPools={"l4": {"gpu": "L4", "minNodes": 3, "maxNodes": 4}},
        models={
            "qwen": {
                "huggingFaceId": "Qwen/Qwen2.5-7B-Instruct",
                "pool": "l4",
                "minReplicas": 1,
                "contextLength": 8192,
                "cpuCores": 6,
                "memoryGiB": 24,
            }
        },
    )
    # 2 x 0.1008 + 3 x 0.9776 + 0.25 = 3.3844, 2.3844 over: all three l4 nodes must go (3 x 0.9776), and qwen's
    # replica holds one of them.
    assert messages(config)[0].endswith(
        "to bring it under $1/h: lower gpuPools.l4.minNodes to 0 and let models.qwen scale to zero (minReplicas 0) "
        "(saves $2.93/h)"
    )


def test_idle_from_a_pool_minimum_above_its_models_needs_offers_a_lower_min_nodes() -> None:
    config = aws(
        maxIdleHourlyCost="2.5",
        gpuPools={"l4": {"gpu": "L4", "minNodes": 3, "maxNodes": 4}},
        models={
            "qwen": {
                "huggingFaceId": "Qwen/Qwen2.5-7B-Instruct",
                "pool": "l4",
                "minReplicas": 1,
                "contextLength": 8192,
                "cpuCores": 6,
                "memoryGiB": 24,
            }
        },
    )
    # 3.3844 - 2.5 = 0.8844 over: one l4 node fewer, and qwen still has its one.
    assert messages(config)[0].endswith("to bring it under $2.5/h: lower gpuPools.l4.minNodes to 2 (saves $0.98/h)")


def test_an_unknown_price_means_the_guard_cannot_confirm_and_refuses_naming_it_and_the_override() -> None:
    # prod-azure's model cache (qwen-32b on KServe downloads; qwen-small streams from Blob): the catalogue has no price
    # for Azure Files premium.
    [message] = messages(example("prod-azure", maxHourlyCost="1000"))
    assert message.startswith("maxHourlyCost: 1000, but the ceiling costs $")
    assert message.endswith(
        "the guard cannot confirm it stays under the limit without the price of 1 Azure Files premium caches, "
        "200 GiB; give it in priceOverrides (a machine type's onDemand or spot, a fixed item's usd: docs/manual.md, "
        '"Cost"), add it to components/catalog/prices.json (tools/prices.py), or remove maxHourlyCost'
    )


def test_a_spot_price_the_catalogue_lacks_counts_at_on_demand_so_the_guard_can_confirm_the_limit() -> None:
    # prod-aws's l4-spot pool: no spot price for g6.2xlarge; 6 nodes at its on-demand 0.9776 bound the ceiling.
    assert messages(example("prod-aws", maxHourlyCost="31.42", maxIdleHourlyCost="3.39")) == []


def test_over_the_limit_at_the_on_demand_bound_says_at_most() -> None:
    [message] = messages(example("prod-aws", maxHourlyCost="30"))
    assert message.startswith("maxHourlyCost: 30, but the ceiling costs at most $31.41/h (at most $22,932.57/month)")


def test_price_overrides_give_the_prices_the_catalogue_lacks() -> None:
    overrides = {"azure-files-premium": {"usd": 0.16, "source": "a quote"}}
    assert messages(example("prod-azure", maxHourlyCost="1000", priceOverrides=overrides)) == []


def test_an_existing_cluster_has_nothing_to_bound() -> None:
    assert messages(example("dev", maxIdleHourlyCost="5")) == [
        "maxIdleHourlyCost: 5, but on an existing cluster the stack chooses no machines and has no cost to bound; "
        "remove maxIdleHourlyCost"
    ]


def test_the_guard_stops_the_program_before_anything_is_created() -> None:
    with pytest.raises(ConfigError, match=r"maxHourlyCost: 15, but the ceiling costs \$25\.55/h"):
        build(aws(maxHourlyCost="15"))
