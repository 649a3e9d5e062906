"""What every cluster component (EKS, GKE, AKS, existing) hands to the workloads that run on it.

The in-cluster components (device plugin, autoscaler priorities, serving) depend on this contract only,
never on a cloud's cluster module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pulumi
import pulumi_kubernetes as k8s

from components.catalog.gpus import GPUS, GpuType
from components.catalog.instances import InstanceType

POOL_LABEL = "llm-platform/gpu-pool"
"""Node label every GPU pool carries (value: the pool's name); GPU workloads select their pool with it."""

GPU_TAINT_KEY = "nvidia.com/gpu"


@dataclass(frozen=True)
class Toleration:
    key: str
    operator: str
    effect: str
    value: str | None = None

    def as_input(self) -> dict[str, str]:
        body = {"key": self.key, "operator": self.operator, "effect": self.effect}
        if self.value is not None:
            body["value"] = self.value
        return body


@dataclass(frozen=True, kw_only=True)
class GpuPoolInfo:
    """A GPU pool as the workloads see it: plain data, known when the program starts."""

    name: str
    gpu: GpuType
    gpus_per_node: int
    spot: bool
    priority: int
    min_nodes: int
    max_nodes: int
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on every node of the pool, including POOL_LABEL."""
    tolerations: tuple[Toleration, ...] = ()
    """What a pod needs to tolerate to run on the pool."""
    node_group_id: pulumi.Output[str] | None = None
    """The cloud's identifier of the group (ASG, MIG or VMSS name); None on existing clusters."""

    @property
    def gpu_memory_gib(self) -> int:
        return GPUS[self.gpu].memory_gib

    @property
    def node_selector(self) -> dict[str, str]:
        return {POOL_LABEL: self.name}


@dataclass(frozen=True, kw_only=True)
class GpuPoolArgs:
    """A GPU pool a cloud cluster component creates: the same request on every cloud."""

    instance: InstanceType
    """Machine type from the catalogue (its GPU model and count; on GCP its accelerator type)."""
    spot: bool
    """Spot/preemptible capacity instead of on-demand."""
    min_nodes: int
    """Fewest nodes (0: scale from zero)."""
    max_nodes: int
    """Most nodes the autoscaler may add."""
    priority: int
    """Order in which the autoscaler grows pools: highest first."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra node labels."""
    zones: tuple[str, ...] = ()
    """GKE only: zones with this GPU; empty: the cluster's zones."""
    disk_gib: int = 200
    """Root/OS disk: GPU serving images are large."""


@dataclass(frozen=True, kw_only=True)
class CloudClusterArgs:
    """What every cloud cluster component takes; each cloud's args add what only it has."""

    cluster_name: str
    """Name of the cluster; also the Kubernetes provider's `cluster_identifier`."""
    region: str
    """Cloud region (Azure: location)."""
    kubernetes_version: str
    """Minor version, e.g. `1.34`."""
    network_cidr: str
    """Address space of the network the component creates."""
    system_instance_type: str
    """Machine type of the system pool that runs the add-ons."""
    public_api_cidrs: tuple[str, ...] = ()
    """CIDRs allowed to reach the public API endpoint; empty: the endpoint is private only."""
    system_nodes: int = 2
    """Nodes in the system pool; it autoscales up to two more."""
    gpu_pools: Mapping[str, GpuPoolArgs] = field(default_factory=dict)
    """GPU pools by name."""


class GpuCluster(Protocol):
    """The output contract of every cluster component."""

    cluster_name: pulumi.Output[str]
    """The cluster's name."""
    provider: k8s.Provider
    """The Kubernetes provider for every in-cluster resource. Only cluster components create one."""
    gpu_pools: Mapping[str, GpuPoolInfo]
    """GPU pools by name."""
