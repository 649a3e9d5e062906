"""The multi-node example stacks, planned: each cloud's fabric resources against the pinned provider's schema and
the cloud's documented shape, and the group workload."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

import pytest

from tools.offline import ROOT, Mode, run_program
from tools.plan import build_plan

GPU_POOL = "h100"
EXAMPLES = ROOT / "examples" / "multinode"
STACKS = ("multinode-aws", "multinode-gcp", "multinode-azure")


@pytest.fixture(scope="module")
def multinode(plans: Mapping[tuple[str, str], Any]) -> dict[tuple[str, str], Any]:
    """The example stacks of examples/multinode/, planned in both modes with every other stack (tests/shared_plans.py;
    tools.offline.planned_stack_names: they are kept out of the root so that the preview and deploy workflows do not
    pick them up)."""
    return {(stack, mode): plans[(stack, mode)] for stack in STACKS for mode in Mode.ALL}


def _resources(plans: dict[Any, Any], stack: str, type_: str) -> list[dict[str, Any]]:
    return [r for r in plans[(stack, Mode.UPDATE)].document["resources"] if r["type"] == type_]


def _one(plans: dict[Any, Any], stack: str, type_: str, suffix: str) -> dict[str, Any]:
    [only] = [r["inputs"] for r in _resources(plans, stack, type_) if r["name"].endswith(suffix)]
    return only


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _sdk_keys(args_dict: type) -> set[str]:
    return set(args_dict.__annotations__)


# --- EKS -----------------------------------------------------------------------------------------------------


def test_eks_fabric_template_has_one_efa_interface_per_p5_network_card_card_zero_first(
    multinode: dict[Any, Any],
) -> None:
    """EC2 user guide p5-efa.html: P5 supports 32 network cards; one EFA interface each, interface 0 on device
    index 0, 1 to 31 on device index 1."""
    template = _one(multinode, "multinode-aws", "aws:ec2/launchTemplate:LaunchTemplate", f"-{GPU_POOL}-template")
    interfaces = template["networkInterfaces"]
    assert [i["networkCardIndex"] for i in interfaces] == list(range(32))
    assert [i["deviceIndex"] for i in interfaces] == [0] + [1] * 31
    assert {i["interfaceType"] for i in interfaces} == {"efa"}


def test_eks_fabric_template_fields_exist_in_pulumi_aws_7_51_1() -> None:
    from pulumi_aws.ec2._inputs import LaunchTemplateNetworkInterfaceArgsDict, LaunchTemplatePlacementArgsDict

    from components.catalog.fabric import FABRICS
    from components.catalog.instances import Cloud
    from components.clusters.efa import efa_interfaces

    assert version("pulumi_aws") == "7.51.1"
    [interface, *_] = efa_interfaces(FABRICS[Cloud.AWS]["p5.48xlarge"], ["sg-1"])
    assert set(interface) <= _sdk_keys(LaunchTemplateNetworkInterfaceArgsDict)
    assert "group_name" in _sdk_keys(LaunchTemplatePlacementArgsDict)


def test_eks_fabric_nodes_share_one_cluster_placement_group_in_one_subnet(multinode: dict[Any, Any]) -> None:
    template = _one(multinode, "multinode-aws", "aws:ec2/launchTemplate:LaunchTemplate", f"-{GPU_POOL}-template")
    group = _one(multinode, "multinode-aws", "aws:ec2/placementGroup:PlacementGroup", f"-{GPU_POOL}-placement")
    nodes = _one(multinode, "multinode-aws", "aws:eks/nodeGroup:NodeGroup", f"-{GPU_POOL}")
    assert group["strategy"] == "cluster"
    assert template["placement"]["groupName"].endswith(f"-{GPU_POOL}-placement")
    assert len(nodes["subnetIds"]) == 1


def test_eks_efa_self_rules_name_only_the_pools_own_security_group(multinode: dict[Any, Any]) -> None:
    template = _one(multinode, "multinode-aws", "aws:ec2/launchTemplate:LaunchTemplate", f"-{GPU_POOL}-template")
    for type_, suffix in (
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "-efa-in"),
        ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "-efa-out"),
    ):
        rule = _one(multinode, "multinode-aws", type_, suffix)
        assert rule["ipProtocol"] == "-1"
        assert rule["referencedSecurityGroupId"] == rule["securityGroupId"]
        assert "cidrIpv4" not in rule
        assert rule["securityGroupId"] in template["networkInterfaces"][0]["securityGroups"]


def test_eks_efa_device_plugin_is_installed_and_group_pods_request_every_interface(multinode: dict[Any, Any]) -> None:
    release = _one(multinode, "multinode-aws", "kubernetes:helm.sh/v3:Release", "efa-release")
    assert (release["chart"], release["version"], release["namespace"]) == (
        "aws-efa-k8s-device-plugin",
        "v0.5.30",
        "aws-efa",
    )
    group = _one(multinode, "multinode-aws", "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet", "")
    [worker] = group["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["containers"]
    assert worker["resources"]["limits"]["vpc.amazonaws.com/efa"] == "32"


def test_the_other_aws_stacks_keep_their_plain_launch_templates(plans: dict[Any, Any]) -> None:
    for resource in _resources(plans, "prod-aws", "aws:ec2/launchTemplate:LaunchTemplate"):
        assert "networkInterfaces" not in resource["inputs"]


# --- GKE -----------------------------------------------------------------------------------------------------


def test_gke_a3_mega_pool_joins_eight_tcpxo_vpcs_with_gvnic_and_compact_placement(multinode: dict[Any, Any]) -> None:
    """GKE GPUDirect-TCPXO: eight GPU NIC VPCs of MTU 8244, one subnet each, gVNIC, COMPACT placement; no
    gpudirectStrategy (the API's enum has only RDMA, for A3 Ultra and A4)."""
    pool = _one(multinode, "multinode-gcp", "gcp:container/nodePool:NodePool", f"-{GPU_POOL}")
    networks = pool["networkConfig"]["additionalNodeNetworkConfigs"]
    assert len(networks) == 8
    assert len({n["network"] for n in networks}) == 8
    assert pool["placementPolicy"] == {"type": "COMPACT"}
    assert pool["nodeLocations"] == ["us-central1-a"]
    assert pool["nodeConfig"]["gvnic"] == {"enabled": True}
    assert "gpudirectStrategy" not in pool["nodeConfig"]
    vpcs = [r["inputs"] for r in _resources(multinode, "multinode-gcp", "gcp:compute/network:Network")]
    assert sorted(v.get("mtu") for v in vpcs if v.get("mtu")) == [8244] * 8


def test_gke_a3_ultra_pool_joins_a_gvnic_vpc_and_one_rdma_vpc_of_eight_subnets_with_the_rdma_strategy(
    plans: dict[Any, Any],
) -> None:
    """GKE GPUDirect-RDMA (examples/multinode/Pulumi.multinode-gcp-rdma.yaml, a3-ultragpu-8g): a gVNIC network beside
    the primary, then one RoCE network with a subnet per GPU NIC; gpudirectStrategy RDMA; COMPACT placement in the
    one zone that sells the type."""
    pool = _one(plans, "multinode-gcp-rdma", "gcp:container/nodePool:NodePool", "-h200")
    networks = pool["networkConfig"]["additionalNodeNetworkConfigs"]
    assert len(networks) == 9
    assert networks[0]["network"].endswith("-gvnic")
    assert {n["network"] for n in networks[1:]} == {networks[1]["network"]}
    assert len({n["subnetwork"] for n in networks[1:]}) == 8
    assert pool["nodeConfig"]["gpudirectStrategy"] == "RDMA"
    assert pool["placementPolicy"] == {"type": "COMPACT"}
    assert pool["nodeLocations"] == ["us-central1-b"]


def test_gke_fabric_fields_exist_in_pulumi_gcp_10_2_0() -> None:
    from pulumi_gcp.container._inputs import (
        NodePoolNetworkConfigAdditionalNodeNetworkConfigArgsDict,
        NodePoolNodeConfigArgsDict,
        NodePoolPlacementPolicyArgsDict,
    )

    assert version("pulumi_gcp") == "10.2.0"
    assert {"network", "subnetwork"} <= _sdk_keys(NodePoolNetworkConfigAdditionalNodeNetworkConfigArgsDict)
    assert {"gvnic", "gpudirect_strategy"} <= _sdk_keys(NodePoolNodeConfigArgsDict)
    assert "type" in _sdk_keys(NodePoolPlacementPolicyArgsDict)


def test_gke_turns_multi_networking_on_only_with_a_fabric_pool(
    multinode: dict[Any, Any], plans: dict[Any, Any]
) -> None:
    [fabric] = [r["inputs"] for r in _resources(multinode, "multinode-gcp", "gcp:container/cluster:Cluster")]
    [plain] = [r["inputs"] for r in _resources(plans, "prod-gcp", "gcp:container/cluster:Cluster")]
    assert fabric["enableMultiNetworking"] is True
    assert fabric["datapathProvider"] == "ADVANCED_DATAPATH"
    assert "enableMultiNetworking" not in plain


# --- AKS -----------------------------------------------------------------------------------------------------


def test_aks_fabric_pool_is_an_nd_h100_v5_in_one_proximity_placement_group(multinode: dict[Any, Any]) -> None:
    """ND H100 v5: 8 x 400 Gb/s NDR InfiniBand per VM; the pool's VMs are kept close by a proximity placement
    group (AgentPool proximityPlacementGroupID)."""
    group = _one(multinode, "multinode-azure", "azure-native:compute:ProximityPlacementGroup", f"-{GPU_POOL}-proximity")
    pool = _one(multinode, "multinode-azure", "azure-native:containerservice:AgentPool", f"-{GPU_POOL}")
    assert group["proximityPlacementGroupType"] == "Standard"
    assert pool["vmSize"] == "Standard_ND96isr_H100_v5"
    assert pool["proximityPlacementGroupID"].endswith(f"-{GPU_POOL}-proximity")


def test_aks_fabric_fields_exist_in_pulumi_azure_native_3_29_0() -> None:
    import inspect

    from pulumi_azure_native import compute, containerservice

    assert version("pulumi_azure_native") == "3.29.0"
    assert "proximity_placement_group_id" in inspect.signature(containerservice.AgentPoolArgs.__init__).parameters
    assert (
        "proximity_placement_group_type" in inspect.signature(compute.ProximityPlacementGroupArgs.__init__).parameters
    )


# --- every cloud ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("mode", [Mode.PREVIEW, Mode.UPDATE])
def test_the_model_runs_as_one_group_of_two_nodes_and_no_deployment(
    multinode: dict[Any, Any], stack: str, mode: Mode
) -> None:
    resources = multinode[(stack, mode)].document["resources"]
    [group] = [r for r in resources if r["type"] == "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet"]
    deployments = [r["name"] for r in resources if r["type"] == "kubernetes:apps/v1:Deployment"]
    assert group["inputs"]["spec"]["leaderWorkerTemplate"]["size"] == 2
    assert not [name for name in deployments if name.startswith("deepseek")]
    crds = [r for r in resources if r["type"] == "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"]
    assert "leaderworkersets.leaderworkerset.x-k8s.io" in [r["inputs"]["metadata"]["name"] for r in crds]


@pytest.mark.parametrize("stack", STACKS)
def test_planning_an_example_twice_gives_the_same_plan(multinode: dict[Any, Any], stack: str, tmp_path: Any) -> None:
    for name in ("__main__.py", "Pulumi.yaml"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / f"Pulumi.{stack}.yaml").symlink_to(EXAMPLES / f"Pulumi.{stack}.yaml")
    again = build_plan(run_program(stack, Mode.UPDATE, root=tmp_path))
    assert again.document == multinode[(stack, Mode.UPDATE)].document


def test_the_plan_diff_names_a_change_of_layout() -> None:
    from tools.plan_facts import _fact_changes, _model_facts

    one_node = {"gpusPerReplica": 8, "replicas": {"min": 1, "max": 1}, "sizing": {"tensorParallel": 8}}
    two_nodes = {
        "gpusPerReplica": 16,
        "replicas": {"min": 1, "max": 1},
        "sizing": {"tensorParallel": 8, "pipelineParallel": 2},
    }
    changes = _fact_changes(_model_facts(one_node), _model_facts(two_nodes))
    assert "pipeline parallel 1 → 2" in changes
    assert "GPUs per replica 8 → 16" in changes


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("mode", [Mode.PREVIEW, Mode.UPDATE])
def test_every_manifest_of_an_example_passes_its_schema(multinode: dict[Any, Any], stack: str, mode: str) -> None:
    """Built-in kinds against the strict API schema of every supported minor; custom resources (the
    LeaderWorkerSet among them) against the vendored CRD schemas in schemas/crds/."""
    from tools.validation import builtin_errors, custom_resource_errors, is_builtin, kubernetes_versions

    errors: dict[str, list[str]] = {}
    for name, body in multinode[(stack, mode)].manifests.items():
        if is_builtin(body):
            found = [e for version in kubernetes_versions() for e in builtin_errors(body, version)]
        else:
            found = custom_resource_errors(body)
        if found:
            errors[name] = found
    assert errors == {}
