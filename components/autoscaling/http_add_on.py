"""Scale-to-zero: KEDA's HTTP add-on holds a model's requests while its first replica starts.

With no replica there is no vLLM queue to read, so the queue cannot wake a model. The add-on's interceptor
sits in front of a model that may sleep: it counts the requests waiting for it (KEDA's `external-push` trigger
on the add-on's scaler wakes the Deployment) and forwards them once a replica is ready. The model's own
ScaledObject keeps the queue trigger for scaling out (kedacore/http-add-on v0.15.0: an InterceptorRoute
routes, and a ScaledObject of ours scales, with the add-on as one of its triggers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.serving.clients import Client, Target
from components.serving.metadata import PART_OF

CHART = "keda-add-ons-http"
PROXY_PORT = 8080
# Services the chart names `<chart>-<component>` (kedacore/charts http-add-on/templates).
INTERCEPTOR_SERVICE = f"{CHART}-interceptor-proxy"
EXTERNAL_SCALER_SERVICE = f"{CHART}-external-scaler"
EXTERNAL_SCALER_PORT = 9090
# The labels the chart gives the interceptor's pods, and their proxy's container port (kedacore/charts
# http-add-on/templates/interceptor/deployment.yaml and values.yaml `interceptor.proxy.port`, 0.15.0).
INTERCEPTOR_LABELS = {"app.kubernetes.io/component": "interceptor", "app.kubernetes.io/name": "http-add-on"}
# In-flight requests per replica before the add-on asks for another: vLLM's default batch (max_num_seqs 256),
# so that the queue trigger decides when to scale out and the add-on only wakes the model.
IN_FLIGHT_PER_REPLICA = 256

# The chart's pods meet Pod Security "restricted" (as KEDA's namespace enforces) only with these.
_RESTRICTED_POD = {
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
    "fsGroup": 1000,
    "supplementalGroups": [1000],
}
_RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def interceptor_address(keda_namespace: str) -> str:
    """Where a sleeping model's requests go (its wake Service is an alias; the Host header picks the model)."""
    return f"{INTERCEPTOR_SERVICE}.{keda_namespace}.svc.cluster.local"


def interceptor_client(keda_namespace: str) -> Client:
    """The interceptor as a sleeping model's client: it forwards the requests it held to the model's pods."""
    return Client(namespace=keda_namespace, pod_labels=INTERCEPTOR_LABELS)


def interceptor_target(keda_namespace: str) -> Target:
    """The interceptor's proxy, where a sleeping model's clients send (through its wake alias)."""
    return Target(peer=interceptor_client(keda_namespace).peer(), port=PROXY_PORT)


def interceptor_ingress_rules(clients: Sequence[Client]) -> list[dict[str, Any]]:
    """The sleeping models' clients, on the proxy port. No peers, no rule: one with no peers would admit all."""
    peers = [client.peer() for client in clients]
    return [{"from": peers, "ports": [{"protocol": "TCP", "port": PROXY_PORT}]}] if peers else []


def wake_service_name(model: str) -> str:
    return f"{model}-wake"


def wake_base_url(model: str, namespace: str) -> str:
    """A sleeping model's in-cluster OpenAI base URL: its wake Service, on the interceptor's port."""
    return f"http://{wake_service_name(model)}.{namespace}.svc.cluster.local:{PROXY_PORT}/v1"


def wake_hosts(model: str, namespace: str, public_host: str | None) -> list[str]:
    """Host names the interceptor routes to the model: its wake Service's in-cluster names (the interceptor
    matches host names without the port; the Gateway's route rewrites the Host to the first) and its public name."""
    service = wake_service_name(model)
    hosts = [f"{service}.{namespace}.svc.cluster.local", f"{service}.{namespace}.svc", f"{service}.{namespace}"]
    return [*hosts, public_host] if public_host else hosts


def interceptor_route_spec(
    *, hosts: Sequence[str], service: str, port: int, ready_within_seconds: int, response_within_seconds: int
) -> dict[str, Any]:
    # No `coldStart.placeholder` (a canned answer while the model wakes): callers are API clients, which wait. A
    # placeholder body from a ConfigMap is also the one thing that makes the interceptor read ConfigMaps (v0.15.0
    # interceptor/middleware/placeholder.go, a lazy informer), which chart 0.15.0's ClusterRole does not allow
    # (kedacore/charts#897 adds it cluster-wide after 0.15.0).
    return {
        "target": {"service": service, "port": port},
        "rules": [{"hosts": list(hosts)}],
        "scalingMetric": {"concurrency": {"targetValue": IN_FLIGHT_PER_REPLICA}},
        "timeouts": {
            # A cold start (node, pull, download, load) takes minutes: hold requests as long as it may take.
            "readiness": f"{ready_within_seconds}s",
            # A long completion sends its headers only at the end; match the Gateway route's timeout.
            "responseHeader": f"{response_within_seconds}s",
        },
    }


def wake_trigger(route: str, keda_namespace: str) -> dict[str, Any]:
    """The ScaledObject trigger that wakes the model while requests wait at the interceptor."""
    return {
        "type": "external-push",
        "metadata": {
            "scalerAddress": f"{EXTERNAL_SCALER_SERVICE}.{keda_namespace}:{EXTERNAL_SCALER_PORT}",
            "interceptorRoute": route,
        },
    }


@dataclass(frozen=True, kw_only=True)
class KedaHttpAddOnArgs:
    namespace: pulumi.Input[str]
    """KEDA's namespace (`Keda.namespace`, an output, so that the release and the policy wait for the Namespace):
    the add-on needs KEDA (its chart scales the interceptor with a ScaledObject)."""
    keda: pulumi.Resource
    """KEDA's release."""
    clients: tuple[Client, ...]
    """Pods that send requests through the interceptor: the sleeping models' clients and, for those exposed, the
    Gateway's proxies."""


class KedaHttpAddOn(pulumi.ComponentResource):
    """KEDA's HTTP add-on (pinned chart) and the NetworkPolicy that lets callers reach its interceptor.

    Example::

        KedaHttpAddOn("keda-http", KedaHttpAddOnArgs(namespace=keda.namespace, keda=keda.release,
                      clients=(Client(namespace="apps"),)), opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    release: k8s.helm.v3.Release
    """The release: InterceptorRoutes come after it, as it installs their CRD."""

    def __init__(self, name: str, args: KedaHttpAddOnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:autoscaling:KedaHttpAddOn", name, None, opts)
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name="http-add-on",
            chart=CHART,
            version=versions.KEDA_HTTP_ADD_ON_CHART,
            repository_opts={"repo": versions.KEDA_REPO},
            namespace=args.namespace,
            values={"podSecurityContext": _RESTRICTED_POD, "securityContext": _RESTRICTED_CONTAINER},
            max_history=5,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.keda]),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-callers",
            metadata={
                "name": "allow-http-interceptor-callers",
                "namespace": args.namespace,
                "labels": {"app.kubernetes.io/part-of": PART_OF},
            },
            spec={
                "podSelector": {"matchLabels": INTERCEPTOR_LABELS},
                "policyTypes": ["Ingress"],
                "ingress": interceptor_ingress_rules(args.clients),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
