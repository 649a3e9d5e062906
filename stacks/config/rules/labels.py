"""GPU pool `labels` under prefixes the platform, NVIDIA's components, Kubernetes or the cloud own: the platform
would overwrite them silently, or the cloud refuses the pool at create time."""

from __future__ import annotations

from collections.abc import Mapping

from components.clusters.contract import POOL_LABEL
from components.clusters.gpu_nodes import DEVICE_PLUGIN_CONFIG_LABEL, EKS_ACCELERATOR_LABEL
from stacks.config.rules import Finding

_PLATFORM_PREFIX = POOL_LABEL.split("/", 1)[0] + "/"
# On every target the platform sets these on a pool's nodes (components/clusters/gpu_nodes.py, existing.py).
_PLATFORM_KEYS = (DEVICE_PLUGIN_CONFIG_LABEL, "nvidia.com/gpu.present")
# Kubernetes reserves kubernetes.io and k8s.io (and their subdomains) for its own components: the kubelet refuses
# most such --node-labels, and EKS's node group API refuses them all ("Label cannot contain reserved prefixes
# [kubernetes.io/, k8s.io/, eks.amazonaws.com/]", aws/containers-roadmap#1451, eksctl-io/eksctl#4007).
_KUBERNETES_DOMAINS = ("kubernetes.io", "k8s.io")
# Prefixes each cloud refuses or writes itself on its nodes.
_CLOUD_PREFIXES: dict[str, tuple[tuple[str, str], ...]] = {
    "aws": (
        ("eks.amazonaws.com/", "EKS reserves it (its node group API refuses such labels)"),
        (EKS_ACCELERATOR_LABEL, "the platform sets it for the cluster-autoscaler"),
    ),
    # GKE writes its node labels under cloud.google.com/ (gke-nodepool, gke-accelerator, ...), and the platform sets
    # the pool's cloud.google.com/compute-class.
    "gcp": (("cloud.google.com/", "GKE and the platform set node labels under it"),),
    # aks-docs "use-labels": AKS refuses node labels under its reserved prefix (it sets those itself).
    "azure": (("kubernetes.azure.com/", "AKS reserves it for its own labels"),),
}
# NVIDIA's device plugin and GPU feature discovery, which the platform runs on cloud GPU nodes, write nvidia.com/
# labels (gpu.product, gpu.count, ...); GKE writes its own. On `existing`, labels describe nodes as they are.
_NVIDIA_PREFIX = "nvidia.com/"


def reserved_label_findings(target: str, pool: str, labels: Mapping[str, str]) -> list[Finding]:
    path = f"gpuPools.{pool}.labels"
    findings = []
    for key in labels:
        reason = _reason(target, key)
        if reason:
            findings.append(Finding(path, f"{key!r} {reason}; remove it or choose a key of your own"))
    return findings


def _reason(target: str, key: str) -> str | None:
    prefix = key.split("/", 1)[0] if "/" in key else ""
    if key.startswith(_PLATFORM_PREFIX):
        return f"is under {_PLATFORM_PREFIX}, which the platform sets itself (it would overwrite the value)"
    if key in _PLATFORM_KEYS:
        return "is one the platform sets (or, on existing clusters, requires) on every GPU pool's nodes"
    if target == "existing":
        return None  # the labels the nodes carry, whoever set them
    if any(prefix == domain or prefix.endswith(f".{domain}") for domain in _KUBERNETES_DOMAINS):
        return "is under a prefix Kubernetes reserves (kubernetes.io, k8s.io); node pools refuse such labels"
    if key.startswith(_NVIDIA_PREFIX):
        return f"is under {_NVIDIA_PREFIX}, which NVIDIA's device plugin and GPU feature discovery set"
    for reserved, why in _CLOUD_PREFIXES.get(target, ()):
        if reserved.endswith("/") and key.startswith(reserved):
            return f"is under {reserved}: {why}"
        if key == reserved:
            return f"is reserved: {why}"
    return None
