"""Queue-based autoscaling: KEDA scales each model on the requests waiting in vLLM's queue, read from Prometheus.

CPU or GPU utilisation says little about an LLM server (a batch keeps the GPU busy at any load); the number of
requests waiting for a slot in vLLM's scheduler is what grows when users wait (FACTS §5-§6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.autoscaling.http_add_on import (
    PROXY_PORT,
    KedaHttpAddOn,
    KedaHttpAddOnArgs,
    interceptor_address,
    interceptor_route_spec,
    wake_service_name,
    wake_trigger,
)
from components.observability.vllm_monitor import vllm_service_monitor
from components.serving.clients import Client
from components.serving.metadata import PART_OF, platform_namespace

NAMESPACE = "keda"
# What the API server calls (kedacore/charts keda/values.yaml, 2.20): the metrics server behind the APIService
# v1beta1.external.metrics.k8s.io on 6443 and the admission webhooks on 9443 (container ports, not Service ports).
API_SERVER_PORTS = (6443, 9443)


def queue_query(namespace: str, service: str) -> str:
    """Requests waiting across the model's replicas. vLLM's Prometheus names keep the `vllm:` prefix; exporters
    that cannot carry a colon rename it `vllm_`: the query sums whichever exists, and `or vector(0)` keeps one
    sample when there is none (KEDA's Prometheus scaler needs a single element)."""
    selector = f'namespace="{namespace}",service="{service}"'
    return f"sum(vllm:num_requests_waiting{{{selector}}} or vllm_num_requests_waiting{{{selector}}}) or vector(0)"


def scaled_object_spec(
    *,
    deployment: str,
    namespace: str,
    service: str,
    min_replicas: int,
    max_replicas: int,
    queue_per_replica: int,
    prometheus_url: str,
) -> dict[str, Any]:
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment},
        "minReplicaCount": min_replicas,
        "maxReplicaCount": max_replicas,
        "pollingInterval": 15,
        # A GPU replica takes minutes to start: keep it a while after the queue drains.
        "cooldownPeriod": 600,
        "advanced": {
            "horizontalPodAutoscalerConfig": {
                "behavior": {
                    "scaleDown": {
                        "stabilizationWindowSeconds": 600,
                        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}],
                    },
                    "scaleUp": {
                        "stabilizationWindowSeconds": 0,
                        "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}],
                    },
                }
            }
        },
        "triggers": [
            {
                "type": "prometheus",
                "metricType": "AverageValue",
                "metadata": {
                    "serverAddress": prometheus_url,
                    "query": queue_query(namespace, service),
                    # Waiting requests per replica before another replica is added.
                    "threshold": str(queue_per_replica),
                    "activationThreshold": "0",
                },
            }
        ],
    }


def sleep_after_seconds(cooldown_seconds: int, startup_budget_seconds: int) -> int:
    """How long KEDA keeps a sleeping model's replica after the last waiting request: at least its startup budget.
    KEDA scales to zero `cooldownPeriod` after the last activity whether or not a pod is ready (kedacore/keda v2.20.1
    pkg/scaling/executor/scale_scaledobjects.go, scaleToZeroOrIdle), and a request the route cut (at 10 minutes) stops
    counting at the interceptor: with a shorter cooldown a cold start past both never finishes."""
    return max(cooldown_seconds, startup_budget_seconds)


@dataclass(frozen=True, kw_only=True)
class KedaArgs:
    namespace: str = NAMESPACE
    wake_clients: tuple[Client, ...] | None = None
    """With KEDA's HTTP add-on (scale from zero), the pods that call sleeping models through its interceptor;
    None: no add-on."""


class Keda(pulumi.ComponentResource):
    """KEDA operator and metrics server (pinned chart) and, when models sleep, its HTTP add-on: one add-on, one
    component in the preview.

    Example::

        Keda("keda", KedaArgs(), opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    release: k8s.helm.v3.Release
    """The release: ScaledObjects come after it, as it installs their CRDs."""
    namespace: pulumi.Output[str]
    """KEDA's namespace, known once its Namespace is registered: what goes into it (the HTTP add-on) names it
    through this output, so that it waits for the Namespace."""
    http_add_on: KedaHttpAddOn | None
    """The HTTP add-on, when `wake_clients` is set."""

    def __init__(self, name: str, args: KedaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:autoscaling:Keda", name, None, opts)
        namespace = platform_namespace(
            f"{name}-namespace",
            args.namespace,
            level="restricted",
            api_server_ports=API_SERVER_PORTS,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.namespace = namespace.metadata.name
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name="keda",
            chart="keda",
            version=versions.KEDA_CHART,
            repository_opts={"repo": versions.KEDA_REPO},
            namespace=self.namespace,
            max_history=5,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.http_add_on = (
            KedaHttpAddOn(
                f"{name}-http",
                KedaHttpAddOnArgs(
                    namespace=self.namespace,
                    keda=self.release,
                    clients=args.wake_clients,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            if args.wake_clients is not None
            else None
        )
        self.register_outputs({})


@dataclass(frozen=True, kw_only=True)
class QueueScalerArgs:
    namespace: pulumi.Input[str]
    name: str
    """The model's name (names the ScaledObject and ServiceMonitor)."""
    deployment: str
    """The Deployment to scale (the model's own, or KServe's `<name>-predictor`)."""
    service: str
    """The Service in front of it (also its Prometheus `service` label)."""
    service_selector: dict[str, str]
    """Labels of that Service, for the ServiceMonitor."""
    namespace_name: str
    """The namespace as plain text, for the query."""
    min_replicas: int
    max_replicas: int
    queue_per_replica: int
    prometheus_url: str
    after: list[pulumi.Resource]
    """What installs the ServiceMonitor and ScaledObject CRDs (the Prometheus stack, KEDA)."""
    wake: Wake | None = None
    """Scale-to-zero (min_replicas 0): how the HTTP add-on's interceptor reaches the model."""


@dataclass(frozen=True, kw_only=True)
class Wake:
    """A sleeping model's route through KEDA's HTTP add-on."""

    hosts: list[str]
    """Host names the interceptor routes to the model."""
    port: int
    """The model Service's port."""
    keda_namespace: str
    ready_within_seconds: int
    """How long the interceptor holds a request while the model starts (at most 30 minutes)."""
    wake_budget_seconds: int
    """The model's whole wake, from the request to a ready replica: at least how long KEDA keeps a woken replica
    before the model may sleep again (longer than `ready_within_seconds` when the cold start is)."""
    response_within_seconds: int
    add_on: pulumi.Resource
    """The add-on's release (the InterceptorRoute CRD)."""


class QueueScaler(pulumi.ComponentResource):
    """A model's ServiceMonitor (vLLM's /metrics) and the ScaledObject that scales it on its queue.

    Example::

        QueueScaler("chat", QueueScalerArgs(...), opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    def __init__(self, name: str, args: QueueScalerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:autoscaling:QueueScaler", name, None, opts)
        # The CRDs come with those releases: a custom resource before its CRD fails with "no matches for kind".
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=args.after)
        labels = {"app.kubernetes.io/part-of": PART_OF}
        vllm_service_monitor(f"{name}-metrics", args.name, args.namespace, args.service_selector, after_crds)
        spec = scaled_object_spec(
            deployment=args.deployment,
            namespace=args.namespace_name,
            service=args.service,
            min_replicas=args.min_replicas,
            max_replicas=args.max_replicas,
            queue_per_replica=args.queue_per_replica,
            prometheus_url=args.prometheus_url,
        )
        if args.wake is not None:
            self._route_through_interceptor(name, args, args.wake, labels)
            spec["triggers"].append(wake_trigger(args.name, args.wake.keda_namespace))
            spec["cooldownPeriod"] = sleep_after_seconds(spec["cooldownPeriod"], args.wake.wake_budget_seconds)
        k8s.apiextensions.CustomResource(
            f"{name}-scaler",
            api_version="keda.sh/v1alpha1",
            kind="ScaledObject",
            metadata={"name": args.name, "namespace": args.namespace, "labels": labels},
            spec=spec,
            opts=after_crds,
        )
        self.register_outputs({})

    def _route_through_interceptor(self, name: str, args: QueueScalerArgs, wake: Wake, labels: dict[str, str]) -> None:
        """`<model>-wake`, an alias of the interceptor callers use, and the route from there to the model."""
        k8s.core.v1.Service(
            f"{name}-wake",
            metadata={"name": wake_service_name(args.name), "namespace": args.namespace, "labels": labels},
            spec={
                "type": "ExternalName",
                "externalName": interceptor_address(wake.keda_namespace),
                "ports": [{"name": "http", "port": PROXY_PORT, "protocol": "TCP"}],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-route",
            api_version="http.keda.sh/v1beta1",
            kind="InterceptorRoute",
            metadata={"name": args.name, "namespace": args.namespace, "labels": labels},
            spec=interceptor_route_spec(
                hosts=wake.hosts,
                service=args.service,
                port=wake.port,
                ready_within_seconds=wake.ready_within_seconds,
                response_within_seconds=wake.response_within_seconds,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[wake.add_on]),
        )
