"""Prometheus for the stack: the one named in config, or kube-prometheus-stack when something needs it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.catalog.instances import Cloud
from components.clusters.contract import GpuCluster
from components.observability.prometheus import PrometheusStack, PrometheusStackArgs
from stacks.config import StackConfig


@dataclass(frozen=True)
class Prometheus:
    url: str | None
    """Where to query; None: no Prometheus (nothing autoscales, no GPU metrics to scrape)."""
    crds_ready: list[pulumi.Resource] = field(default_factory=list)
    """What monitors (ServiceMonitor) must come after: the release that installs their CRDs."""


def autoscaled(config: StackConfig) -> list[str]:
    """Models whose replica range lets KEDA scale them."""
    return [name for name, model in config.models.items() if model.max_replicas > model.spec.min_replicas]


def prometheus_for(config: StackConfig, cluster: GpuCluster, cloud: Cloud | None) -> Prometheus:
    """GPU metrics outside GKE (whose managed DCGM goes to Managed Prometheus) and queue autoscaling both need
    a Prometheus with the Operator's CRDs."""
    gpu_metrics = config.monitoring and cloud is not Cloud.GCP and bool(cluster.gpu_pools)
    if not (gpu_metrics or autoscaled(config)):
        return Prometheus(url=config.prometheus_url)
    if config.prometheus_url:
        return Prometheus(url=config.prometheus_url)
    stack = PrometheusStack("prometheus", PrometheusStackArgs(), opts=pulumi.ResourceOptions(provider=cluster.provider))
    return Prometheus(url=stack.url, crds_ready=[stack.release])
