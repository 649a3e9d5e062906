"""A model's maxReplicas must fit its pool and the pools standing in for it at maxNodes (rules/capacity.py)."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import ConfigError, StackConfig, parse_config


def stack(max_replicas: int, **pools: dict[str, Any]) -> StackConfig:
    # Qwen3-32B on L40S runs tensor parallel 2: a 4-GPU node holds two replicas.
    return parse_config(
        {
            "target": "aws",
            "region": "us-east-1",
            "gpuPools": pools or {"l40s": {"gpu": "L40S", "gpusPerNode": 4, "maxNodes": 2}},
            "models": {
                "qwen3-32b": {
                    "huggingFaceId": "Qwen/Qwen3-32B",
                    "pool": "l40s",
                    "contextLength": 8192,
                    "maxReplicas": max_replicas,
                    "cpuCores": 8,
                    "memoryGiB": 64,
                }
            },
        },
        stack="capacity",
    )


def problems(max_replicas: int, **pools: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as error:
        stack(max_replicas, **pools)
    return [str(issue) for issue in error.value.issues]


def test_max_replicas_beyond_what_the_pool_holds_is_refused_with_both_ways_out() -> None:
    # 9 replicas x TP 2 = 18 GPUs on 2 x 4 = 8: four replicas fit; five more need three more nodes.
    assert stack(4).models["qwen3-32b"].gpus_per_replica == 2
    assert problems(9) == [
        "models.qwen3-32b.maxReplicas: 9 replicas of 2 GPUs each, but gpuPools.l40s hold at most 4 at maxNodes: the "
        "others would wait Pending; lower maxReplicas to 4 or raise gpuPools.l40s.maxNodes to 5"
    ]


def test_the_pools_standing_in_count_towards_what_the_model_can_reach() -> None:
    spot = {"gpu": "L40S", "gpusPerNode": 4, "maxNodes": 2, "capacity": "spot", "priority": 50}
    on_demand = {"gpu": "L40S", "gpusPerNode": 4, "maxNodes": 2}
    assert stack(8, l40s=on_demand, **{"l40s-spot": spot}).models["qwen3-32b"].max_replicas == 8
    assert problems(9, l40s=on_demand, **{"l40s-spot": spot}) == [
        "models.qwen3-32b.maxReplicas: 9 replicas of 2 GPUs each, but gpuPools.l40s and its stand-ins l40s-spot hold "
        "at most 8 at maxNodes: the others would wait Pending; lower maxReplicas to 8 or raise "
        "gpuPools.l40s.maxNodes to 3"
    ]


def test_a_pool_of_another_gpu_count_does_not_stand_in() -> None:
    other = {"gpu": "L40S", "gpusPerNode": 8, "maxNodes": 4}
    [message] = problems(5, l40s={"gpu": "L40S", "gpusPerNode": 4, "maxNodes": 2}, big=other)
    assert "hold at most 4 at maxNodes" in message


def test_models_sharing_a_pool_may_together_ask_for_more_than_it_holds() -> None:
    config = parse_config(
        {
            "target": "aws",
            "region": "us-east-1",
            "gpuPools": {"l4": {"gpu": "L4", "maxNodes": 2}},
            "models": {
                name: {
                    "huggingFaceId": "Qwen/Qwen2.5-7B-Instruct",
                    "pool": "l4",
                    "contextLength": 8192,
                    "maxReplicas": 2,
                    "cpuCores": 6,
                    "memoryGiB": 24,
                }
                for name in ("chat", "batch")
            },
        },
        stack="shared",
    )
    assert sum(model.max_replicas for model in config.models.values()) == 4
