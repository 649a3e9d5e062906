"""The NVIDIA device plugin (and GPU feature discovery) as a pinned Helm release, with one sharing config per pool.

Each GPU pool's nodes carry `nvidia.com/device-plugin.config=<pool>`; the plugin picks the config of that name
and falls back to `default` (whole GPUs) for nodes without the label (k8s-device-plugin README, FACTS §1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components import versions
from components.clusters.contract import GpuPoolInfo, Sharing, SharingMode
from components.serving.metadata import platform_namespace

RELEASE_NAME = "nvidia-device-plugin"
NAMESPACE = "nvidia-gpu"
DEFAULT_CONFIG = "default"


def sharing_config(sharing: Sharing) -> dict[str, Any]:
    """The plugin's config file for one pool."""
    if sharing.mode is SharingMode.TIME_SLICING:
        return {
            "version": "v1",
            "flags": {"migStrategy": "none"},
            "sharing": {
                # renameByDefault false: pods keep requesting nvidia.com/gpu; the product label gets -SHARED.
                "timeSlicing": {
                    "renameByDefault": False,
                    "failRequestsGreaterThanOne": False,
                    "resources": [{"name": "nvidia.com/gpu", "replicas": sharing.replicas}],
                }
            },
        }
    if sharing.mode is SharingMode.MIG:
        # Every GPU of the pool is cut into the same profile, so each instance is advertised as nvidia.com/gpu.
        return {"version": "v1", "flags": {"migStrategy": "single"}}
    return {"version": "v1", "flags": {"migStrategy": "none"}}


def device_plugin_values(pools: Mapping[str, GpuPoolInfo]) -> dict[str, Any]:
    """Helm values: a config per pool, scheduling on every GPU node whatever its taints."""
    configs = {DEFAULT_CONFIG: sharing_config(Sharing())}
    configs.update({name: sharing_config(pool.sharing) for name, pool in sorted(pools.items())})
    tolerations = [
        {"key": "CriticalAddonsOnly", "operator": "Exists"},
        # Whatever the pools' taints (the GPU taint, AKS's spot taint), the plugin must run on the node.
        {"operator": "Exists", "effect": "NoSchedule"},
    ]
    return {
        "config": {
            "map": {name: yaml.safe_dump(config, sort_keys=True) for name, config in configs.items()},
            "default": DEFAULT_CONFIG,
        },
        # The chart's default affinity also matches this label, but only as one of three alternatives that need
        # NFD/GFD labels; ours is what every GPU pool carries from the start (FACTS §1).
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "nvidia.com/gpu.present", "operator": "In", "values": ["true"]}]}
                    ]
                }
            }
        },
        "tolerations": tolerations,
        "priorityClassName": "system-node-critical",
        # GPU feature discovery labels the nodes (product, memory, replicas, MIG layout) for dashboards and
        # for anyone who selects on them.
        "gfd": {"enabled": True},
        "nfd": {"worker": {"tolerations": tolerations}},
    }


@dataclass(frozen=True, kw_only=True)
class NvidiaDevicePluginArgs:
    pools: Mapping[str, GpuPoolInfo]
    """The GPU pools the plugin serves, with their sharing."""
    namespace: str = NAMESPACE
    """Namespace of the GPU node agents (device plugin, DCGM exporter): the one namespace allowed privileged
    pods (they mount the kubelet's sockets and the driver)."""


class NvidiaDevicePlugin(pulumi.ComponentResource):
    """The NVIDIA device plugin on the GPU pools, advertising `nvidia.com/gpu` per pool's sharing config.

    Example::

        NvidiaDevicePlugin("gpu", NvidiaDevicePluginArgs(pools=cluster.gpu_pools),
                           opts=pulumi.ResourceOptions(provider=cluster.provider))
    """

    release: k8s.helm.v3.Release
    """The Helm release; GPU workloads depend on it."""
    namespace: pulumi.Output[str]
    """The GPU node agents' namespace, for other agents such as the DCGM exporter."""

    def __init__(self, name: str, args: NvidiaDevicePluginArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:gpu:NvidiaDevicePlugin", name, None, opts)
        # hostPath mounts of the kubelet's device-plugin sockets need the privileged level.
        namespace = platform_namespace(
            f"{name}-namespace", args.namespace, level="privileged", opts=pulumi.ResourceOptions(parent=self)
        )
        self.namespace = namespace.metadata.name
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,
            chart="nvidia-device-plugin",
            version=versions.NVIDIA_DEVICE_PLUGIN_CHART,
            repository_opts={"repo": versions.NVIDIA_DEVICE_PLUGIN_REPO},
            namespace=namespace.metadata.name,
            values=device_plugin_values(args.pools),
            max_history=5,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"releaseName": self.release.name})
