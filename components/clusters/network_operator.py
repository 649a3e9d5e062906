"""AKS's InfiniBand in pods, the path of Azure/aks-rdma-infiniband (website/docs/configurations/
01-network-operator.md; configs/nicclusterpolicy/ at 700dabb): NVIDIA's Network Operator (pinned chart), and one
NicClusterPolicy (mellanox.com/v1alpha1) with the DOCA driver container (MOFED on the node) and the RDMA shared
device plugin, which advertises every InfiniBand HCA of a node as `rdma/shared_ib` (components/serving/fabric_pods.py).

Both run on the fabric pools' nodes only (the policy's nodeAffinity on the pool label, where Azure's sample uses the
NFD label of Mellanox's PCI vendor: the pools are known here), tolerating their taints. The namespace is at Pod
Security "privileged": the driver container loads kernel modules, and Azure's guide labels it so.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.clusters.contract import POOL_LABEL, GpuPoolInfo
from components.serving.fabric_pods import RDMA_RESOURCE
from components.serving.metadata import PART_OF, platform_namespace

NAMESPACE = "nvidia-network-operator"
MELLANOX_VENDOR = "15b3"
"""Mellanox's PCI vendor id (NVIDIA's NICs)."""
RDMA_HCA_MAX = 63
"""Pods per node that may share the HCAs (Azure's and NVIDIA's sample value)."""
BLACKLIST_FILE = "/host/etc/modprobe.d/blacklist-ofed-modules.conf"
CHART_VALUES: dict[str, Any] = {
    # Azure's values (configs/values/network-operator/values.yaml): NFD from the chart, without its NodeFeatureRules.
    "nfd": {"deployNodeFeatureRules": False},
}


def rdma_plugin_config() -> str:
    """The RDMA shared device plugin's config: one resource over every Mellanox InfiniBand device of the node."""
    resource_name = RDMA_RESOURCE.split("/", 1)[1]
    selectors = {"vendors": [MELLANOX_VENDOR], "linkTypes": ["infiniband"]}
    return json.dumps(
        {"configList": [{"resourceName": resource_name, "rdmaHcaMax": RDMA_HCA_MAX, "selectors": selectors}]}
    )


def nic_cluster_policy_spec(pools: list[GpuPoolInfo]) -> dict[str, Any]:
    """The policy's spec: the DOCA driver and the RDMA shared device plugin on the fabric pools' nodes."""
    tolerations = list(dict.fromkeys(t for pool in pools for t in pool.tolerations))
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": POOL_LABEL, "operator": "In", "values": sorted(pool.name for pool in pools)}
                        ]
                    }
                ]
            }
        },
        "tolerations": [t.as_input() for t in tolerations],
        "ofedDriver": {
            "repository": "nvcr.io/nvidia/mellanox",
            "image": "doca-driver",
            "version": versions.DOCA_DRIVER_VERSION,
            # Azure's workaround for the module load race (Mellanox/doca-driver-build#52).
            "env": [
                {"name": "OFED_BLACKLIST_MODULES_FILE", "value": "/host/etc/modprobe.d/blacklist-ofed-modules.conf"}
            ],
            "upgradePolicy": {
                "autoUpgrade": True,
                "maxParallelUpgrades": 1,
                "drain": {"enable": True, "force": True, "deleteEmptyDir": True, "timeoutSeconds": 300},
            },
            "startupProbe": {"initialDelaySeconds": 10, "periodSeconds": 20},
            "livenessProbe": {"initialDelaySeconds": 30, "periodSeconds": 30},
            "readinessProbe": {"initialDelaySeconds": 10, "periodSeconds": 30},
        },
        "rdmaSharedDevicePlugin": {
            "repository": "nvcr.io/nvidia/mellanox",
            "image": "k8s-rdma-shared-dev-plugin",
            "version": versions.RDMA_SHARED_DEVICE_PLUGIN_VERSION,
            "config": rdma_plugin_config(),
        },
    }


class NetworkOperator(pulumi.ComponentResource):
    """NVIDIA Network Operator and its NicClusterPolicy: InfiniBand as `rdma/shared_ib` on the fabric pools.

    Example::

        NetworkOperator("network-operator", [pool_info], opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    ready: list[pulumi.Resource]
    """What group pods come after: the policy, whose device plugin advertises their resource."""

    def __init__(self, name: str, pools: list[GpuPoolInfo], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:clusters:NetworkOperator", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace = platform_namespace(f"{name}-namespace", NAMESPACE, level="privileged", opts=child)
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name="network-operator",
            chart="network-operator",
            version=versions.NETWORK_OPERATOR_CHART,
            repository_opts={"repo": versions.NETWORK_OPERATOR_REPO},
            namespace=namespace.metadata.name,
            values=CHART_VALUES,
            max_history=5,
            opts=child,
        )
        policy = k8s.apiextensions.CustomResource(
            f"{name}-nic-cluster-policy",
            api_version="mellanox.com/v1alpha1",
            kind="NicClusterPolicy",
            # The operator reconciles the one policy named `nic-cluster-policy` (its controller's singleton).
            metadata={"name": "nic-cluster-policy", "labels": {"app.kubernetes.io/part-of": PART_OF}},
            spec=nic_cluster_policy_spec(pools),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[release]),
        )
        self.release = release
        self.ready = [release, policy]
        self.register_outputs({})
