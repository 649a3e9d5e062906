"""A cluster that already exists (kind, k3d, minikube, or any cluster in a kubeconfig)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.catalog.gpus import GpuType
from components.clusters.contract import (
    GPU_TAINT_KEY,
    GROUP_LABEL,
    POOL_LABEL,
    GpuPoolInfo,
    Sharing,
    Toleration,
    gpu_group,
)
from components.clusters.gpu_nodes import DEVICE_PLUGIN_CONFIG_LABEL


@dataclass(frozen=True, kw_only=True)
class ExistingPoolArgs:
    gpu: GpuType
    """The GPU model the pool's nodes carry."""
    gpus_per_node: int
    """GPUs on each node."""
    spot: bool = False
    """Whether the nodes are spot/preemptible (informational on an existing cluster)."""
    priority: int = 10
    """Relative order for autoscalers; nothing is installed for it on an existing cluster."""
    min_nodes: int = 0
    max_nodes: int = 1
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels the nodes already carry, besides `llm-platform/gpu-pool=<pool>`."""
    sharing: Sharing = field(default_factory=Sharing)
    """How the device plugin shares the pool's GPUs (MIG: the nodes must already be partitioned)."""


@dataclass(frozen=True, kw_only=True)
class ExistingClusterArgs:
    cluster_name: str
    """A stable name for the cluster. It is the provider's `cluster_identifier`: a changed kubeconfig
    (a new token, a renamed context) then does not replace every Kubernetes resource."""
    context: str | None = None
    """The kubeconfig context to use; None: the kubeconfig's current context."""
    gpu_pools: Mapping[str, ExistingPoolArgs] = field(default_factory=dict)
    """GPU node groups that already exist, by name. Their nodes must carry `llm-platform/gpu-pool=<name>`."""


class ExistingCluster(pulumi.ComponentResource):
    """Targets a cluster reached through the local kubeconfig; creates nothing in it.

    Example::

        cluster = ExistingCluster("dev", ExistingClusterArgs(cluster_name="llm-dev", context="kind-llm"))
        k8s.core.v1.Namespace("ns", opts=pulumi.ResourceOptions(provider=cluster.provider))
    """

    cluster_name: pulumi.Output[str]
    """The name given in args (an existing cluster is not looked up)."""
    provider: k8s.Provider
    """Kubernetes provider for the cluster, with `cluster_identifier` set."""
    gpu_pools: Mapping[str, GpuPoolInfo]
    """The GPU pools declared in args, as the workloads see them."""

    def __init__(self, name: str, args: ExistingClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:clusters:ExistingCluster", name, None, opts)
        self.cluster_name = pulumi.Output.from_input(args.cluster_name)
        # The kubeconfig is left to the provider (KUBECONFIG or ~/.kube/config): nothing secret passes
        # through the program or its state.
        self.provider = k8s.Provider(
            f"{name}-k8s",
            context=args.context,
            cluster_identifier=args.cluster_name,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.gpu_pools = {
            pool_name: GpuPoolInfo(
                name=pool_name,
                gpu=pool.gpu,
                gpus_per_node=pool.gpus_per_node,
                spot=pool.spot,
                priority=pool.priority,
                min_nodes=pool.min_nodes,
                max_nodes=pool.max_nodes,
                # The nodes must carry these; docs/manual.md says how to label them.
                labels={
                    **pool.labels,
                    POOL_LABEL: pool_name,
                    GROUP_LABEL: gpu_group(pool.gpu, pool.gpus_per_node, pool.sharing),
                    DEVICE_PLUGIN_CONFIG_LABEL: pool_name,
                },
                tolerations=(Toleration(key=GPU_TAINT_KEY, operator="Exists", effect="NoSchedule"),),
                sharing=pool.sharing,
            )
            for pool_name, pool in args.gpu_pools.items()
        }
        self.register_outputs({"clusterName": self.cluster_name})
