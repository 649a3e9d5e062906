"""An in-cluster Prometheus (kube-prometheus-stack) for queue-based autoscaling and GPU metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.autoscaling.keda import NAMESPACE as KEDA_NAMESPACE
from components.serving.metadata import platform_namespace

NAMESPACE = "monitoring"
RELEASE_NAME = "kube-prometheus-stack"
PROMETHEUS_URL = f"http://{RELEASE_NAME}-prometheus.{NAMESPACE}.svc.cluster.local:9090"


def prometheus_values() -> dict[str, Any]:
    return {
        # Only what autoscaling and GPU/serving metrics need; node-exporter would need host access.
        "nodeExporter": {"enabled": False},
        "grafana": {"enabled": False},
        "alertmanager": {"enabled": False},
        "prometheus": {
            "prometheusSpec": {
                # Pick up every ServiceMonitor/PodMonitor, not only the chart's own.
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "retention": "7d",
                "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "4Gi"}},
            }
        },
    }


@dataclass(frozen=True, kw_only=True)
class PrometheusStackArgs:
    namespace: str = NAMESPACE


class PrometheusStack(pulumi.ComponentResource):
    """Prometheus Operator (and its CRDs) with one Prometheus that selects every ServiceMonitor.

    Example::

        PrometheusStack("prometheus", PrometheusStackArgs(), opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    url: str
    """Where Prometheus answers queries, in the cluster."""
    release: k8s.helm.v3.Release
    """The release: monitors (custom resources) come after it, as it installs their CRDs."""

    def __init__(self, name: str, args: PrometheusStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:observability:PrometheusStack", name, None, opts)
        # The chart's operator and Prometheus meet "baseline"; "restricted" is reported, not enforced.
        namespace = platform_namespace(
            f"{name}-namespace",
            args.namespace,
            level="baseline",
            warn_restricted=True,
            # The operator's admission webhook (https, 10250); KEDA reads the queues from Prometheus.
            api_server_ports=(10250,),
            clients={KEDA_NAMESPACE: (9090,)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,
            chart="kube-prometheus-stack",
            version=versions.PROMETHEUS_STACK_CHART,
            repository_opts={"repo": versions.PROMETHEUS_STACK_REPO},
            namespace=namespace.metadata.name,
            values=prometheus_values(),
            max_history=5,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.url = PROMETHEUS_URL
        self.register_outputs({"url": self.url})
