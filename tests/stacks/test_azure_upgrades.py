"""prod-azure through a new Kubernetes minor: the control plane, then every pool, the system pool included, as on
EKS (AKS upgrades only the control plane when the pools name no version: Azure/AKS#3087)."""

from __future__ import annotations

import pytest

from tests.support import stack_config
from tools.offline import Mode, Registration, run_program

STACK = "prod-azure"
CLUSTER = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"
NEXT_MINOR = "1.35"


@pytest.fixture(scope="module")
def upgraded() -> list[Registration]:
    assert stack_config(STACK)["llm-platform:kubernetesVersion"] != NEXT_MINOR, "the test must change the minor"
    return run_program(STACK, Mode.UPDATE, config_overrides={"kubernetesVersion": NEXT_MINOR}).registrations


def test_a_new_minor_moves_the_control_plane_and_the_inline_system_pool_in_one_update(
    upgraded: list[Registration],
) -> None:
    [cluster] = [r for r in upgraded if r.type == CLUSTER]
    assert cluster.inputs["kubernetesVersion"] == NEXT_MINOR
    [system] = cluster.inputs["agentPoolProfiles"]
    assert system["mode"] == "System"
    assert system["orchestratorVersion"] == NEXT_MINOR
    # Pulumi sends what no ignore path covers: the version is not kept from the first create.
    assert not [path for path in cluster.ignore_changes if "orchestratorVersion" in path or "[" not in path]


def test_a_new_minor_moves_every_agent_pool_after_the_control_plane(upgraded: list[Registration]) -> None:
    [cluster] = [r for r in upgraded if r.type == CLUSTER]
    pools = [r for r in upgraded if r.type == AGENT_POOL]
    assert {pool.inputs["agentPoolName"] for pool in pools} >= {"general"}
    assert len(pools) > 1, "the GPU pools are there too"
    for pool in pools:
        assert pool.inputs["orchestratorVersion"] == NEXT_MINOR, pool.name
        # Pulumi updates a resource only after everything it depends on: the pool never runs ahead of the control plane.
        assert cluster.urn in pool.dependencies, pool.name
