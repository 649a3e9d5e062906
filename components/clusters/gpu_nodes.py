"""Labels and taints of GPU nodes, per cloud: what makes the scheduler, the autoscaler and the device plugin
recognise a GPU pool (../shared/FACTS.md §3).

Every GPU pool carries our pool label (workloads select their pool with it) and `nvidia.com/gpu.present=true`
(the NVIDIA device plugin's default affinity, which otherwise needs NFD or GFD to match anything, FACTS §1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from components.catalog.gpus import GpuType
from components.catalog.instances import Cloud
from components.clusters.contract import GPU_TAINT_KEY, POOL_LABEL, GpuPoolArgs, GpuPoolInfo, Toleration

# The cluster-autoscaler's AWS provider treats a node as a GPU node when it has this label, so it does not
# scale up twice while the device plugin starts (kubernetes/autoscaler aws_cloud_provider.go GPULabel).
EKS_ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator"
# AKS taints spot pools itself; pods must tolerate it (AKS #2359 log, FACTS §3).
AKS_SPOT_TAINT = Toleration(
    key="kubernetes.azure.com/scalesetpriority", operator="Equal", value="spot", effect="NoSchedule"
)


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str
    """Kubernetes spelling: NoSchedule, PreferNoSchedule or NoExecute."""


GPU_TAINT = Taint(key=GPU_TAINT_KEY, value="present", effect="NoSchedule")


def gpu_node_labels(cloud: Cloud, pool: str, gpu: GpuType, extra: Mapping[str, str]) -> dict[str, str]:
    labels = {**extra, POOL_LABEL: pool, "nvidia.com/gpu.present": "true"}
    if cloud is Cloud.AWS:
        labels[EKS_ACCELERATOR_LABEL] = f"nvidia-{gpu.value.lower()}"
    return labels


def gpu_node_taints(cloud: Cloud) -> list[Taint]:
    """Taints we put on GPU pools. GKE taints GPU pools with `nvidia.com/gpu=present:NoSchedule` itself."""
    return [] if cloud is Cloud.GCP else [GPU_TAINT]


def gpu_tolerations(cloud: Cloud, *, spot: bool) -> tuple[Toleration, ...]:
    """What a pod needs to tolerate to land on a GPU pool of this cloud."""
    tolerations = [Toleration(key=GPU_TAINT_KEY, operator="Exists", effect="NoSchedule")]
    if cloud is Cloud.AZURE and spot:
        tolerations.append(AKS_SPOT_TAINT)
    return tuple(tolerations)


def pool_info(cloud: Cloud, name: str, pool: GpuPoolArgs) -> GpuPoolInfo:
    """How the workloads see a pool a cloud component creates; `node_group_id` is set once the group exists."""
    return GpuPoolInfo(
        name=name,
        gpu=pool.instance.gpu,
        gpus_per_node=pool.instance.gpus,
        spot=pool.spot,
        priority=pool.priority,
        min_nodes=pool.min_nodes,
        max_nodes=pool.max_nodes,
        labels=gpu_node_labels(cloud, name, pool.instance.gpu, pool.labels),
        tolerations=gpu_tolerations(cloud, spot=pool.spot),
    )
