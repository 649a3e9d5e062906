"""EksCluster under mocks: network, node groups, autoscaler tags, kubeconfig."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pulumi
import pytest

from components import versions
from components.catalog.gpus import GpuType
from components.catalog.instances import Cloud, choose_instance
from components.clusters.contract import GpuPoolArgs
from components.clusters.eks import EksCluster, EksClusterArgs
from components.clusters.network import subnet_plan
from tests.support import Registered, record

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SUBNET = "aws:ec2/subnet:Subnet"
TAG = "aws:autoscaling/tag:Tag"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"

L4 = choose_instance(Cloud.AWS, GpuType.L4, 1)
ARGS = EksClusterArgs(
    cluster_name="llm-test",
    region="us-east-1",
    kubernetes_version="1.34",
    network_cidr="10.0.0.0/16",
    system_instance_type="m7i.large",
    availability_zones=3,
    gpu_pools={"l4-spot": GpuPoolArgs(instance=L4, spot=True, min_nodes=0, max_nodes=5, priority=50)},
)


def build(args: EksClusterArgs = ARGS) -> Any:
    cluster = EksCluster("llm", args)
    return {"kubeconfig": pulumi.Output.unsecret(cluster.kubeconfig), "asg": cluster.gpu_pools["l4-spot"].node_group_id}


@pytest.fixture(scope="module")
def registered() -> Registered:
    return record(build, config={"llm-platform:region": "us-east-1"})


def test_network_has_a_private_and_a_public_subnet_per_zone(registered: Any) -> None:
    cidrs = sorted(r.inputs["cidrBlock"] for r in registered.all(SUBNET))
    plan = subnet_plan("10.0.0.0/16", 3)
    assert cidrs == sorted([*plan.private, *plan.public])
    zones = sorted(r.inputs["availabilityZone"] for r in registered.all(SUBNET))
    assert zones == ["us-east-1a", "us-east-1a", "us-east-1b", "us-east-1b", "us-east-1c", "us-east-1c"]


def test_node_groups_use_only_private_subnets(registered: Any) -> None:
    private = {r.name for r in registered.all(SUBNET) if "internal-elb" in json.dumps(r.inputs["tags"])}
    assert len(private) == 3
    for group in registered.all(NODE_GROUP):
        assert len(group.inputs["subnetIds"]) == 3
    # In update mode the mock ids are "<name>-id": the node groups' subnets are exactly the private ones.
    assert set(registered.inputs(NODE_GROUP, "llm-l4-spot")["subnetIds"]) == {f"{name}-id" for name in private}


def test_gpu_node_group_runs_the_nvidia_ami_on_the_catalogue_instance(registered: Any) -> None:
    group = registered.inputs(NODE_GROUP, "llm-l4-spot")
    assert group["amiType"] == "AL2023_x86_64_NVIDIA"
    assert group["instanceTypes"] == ["g6.2xlarge"]
    assert group["capacityType"] == "SPOT"
    assert group["nodeGroupName"] == "llm-test-l4-spot"


def test_gpu_node_group_scales_from_zero_within_the_pool_limits(registered: Any) -> None:
    assert registered.inputs(NODE_GROUP, "llm-l4-spot")["scalingConfig"] == {
        "minSize": 0,
        "maxSize": 5,
        "desiredSize": 0,
    }
    assert registered.one(NODE_GROUP, "llm-l4-spot").ignore_changes == ["scalingConfig.desiredSize"]


def test_gpu_node_group_is_tainted_and_labelled_for_the_autoscaler_and_device_plugin(registered: Any) -> None:
    group = registered.inputs(NODE_GROUP, "llm-l4-spot")
    assert group["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert group["labels"] == {
        "llm-platform/gpu-pool": "l4-spot",
        "llm-platform/gpu-group": "l4-x1",
        "nvidia.com/gpu.present": "true",
        "nvidia.com/device-plugin.config": "l4-spot",
        "k8s.amazonaws.com/accelerator": "nvidia-l4",
    }


def test_system_node_group_is_untainted_standard_al2023(registered: Any) -> None:
    group = registered.inputs(NODE_GROUP, "llm-system")
    assert group["amiType"] == "AL2023_x86_64_STANDARD"
    assert group["taints"] == []
    assert group["scalingConfig"] == {"minSize": 2, "maxSize": 4, "desiredSize": 2}


def test_asg_carries_node_template_tags_for_scale_from_zero(registered: Any) -> None:
    tags = {r.inputs["tag"]["key"]: r.inputs for r in registered.all(TAG)}
    prefix = "k8s.io/cluster-autoscaler/node-template"
    assert tags[f"{prefix}/taint/nvidia.com/gpu"]["tag"]["value"] == "present:NoSchedule"
    assert tags[f"{prefix}/resources/nvidia.com/gpu"]["tag"]["value"] == "1"
    assert tags[f"{prefix}/label/llm-platform/gpu-pool"]["tag"]["value"] == "l4-spot"
    assert tags[f"{prefix}/label/k8s.amazonaws.com/accelerator"]["tag"]["value"] == "nvidia-l4"
    asg = "eks-llm-test-l4-spot-0ac9f2b4-1d2e-4f5a-9b8c-7d6e5f4a3b2c"
    assert {t["autoscalingGroupName"] for t in tags.values()} == {asg}
    assert registered.outputs["asg"] == asg


def test_launch_templates_require_imdsv2_out_of_pods_reach_and_encrypt_disks(registered: Any) -> None:
    for template in registered.all(TEMPLATE):
        assert template.inputs["metadataOptions"] == {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
        }
        [disk] = template.inputs["blockDeviceMappings"]
        assert disk["ebs"]["encrypted"] == "true"


def test_vpc_cni_enforces_network_policies(registered: Any) -> None:
    addons = {r.inputs["addonName"]: r.inputs for r in registered.all(ADDON)}
    assert set(addons) == {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"}
    assert json.loads(addons["vpc-cni"]["configurationValues"]) == {"enableNetworkPolicy": "true"}


def test_kubeconfig_authenticates_through_aws_eks_get_token(registered: Any) -> None:
    config = json.loads(registered.outputs["kubeconfig"])
    [user] = config["users"]
    assert user["user"]["exec"]["command"] == "aws"
    assert user["user"]["exec"]["args"] == ["eks", "get-token", "--cluster-name", "llm-test", "--region", "us-east-1"]
    assert config["clusters"][0]["cluster"]["server"].startswith("https://")
    assert "token" not in json.dumps(user["user"]).replace("get-token", "")


def test_kubernetes_provider_has_the_cluster_name_as_identifier(registered: Any) -> None:
    provider = registered.inputs("pulumi:providers:kubernetes")
    assert provider["clusterIdentifier"] == "llm-test"
    assert provider["kubeconfig"] == "[secret]"


def test_private_endpoint_only_unless_cidrs_are_given(registered: Any) -> None:
    vpc_config = registered.inputs(CLUSTER)["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc_config


def test_public_endpoint_is_restricted_to_the_given_cidrs(under_mocks: Any) -> None:
    registered = under_mocks(lambda: build(dataclasses.replace(ARGS, public_api_cidrs=("203.0.113.0/24",))))
    vpc_config = registered.inputs(CLUSTER)["vpcConfig"]
    assert vpc_config["endpointPublicAccess"] is True
    assert vpc_config["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_existing_subnets_replace_the_network(under_mocks: Any) -> None:
    subnets = ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
    registered = under_mocks(lambda: build(dataclasses.replace(ARGS, existing_subnet_ids=subnets)))
    assert registered.all(SUBNET) == []
    assert registered.all("aws:ec2/vpc:Vpc") == []
    assert registered.inputs(CLUSTER)["vpcConfig"]["subnetIds"] == list(subnets)


def test_nodes_join_after_their_network_add_on_and_coredns_waits_for_nodes(registered: Registered) -> None:
    cni = registered.one(ADDON, "llm-addon-vpc-cni").urn
    for group in registered.all(NODE_GROUP):
        assert cni in group.dependencies, group.name
    assert registered.one(NODE_GROUP, "llm-system").urn in registered.one(ADDON, "llm-addon-coredns").dependencies


def test_node_groups_take_their_minor_from_the_control_plane(registered: Registered) -> None:
    cluster = registered.one(CLUSTER)
    for group in registered.all(NODE_GROUP):
        assert group.inputs["version"] == ARGS.kubernetes_version, group.name
        assert cluster.urn in group.dependencies, group.name


def test_every_add_on_runs_the_build_pinned_for_the_minor_never_a_lookup_of_the_newest(registered: Registered) -> None:
    # A lookup of the newest build (most_recent) moved the add-ons on any `pulumi up`, unseen by the offline plan.
    assert {addon.inputs["addonName"] for addon in registered.all(ADDON)} == {
        "vpc-cni",
        "kube-proxy",
        "coredns",
        "eks-pod-identity-agent",
    }
    for addon in registered.all(ADDON):
        name = addon.inputs["addonName"]
        assert addon.inputs["addonVersion"] == versions.EKS_ADDON_VERSIONS[name][ARGS.kubernetes_version], name


def test_every_arn_the_stack_writes_is_in_the_accounts_partition() -> None:
    # China's and GovCloud's regions are partitions of their own: `arn:aws:` names nothing there.
    region = "cn-north-1"
    registered = record(lambda: build(dataclasses.replace(ARGS, region=region)), config={"llm-platform:region": region})
    written = [
        *(r.inputs["assumeRolePolicy"] for r in registered.all("aws:iam/role:Role")),
        *(r.inputs["policy"] for r in registered.all("aws:iam/rolePolicy:RolePolicy")),
        *(r.inputs["policy"] for r in registered.all("aws:kms/key:Key")),
        *(r.inputs["policyArn"] for r in registered.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")),
    ]
    arns = [arn for text in written for arn in re.findall(r"arn:[^:\"]*:", text)]
    assert arns
    assert set(arns) == {"arn:aws-cn:"}


def _flow_logs_role(registered: Registered, type_: str, key: str) -> list[dict[str, Any]]:
    [document] = [r.inputs[key] for r in registered.all(type_) if r.name.startswith("llm-flow-logs")]
    return json.loads(document)["Statement"]


def test_only_this_accounts_flow_logs_in_this_region_may_assume_the_flow_logs_role(registered: Registered) -> None:
    [trust] = _flow_logs_role(registered, "aws:iam/role:Role", "assumeRolePolicy")
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*"},
    }


def test_flow_logs_write_only_their_group_and_list_groups_where_iam_can_scope_nothing(registered: Registered) -> None:
    # logs:DescribeLogGroups has no resource type (Service Authorization Reference): on a group's ARN it grants nothing.
    statements = _flow_logs_role(registered, "aws:iam/rolePolicy:RolePolicy", "policy")
    describe = [s for s in statements if "logs:DescribeLogGroups" in json.dumps(s["Action"])]
    assert [s["Resource"] for s in describe] == ["*"]
    assert describe[0]["Action"] == "logs:DescribeLogGroups"
    [write] = [s for s in statements if s is not describe[0]]
    assert "logs:PutLogEvents" in write["Action"]
    group, streams = write["Resource"]
    assert group.endswith("flow-logs")
    assert streams == f"{group}:*"
