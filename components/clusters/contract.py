"""What every cluster component (EKS, GKE, AKS, existing) hands to the workloads that run on it.

The in-cluster components (device plugin, autoscaler priorities, serving) depend on this contract only,
never on a cloud's cluster module.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pulumi
import pulumi_kubernetes as k8s

from components.catalog.fabric import Fabric
from components.catalog.gpus import GPUS, GpuType
from components.catalog.instances import InstanceType
from components.catalog.mig import mig_profile

POOL_LABEL = "llm-platform/gpu-pool"
"""Node label every GPU pool carries (value: the pool's name); GPU workloads select their pool with it."""

GPU_TAINT_KEY = "nvidia.com/gpu"
GROUP_LABEL = "llm-platform/gpu-group"
"""Node label shared by the pools that can stand in for each other (same GPU, count and sharing); a model runs on
its pool's group, so the autoscaler can choose among those pools by priority."""


class SharingMode(enum.StrEnum):
    NONE = "none"
    TIME_SLICING = "time-slicing"
    MIG = "mig"


@dataclass(frozen=True)
class Sharing:
    """How the GPUs of a pool are shared between pods."""

    mode: SharingMode = SharingMode.NONE
    replicas: int | None = None
    """Time-slicing: pods per GPU."""
    mig_profile: str | None = None
    """MIG: the profile every GPU is partitioned into, e.g. `1g.10gb`."""

    def group_suffix(self) -> str:
        if self.mode is SharingMode.TIME_SLICING:
            return f"-ts{self.replicas}"
        if self.mode is SharingMode.MIG:
            return f"-mig-{self.mig_profile}"
        return ""


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
    sharing: Sharing = field(default_factory=Sharing)
    """How the pool's GPUs are shared."""
    selector: Mapping[str, str] = field(default_factory=dict)
    """What a workload selects to land on the pool or its stand-ins; empty: the pool label alone."""
    node_group_id: pulumi.Output[str] | None = None
    """The cloud's identifier of the group (ASG, MIG or VMSS name); None on existing clusters."""

    @property
    def group(self) -> str:
        """The pool's group: pools of one group can stand in for each other."""
        return gpu_group(self.gpu, self.gpus_per_node, self.sharing)

    @property
    def gpu_memory_gib(self) -> int:
        return GPUS[self.gpu].memory_gib

    @property
    def node_selector(self) -> dict[str, str]:
        return dict(self.selector) or {POOL_LABEL: self.name}

    @property
    def slots_per_node(self) -> int:
        return slots_per_node(self.gpu, self.gpus_per_node, self.sharing)


@dataclass(frozen=True)
class GpuPlacement:
    """Where a GPU workload may run: its pool and the pools that stand in for it."""

    node_selector: Mapping[str, str]
    tolerations: tuple[Toleration, ...]
    pools: tuple[GpuPoolInfo, ...]
    """The pool first, then its stand-ins by priority."""

    def capacity(self, gpus_per_replica: int) -> int:
        """Replicas the pools can hold at their largest."""
        return sum(pool.max_nodes * (pool.slots_per_node // gpus_per_replica) for pool in self.pools)


def slots_per_node(gpu: GpuType, gpus_per_node: int, sharing: Sharing) -> int:
    """`nvidia.com/gpu` a node advertises: its GPUs, times the time-slicing replicas or MIG instances."""
    if sharing.mode is SharingMode.TIME_SLICING:
        return gpus_per_node * (sharing.replicas or 1)
    if sharing.mode is SharingMode.MIG:
        profile = mig_profile(gpu, sharing.mig_profile or "")
        return gpus_per_node * (profile.per_gpu if profile else 1)
    return gpus_per_node


def placement_for(pools: Mapping[str, GpuPoolInfo], name: str) -> GpuPlacement:
    pool = pools[name]
    stand_ins = sorted(
        (p for p in pools.values() if p.name != name and p.node_selector == pool.node_selector),
        key=lambda p: (-p.priority, p.name),
    )
    members = (pool, *stand_ins)
    tolerations = tuple(dict.fromkeys(t for member in members for t in member.tolerations))
    return GpuPlacement(node_selector=pool.node_selector, tolerations=tolerations, pools=members)


def gpu_group(gpu: GpuType, gpus_per_node: int, sharing: Sharing) -> str:
    """`<gpu>-x<count>[-ts<replicas>|-mig-<profile>]`, a valid label value, e.g. `l4-x1`, `h100-x8-mig-1g.10gb`."""
    return f"{gpu.value.lower()}-x{gpus_per_node}{sharing.group_suffix()}"


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
    sharing: Sharing = field(default_factory=Sharing)
    """How pods share the pool's GPUs."""
    disk_gib: int = 200
    """Root/OS disk: GPU serving images are large."""
    stream_images: bool = False
    """A model placed on the pool streams its image (`coldStart.images: stream`): EKS FastImagePull, GKE image
    streaming."""
    image_cache: str | None = None
    """A model placed on the pool caches its image (`coldStart.images: cache`): the EBS snapshot (EKS) or disk image
    (GKE) each new node starts with (`imageCache`)."""
    fabric: Fabric | None = None
    """The machine type's GPU network between nodes, when the pool asks for it (`fabric`): the cluster component
    attaches every interface and keeps the pool's nodes in one placement."""


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
