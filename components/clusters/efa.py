"""EKS's GPU network between nodes: EFA on a GPU pool. What the pool's launch template, placement group and
security group carry, and the device plugin that hands the interfaces to pods. Pure shapes plus one component.

AWS's EC2 user guide (p5-efa.html, efa-acc-inst-types.html): one EFA interface per network card, card 0 device 0
the primary, every other card device index 1. EFA needs all traffic allowed to and from the security group the
interfaces are in, from and to that group itself (efa-start.html, "Prepare an EFA-enabled security group"); the
rules here name only the pool's own group. A cluster placement group keeps the nodes on one spine, in one zone.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import versions
from components.catalog.fabric import Fabric
from components.clusters.contract import GpuPoolInfo
from components.serving.metadata import platform_namespace

PLUGIN_NAMESPACE = "aws-efa"


def efa_interfaces(fabric: Fabric, security_groups: list[pulumi.Input[str]]) -> list[dict[str, Any]]:
    """The launch template's `network_interfaces`: every network card, card 0 first."""
    return [
        {
            "network_card_index": card,
            "device_index": 0 if card == 0 else 1,
            "interface_type": "efa",
            "security_groups": security_groups,
            "delete_on_termination": "true",
        }
        for card in range(fabric.interfaces)
    ]


def self_rules(name: str, group_id: pulumi.Input[str], opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
    """All traffic in from and out to the pool's own group, and nothing else."""
    ingress = aws.vpc.SecurityGroupIngressRule(
        f"{name}-efa-in",
        security_group_id=group_id,
        referenced_security_group_id=group_id,
        ip_protocol="-1",
        description="EFA: all traffic from the pool's own nodes",
        opts=opts,
    )
    egress = aws.vpc.SecurityGroupEgressRule(
        f"{name}-efa-out",
        security_group_id=group_id,
        referenced_security_group_id=group_id,
        ip_protocol="-1",
        description="EFA: all traffic to the pool's own nodes",
        opts=opts,
    )
    return [ingress, egress]


class EfaDevicePlugin(pulumi.ComponentResource):
    """aws-efa-k8s-device-plugin (eks-charts, pinned): advertises `vpc.amazonaws.com/efa` on the fabric pools'
    nodes. Its namespace is the one Pod Security level that admits the chart's DaemonSet, "privileged": the template
    (eks-charts v0.5.30 templates/daemonset.yaml) hard-codes `hostNetwork: true` and hostPath volumes (the kubelet's
    device-plugin sockets, /dev/infiniband), both forbidden by "baseline", whatever its securityContext value says.

    Example::

        EfaDevicePlugin("efa", [pool_info], opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    def __init__(self, name: str, pools: list[GpuPoolInfo], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:clusters:EfaDevicePlugin", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace = platform_namespace(f"{name}-namespace", PLUGIN_NAMESPACE, level="privileged", opts=child)
        tolerations = list(dict.fromkeys(t for pool in pools for t in pool.tolerations))
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name="aws-efa-k8s-device-plugin",
            chart="aws-efa-k8s-device-plugin",
            version=versions.EFA_DEVICE_PLUGIN_CHART,
            repository_opts={"repo": versions.EKS_CHARTS_REPO},
            namespace=namespace.metadata.name,
            values={"tolerations": [t.as_input() for t in tolerations]},
            max_history=5,
            opts=child,
        )
        self.register_outputs({})
