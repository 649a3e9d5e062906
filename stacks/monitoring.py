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
    gpu_metrics: bool = False
    """DCGM's per-GPU series are scraped into this Prometheus (the exporter the stack installs)."""


def autoscaled(config: StackConfig) -> list[str]:
    """Models whose replica range lets KEDA scale them."""
    return [name for name, model in config.models.items() if model.autoscaled]


def gpu_metrics(config: StackConfig, cluster: GpuCluster, cloud: Cloud | None) -> bool:
    """The DCGM exporter this stack installs (GKE's managed one goes to Managed Prometheus instead)."""
    return config.monitoring and cloud is not Cloud.GCP and bool(cluster.gpu_pools)


def prometheus_for(config: StackConfig, cluster: GpuCluster, cloud: Cloud | None) -> Prometheus:
    """GPU metrics, alerts and dashboards (`monitoring`) and queue autoscaling all need a Prometheus with the
    Operator's CRDs."""
    gpus = gpu_metrics(config, cluster, cloud)
    if not (config.monitoring or autoscaled(config)):
        return Prometheus(url=config.prometheus_url)
    if config.prometheus_url:
        return Prometheus(url=config.prometheus_url, gpu_metrics=gpus)
    stack = PrometheusStack(
        "prometheus",
        PrometheusStackArgs(
            alerting=config.monitoring,
            grafana=config.grafana,
            receivers=config.alert_receivers,
        ),
        opts=pulumi.ResourceOptions(provider=cluster.provider),
    )
    return Prometheus(url=stack.url, crds_ready=[stack.release], gpu_metrics=gpus)
