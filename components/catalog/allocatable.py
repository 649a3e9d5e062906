"""What a GPU node of each cloud leaves to pods: its machine's CPU and memory, less what the kubelet reserves and
the DaemonSets every GPU node runs. The scheduler places a pod only where its requests fit in the rest.

Data and arithmetic only, every number with its source (read 2026-12-01). Conservative on purpose: where a source
gives a range or a measurement, the larger reservation is taken, so that a type judged to fit does fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from components.catalog.instances import Cloud


class Machine(Protocol):
    """A machine type's name and size: a GPU type of the instance catalogue or a system pool's CPU type."""

    @property
    def name(self) -> str: ...
    @property
    def vcpus(self) -> int: ...
    @property
    def memory_gib(self) -> int: ...


MIB_PER_GIB = 1024

VM_MEMORY_OVERHEAD = 0.075
"""Share of a VM's nominal memory the kernel and firmware keep before the kubelet reports capacity: Karpenter's
default `vmMemoryOverheadPercent` (karpenter.sh docs, "Settings"), which it uses for the same estimate."""

EVICTION_HARD_MIB = 100
"""`memory.available<100Mi`: nodeadm's default (awslabs/amazon-eks-ami nodeadm/internal/kubelet/config.go,
v20260724), GKE's ("Plan node sizes": "an additional 100 MiB for eviction"), AKS's from 1.29 ("Node resource
reservations"); every supported Kubernetes version is 1.32 or later."""


@dataclass(frozen=True)
class Resources:
    cpu_millicores: int
    memory_mib: int

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu_millicores + other.cpu_millicores, self.memory_mib + other.memory_mib)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpu_millicores - other.cpu_millicores, self.memory_mib - other.memory_mib)

    def holds(self, other: Resources) -> bool:
        return other.cpu_millicores <= self.cpu_millicores and other.memory_mib <= self.memory_mib


NONE = Resources(0, 0)


def _tiered(amount: float, tiers: list[tuple[float, float]]) -> float:
    """Sum of `rate` x the part of `amount` within each tier, tiers given as (upper bound, rate)."""
    reserved, lower = 0.0, 0.0
    for upper, rate in tiers:
        if amount > lower:
            reserved += (min(amount, upper) - lower) * rate
        lower = upper
    return reserved


# --- AWS: the EKS AL2023 node bootstrap (nodeadm), which EKS managed node groups run --------------------------

# 6% of the first core, 1% of the next, 0.5% of the next two, 0.25% of the rest: nodeadm getCPUMillicoresToReserve,
# and GKE's table ("Plan node sizes", CPU reservations) has the same steps.
_CPU_TIERS = [(1000, 0.06), (2000, 0.01), (4000, 0.005), (float("inf"), 0.0025)]

EKS_ENIS: dict[str, tuple[int, int]] = {
    "g4dn.xlarge": (3, 10),
    "g4dn.2xlarge": (3, 10),
    "g4dn.4xlarge": (3, 10),
    "g4dn.8xlarge": (4, 15),
    "g4dn.16xlarge": (4, 15),
    "g4dn.12xlarge": (8, 30),
    "g4dn.metal": (15, 50),
    "g5.xlarge": (4, 15),
    "g5.2xlarge": (4, 15),
    "g5.4xlarge": (8, 30),
    "g5.8xlarge": (8, 30),
    "g5.16xlarge": (8, 30),
    "g5.12xlarge": (15, 50),
    "g5.24xlarge": (15, 50),
    "g5.48xlarge": (7, 50),
    "g6.xlarge": (4, 15),
    "g6.2xlarge": (4, 15),
    "g6.4xlarge": (8, 30),
    "g6.8xlarge": (8, 30),
    "g6.16xlarge": (15, 50),
    "g6.12xlarge": (8, 30),
    "g6.24xlarge": (15, 50),
    "g6.48xlarge": (15, 50),
    "g6e.xlarge": (4, 15),
    "g6e.2xlarge": (4, 15),
    "g6e.4xlarge": (8, 30),
    "g6e.8xlarge": (8, 30),
    "g6e.16xlarge": (15, 50),
    "g6e.12xlarge": (10, 30),
    "g6e.24xlarge": (10, 50),
    "g6e.48xlarge": (10, 50),
    "p4d.24xlarge": (15, 50),
    "p4de.24xlarge": (15, 50),
    "p5.4xlarge": (4, 30),
    "p5.48xlarge": (2, 50),
    "p5e.48xlarge": (2, 50),
    "p5en.48xlarge": (4, 50),
    # The system machine types (components/catalog/system_machines.py), same file and version.
    "m7i.large": (3, 10),
    "m7i.xlarge": (4, 15),
    "m7i.2xlarge": (4, 15),
    "m7i.4xlarge": (8, 30),
    "m6i.large": (3, 10),
    "m6i.xlarge": (4, 15),
    "m5.large": (3, 10),
    "m5.xlarge": (4, 15),
}
"""Network interfaces and IPv4 addresses per interface of each AWS type in the catalogue: nodeadm's bundled
`nodeadm/internal/kubelet/instance-info.jsonl` (defaultMaxENIs, ipv4AddressesPerInterface), v20260724."""


def eks_max_pods(instance: Machine) -> int:
    """nodeadm's default maxPods: interfaces x (addresses per interface - 1) + 2 (CalcMaxPods). EKS may cap it
    lower (110 below 30 vCPUs); a lower cap only lowers the reservation, so this bound is the safe one."""
    enis, addresses = EKS_ENIS[instance.name]
    return enis * (addresses - 1) + 2


def _eks_reserved(instance: Machine) -> Resources:
    # kube-reserved memory: 11 MiB per pod the node may hold, plus 255 MiB (getMemoryMebibytesToReserve).
    return Resources(
        cpu_millicores=round(_tiered(instance.vcpus * 1000, _CPU_TIERS)),
        memory_mib=11 * eks_max_pods(instance) + 255 + EVICTION_HARD_MIB,
    )


# --- Google Cloud: GKE Standard, "Plan node sizes" > "Memory and CPU reservations" ------------------------------

# 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% of the rest.
_GKE_MEMORY_TIERS = [(4096, 0.25), (8192, 0.20), (16384, 0.10), (131072, 0.06), (float("inf"), 0.02)]


def _gke_reserved(instance: Machine) -> Resources:
    return Resources(
        cpu_millicores=round(_tiered(instance.vcpus * 1000, _CPU_TIERS)),
        memory_mib=round(_tiered(instance.memory_gib * MIB_PER_GIB, _GKE_MEMORY_TIERS)) + EVICTION_HARD_MIB,
    )


# --- Azure: AKS "Node resource reservations", Kubernetes 1.29 and later -------------------------------------------

AKS_MAX_PODS = 110
"""`max_pods` of every agent pool the azure stack creates (components/clusters/aks.py)."""
# kube-reserved CPU by cores: 1: 60m, 2: 100m, 4: 140m, 8: 180m, 16: 260m, 32: 420m, 64: 740m. From 8 cores on every
# step is 10m per core; sizes between or above the table's follow that line.
_AKS_CPU_UP_TO_8 = [(1, 60), (2, 100), (4, 140), (8, 180)]


def _aks_cpu_millicores(cores: int) -> int:
    if cores > 8:
        return 180 + 10 * (cores - 8)
    return next(reserved for upper, reserved in _AKS_CPU_UP_TO_8 if cores <= upper)


def _aks_reserved(instance: Machine) -> Resources:
    # kube-reserved memory: the lesser of 20 MB per pod plus 50 MB, and 25% of the memory (MB counted as MiB).
    memory_mib = instance.memory_gib * MIB_PER_GIB
    kube_reserved = min(20 * AKS_MAX_PODS + 50, memory_mib // 4)
    return Resources(_aks_cpu_millicores(instance.vcpus), kube_reserved + EVICTION_HARD_MIB)


_RESERVED = {Cloud.AWS: _eks_reserved, Cloud.GCP: _gke_reserved, Cloud.AZURE: _aks_reserved}


def allocatable(cloud: Cloud, instance: Machine) -> Resources:
    """The node's allocatable CPU and memory: its capacity less kube-reserved and the eviction threshold."""
    capacity = Resources(instance.vcpus * 1000, int(instance.memory_gib * MIB_PER_GIB * (1 - VM_MEMORY_OVERHEAD)))
    return capacity - _RESERVED[cloud](instance)


# --- DaemonSets on a GPU node -------------------------------------------------------------------------------------

CLOUD_NODE_AGENTS: dict[Cloud, Resources] = {
    Cloud.AWS: Resources(400, 512),
    Cloud.GCP: Resources(800, 1280),
    Cloud.AZURE: Resources(700, 1536),
}
"""Requests of the cloud's own node agents, summed. Measured on production clusters (2i2c-org/infrastructure,
deployer/commands/generate/resource_allocation/daemonset_requests.yaml, which includes two small agents of 2i2c's
own): EKS 195m/250Mi (aws-node, kube-proxy, ebs-csi-node), GKE 344m/596Mi (fluentbit-gke, gke-metadata-server,
gke-metrics-agent, netd, pdcsi-node, ...), AKS 226m/300Mi (cloud-node-manager, the Azure disk and file CSI nodes,
kube-proxy). Rounded up (EKS and GKE to about twice, AKS further) for the agents our clusters run that those did
not: the VPC CNI's network policy agent, the Pod Identity agent and the EFS CSI node (EKS); on GKE's GPU nodes its
driver installer (150m, held by its init container) and device plugin (50m/100Mi: GoogleCloudPlatform/
container-engine-accelerators nvidia-driver-installer/cos/daemonset-preloaded.yaml, cmd/nvidia_gpu/device-plugin.yaml),
the Filestore CSI node, Dataplane V2 and Managed Prometheus collectors (GKE); Cilium, Azure CNS and Container Insights'
log agent (AKS; its `ama-logs` DaemonSet alone requests 75m/325Mi plus a 75m/225Mi sidecar: microsoft/Docker-Provider
charts/azuremonitor-containers/values.yaml). An estimate with a margin, not a measurement of these clusters."""

NFD_WORKER = Resources(5, 64)
"""node-feature-discovery's worker (chart 0.19.0, bundled with nvidia-device-plugin 0.20.0, on for GFD): requests
5m/64Mi. The device plugin and GFD themselves request nothing (chart values `resources: {}`)."""

DCGM_EXPORTER = Resources(100, 128)
"""dcgm-exporter chart 4.8.2, values.yaml `resources.requests`."""


def gpu_node_daemonsets(cloud: Cloud, *, device_plugin: bool, monitoring: bool) -> Resources:
    """What the DaemonSets on one GPU node request: the cloud's agents, ours where we install them (the device
    plugin with GFD where the cloud has none; the DCGM exporter with `monitoring`, except on GKE, whose own is among
    the cloud's agents)."""
    total = CLOUD_NODE_AGENTS[cloud]
    if device_plugin:
        total += NFD_WORKER
    if monitoring and cloud is not Cloud.GCP:
        total += DCGM_EXPORTER
    return total


def room_for_pods(cloud: Cloud, instance: Machine, *, device_plugin: bool, monitoring: bool) -> Resources:
    """CPU and memory a GPU node of this type leaves to the model pods."""
    return allocatable(cloud, instance) - gpu_node_daemonsets(cloud, device_plugin=device_plugin, monitoring=monitoring)
