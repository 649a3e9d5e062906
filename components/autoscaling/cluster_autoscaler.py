"""The Kubernetes cluster-autoscaler on EKS: pinned Helm release, IAM through EKS Pod Identity, auto-discovery of
the node groups by tag, and the priority expander ahead of least-waste.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import versions
from components.autoscaling.priority_expander import NAMESPACE
from components.clusters.eks import assume_role_policy

SERVICE_ACCOUNT = "cluster-autoscaler"
# cluster-autoscaler/cloudprovider/aws/README.md, "Full Cluster Autoscaler Features Policy (Recommended)".
DESCRIBE_ACTIONS = [
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
]
# The one describe action IAM can scope to a resource: the node groups of this cluster only.
NODE_GROUP_ACTIONS = ["eks:DescribeNodegroup"]
SCALE_ACTIONS = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]


def autoscaler_policy(cluster_name: str, partition: str) -> str:
    """Describe anything but other clusters' node groups; scale only the Auto Scaling groups EKS tagged as this
    cluster's. `partition`: the account's (`aws`, `aws-cn`, `aws-us-gov`)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": DESCRIBE_ACTIONS, "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Action": NODE_GROUP_ACTIONS,
                    "Resource": f"arn:{partition}:eks:*:*:nodegroup/{cluster_name}/*",
                },
                {
                    "Effect": "Allow",
                    "Action": SCALE_ACTIONS,
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}
                    },
                },
            ],
        }
    )


def autoscaler_values(
    cluster_name: str, region: str, kubernetes_version: str, system_selector: dict[str, str]
) -> dict[str, Any]:
    return {
        "cloudProvider": "aws",
        "awsRegion": region,
        "autoDiscovery": {"clusterName": cluster_name},
        "image": {"tag": versions.CLUSTER_AUTOSCALER_IMAGES[kubernetes_version]},
        "rbac": {"serviceAccount": {"create": True, "name": SERVICE_ACCOUNT}},
        "extraArgs": {
            # Grow the highest-priority pool that fits; among equals, the one that wastes least.
            "expander": "priority,least-waste",
            # A model cache in an emptyDir must not pin an idle GPU node forever.
            "skip-nodes-with-local-storage": False,
            "scale-down-unneeded-time": "10m",
            # GPU nodes take minutes to register and start the device plugin.
            "max-node-provision-time": "15m",
        },
        # The ConfigMap is ours (PriorityExpander): leaving this empty keeps the chart from rendering a second one.
        "expanderPriorities": {},
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": system_selector,
        "podDisruptionBudget": {"maxUnavailable": 1},
        "resources": {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "600Mi"}},
        "containerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
    }


@dataclass(frozen=True, kw_only=True)
class ClusterAutoscalerArgs:
    cluster_name: pulumi.Input[str]
    """EKS cluster whose node groups to scale."""
    cluster_name_plain: str
    """The same name as plain text: it ends up in IAM conditions and auto-discovery tags."""
    region: str
    kubernetes_version: str
    """Minor version; picks the autoscaler image of the same minor."""
    system_selector: dict[str, str]
    """Node labels of the system pool the autoscaler runs on."""


class ClusterAutoscaler(pulumi.ComponentResource):
    """cluster-autoscaler with `--expander=priority,least-waste` and least-privilege IAM via Pod Identity.

    Example::

        ClusterAutoscaler("ca", ClusterAutoscalerArgs(...), opts=pulumi.ResourceOptions(providers=[aws_p, k8s_p]))
    """

    release: k8s.helm.v3.Release
    """The Helm release."""

    def __init__(self, name: str, args: ClusterAutoscalerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:autoscaling:ClusterAutoscaler", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(f"{name}-role", assume_role_policy=assume_role_policy("pods.eks.amazonaws.com"), opts=child)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=partition.apply(lambda partition: autoscaler_policy(args.cluster_name_plain, partition)),
            opts=child,
        )
        association = aws.eks.PodIdentityAssociation(
            f"{name}-identity",
            cluster_name=args.cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            role_arn=role.arn,
            opts=child,
        )
        values = autoscaler_values(args.cluster_name_plain, args.region, args.kubernetes_version, args.system_selector)
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name="cluster-autoscaler",
            chart="cluster-autoscaler",
            version=versions.CLUSTER_AUTOSCALER_CHART,
            repository_opts={"repo": versions.CLUSTER_AUTOSCALER_REPO},
            namespace=NAMESPACE,
            # The priority ConfigMap may come before or after: the autoscaler watches it and reloads.
            values=values,
            max_history=5,
            # Credentials come from the association; without it the autoscaler starts and fails every call.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[association]),
        )
        self.register_outputs({"releaseName": self.release.name})
