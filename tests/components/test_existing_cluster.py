"""ExistingCluster under mocks."""

from __future__ import annotations

from typing import Any

from components.catalog.gpus import GpuType
from components.clusters.existing import ExistingCluster, ExistingClusterArgs, ExistingPoolArgs

PROVIDER = "pulumi:providers:kubernetes"


def test_provider_has_a_stable_cluster_identifier_and_the_chosen_context(under_mocks: Any) -> None:
    registered = under_mocks(
        lambda: ExistingCluster("dev", ExistingClusterArgs(cluster_name="llm-dev", context="kind-x")) and None
    )
    provider = registered.inputs(PROVIDER)
    assert provider["clusterIdentifier"] == "llm-dev"
    assert provider["context"] == "kind-x"


def test_no_kubeconfig_content_passes_through_the_program(under_mocks: Any) -> None:
    registered = under_mocks(lambda: ExistingCluster("dev", ExistingClusterArgs(cluster_name="llm-dev")) and None)
    assert "kubeconfig" not in registered.inputs(PROVIDER)


def test_gpu_pools_are_selected_by_the_pool_label_and_tolerate_the_gpu_taint(under_mocks: Any) -> None:
    pools: dict[str, Any] = {}

    def program() -> None:
        cluster = ExistingCluster(
            "dev",
            ExistingClusterArgs(
                cluster_name="llm-dev",
                gpu_pools={"l4": ExistingPoolArgs(gpu=GpuType.L4, gpus_per_node=1, labels={"team": "ml"})},
            ),
        )
        pools.update(cluster.gpu_pools)

    under_mocks(program)
    assert pools["l4"].node_selector == {"llm-platform/gpu-pool": "l4"}
    assert pools["l4"].labels == {
        "team": "ml",
        "llm-platform/gpu-pool": "l4",
        "llm-platform/gpu-group": "l4-x1",
        "nvidia.com/device-plugin.config": "l4",
    }
    assert [t.as_input() for t in pools["l4"].tolerations] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert pools["l4"].gpu_memory_gib == 24
