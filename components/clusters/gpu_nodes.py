"""Labels, taints and selectors of GPU nodes, per cloud: what makes the scheduler, the autoscaler and the device
plugin recognise a GPU pool (../shared/FACTS.md §1-§3).

Every GPU pool carries:
- our pool label, and our group label (pools with the same GPU, count and sharing stand in for each other);
- `nvidia.com/gpu.present=true`, which the NVIDIA device plugin's default affinity needs (otherwise it needs NFD
  or GFD to match anything, FACTS §1);
- where we install the device plugin (EKS, AKS), `nvidia.com/device-plugin.config=<pool>`, which selects the
  pool's sharing config in the plugin;
- on GKE, the label and taint of the pool's custom ComputeClass, which GKE requires on manually created pools.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.catalog.instances import Cloud
from components.clusters.contract import (
    GPU_TAINT_KEY,
    GROUP_LABEL,
    POOL_LABEL,
    GpuPoolArgs,
    GpuPoolInfo,
    Toleration,
    gpu_group,
)

# The cluster-autoscaler's AWS provider treats a node as a GPU node when it has this label, so it does not
# scale up twice while the device plugin starts (kubernetes/autoscaler aws_cloud_provider.go GPULabel).
EKS_ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator"
DEVICE_PLUGIN_CONFIG_LABEL = "nvidia.com/device-plugin.config"
COMPUTE_CLASS_LABEL = "cloud.google.com/compute-class"
# AKS labels and taints spot pools itself (aks-docs "spot-node-pool": the agent pool API returns both in
# nodeLabels/nodeTaints); pods must tolerate the taint.
AKS_SPOT_KEY = "kubernetes.azure.com/scalesetpriority"
AKS_SPOT_TAINT = Toleration(key=AKS_SPOT_KEY, operator="Equal", value="spot", effect="NoSchedule")
_DEVICE_PLUGIN_CLOUDS = (Cloud.AWS, Cloud.AZURE)


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str
    """Kubernetes spelling: NoSchedule, PreferNoSchedule or NoExecute."""


GPU_TAINT = Taint(key=GPU_TAINT_KEY, value="present", effect="NoSchedule")
AKS_SPOT_NODE_TAINT = Taint(key=AKS_SPOT_KEY, value="spot", effect="NoSchedule")


def gpu_node_labels(cloud: Cloud, name: str, pool: GpuPoolArgs) -> dict[str, str]:
    group = gpu_group(pool.instance.gpu, pool.instance.gpus, pool.sharing)
    labels = {**pool.labels, POOL_LABEL: name, GROUP_LABEL: group, "nvidia.com/gpu.present": "true"}
    if cloud in _DEVICE_PLUGIN_CLOUDS:
        labels[DEVICE_PLUGIN_CONFIG_LABEL] = name
    if cloud is Cloud.AWS:
        labels[EKS_ACCELERATOR_LABEL] = f"nvidia-{pool.instance.gpu.value.lower()}"
    if cloud is Cloud.AZURE and pool.spot:
        # AKS sets it anyway; declared, a refresh finds no drift, and a label update cannot drop it (an update
        # replaces the pool's whole label set, Azure/AKS#3152).
        labels[AKS_SPOT_KEY] = "spot"
    if cloud is Cloud.GCP:
        labels[COMPUTE_CLASS_LABEL] = group
    return labels


def gpu_node_taints(cloud: Cloud, group: str, *, spot: bool = False) -> list[Taint]:
    """Taints a GPU pool declares. GKE taints GPU pools with `nvidia.com/gpu=present:NoSchedule` itself, and a
    pool that serves a custom ComputeClass carries the class's taint. AKS spot pools also carry AKS's spot taint,
    which the pool must declare or every refresh reports it as drift."""
    if cloud is Cloud.GCP:
        return [Taint(key=COMPUTE_CLASS_LABEL, value=group, effect="NoSchedule")]
    if cloud is Cloud.AZURE and spot:
        return [GPU_TAINT, AKS_SPOT_NODE_TAINT]
    return [GPU_TAINT]


def gpu_tolerations(cloud: Cloud, group: str, *, spot: bool) -> tuple[Toleration, ...]:
    """What a pod needs to tolerate to land on a GPU pool of this cloud."""
    tolerations = [Toleration(key=GPU_TAINT_KEY, operator="Exists", effect="NoSchedule")]
    if cloud is Cloud.AZURE and spot:
        tolerations.append(AKS_SPOT_TAINT)
    if cloud is Cloud.GCP:
        tolerations.append(Toleration(key=COMPUTE_CLASS_LABEL, operator="Equal", value=group, effect="NoSchedule"))
    return tuple(tolerations)


def gpu_selector(cloud: Cloud, group: str) -> dict[str, str]:
    """What a GPU workload selects: its pool's group, so that the autoscaler may grow any pool of the group, in
    priority order; on GKE, through the group's ComputeClass."""
    return {COMPUTE_CLASS_LABEL: group} if cloud is Cloud.GCP else {GROUP_LABEL: group}


def pool_info(cloud: Cloud, name: str, pool: GpuPoolArgs) -> GpuPoolInfo:
    """How the workloads see a pool a cloud component creates; `node_group_id` is set once the group exists."""
    group = gpu_group(pool.instance.gpu, pool.instance.gpus, pool.sharing)
    return GpuPoolInfo(
        name=name,
        gpu=pool.instance.gpu,
        gpus_per_node=pool.instance.gpus,
        spot=pool.spot,
        priority=pool.priority,
        min_nodes=pool.min_nodes,
        max_nodes=pool.max_nodes,
        labels=gpu_node_labels(cloud, name, pool),
        tolerations=gpu_tolerations(cloud, group, spot=pool.spot),
        selector=gpu_selector(cloud, group),
        sharing=pool.sharing,
    )


def device_plugin_needed(cloud: Cloud | None) -> bool:
    """GKE runs its own device plugin (a second one would advertise every GPU twice); EKS's AL2023 NVIDIA AMI and
    AKS install the driver only; an existing cluster (None) with GPU pools gets ours too."""
    return cloud is None or cloud in _DEVICE_PLUGIN_CLOUDS
