"""A model past one node, from the stack file: the pool's fabric, the engine, the room for every node of the
group, and what the plan and the cost make of it."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import parse_config
from stacks.cost import stack_cost
from tests.unit.test_config_clouds import aws, azure, gcp, problems

DEEPSEEK = {"huggingFaceId": "deepseek-ai/DeepSeek-V3.1", "pool": "h100", "contextLength": 32768}


def h100(**keys: Any) -> dict[str, Any]:
    return {"h100": {"gpu": "H100", "gpusPerNode": 8, "maxNodes": 2, **keys}}


def test_a_model_past_one_node_on_a_pool_without_fabric_is_refused_with_the_reason() -> None:
    [message] = problems(aws(gpuPools=h100(), models={"ds": DEEPSEEK}))
    assert message.startswith("models.ds: deepseek-ai/DeepSeek-V3.1 does not start")
    assert message.endswith(
        "across nodes it starts on 2 nodes x 8 GPUs (tensor parallel 8 in each node, pipeline parallel 2 across "
        "them): set gpuPools.h100.maxNodes to at least 2 and fabric to true (a GPU network between the nodes: NCCL "
        "over plain TCP between 8-GPU nodes is not a production setup)"
    )


def test_nodes_per_replica_on_a_pool_without_fabric_is_refused_with_the_reason() -> None:
    [message] = problems(aws(gpuPools=h100(), models={"ds": {**DEEPSEEK, "nodesPerReplica": 2}}))
    assert message == (
        "models.ds: needs 2 nodes x 8 GPUs (tensor parallel 8 in each node, pipeline parallel 2 across them) per "
        "replica and pool 'h100' has no GPU network between nodes: set gpuPools.h100.fabric to true (NCCL over "
        "plain TCP between 8-GPU nodes is not a production setup)"
    )


def test_a_pool_without_fabric_never_sizes_past_one_node() -> None:
    """Multi-node sizing needs the GPU network: a model too big for one L4 node keeps the one-node message."""
    pools = {"l4": {"gpu": "L4", "gpusPerNode": 4, "maxNodes": 4}}
    [message] = problems(
        aws(gpuPools=pools, models={"big": {"huggingFaceId": "Qwen/Qwen2.5-72B-Instruct", "pool": "l4"}})
    )
    assert "across nodes" not in message
    assert message.endswith("(or lower contextLength or concurrency)")


@pytest.mark.parametrize(
    ("stack", "instance"),
    [(aws, "p5.48xlarge"), (gcp, "a3-megagpu-8g"), (azure, "Standard_ND96isr_H100_v5")],
)
def test_a_fabric_pool_takes_the_clouds_type_with_a_gpu_network(stack: Any, instance: str) -> None:
    zones = {"zones": ["us-central1-a"]} if stack is gcp else {}
    config = parse_config(stack(gpuPools=h100(fabric=True, **zones), models={"ds": DEEPSEEK}), stack="t")
    assert config.pool_instances["h100"].name == instance
    sizing = config.models["ds"].sizing
    assert (sizing.nodes, sizing.tensor_parallel, config.models["ds"].gpus_per_replica) == (2, 8, 16)


def test_gke_without_fabric_keeps_the_plain_a3_high() -> None:
    config = parse_config(gcp(gpuPools=h100()), stack="t")
    assert config.pool_instances["h100"].name == "a3-highgpu-8g"


def test_fabric_on_a_gpu_no_type_networks_is_refused_naming_the_types_that_do() -> None:
    [message] = problems(aws(gpuPools={"a": {"gpu": "A10G", "gpusPerNode": 8, "fabric": True}}))
    assert message.startswith("gpuPools.a.fabric: true, but no aws type with 8 x A10G has a GPU network")
    assert "'p5.48xlarge'" in message


def test_fabric_with_a_named_type_without_one_is_refused_at_the_instance_type() -> None:
    [message] = problems(gcp(gpuPools=h100(fabric=True, instanceType="a3-highgpu-8g", zones=["us-central1-a"])))
    assert message.startswith("gpuPools.h100.instanceType: 'a3-highgpu-8g' has no GPU network between nodes")
    assert "a3-megagpu-8g (gpudirect-tcpxo, 8 interfaces)" in message


def test_fabric_on_shared_gpus_is_refused() -> None:
    pool = {"gpu": "H100", "gpusPerNode": 8, "fabric": True, "sharing": {"mode": "mig", "migProfile": "1g.10gb"}}
    assert "gpuPools.m.fabric: true needs whole GPUs; the pool shares them (mig)" in problems(aws(gpuPools={"m": pool}))


def test_kserve_past_one_node_is_refused_naming_its_multinode_runtime() -> None:
    [message] = problems(aws(gpuPools=h100(fabric=True), models={"ds": {**DEEPSEEK, "engine": "kserve"}}))
    assert message.startswith("models.ds.engine: 'kserve' cannot serve 2 nodes x 8 GPUs")
    assert "kserve-huggingfaceserver-multinode" in message


def test_max_nodes_must_hold_every_node_of_every_replica() -> None:
    pools = {"h100": {"gpu": "H100", "gpusPerNode": 8, "maxNodes": 3, "fabric": True}}
    [message] = problems(aws(gpuPools=pools, models={"ds": {**DEEPSEEK, "minReplicas": 2, "maxReplicas": 2}}))
    assert (
        message
        == "gpuPools.h100.maxNodes: 3 cannot hold 2 replica(s) of 2 nodes each for models.ds; set it to at least 4"
    )


def test_nodes_per_replica_asks_for_more_stages_than_needed() -> None:
    pools = {"h100": {"gpu": "H100", "gpusPerNode": 8, "maxNodes": 4, "fabric": True}}
    config = parse_config(aws(gpuPools=pools, models={"ds": {**DEEPSEEK, "nodesPerReplica": 4}}), stack="t")
    assert config.models["ds"].sizing.nodes == 4


def test_a_group_costs_all_its_nodes_and_keeps_them_up() -> None:
    config = parse_config(aws(gpuPools=h100(fabric=True), models={"ds": DEEPSEEK}), stack="t")
    cost = stack_cost(config)
    model = cost.models["ds"]
    pool = cost.gpu_pools["h100"]
    assert model.share == "2 whole p5.48xlarge nodes (one group)"
    assert pool.idle_nodes == 2
    assert model.replica.usd == pytest.approx(2 * pool.node_price.usd)


def test_a_fabric_pool_on_gke_names_its_one_zone() -> None:
    [message] = problems(gcp(gpuPools=h100(fabric=True)))
    assert message.startswith("gpuPools.h100.zones: a fabric pool on gcp needs exactly one zone")


def test_a_group_runs_a_fixed_number_of_replicas() -> None:
    [message] = problems(aws(gpuPools=h100(fabric=True, maxNodes=4), models={"ds": {**DEEPSEEK, "maxReplicas": 2}}))
    assert message.startswith("models.ds.maxReplicas: a model past one node runs a fixed number of groups")


def test_a_model_too_big_for_one_node_of_a_fabric_pool_is_told_how_many_nodes_would_start_it() -> None:
    pools = {"h100": {"gpu": "H100", "gpusPerNode": 8, "maxNodes": 1, "fabric": True}}
    [message] = problems(aws(gpuPools=pools, models={"ds": DEEPSEEK}))
    assert message.startswith("models.ds: deepseek-ai/DeepSeek-V3.1 does not start")
    assert message.endswith(
        "across nodes it starts on 2 nodes x 8 GPUs (tensor parallel 8 in each node, pipeline parallel 2 across "
        "them): set gpuPools.h100.maxNodes to at least 2"
    )
