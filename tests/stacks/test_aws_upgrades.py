"""prod-aws through a change of its config: a new Kubernetes minor moves every part of the cluster in the order EKS
needs, and a new cache size never leaves a claim the EFS driver cannot resize."""

from __future__ import annotations

from typing import Any

import pytest

from components import versions
from components.serving.cache import SIZE_FIELD
from tests.support import stack_config
from tools.offline import Mode, Registration, reveal, run_program

STACK = "prod-aws"
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"
NODE_AGENTS = {"vpc-cni", "kube-proxy", "eks-pod-identity-agent"}
NEXT_MINOR = "1.35"


def _all(registrations: list[Registration], type_: str) -> list[Registration]:
    return [r for r in registrations if r.type == type_]


def _addons(registrations: list[Registration]) -> dict[str, Registration]:
    return {r.inputs["addonName"]: r for r in _all(registrations, ADDON)}


@pytest.fixture(scope="module")
def upgraded() -> list[Registration]:
    assert stack_config(STACK)["llm-platform:kubernetesVersion"] != NEXT_MINOR, "the test must change the minor"
    return run_program(STACK, Mode.UPDATE, config_overrides={"kubernetesVersion": NEXT_MINOR}).registrations


def test_a_new_minor_moves_the_control_plane_every_node_group_and_every_add_on(upgraded: list[Registration]) -> None:
    [cluster] = _all(upgraded, CLUSTER)
    assert cluster.inputs["version"] == NEXT_MINOR
    groups = _all(upgraded, NODE_GROUP)
    assert {group.name for group in groups} >= {"llm-prod-aws-system"}
    assert len(groups) > 1, "the GPU node groups are there too"
    for group in groups:
        assert group.inputs["version"] == NEXT_MINOR, group.name
    addons = _addons(upgraded)
    assert set(addons) == {*NODE_AGENTS, "coredns", "aws-efs-csi-driver"}
    for name, addon in addons.items():
        assert addon.inputs["addonVersion"] == versions.EKS_ADDON_VERSIONS[name][NEXT_MINOR], name


@pytest.mark.parametrize("mode", Mode.ALL)
def test_node_groups_and_add_ons_are_versioned_in_the_stack_as_written(plans: dict[Any, Any], mode: str) -> None:
    minor = stack_config(STACK)["llm-platform:kubernetesVersion"]
    registrations = plans[(STACK, mode)].run.registrations
    assert {reveal(group.inputs)["version"] for group in _all(registrations, NODE_GROUP)} == {minor}
    for name, addon in _addons(registrations).items():
        assert reveal(addon.inputs)["addonVersion"] == versions.EKS_ADDON_VERSIONS[name][minor], name


def test_an_upgrade_runs_control_plane_then_node_agents_then_node_groups_then_what_runs_on_nodes(
    upgraded: list[Registration],
) -> None:
    # Pulumi updates a resource only after everything it depends on: these edges are the upgrade's order.
    [cluster] = _all(upgraded, CLUSTER)
    addons = _addons(upgraded)
    groups = _all(upgraded, NODE_GROUP)
    [system] = [group for group in groups if group.name == "llm-prod-aws-system"]
    for addon in addons.values():
        assert cluster.urn in addon.dependencies, addon.name
    agents = {addons[name].urn for name in NODE_AGENTS}
    for group in groups:
        assert cluster.urn in group.dependencies, group.name
        assert agents <= set(group.dependencies), group.name
    for name in NODE_AGENTS:
        assert not {group.urn for group in groups} & set(addons[name].dependencies), name
    for name in ("coredns", "aws-efs-csi-driver"):
        assert system.urn in addons[name].dependencies, name


def test_cache_claims_on_efs_keep_their_size_when_the_config_changes(plans: dict[Any, Any]) -> None:
    claims = _all(plans[(STACK, Mode.UPDATE)].run.registrations, CLAIM)
    assert claims, "prod-aws caches its models on EFS"
    for claim in claims:
        assert claim.inputs["spec"]["storageClassName"] == "efs-model-cache"
        assert claim.ignore_changes == [SIZE_FIELD], claim.name


@pytest.mark.parametrize("stack", ["prod-azure", "prod-gcp"])
def test_cache_claims_on_expandable_classes_follow_the_config(stack: str) -> None:
    registrations = run_program(stack, Mode.UPDATE, config_overrides={"modelCacheGiB": "300"}).registrations
    claims = _all(registrations, CLAIM)
    assert claims, f"{stack} caches its models on a ReadWriteMany class"
    for claim in claims:
        assert claim.inputs["spec"]["resources"]["requests"]["storage"] == "300Gi"
        assert claim.ignore_changes == [], claim.name


def test_a_new_minor_changes_each_add_on_to_the_build_pinned_for_it_as_the_plan_shows(
    plans: dict[Any, Any], upgraded: list[Registration]
) -> None:
    # The build is a planned input, so a bump (of the minor, or of a pin) is a diff in the plan, not a lookup at `up`.
    minor = stack_config(STACK)["llm-platform:kubernetesVersion"]
    before = {
        name: reveal(addon.inputs)["addonVersion"]
        for name, addon in _addons(plans[(STACK, Mode.UPDATE)].run.registrations).items()
    }
    after = {name: addon.inputs["addonVersion"] for name, addon in _addons(upgraded).items()}
    for name in ("kube-proxy", "coredns"):
        assert before[name] != after[name], name
    assert before == {name: versions.EKS_ADDON_VERSIONS[name][minor] for name in before}
