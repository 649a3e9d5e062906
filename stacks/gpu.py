"""GPU enablement every target shares: the device plugin where the cloud has none, and GPU metrics."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components import versions
from components.catalog.instances import Cloud
from components.clusters.contract import GpuCluster
from components.clusters.gpu_nodes import device_plugin_needed
from components.gpu.device_plugin import NvidiaDevicePlugin, NvidiaDevicePluginArgs
from components.observability.dcgm import DcgmExporter, DcgmExporterArgs
from stacks.config import StackConfig
from stacks.monitoring import Prometheus


@dataclass(frozen=True)
class GpuEnablement:
    ready: list[pulumi.Resource]
    """What GPU workloads wait for."""
    description: str
    """What runs the GPUs, for the stack output `devicePlugin`."""


def enable_gpus(
    config: StackConfig, cluster: GpuCluster, cloud: Cloud | None, prometheus: Prometheus | None = None
) -> GpuEnablement:
    """Install what makes the GPU pools schedulable, where the cloud does not.

    `cloud` is None for an existing cluster. GKE runs its own device plugin and, with `monitoring`, its own DCGM
    exporter (a cluster setting), so nothing is installed there."""
    if not cluster.gpu_pools:
        return GpuEnablement([], "none: the stack has no GPU pools")
    if not device_plugin_needed(cloud):
        return GpuEnablement([], "GKE's own (it installs the driver and the device plugin on GPU node pools)")
    if cloud is None and not config.install_device_plugin:
        return GpuEnablement([], "the cluster's own (installDevicePlugin is false)")
    in_cluster = pulumi.ResourceOptions(provider=cluster.provider)
    plugin = NvidiaDevicePlugin("gpu", NvidiaDevicePluginArgs(pools=cluster.gpu_pools), opts=in_cluster)
    if config.monitoring:
        # Inside the plugin's component, as every add-on of a namespace is; GPU workloads wait for the plugin's
        # release only, never for the exporter (which waits for Prometheus's CRDs).
        DcgmExporter(
            "gpu-metrics",
            DcgmExporterArgs(namespace=plugin.namespace, after=prometheus.crds_ready if prometheus else []),
            opts=pulumi.ResourceOptions(provider=cluster.provider, parent=plugin),
        )
    return GpuEnablement(
        [plugin.release],
        f"nvidia-device-plugin chart {versions.NVIDIA_DEVICE_PLUGIN_CHART} with GPU feature discovery, "
        "one sharing config per pool",
    )
