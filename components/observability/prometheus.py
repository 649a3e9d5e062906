"""An in-cluster Prometheus (kube-prometheus-stack) for queue-based autoscaling, alerts, GPU metrics and Grafana."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components import versions
from components.autoscaling.keda import NAMESPACE as KEDA_NAMESPACE
from components.observability import alertmanager, prometheus_resources
from components.serving.metadata import PART_OF, platform_namespace

NAMESPACE = "monitoring"
RELEASE_NAME = "kube-prometheus-stack"
PROMETHEUS_URL = f"http://{RELEASE_NAME}-prometheus.{NAMESPACE}.svc.cluster.local:9090"
GRAFANA_ADMIN_SECRET = "grafana-admin"
DASHBOARD_LABEL = ("grafana_dashboard", "1")
"""What the chart's Grafana sidecar looks for on ConfigMaps, in every namespace (kube-prometheus-stack 88.1.3
values.yaml grafana.sidecar.dashboards: label, labelValue, searchNamespace ALL)."""


def prometheus_values(
    *, grafana: bool = False, alerting: bool = False, receivers: list[str] | None = None
) -> dict[str, Any]:
    """`alerting`: rules are evaluated and sent to the chart's Alertmanager, routed to `receivers` (config keys)."""
    receivers = receivers or []
    values: dict[str, Any] = {
        # Only what autoscaling and GPU/serving metrics need; node-exporter would need host access.
        "nodeExporter": {"enabled": False},
        # No cluster of the stack exposes these to Prometheus: EKS, GKE and AKS run them out of the cluster, kubeadm
        # (kind) binds their metrics to 127.0.0.1. Their default alerts (KubeControllerManagerDown, KubeSchedulerDown:
        # `absent(up{job=...})`; etcd's) would fire, critical, for as long as the stack runs (88.1.3
        # templates/prometheus/rules-1.14), and their Services would go into kube-system.
        "kubeControllerManager": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeEtcd": {"enabled": False},
        "grafana": {"enabled": False},
        "alertmanager": {"enabled": False},
        "prometheus": {
            "prometheusSpec": {
                # Pick up every ServiceMonitor/PodMonitor, not only the chart's own.
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "retention": "7d",
                "resources": prometheus_resources.PROMETHEUS,
            }
        },
        # Every pod the chart runs requests what it needs (prometheus_resources.py).
        "prometheusOperator": {
            "resources": prometheus_resources.OPERATOR,
            "prometheusConfigReloader": {"resources": prometheus_resources.CONFIG_RELOADER},
            "admissionWebhooks": {"patch": {"resources": prometheus_resources.WEBHOOK_CERT_JOBS}},
        },
        "kube-state-metrics": {"resources": prometheus_resources.KUBE_STATE_METRICS},
    }
    if alerting:
        # Every PrometheusRule, not only those labelled with the release (values.yaml ruleSelectorNilUsesHelmValues).
        values["prometheus"]["prometheusSpec"]["ruleSelectorNilUsesHelmValues"] = False
        values["alertmanager"] = {
            "enabled": True,
            "config": alertmanager.alertmanager_config(receivers),
            "alertmanagerSpec": {
                "secrets": [alertmanager.SECRET_NAME] if receivers else [],
                "resources": prometheus_resources.ALERTMANAGER,
            },
        }
    if grafana:
        values["grafana"] = {
            "enabled": True,
            # The password comes from a Secret the stack creates, never from Helm values.
            "admin": {
                "existingSecret": GRAFANA_ADMIN_SECRET,
                "userKey": "admin-user",
                "passwordKey": "admin-password",
            },
            "sidecar": {
                "dashboards": {
                    "enabled": True,
                    "label": DASHBOARD_LABEL[0],
                    "labelValue": DASHBOARD_LABEL[1],
                    "searchNamespace": "ALL",
                }
            },
        }
    return values


@dataclass(frozen=True, kw_only=True)
class PrometheusStackArgs:
    namespace: str = NAMESPACE
    alerting: bool = False
    """Evaluate the stack's PrometheusRules and run Alertmanager."""
    grafana: bool = False
    receivers: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    """Alert receiver config keys -> their secrets (alertmanager.py)."""


class PrometheusStack(pulumi.ComponentResource):
    """Prometheus Operator (and its CRDs) with one Prometheus that selects every ServiceMonitor and, with alerting,
    every PrometheusRule; Alertmanager and Grafana when asked.

    Example::

        PrometheusStack("prometheus", PrometheusStackArgs(), opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    url: str
    """Where Prometheus answers queries, in the cluster."""
    release: k8s.helm.v3.Release
    """The release: monitors (custom resources) come after it, as it installs their CRDs."""
    grafana_admin_password: pulumi.Output[str] | None
    """Grafana's admin password (a secret), when Grafana runs."""

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
        child = pulumi.ResourceOptions(parent=self)
        labels = {"app.kubernetes.io/part-of": PART_OF}
        secrets: list[pulumi.Resource] = []
        receivers = list(args.receivers) if args.alerting else []
        if receivers:
            keys = alertmanager.secret_keys(receivers)
            secrets.append(
                k8s.core.v1.Secret(
                    f"{name}-alert-receivers",
                    metadata={"name": alertmanager.SECRET_NAME, "namespace": namespace.metadata.name, "labels": labels},
                    string_data={keys[key]: args.receivers[key] for key in receivers},
                    opts=child,
                )
            )
        self.grafana_admin_password = None
        if args.grafana:
            password = random.RandomPassword(f"{name}-grafana-admin", length=32, special=False, opts=child)
            self.grafana_admin_password = password.result
            secrets.append(
                k8s.core.v1.Secret(
                    f"{name}-grafana-admin",
                    metadata={"name": GRAFANA_ADMIN_SECRET, "namespace": namespace.metadata.name, "labels": labels},
                    string_data={"admin-user": "admin", "admin-password": password.result},
                    opts=child,
                )
            )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,
            chart="kube-prometheus-stack",
            version=versions.PROMETHEUS_STACK_CHART,
            repository_opts={"repo": versions.PROMETHEUS_STACK_REPO},
            namespace=namespace.metadata.name,
            values=prometheus_values(grafana=args.grafana, alerting=args.alerting, receivers=receivers),
            max_history=5,
            # Alertmanager and Grafana mount these Secrets: they exist before the pods start.
            opts=pulumi.ResourceOptions(parent=self, depends_on=secrets),
        )
        self.url = PROMETHEUS_URL
        self.register_outputs({"url": self.url})
