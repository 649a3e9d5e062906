"""C2/C3 of ../shared/SECURITY.md: the cluster settings behind the CIS benchmarks, asserted on the inputs every
cloud stack sends its provider. Each test names the checkov check (or the CIS item checkov lacks) it stands for.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components import versions
from tools.offline import ROOT, Mode, stack_names


def _target(stack: str) -> str:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return config["llm-platform:target"]


def _stack_config(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


AWS_STACKS = [stack for stack in stack_names() if _target(stack) == "aws"]


def _resources(plans: dict[Any, Any], stack: str, type_: str) -> list[dict[str, Any]]:
    return [r["inputs"] for r in plans[(stack, Mode.UPDATE)].document["resources"] if r["type"] == type_]


def _one(plans: dict[Any, Any], stack: str, type_: str) -> dict[str, Any]:
    [only] = _resources(plans, stack, type_)
    return only


def test_every_cloud_has_an_example_stack() -> None:
    assert AWS_STACKS


# --- EKS ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_logs_every_control_plane_component(plans: dict[Any, Any], stack: str) -> None:  # CKV_AWS_37
    logs = _one(plans, stack, "aws:eks/cluster:Cluster")["enabledClusterLogTypes"]
    assert set(logs) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_public_endpoint_is_off_or_restricted_with_a_reason(plans: dict[Any, Any], stack: str) -> None:
    vpc_config = _one(plans, stack, "aws:eks/cluster:Cluster")["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    if vpc_config["endpointPublicAccess"]:  # CKV_AWS_39 waived only with a stated reason
        assert _stack_config(stack).get("llm-platform:publicApiReason")
        assert vpc_config["publicAccessCidrs"]  # CKV_AWS_38
        assert "0.0.0.0/0" not in vpc_config["publicAccessCidrs"]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_encrypts_secrets_with_a_rotating_kms_key(plans: dict[Any, Any], stack: str) -> None:  # CKV_AWS_58
    encryption = _one(plans, stack, "aws:eks/cluster:Cluster")["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"].startswith("arn:aws:kms:")
    assert _one(plans, stack, "aws:kms/key:Key")["enableKeyRotation"] is True


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_runs_a_supported_version(plans: dict[Any, Any], stack: str) -> None:  # CKV_AWS_339
    assert _one(plans, stack, "aws:eks/cluster:Cluster")["version"] in versions.SUPPORTED_KUBERNETES_VERSIONS


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_authenticates_through_access_entries(plans: dict[Any, Any], stack: str) -> None:  # CIS EKS 4.1.7
    assert _one(plans, stack, "aws:eks/cluster:Cluster")["accessConfig"]["authenticationMode"] == "API"


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_nodes_allow_no_ssh(plans: dict[Any, Any], stack: str) -> None:  # CKV_AWS_100
    for group in _resources(plans, stack, "aws:eks/nodeGroup:NodeGroup"):
        assert "remoteAccess" not in group


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_nodes_require_imdsv2_with_one_hop(plans: dict[Any, Any], stack: str) -> None:  # CKV_AWS_79, CKV_AWS_341
    templates = _resources(plans, stack, "aws:ec2/launchTemplate:LaunchTemplate")
    assert len(templates) == len(_resources(plans, stack, "aws:eks/nodeGroup:NodeGroup"))
    for template in templates:
        assert template["metadataOptions"]["httpTokens"] == "required"
        assert template["metadataOptions"]["httpPutResponseHopLimit"] <= 1


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_nodes_live_in_private_subnets_only(plans: dict[Any, Any], stack: str) -> None:  # CIS EKS 5.4.3
    resources = plans[(stack, Mode.UPDATE)].document["resources"]
    public = {
        f"{r['name']}-id"
        for r in resources
        if r["type"] == "aws:ec2/subnet:Subnet" and "kubernetes.io/role/elb" in r["inputs"]["tags"]
    }
    subnets = {s for group in _resources(plans, stack, "aws:eks/nodeGroup:NodeGroup") for s in group["subnetIds"]}
    assert subnets
    assert subnets.isdisjoint(public)
    for subnet in resources:
        if subnet["type"] == "aws:ec2/subnet:Subnet":
            assert subnet["inputs"].get("mapPublicIpOnLaunch") in (None, False)


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_enforces_network_policies(plans: dict[Any, Any], stack: str) -> None:  # CIS EKS 5.4.4
    addons = {a["addonName"]: a for a in _resources(plans, stack, "aws:eks/addon:Addon")}
    assert '"enableNetworkPolicy": "true"' in addons["vpc-cni"]["configurationValues"]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_gpu_node_groups_use_the_nvidia_al2023_ami(plans: dict[Any, Any], stack: str) -> None:
    groups = _resources(plans, stack, "aws:eks/nodeGroup:NodeGroup")
    gpu_groups = [g for g in groups if "nvidia.com/gpu.present" in g["labels"]]
    assert gpu_groups
    for group in gpu_groups:
        assert group["amiType"] == "AL2023_x86_64_NVIDIA"
        assert "k8s.amazonaws.com/accelerator" in group["labels"]
