"""The custom resources that watch a model and the platform: PrometheusRules, vLLM's ServiceMonitor where no
queue scaler made one, and the dashboards as ConfigMaps labelled for Grafana's sidecar (the stack's Grafana with
`grafana: true`, or any other that watches the label)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.observability.alerts import ModelWatch, gpu_rules, model_rules
from components.observability.cost_panels import DashboardCost
from components.observability.dashboards import model_dashboard, overview_dashboard
from components.observability.prometheus import DASHBOARD_LABEL
from components.observability.vllm_monitor import vllm_service_monitor
from components.serving.metadata import PART_OF

LABELS = {"app.kubernetes.io/part-of": PART_OF}


def prometheus_rule(
    name: str, namespace: pulumi.Input[str], group: dict[str, Any], opts: pulumi.ResourceOptions
) -> None:
    k8s.apiextensions.CustomResource(
        f"{name}-alerts",
        api_version="monitoring.coreos.com/v1",
        kind="PrometheusRule",
        metadata={"name": f"{name}-alerts", "namespace": namespace, "labels": LABELS},
        spec={"groups": [group]},
        opts=opts,
    )


def dashboard_config_map(
    name: str, namespace: pulumi.Input[str], document: dict[str, Any], opts: pulumi.ResourceOptions
) -> None:
    k8s.core.v1.ConfigMap(
        f"{name}-dashboard",
        metadata={
            "name": f"{name}-dashboard",
            "namespace": namespace,
            "labels": {**LABELS, DASHBOARD_LABEL[0]: DASHBOARD_LABEL[1]},
        },
        data={f"{document['uid']}.json": json.dumps(document, sort_keys=True)},
        opts=opts,
    )


@dataclass(frozen=True, kw_only=True)
class ModelObservabilityArgs:
    namespace: pulumi.Input[str]
    watch: ModelWatch
    service_selector: dict[str, str]
    """Labels of the model's Service, for its ServiceMonitor."""
    scraped: bool
    """A ServiceMonitor exists already (the queue scaler's)."""
    after: list[pulumi.Resource] = field(default_factory=list)
    """What installs the Prometheus Operator's CRDs."""


class ModelObservability(pulumi.ComponentResource):
    """A model's alerting rules (its own group), its scrape when the queue scaler has none, its dashboard.

    Example::

        ModelObservability("chat", ModelObservabilityArgs(...), opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    def __init__(self, name: str, args: ModelObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:observability:ModelObservability", name, None, opts)
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=args.after)
        if not args.scraped:
            vllm_service_monitor(f"{name}-metrics", args.watch.name, args.namespace, args.service_selector, after_crds)
        prometheus_rule(name, args.namespace, model_rules(args.watch), after_crds)
        # Delivered whether or not this stack runs Grafana: any Grafana sidecar watching the label loads it.
        dashboard_config_map(name, args.namespace, model_dashboard(args.watch), pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


@dataclass(frozen=True, kw_only=True)
class PlatformObservabilityArgs:
    namespace: pulumi.Input[str]
    """Where the platform's rules and overview go (the monitoring namespace)."""
    models: list[ModelWatch]
    gpu_metrics: bool
    """DCGM is scraped into this Prometheus: alert on the GPUs."""
    after: list[pulumi.Resource] = field(default_factory=list)
    cost: DashboardCost | None = None
    """The plan's prices for the overview's cost panels; None: no cost panels (an existing cluster)."""


class PlatformObservability(pulumi.ComponentResource):
    """The platform's GPU alerts and the overview dashboard.

    Example::

        PlatformObservability("platform", PlatformObservabilityArgs(...), opts=pulumi.ResourceOptions(provider=p))
    """

    def __init__(self, name: str, args: PlatformObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:observability:PlatformObservability", name, None, opts)
        if args.gpu_metrics:
            prometheus_rule(
                name, args.namespace, gpu_rules(), pulumi.ResourceOptions(parent=self, depends_on=args.after)
            )
        if args.models:
            dashboard_config_map(
                name,
                args.namespace,
                overview_dashboard(args.models, gpu_metrics=args.gpu_metrics, cost=args.cost),
                pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})
