"""An EKS cluster for GPU serving, from raw AWS resources: network, IAM, encryption, logging, add-ons, a
system node group and one managed node group per GPU pool.

The AWS provider flows in through `opts` (`providers=[aws_provider]`); this component creates the one
Kubernetes provider for the cluster.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import versions
from components.catalog.instances import Cloud
from components.clusters.contract import CloudClusterArgs, GpuPoolArgs, GpuPoolInfo
from components.clusters.efa import efa_interfaces, self_rules
from components.clusters.eks_image_cache import MOUNT_SCRIPT, cache_volume
from components.clusters.gpu_nodes import gpu_node_taints, pool_info
from components.clusters.kubeconfig import exec_kubeconfig
from components.clusters.network import subnet_plan

CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
LOG_RETENTION_DAYS = 90
SYSTEM_POOL_LABEL = {"llm-platform/node-role": "system"}
# EKS managed add-ons; the VPC CNI enforces NetworkPolicies itself once asked to (CIS EKS 5.4.4).
ADDONS: dict[str, dict[str, str] | None] = {
    "vpc-cni": {"enableNetworkPolicy": "true"},
    "kube-proxy": None,
    "coredns": None,
    "eks-pod-identity-agent": None,
}
NODE_TEMPLATE_PREFIX = "k8s.io/cluster-autoscaler/node-template"
_TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}


@dataclass(frozen=True, kw_only=True)
class EksClusterArgs(CloudClusterArgs):
    availability_zones: int = 3
    """Zones the VPC and the system node group span."""
    existing_subnet_ids: tuple[str, ...] = ()
    """Private subnets to use instead of creating a VPC."""
    deletion_protection: bool = True
    """EKS refuses to delete the cluster while set."""


def assume_role_policy(service: str) -> str:
    """Trust policy letting an AWS service assume the role (`pods.eks.amazonaws.com`: EKS Pod Identity)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
            ],
        }
    )


def addon_version(addon_name: str, kubernetes_version: str) -> str:
    """The build of an EKS add-on for a Kubernetes minor, pinned in components/versions.py.

    Setting it on the add-on is what moves the add-on when the minor changes: left unset, an add-on keeps the
    version it was created with. Keyed on the configured minor, so the plan shows it; the add-on still updates after
    the control plane, as it takes the cluster's name from its output."""
    return versions.EKS_ADDON_VERSIONS[addon_name][kubernetes_version]


def csi_driver_addon(
    name: str,
    *,
    addon: str,
    managed_policy: str,
    service_account: str,
    cluster_name: pulumi.Input[str],
    kubernetes_version: str,
    nodes: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> aws.eks.Addon:
    """An EKS add-on whose controller acts on AWS with an AWS managed policy through EKS Pod Identity: its role
    `<name>-driver-role`, the policy's attachment, and the add-on `<name>-driver` once the nodes run its pods."""
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        f"{name}-driver-role", assume_role_policy=assume_role_policy("pods.eks.amazonaws.com"), opts=child
    )
    policy = aws.iam.RolePolicyAttachment(
        f"{name}-driver-policy",
        role=role.name,
        policy_arn=aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=parent)).partition.apply(
            lambda partition: managed_policy_arn(partition, managed_policy)
        ),
        opts=child,
    )
    return aws.eks.Addon(
        f"{name}-driver",
        cluster_name=cluster_name,
        addon_name=addon,
        addon_version=addon_version(addon, kubernetes_version),
        pod_identity_associations=[{"role_arn": role.arn, "service_account": service_account}],
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy, *nodes]),
    )


def control_plane_log_group(cluster_name: str) -> str:
    """The name EKS writes control-plane logs to: created by the stack first so retention and key are ours."""
    return f"/aws/eks/{cluster_name}/cluster"


def flow_log_group(cluster_name: str) -> str:
    return f"/aws/vpc/{cluster_name}/flow-logs"


def managed_policy_arn(partition: str, policy: str) -> str:
    """An AWS managed policy's ARN in the account's partition (`aws`, `aws-cn`, `aws-us-gov`)."""
    return f"arn:{partition}:iam::aws:policy/{policy}"


def key_policy(account_id: str, partition: str, *, logs: tuple[str, list[str]] | None = None) -> str:
    """A KMS key policy: the account's IAM policies govern the key (AWS's default key policy, written out), and
    with `logs=(region, log groups)` CloudWatch Logs may use it for exactly those groups (AWS docs,
    "Encrypt log data in CloudWatch Logs using AWS KMS", step 2)."""
    statements: list[dict[str, object]] = [
        {
            "Sid": "EnableIAMUserPermissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if logs is not None:
        region, groups = logs
        statements.append(
            {
                "Sid": "AllowCloudWatchLogs",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            f"arn:{partition}:logs:{region}:{account_id}:log-group:{group}" for group in groups
                        ]
                    }
                },
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def flow_logs_trust_policy(partition: str, region: str, account_id: str) -> str:
    """VPC Flow Logs assumes the role, on behalf of this account's flow logs in this region only (AWS docs, "IAM
    role for publishing flow logs to CloudWatch Logs": the `aws:SourceAccount` and `aws:SourceArn` conditions
    against the confused deputy)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*"},
                    },
                }
            ],
        }
    )


def flow_logs_publish_policy(log_group_arn: str) -> str:
    """What VPC Flow Logs needs to write into one log group (same AWS docs page), and nothing else.

    `logs:DescribeLogGroups` takes no resource but `*` (Service Authorization Reference, CloudWatch Logs: no
    resource type), so on the group's ARN it would grant nothing; it lists groups' names and settings, never
    their events. terraform-aws-vpc grants it on `*` up to v5.20 and, since v5.21 (#1088), on the group's ARN."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [log_group_arn, f"{log_group_arn}:*"],
                },
                {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
            ],
        }
    )


def autoscaler_node_template_tags(pool: GpuPoolInfo, taints: list[tuple[str, str, str]]) -> dict[str, str]:
    """ASG tags from which the cluster-autoscaler learns a node group's labels, taints and GPUs while it has no
    nodes: what makes scale-from-zero work (cluster-autoscaler/cloudprovider/aws/README.md)."""
    prefix = NODE_TEMPLATE_PREFIX
    tags = {f"{prefix}/label/{key}": value for key, value in pool.labels.items()}
    tags.update({f"{prefix}/taint/{key}": f"{value}:{effect}" for key, value, effect in taints})
    tags[f"{prefix}/resources/nvidia.com/gpu"] = str(pool.gpus_per_node)
    return tags


def kubeconfig(
    cluster_name: str, region: str, endpoint: pulumi.Input[str], ca_data: pulumi.Input[str]
) -> pulumi.Output[str]:
    """A kubeconfig that authenticates through `aws eks get-token`."""
    return exec_kubeconfig(
        cluster_name,
        endpoint,
        ca_data,
        {"command": "aws", "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region]},
    )


class EksCluster(pulumi.ComponentResource):
    """A private-by-default EKS cluster with GPU node groups that the cluster-autoscaler can grow from zero.

    Example::

        EksCluster("llm", EksClusterArgs(cluster_name="llm-prod", region="us-east-1", kubernetes_version="1.34",
                   network_cidr="10.0.0.0/16", system_instance_type="m7i.large"),
                   opts=pulumi.ResourceOptions(providers=[aws_provider]))
    """

    cluster_name: pulumi.Output[str]
    """The EKS cluster's name."""
    provider: k8s.Provider
    """Kubernetes provider for the cluster (exec authentication, `cluster_identifier` set)."""
    gpu_pools: Mapping[str, GpuPoolInfo]
    """GPU pools by name; `node_group_id` is the Auto Scaling group's name."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig (a secret) using `aws eks get-token`."""
    eks_cluster: aws.eks.Cluster
    """Escape hatch: the native cluster resource."""
    node_role: aws.iam.Role
    """IAM role of every node."""
    node_subnet_ids: list[pulumi.Input[str]]
    """The private subnets the nodes run in, one per zone."""
    vpc_id: pulumi.Output[str]
    """The cluster's VPC."""
    node_security_group_id: pulumi.Output[str]
    """The EKS cluster security group, which every node carries (no launch template names another)."""
    system_nodes: aws.eks.NodeGroup
    """The system node group: what in-cluster controllers (add-ons included) need to run on."""
    logs_key: aws.kms.Key
    """The KMS key of the stack's CloudWatch log groups."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:clusters:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        self.logs_key = self._logs_key(name, args, partition, account, child)
        subnet_ids = list(args.existing_subnet_ids) or self._network(name, args, partition, account, child)

        cluster_role = aws.iam.Role(
            f"{name}-cluster-role", assume_role_policy=assume_role_policy("eks.amazonaws.com"), opts=child
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=cluster_role.name,
            policy_arn=partition.apply(lambda p: managed_policy_arn(p, "AmazonEKSClusterPolicy")),
            opts=child,
        )
        self.node_role = aws.iam.Role(
            f"{name}-node-role", assume_role_policy=assume_role_policy("ec2.amazonaws.com"), opts=child
        )
        node_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=self.node_role.name,
                policy_arn=partition.apply(lambda p, policy=policy: managed_policy_arn(p, policy)),
                opts=child,
            )
            for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")
        ]
        secrets_key = aws.kms.Key(
            f"{name}-secrets-key",
            description=f"Envelope encryption of Kubernetes secrets in EKS cluster {args.cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(account, partition).apply(lambda ids: key_policy(ids[0], ids[1])),
            opts=child,
        )
        # Created before the cluster so that its retention is ours, not "never expire".
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=control_plane_log_group(args.cluster_name),
            retention_in_days=LOG_RETENTION_DAYS,
            kms_key_id=self.logs_key.arn,
            opts=child,
        )
        public = bool(args.public_api_cidrs)
        self.eks_cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config={
                "subnet_ids": subnet_ids,
                "endpoint_private_access": True,
                "endpoint_public_access": public,
                "public_access_cidrs": list(args.public_api_cidrs) if public else None,
            },
            # Set explicitly: the provider's defaults have changed between releases, and a change here
            # replaces the cluster (pulumi/pulumi-aws#3997, #4096).
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True},
            encryption_config={"provider": {"key_arn": secrets_key.arn}, "resources": ["secrets"]},
            enabled_cluster_log_types=CONTROL_PLANE_LOGS,
            # The add-ons below are managed as EKS add-ons, versioned with the cluster.
            bootstrap_self_managed_addons=False,
            upgrade_policy={"support_type": "STANDARD"},
            deletion_protection=args.deletion_protection,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster_policy, log_group]),
        )
        self.cluster_name = self.eks_cluster.name
        self.node_subnet_ids = subnet_ids
        self.vpc_id = self.eks_cluster.vpc_config.vpc_id
        self.node_security_group_id = self.eks_cluster.vpc_config.cluster_security_group_id

        def addon(addon_name: str, depends_on: list[pulumi.Resource]) -> aws.eks.Addon:
            values = ADDONS[addon_name]
            return aws.eks.Addon(
                f"{name}-addon-{addon_name}",
                cluster_name=self.eks_cluster.name,
                addon_name=addon_name,
                addon_version=addon_version(addon_name, args.kubernetes_version),
                configuration_values=json.dumps(values) if values else None,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
            )

        # The order EKS needs on create and on a minor upgrade alike: control plane, then the node agents (a node
        # joins NotReady without its CNI; kube-proxy may run up to three minors ahead of the kubelet, never ahead
        # of the API server), then the node groups (EKS requires them on the control plane's minor before the next
        # upgrade), then what runs on the nodes (CoreDNS here, the EFS driver in efs.py).
        node_addons = [addon(addon_name, []) for addon_name in ADDONS if addon_name != "coredns"]
        node_prerequisites = [*node_policies, *node_addons]
        system_group = self._node_group(
            f"{name}-system",
            f"{args.cluster_name}-system",
            subnet_ids,
            node_prerequisites,
            ami_type="AL2023_x86_64_STANDARD",
            instance_type=args.system_instance_type,
            capacity="ON_DEMAND",
            scaling=(args.system_nodes, args.system_nodes + 2),
            labels=SYSTEM_POOL_LABEL,
            taints=[],
            root_volume_gib=50,
        )
        self.system_nodes = system_group
        # CoreDNS needs nodes to run on.
        addons = [*node_addons, addon("coredns", [system_group])]

        self.gpu_pools = {}
        for pool_name, pool in args.gpu_pools.items():
            info = pool_info(Cloud.AWS, pool_name, pool)
            taints = [(t.key, t.value, t.effect) for t in gpu_node_taints(Cloud.AWS, info.group)]
            fabric = self._fabric(f"{name}-{pool_name}", pool, child) if pool.fabric is not None else None
            group = self._node_group(
                f"{name}-{pool_name}",
                f"{args.cluster_name}-{pool_name}",
                # A cluster placement group lives in one zone: a fabric pool's nodes take the first subnet's.
                subnet_ids[:1] if fabric is not None else subnet_ids,
                node_prerequisites,
                ami_type="AL2023_x86_64_NVIDIA",
                instance_type=pool.instance.name,
                capacity="SPOT" if pool.spot else "ON_DEMAND",
                scaling=(pool.min_nodes, pool.max_nodes),
                labels=info.labels,
                taints=taints,
                root_volume_gib=pool.disk_gib,
                fast_image_pull=pool.stream_images,
                image_cache=pool.image_cache,
                fabric=fabric,
            )
            asg_name = group.resources.apply(lambda resources: resources[0].autoscaling_groups[0].name)
            info = dataclasses.replace(info, node_group_id=asg_name)
            # Managed node groups do not pass their labels and taints on to the Auto Scaling group.
            for key, value in autoscaler_node_template_tags(info, taints).items():
                aws.autoscaling.Tag(
                    f"{name}-{pool_name}-asg-{_slug(key.removeprefix(NODE_TEMPLATE_PREFIX))}",
                    autoscaling_group_name=asg_name,
                    tag={"key": key, "value": value, "propagate_at_launch": False},
                    opts=child,
                )
            self.gpu_pools[pool_name] = info

        self.kubeconfig = pulumi.Output.secret(
            kubeconfig(
                args.cluster_name,
                args.region,
                self.eks_cluster.endpoint,
                self.eks_cluster.certificate_authority.apply(lambda authority: authority.data),
            )
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            cluster_identifier=args.cluster_name,
            # Kubernetes objects need nodes and the network add-ons to become ready.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system_group, *addons]),
        )
        self.register_outputs({"clusterName": self.cluster_name, "kubeconfig": self.kubeconfig})

    def _network(
        self,
        name: str,
        args: EksClusterArgs,
        partition: pulumi.Output[str],
        account: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> list[pulumi.Output[str]]:
        """A VPC with a private and a public subnet per zone, one NAT gateway per zone; returns the private subnets."""
        plan = subnet_plan(args.network_cidr, args.availability_zones)
        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOutputOptions(parent=self))
        cluster_tag = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"}
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.network_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": args.cluster_name},
            opts=child,
        )
        # Adopting the VPC's default security group with no rules removes the ones AWS created (CIS AWS 5.4).
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, tags={"Name": args.cluster_name}, opts=child)
        self._flow_logs(name, args, vpc.id, partition, account, child)
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": args.cluster_name}, opts=child)
        public_routes = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}],
            tags={"Name": f"{args.cluster_name}-public"},
            opts=child,
        )
        private_ids = []
        for index in range(args.availability_zones):
            zone = zones.names.apply(lambda names, i=index: _zone(names, i, args.region))
            public_subnet = aws.ec2.Subnet(
                f"{name}-public-{index}",
                vpc_id=vpc.id,
                cidr_block=plan.public[index],
                availability_zone=zone,
                tags={**cluster_tag, "Name": f"{args.cluster_name}-public-{index}", "kubernetes.io/role/elb": "1"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}", subnet_id=public_subnet.id, route_table_id=public_routes.id, opts=child
            )
            address = aws.ec2.Eip(f"{name}-nat-{index}", domain="vpc", tags={"Name": args.cluster_name}, opts=child)
            nat = aws.ec2.NatGateway(
                f"{name}-nat-{index}",
                allocation_id=address.id,
                subnet_id=public_subnet.id,
                tags={"Name": f"{args.cluster_name}-{index}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
            )
            private_subnet = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                cidr_block=plan.private[index],
                availability_zone=zone,
                tags={
                    **cluster_tag,
                    "Name": f"{args.cluster_name}-private-{index}",
                    "kubernetes.io/role/internal-elb": "1",
                },
                opts=child,
            )
            private_routes = aws.ec2.RouteTable(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat.id}],
                tags={"Name": f"{args.cluster_name}-private-{index}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}", subnet_id=private_subnet.id, route_table_id=private_routes.id, opts=child
            )
            private_ids.append(private_subnet.id)
        return private_ids

    def _logs_key(
        self,
        name: str,
        args: EksClusterArgs,
        partition: pulumi.Output[str],
        account: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> aws.kms.Key:
        """The key of the stack's CloudWatch log groups, which CloudWatch Logs may use for those groups only."""
        groups = [control_plane_log_group(args.cluster_name)]
        if not args.existing_subnet_ids:
            groups.append(flow_log_group(args.cluster_name))
        return aws.kms.Key(
            f"{name}-logs-key",
            description=f"Encryption of the CloudWatch log groups of EKS cluster {args.cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(account, partition).apply(
                lambda ids: key_policy(ids[0], ids[1], logs=(args.region, groups))
            ),
            opts=child,
        )

    def _flow_logs(
        self,
        name: str,
        args: EksClusterArgs,
        vpc_id: pulumi.Input[str],
        partition: pulumi.Output[str],
        account: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> aws.ec2.FlowLog:
        """Every flow in the VPC (accepted and rejected) to a log group kept as long as the control plane's."""
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=flow_log_group(args.cluster_name),
            retention_in_days=LOG_RETENTION_DAYS,
            kms_key_id=self.logs_key.arn,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=pulumi.Output.all(partition, account).apply(
                lambda ids: flow_logs_trust_policy(ids[0], args.region, ids[1])
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=group.arn.apply(flow_logs_publish_policy),
            opts=child,
        )
        return aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=600,
            tags={"Name": args.cluster_name},
            opts=child,
        )

    def _node_group(
        self,
        name: str,
        group_name: str,
        subnet_ids: list[pulumi.Input[str]] | list[str],
        prerequisites: list[pulumi.Resource],
        *,
        ami_type: str,
        instance_type: str,
        capacity: str,
        scaling: tuple[int, int],
        labels: Mapping[str, str],
        taints: list[tuple[str, str, str]],
        root_volume_gib: int,
        fast_image_pull: bool = False,
        image_cache: str | None = None,
        fabric: dict[str, Any] | None = None,
    ) -> aws.eks.NodeGroup:
        """`image_cache`: the snapshot of a containerd data volume the nodes start with (eks_image_cache.py), as
        large as the root volume."""
        user_data = node_user_data(fast_image_pull=fast_image_pull, image_cache=image_cache is not None)
        template = aws.ec2.LaunchTemplate(
            f"{name}-template",
            # IMDSv2 only, and out of reach of pods (one hop): workloads use Pod Identity, never the node role.
            metadata_options={"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1},
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    "ebs": {
                        "volume_size": root_volume_gib,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "delete_on_termination": "true",
                        **(FAST_IMAGE_PULL_VOLUME if fast_image_pull else {}),
                    },
                },
                *([cache_volume(image_cache, root_volume_gib)] if image_cache else []),
            ],
            **({"user_data": user_data} if user_data else {}),
            update_default_version=True,
            **(fabric or {}),
            opts=pulumi.ResourceOptions(parent=self),
        )
        minimum, maximum = scaling
        return aws.eks.NodeGroup(
            name,
            cluster_name=self.eks_cluster.name,
            node_group_name=group_name,
            node_role_arn=self.node_role.arn,
            # From the cluster's output: the nodes move to a new minor only once the control plane is on it. Left
            # unset, a node group keeps the minor it was created with (the provider then sees no drift).
            version=self.eks_cluster.version,
            subnet_ids=subnet_ids,
            ami_type=ami_type,
            instance_types=[instance_type],
            capacity_type=capacity,
            scaling_config={"min_size": minimum, "max_size": maximum, "desired_size": minimum},
            labels=dict(labels),
            taints=[{"key": key, "value": value, "effect": _TAINT_EFFECTS[effect]} for key, value, effect in taints],
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            update_config={"max_unavailable": 1},
            # The cluster-autoscaler owns the desired size once the group exists.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=prerequisites, ignore_changes=["scalingConfig.desiredSize"]
            ),
        )

    def _fabric(self, name: str, pool: GpuPoolArgs, opts: pulumi.ResourceOptions) -> dict[str, Any]:
        """A fabric pool's launch template additions: every EFA interface, in the cluster's security group (which
        every node carries, and which a launch template with interfaces must name itself) and the pool's own, whose
        self rules are all EFA needs; its cluster placement group."""
        assert pool.fabric is not None
        group = aws.ec2.SecurityGroup(
            f"{name}-efa-sg",
            vpc_id=self.vpc_id,
            description=f"EFA between the nodes of GPU pool {name}",
            tags={"Name": f"{name}-efa"},
            opts=opts,
        )
        self_rules(name, group.id, opts)
        placement = aws.ec2.PlacementGroup(f"{name}-placement", strategy="cluster", opts=opts)
        return {
            "network_interfaces": efa_interfaces(pool.fabric, [self.node_security_group_id, group.id]),
            "placement": {"group_name": placement.name},
        }


# EKS FastImagePull: nodeadm's feature gate (amazon-eks-ami nodeadm/internal/api, `FastImagePull`) turns on the SOCI
# snapshotter's parallel pull and unpack, on nodes of at least 4 vCPU and 7 GiB (containerd.UseSOCISnapshotter: smaller
# ones ignore it silently). AWS documents pulls getting slower with it below 600 MiB/s of root volume throughput; gp3
# allows 0.25 MiB/s per provisioned IOPS, so its baseline 3000 IOPS carry 750 MiB/s.
FAST_IMAGE_PULL_THROUGHPUT_MIBPS = 600
FAST_IMAGE_PULL_VOLUME = {"throughput": FAST_IMAGE_PULL_THROUGHPUT_MIBPS, "iops": 3000}
_NODE_CONFIG_BOUNDARY = "//"


def node_user_data(*, fast_image_pull: bool, image_cache: bool) -> str | None:
    """The launch template's user data (base64 MIME), None when the node needs none: the NodeConfig part turning
    FastImagePull on, and the script mounting the image cache (eks_image_cache.py)."""
    parts: list[list[str]] = []
    if fast_image_pull:
        parts.append(
            [
                "Content-Type: application/node.eks.aws",
                "",
                "apiVersion: node.eks.aws/v1alpha1",
                "kind: NodeConfig",
                "spec:",
                "  featureGates:",
                "    FastImagePull: true",
                "",
            ]
        )
    if image_cache:
        parts.append(['Content-Type: text/x-shellscript; charset="us-ascii"', "", *MOUNT_SCRIPT.splitlines(), ""])
    if not parts:
        return None
    lines = ["MIME-Version: 1.0", f'Content-Type: multipart/mixed; boundary="{_NODE_CONFIG_BOUNDARY}"', ""]
    for part in parts:
        lines += [f"--{_NODE_CONFIG_BOUNDARY}", *part]
    document = "\n".join([*lines, f"--{_NODE_CONFIG_BOUNDARY}--", ""])
    return base64.b64encode(document.encode()).decode()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _zone(names: list[str], index: int, region: str) -> str:
    if index >= len(names):
        raise pulumi.RunError(
            f"availabilityZones: {region} has {len(names)} available zones, fewer than the {index + 1} asked for"
        )
    return names[index]
