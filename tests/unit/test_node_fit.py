"""GPU pools get a machine type that holds the pods meant for them, or the config says why none does."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.catalog.allocatable import Resources, room_for_pods
from components.catalog.instances import Cloud, carrying, offered
from components.clusters.gpu_nodes import device_plugin_needed
from components.node_fit import PodShape, node_demand
from stacks.config import ConfigError, StackConfig, parse_config
from tests.support import stack_config
from tools.offline import Mode
from tools.plan import summary

SMALL = "Qwen/Qwen2.5-0.5B-Instruct"


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(raw, stack="test")
    return [str(issue) for issue in error.value.issues]


def azure(**keys: Any) -> dict[str, Any]:
    return {"target": "azure", "region": "eastus2", **keys}


def t4_shared_by(replicas: int, **pool: Any) -> dict[str, Any]:
    return {"gpu": "T4", "sharing": {"mode": "time-slicing", "replicas": replicas}, "maxNodes": 3, **pool}


def small_model(**keys: Any) -> dict[str, Any]:
    return {"huggingFaceId": SMALL, "pool": "t4", "contextLength": 8192, "cpuCores": 3, "memoryGiB": 16, **keys}


def room(config: StackConfig, pool: str) -> Resources:
    assert config.cloud is not None
    return room_for_pods(
        config.cloud,
        config.pool_instances[pool],
        device_plugin=device_plugin_needed(config.cloud),
        monitoring=config.monitoring,
    )


def test_prod_azure_t4_pool_gets_a_vm_whose_allocatable_holds_four_replicas() -> None:
    raw = {key.split(":", 1)[1]: value for key, value in stack_config("prod-azure").items()}
    config = parse_config(raw, stack="prod-azure")
    model = config.models["qwen-small"].spec
    assert (config.gpu_pools["t4"].sharing.replicas, model.cpu_cores, model.memory_gib) == (4, 3, 16)
    # The 4-vCPU/28-GiB NC4as_T4_v3 held one replica; all four slices of the T4 now have their pod.
    assert config.pool_instances["t4"].name == "Standard_NC16as_T4_v3"
    assert room(config, "t4").holds(Resources(4 * 3000, 4 * 16 * 1024))


def test_a_pool_without_models_keeps_the_smallest_type_with_host_memory_for_its_gpus() -> None:
    config = parse_config(azure(gpuPools={"t4": t4_shared_by(4)}), stack="t")
    assert config.pool_instances["t4"].name == "Standard_NC4as_T4_v3"


def test_an_explicit_type_too_small_for_the_pools_pods_is_rejected_with_the_numbers() -> None:
    raw = azure(
        gpuPools={"t4": t4_shared_by(4, instanceType="Standard_NC4as_T4_v3")},
        models={"qwen": small_model(maxReplicas=3)},
    )
    assert problems(raw) == [
        "gpuPools.t4.instanceType: 'Standard_NC4as_T4_v3' cannot hold the pods meant for the pool: up to 4 pods per "
        "node (qwen: 3 CPU, 16 GiB each, at most 4) need 12 CPU and 64 GiB, and it leaves 3.2 CPU and 22 GiB to "
        "pods (4 vCPU, 28 GiB, less what the VM, the kubelet and the GPU node's DaemonSets keep); types with 1 x T4 "
        "that would: 'Standard_NC16as_T4_v3'"
    ]


def test_no_type_that_holds_the_pools_pods_is_a_config_error_naming_the_largest() -> None:
    raw = azure(gpuPools={"t4": t4_shared_by(4)}, models={"qwen": small_model(maxReplicas=3, cpuCores=5)})
    assert problems(raw) == [
        "gpuPools.t4: no azure type with 1 x T4 holds the pods meant for the pool: up to 4 pods per node (qwen: "
        "5 CPU, 16 GiB each, at most 4) need 20 CPU and 64 GiB, and the largest, 'Standard_NC16as_T4_v3', leaves "
        "15 CPU and 97.9 GiB to pods (16 vCPU, 110 GiB, less what the VM, the kubelet and the GPU node's DaemonSets "
        "keep); lower the models' cpuCores, memoryGiB or maxReplicas, or the sharing replicas"
    ]


def test_a_node_holds_the_models_replicas_and_its_surge_pod_not_every_slice() -> None:
    # One replica and the rollout's surge pod, 2 CPU and 16 GiB each: 4 CPU and 32 GiB. The NC4as_T4_v3 holds one
    # such pod, four would need the NC16as_T4_v3; two fit the NC8as_T4_v3 (8 vCPU, 56 GiB).
    config = parse_config(azure(gpuPools={"t4": t4_shared_by(4)}, models={"qwen": small_model(cpuCores=2)}), stack="t")
    assert config.pool_instances["t4"].name == "Standard_NC8as_T4_v3"


def test_models_of_a_stand_in_pool_count_on_every_pool_of_the_group() -> None:
    pools = {"t4": t4_shared_by(4), "t4b": t4_shared_by(4, instanceType="Standard_NC4as_T4_v3")}
    assert problems(azure(gpuPools=pools, models={"qwen": small_model(maxReplicas=3)}))[0].startswith(
        "gpuPools.t4b.instanceType: 'Standard_NC4as_T4_v3' cannot hold the pods meant for the pool: up to 4 pods"
    )


def test_node_demand_takes_the_worst_mix_of_pods_for_each_resource() -> None:
    big = PodShape("big", slots=2, cpu_cores=10, memory_gib=8, most=1)
    small = PodShape("small", slots=1, cpu_cores=1, memory_gib=20, most=5)
    demand = node_demand(3, [big, small])
    # CPU: the big pod and one small (11 cores); memory: three small ones (60 GiB); pods: three small ones.
    assert (demand.pods, demand.requests) == (3, Resources(11_000, 60 * 1024))


_CLOUD_GPUS = [(cloud, gpu, count) for cloud in Cloud for gpu, counts in offered(cloud).items() for count in counts]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    offer=st.sampled_from(_CLOUD_GPUS),
    shared=st.integers(min_value=1, max_value=4),
    cpu=st.integers(min_value=1, max_value=48),
    memory=st.integers(min_value=1, max_value=400),
    replicas=st.integers(min_value=1, max_value=12),
    max_nodes=st.integers(min_value=1, max_value=4),
    monitoring=st.booleans(),
)
def test_the_chosen_type_always_holds_the_pods_of_its_pool(
    offer: tuple[Cloud, Any, int],
    shared: int,
    cpu: int,
    memory: int,
    replicas: int,
    max_nodes: int,
    monitoring: bool,
) -> None:
    cloud, gpu, count = offer
    sharing = {"mode": "time-slicing", "replicas": shared} if shared > 1 else {}
    pool = {"gpu": gpu.value, "gpusPerNode": count, "maxNodes": max_nodes, **({"sharing": sharing} if sharing else {})}
    raw = {
        "target": cloud.value,
        "region": {Cloud.AWS: "us-east-1", Cloud.GCP: "us-central1", Cloud.AZURE: "eastus2"}[cloud],
        **({"gcpProject": "llm-platform-demo"} if cloud is Cloud.GCP else {}),
        "monitoring": monitoring,
        "gpuPools": {"gpus": pool},
        "models": {
            "m": {
                "huggingFaceId": SMALL,
                "pool": "gpus",
                "maxReplicas": replicas,
                "cpuCores": cpu,
                "memoryGiB": memory,
                "contextLength": 2048,
            }
        },
    }
    # Independently of the chooser: a replica takes one slot (0.5B fits a quarter of any GPU); a node holds its
    # slots' worth, but never more than the replicas and the surge pod the group's capacity leaves room for.
    slots = count * shared
    surge = 1 if max_nodes * slots >= replicas + 1 else 0
    pods = min(slots, replicas + surge)
    need = Resources(pods * cpu * 1000, pods * memory * 1024)
    try:
        config = parse_config(raw, stack="t")
    except ConfigError as error:
        # More replicas than the pool's slots at maxNodes is refused on its own (stacks/config/rules/capacity.py).
        overcommit = [i for i in error.issues if i.path == "models.m.maxReplicas"]
        assert bool(overcommit) == (replicas > max_nodes * slots)
        pool_issues = [i for i in error.issues if i.path.startswith("gpuPools.gpus")]
        if not pool_issues:
            assert overcommit
            return
        [issue] = pool_issues
        assert issue.path == "gpuPools.gpus"
        for instance in carrying(cloud, gpu, count):
            assert not room_for_pods(
                cloud, instance, device_plugin=device_plugin_needed(cloud), monitoring=monitoring
            ).holds(need)
        return
    assert replicas <= max_nodes * slots
    assert room(config, "gpus").holds(need)


def test_the_plan_shows_each_cloud_pools_machine_and_what_its_nodes_hold(plans: dict[Any, Any]) -> None:
    plan = plans[("prod-azure", Mode.UPDATE)]
    assert plan.document["outputs"]["gpuPoolMachines"]["t4"] == {
        "instanceType": "Standard_NC16as_T4_v3",
        "vcpus": 16,
        "memoryGiB": 110,
        "podsPerNode": 4,
        "podsNeed": {"cpu": 12.0, "memoryGiB": 64.0},
        # prod-azure runs the DCGM exporter (monitoring): 100m and 128 MiB on every GPU node.
        "roomForPods": {"cpu": 14.9, "memoryGiB": 97.8},
    }
    assert (
        "    machine: Standard_NC16as_T4_v3 (16 vCPU, 110 GiB); model pods per node: up to 4, needing 12 CPU and "
        "64 GiB of the 14.9 CPU and 97.8 GiB it leaves to pods"
    ) in summary(plan).splitlines()
    # An existing cluster's nodes are not chosen here.
    assert "gpuPoolMachines" not in plans[("dev", Mode.UPDATE)].document["outputs"]
