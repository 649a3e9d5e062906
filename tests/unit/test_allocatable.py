"""What a GPU node leaves to pods, per cloud: each reservation rule against its source's own numbers."""

from __future__ import annotations

from typing import Any

import pytest

from components.catalog.allocatable import (
    AKS_MAX_PODS,
    CLOUD_NODE_AGENTS,
    DCGM_EXPORTER,
    EKS_ENIS,
    NFD_WORKER,
    Resources,
    allocatable,
    eks_max_pods,
    gpu_node_daemonsets,
)
from components.catalog.gpus import GpuType
from components.catalog.instances import INSTANCES, Cloud, InstanceType, choose_instance
from components.catalog.system_machines import SYSTEM_MACHINES
from components.clusters.aks import AksCluster, AksClusterArgs
from components.clusters.contract import GpuPoolArgs
from tests.support import record

# The VM keeps 7.5% of its nominal memory (Karpenter's estimate) before the kubelet reports capacity.
VISIBLE = 1 - 0.075


def instance(cloud: Cloud, name: str) -> InstanceType:
    return next(i for i in INSTANCES[cloud] if i.name == name)


def test_every_aws_type_has_the_network_interfaces_nodeadm_counts_pods_with() -> None:
    assert set(EKS_ENIS) == {i.name for i in INSTANCES[Cloud.AWS]} | set(SYSTEM_MACHINES[Cloud.AWS])


def test_eks_max_pods_follow_the_eni_formula() -> None:
    # g5.xlarge: 4 interfaces of 15 addresses; the first address of each is the interface's own.
    assert eks_max_pods(instance(Cloud.AWS, "g5.xlarge")) == 4 * 14 + 2 == 58


def test_eks_reserves_as_nodeadm_does() -> None:
    # g5.xlarge, 4 vCPU / 16 GiB: CPU 6% of 1000m + 1% of 1000m + 0.5% of 2000m = 80m; memory 11 x 58 + 255 MiB
    # kube-reserved, plus 100 MiB eviction.
    g5 = instance(Cloud.AWS, "g5.xlarge")
    assert allocatable(Cloud.AWS, g5) == Resources(4000 - 80, int(16 * 1024 * VISIBLE) - (11 * 58 + 255) - 100)


def test_eks_cpu_reservation_takes_a_quarter_percent_of_every_core_above_four() -> None:
    # g5.48xlarge, 192 vCPU: 80m for the first four cores, 0.25% of 188 000m = 470m.
    assert allocatable(Cloud.AWS, instance(Cloud.AWS, "g5.48xlarge")).cpu_millicores == 192_000 - 550


def test_gke_reserves_memory_by_the_documented_tiers() -> None:
    # g2-standard-8, 32 GiB: 25% of 4 GiB + 20% of 4 GiB + 10% of 8 GiB + 6% of 16 GiB = 3645.44 MiB, then 100 MiB.
    g2 = instance(Cloud.GCP, "g2-standard-8")
    assert allocatable(Cloud.GCP, g2) == Resources(8000 - 90, int(32 * 1024 * VISIBLE) - 3645 - 100)


def test_gke_reserves_two_percent_above_128_gib() -> None:
    # a2-highgpu-1g, 85 GiB, stays in the 6% tier; a2-ultragpu-1g, 170 GiB, has 42 GiB at 2%:
    # 1024 + 819.2 + 819.2 + 6881.28 + 860.16 MiB.
    a2 = instance(Cloud.GCP, "a2-ultragpu-1g")
    assert allocatable(Cloud.GCP, a2).memory_mib == int(170 * 1024 * VISIBLE) - 10404 - 100


@pytest.mark.parametrize(
    ("name", "cpu_reserved"),
    [
        ("Standard_NC4as_T4_v3", 140),  # the table's 4 cores
        ("Standard_NC16as_T4_v3", 260),  # the table's 16 cores
        ("Standard_NC64as_T4_v3", 740),  # the table's 64 cores
        ("Standard_NC24ads_A100_v4", 340),  # between 16 and 32: 10m per core, as every step from 8 on
        ("Standard_NC96ads_A100_v4", 1060),  # above the table, the same line
    ],
)
def test_aks_reserves_cpu_by_its_table(name: str, cpu_reserved: int) -> None:
    vm = instance(Cloud.AZURE, name)
    assert allocatable(Cloud.AZURE, vm).cpu_millicores == vm.vcpus * 1000 - cpu_reserved


def test_aks_reserves_20_mb_per_pod_plus_50_mb_and_100_mi_for_eviction() -> None:
    # NC4as_T4_v3, 28 GiB: 20 x 110 + 50 = 2250, less than a quarter of its memory.
    t4 = instance(Cloud.AZURE, "Standard_NC4as_T4_v3")
    assert allocatable(Cloud.AZURE, t4).memory_mib == int(28 * 1024 * VISIBLE) - 2250 - 100


def test_aks_max_pods_is_what_the_azure_stack_gives_its_gpu_pools() -> None:
    t4 = choose_instance(Cloud.AZURE, GpuType.T4, 1)
    assert t4 is not None
    args = AksClusterArgs(
        cluster_name="llm-test",
        region="eastus2",
        kubernetes_version="1.34",
        network_cidr="10.0.0.0/16",
        system_instance_type="Standard_D4ds_v5",
        gpu_pools={"t4": GpuPoolArgs(instance=t4, spot=False, min_nodes=0, max_nodes=1, priority=10)},
    )

    def build() -> dict[str, Any]:
        AksCluster("llm", args)
        return {}

    registered = record(build, config={"llm-platform:region": "eastus2"})
    assert registered.inputs("azure-native:containerservice:AgentPool", "llm-t4")["maxPods"] == AKS_MAX_PODS


@pytest.mark.parametrize("cloud", list(Cloud))
def test_gpu_node_daemonsets_add_ours_to_the_clouds(cloud: Cloud) -> None:
    assert gpu_node_daemonsets(cloud, device_plugin=False, monitoring=False) == CLOUD_NODE_AGENTS[cloud]
    with_plugin = gpu_node_daemonsets(cloud, device_plugin=True, monitoring=False)
    assert with_plugin == CLOUD_NODE_AGENTS[cloud] + NFD_WORKER


def test_dcgm_exporter_counts_where_the_stack_installs_it() -> None:
    assert gpu_node_daemonsets(Cloud.AWS, device_plugin=True, monitoring=True) == (
        CLOUD_NODE_AGENTS[Cloud.AWS] + NFD_WORKER + DCGM_EXPORTER
    )
    # GKE's managed DCGM exporter is one of the cloud's own agents.
    assert gpu_node_daemonsets(Cloud.GCP, device_plugin=False, monitoring=True) == CLOUD_NODE_AGENTS[Cloud.GCP]
