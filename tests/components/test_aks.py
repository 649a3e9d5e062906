"""AksCluster under mocks."""

from __future__ import annotations

import base64
from typing import Any

import pulumi
import pytest
import yaml

from components.catalog.gpus import GpuType
from components.catalog.instances import Cloud, choose_instance
from components.clusters.aks import AksCluster, AksClusterArgs, azure_cli_kubeconfig
from components.clusters.contract import GpuPoolArgs
from tests.support import Registered, record

CLUSTER = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"
A100 = choose_instance(Cloud.AZURE, GpuType.A100_80GB, 1)
ARGS = AksClusterArgs(
    cluster_name="llm-test",
    region="eastus2",
    kubernetes_version="1.34",
    network_cidr="10.0.0.0/16",
    system_instance_type="Standard_D4ds_v5",
    availability_zones=3,
    gpu_pools={"a100spot": GpuPoolArgs(instance=A100, spot=True, min_nodes=0, max_nodes=3, priority=50)},
)


def build() -> dict[str, Any]:
    cluster = AksCluster("llm", ARGS)
    return {
        "kubeconfig": pulumi.Output.unsecret(cluster.kubeconfig),
        "pool": cluster.gpu_pools["a100spot"].node_group_id,
    }


@pytest.fixture(scope="module")
def registered() -> Registered:
    return record(build, config={"llm-platform:region": "eastus2"})


def test_gpu_pools_are_separate_agent_pools(registered: Registered) -> None:
    [inline] = registered.inputs(CLUSTER)["agentPoolProfiles"]
    assert inline["mode"] == "System"
    assert registered.one(CLUSTER).ignore_changes == ["agentPoolProfiles"]
    assert {r.inputs["agentPoolName"] for r in registered.all(AGENT_POOL)} == {"general", "a100spot"}


def test_gpu_pool_is_a_spot_pool_with_the_driver_and_the_gpu_taint(registered: Registered) -> None:
    pool = registered.inputs(AGENT_POOL, "llm-a100spot")
    assert pool["vmSize"] == "Standard_NC24ads_A100_v4"
    assert (pool["scaleSetPriority"], pool["scaleSetEvictionPolicy"], pool["spotMaxPrice"]) == ("Spot", "Delete", -1)
    assert pool["gpuProfile"] == {"driver": "Install"}
    assert pool["nodeTaints"] == ["nvidia.com/gpu=present:NoSchedule"]
    assert (pool["minCount"], pool["maxCount"], pool["count"], pool["enableAutoScaling"]) == (0, 3, 0, True)
    assert registered.one(AGENT_POOL, "llm-a100spot").ignore_changes == ["count"]


def test_spot_gpu_pool_tolerations_include_the_aks_spot_taint(under_mocks: Any) -> None:
    pools: dict[str, Any] = {}
    under_mocks(lambda: pools.update(AksCluster("llm", ARGS).gpu_pools) and None)
    keys = [t.key for t in pools["a100spot"].tolerations]
    assert keys == ["nvidia.com/gpu", "kubernetes.azure.com/scalesetpriority"]


def test_system_pool_takes_only_critical_add_ons(registered: Registered) -> None:
    [inline] = registered.inputs(CLUSTER)["agentPoolProfiles"]
    assert inline["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert inline["availabilityZones"] == ["1", "2", "3"]


def test_whoever_runs_pulumi_is_made_cluster_admin_through_entra_id(registered: Registered) -> None:
    assignment = registered.inputs("azure-native:authorization:RoleAssignment")
    assert assignment["principalId"] == "00000000-0000-0000-0000-000000000002"
    assert assignment["roleDefinitionId"].endswith("/roleDefinitions/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b")


def test_kubeconfig_logs_in_through_the_azure_cli(registered: Registered) -> None:
    config = yaml.safe_load(registered.outputs["kubeconfig"])
    exec_config = config["users"][0]["user"]["exec"]
    assert exec_config["command"] == "kubelogin"
    assert exec_config["args"] == [
        "get-token",
        "--login",
        "azurecli",
        "--server-id",
        "6dae42f8-4368-4678-94ff-3960e28e3630",
    ]


def test_kubeconfig_rewrite_leaves_other_users_alone() -> None:
    original = {"users": [{"name": "u", "user": {"token": "abc"}}]}
    encoded = base64.b64encode(yaml.safe_dump(original).encode()).decode()
    assert yaml.safe_load(azure_cli_kubeconfig(encoded)) == original


def test_private_cluster_without_public_cidrs(registered: Registered) -> None:
    assert registered.inputs(CLUSTER)["apiServerAccessProfile"] == {"enablePrivateCluster": True}


def test_cluster_internal_ranges_avoid_the_vnet(registered: Registered) -> None:
    profile = registered.inputs(CLUSTER)["networkProfile"]
    assert (profile["serviceCidr"], profile["podCidr"]) == ("172.20.0.0/16", "172.24.0.0/14")
    assert registered.inputs("azure-native:network:Subnet")["addressPrefix"] == "10.0.0.0/19"
