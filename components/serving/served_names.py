"""One OpenAI `model` name in front of several models (`servedNames`), with fallback, on the stack's own Gateway.

Each served name is an agentgateway v1.4.1 AgentgatewayBackend whose `spec.ai.groups` are its models in order, one
provider per priority group, plus an HTTPRoute for its host and an AgentgatewayPolicy that retries the route.
What agentgateway does with them (read at v1.4.1, not run):

- A request goes to the first priority group that has a provider not evicted (crates/agentgateway/src/types/
  loadbalancer.rs best_bucket); when every provider is evicted, to the first group's evicted ones.
- After each attempt the provider's health policy judges the response (telemetry/log.rs eviction_unhealthy); with
  an `eviction` and no `consecutiveFailures`, one unhealthy response evicts the provider for its duration
  (http/health.rs eviction_decision), times the evictions in a row.
- The route's retry selects a provider again for each attempt (proxy/httpproxy.rs make_backend_call:
  `select_provider` per attempt), so the retry of a failed request goes to the next group: the fallback happens
  within the request that failed (httpproxy.rs test llm_retry_evicts_failed_priority_group_before_next_attempt).
  A connection failure is retried (proxy/mod.rs is_retryable: UpstreamCallFailed, timeouts, DNS); 5xx and 429 are
  retried by the codes listed. The eviction reaches the load balancer through a channel a task reads, hence the
  retry's backoff, as upstream's own test waits.
- A custom `unhealthyCondition` replaces the default (5xx or no response); a connection failure has no response,
  so `response.code` alone would be an error, which counts as healthy (cel/types.rs eval_bool): the condition
  reads the code through `default()` (crates/celx/src/general.rs), an absent one as 503.

The providers are plain HTTP to the model's Service: a provider with `host` and `port` takes no default TLS
(httpproxy.rs: the provider's default connector only without a host override), and its `model` replaces the one
the client sent. A model routed through its InferencePool is a `custom` provider whose `backendRef` names the pool
(the CRD's rule allows a namespace-local Service or InferencePool).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.serving.gateway import GatewayRef, Implementation
from components.serving.metadata import PART_OF
from components.serving.route_auth import RouteAccess, RouteAuth, RouteAuthArgs
from components.serving.routes import route_spec

API_GROUP = "agentgateway.dev"
API_VERSION = f"{API_GROUP}/v1alpha1"
EVICTION_SECONDS = 30
"""How long a model that failed is skipped (then 2x, 3x... while it keeps failing, http/health.rs)."""
RETRY_BACKOFF = "100ms"
"""Between a failed attempt and the next: long enough for the eviction to reach the load balancer."""
RETRY_CODES = (429, 500, 502, 503, 504)
UNHEALTHY_CONDITION = "default(response.code, 503) >= 500 || default(response.code, 503) == 429"
"""A response is a failure of its model: 5xx, 429, or none at all (a connection failure)."""


def served_names_refusal(gateway: GatewayRef) -> str | None:
    """Why the Gateway the stack uses cannot serve a name with fallback; None when it can.

    The one place that knows which implementation can: the stack's own Gateway (agentgateway, on every cloud, whose
    AgentgatewayBackend has priority groups). Gateway API's HTTPRoute has weights but no priority between its
    backendRefs, so an existing Gateway of unknown implementation cannot."""
    if gateway.implementation is Implementation.AGENTGATEWAY:
        return None
    return (
        "needs the stack's own Gateway (agentgateway's priority groups): existingGateway's implementation is unknown "
        "to the stack, and Gateway API's HTTPRoute has weights but no priority between backends"
    )


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """One model behind a served name."""

    model: str
    served_model_name: str
    """What the model's vLLM answers to: the `model` the gateway writes into each request."""
    service: str
    port: int
    pool: bool = False
    """`routing: inference`: reached through its InferencePool (named after the model) instead of its Service."""
    usd_per_replica_hour: float | None = None
    """The plan's price of one replica-hour; None when a price is unknown (or off a cloud)."""


def ordered(candidates: Sequence[Candidate], *, cheapest: bool) -> tuple[Candidate, ...]:
    """The order the gateway tries them in: as listed, or cheapest first (an unknown price last; equal prices, and
    unknown ones, keep their listed order)."""
    if not cheapest:
        return tuple(candidates)
    return tuple(
        sorted(
            candidates,
            key=lambda c: c.usd_per_replica_hour if c.usd_per_replica_hour is not None else math.inf,
        )
    )


def _provider(candidate: Candidate, namespace: str, *, embed: bool) -> dict[str, Any]:
    health = {"health": {"unhealthyCondition": UNHEALTHY_CONDITION, "eviction": {"duration": f"{EVICTION_SECONDS}s"}}}
    if candidate.pool:
        return {
            "name": candidate.model,
            "custom": {
                "backendRef": {
                    "group": "inference.networking.k8s.io",
                    "kind": "InferencePool",
                    "name": candidate.model,
                },
                "formats": [{"type": "Embeddings" if embed else "Completions"}],
                "model": candidate.served_model_name,
            },
            "policies": health,
        }
    return {
        "name": candidate.model,
        "openai": {"model": candidate.served_model_name},
        "host": f"{candidate.service}.{namespace}.svc.cluster.local",
        "port": candidate.port,
        "policies": health,
    }


def backend_spec(candidates: Sequence[Candidate], namespace: str, *, embed: bool) -> dict[str, Any]:
    """One priority group per model, in order. Without an AI route policy every path is read as chat completions
    (llm/policy/mod.rs resolve_route); the API's own path is mapped, and anything else (`/v1/models`) passes
    through unparsed to the group chosen."""
    api = ("/v1/embeddings", "Embeddings") if embed else ("/v1/chat/completions", "Completions")
    return {
        "ai": {"groups": [{"providers": [_provider(c, namespace, embed=embed)]} for c in candidates]},
        "policies": {"ai": {"routes": {api[0]: api[1], "*": "Passthrough"}}},
    }


def retry_traffic(candidates: int) -> dict[str, Any]:
    """Retries on the served name's route: enough for a request to try every model once (in the route's one
    AgentgatewayPolicy, beside its authentication: components/serving/route_auth.py)."""
    return {"retry": {"attempts": max(1, candidates - 1), "backoff": RETRY_BACKOFF, "codes": list(RETRY_CODES)}}


def served_route_spec(
    *, gateway: GatewayRef, host: str, path: str | None, backend: str, timeout_seconds: int
) -> dict[str, Any]:
    """A model's route (host, path, timeout), to the served name's AgentgatewayBackend (no port: it is no Service)."""
    spec = route_spec(gateway=gateway, host=host, path=path, backends=(), timeout_seconds=timeout_seconds)
    spec["rules"][0]["backendRefs"] = [{"group": API_GROUP, "kind": "AgentgatewayBackend", "name": backend}]
    return spec


PROXY_METRICS_PORT = "metrics"
"""agentgateway v1.4.1's proxy container port 15020 (controller/pkg/helm/agentgateway/templates/_helpers.tpl), whose
/metrics the proxies' own `prometheus.io/*` annotations point at."""


def proxy_monitor_spec(gateway: GatewayRef) -> dict[str, Any] | None:
    """A PodMonitor of the Gateway's proxies, whose request counts the served names' alerts read; None when the
    Gateway's data plane is not pods the stack knows."""
    proxies = gateway.proxies
    if proxies is None or not proxies.pod_labels:
        return None
    return {
        "selector": {"matchLabels": dict(proxies.pod_labels)},
        "namespaceSelector": {"matchNames": [proxies.namespace]},
        "podMetricsEndpoints": [{"port": PROXY_METRICS_PORT, "path": "/metrics"}],
    }


def resource_name(name: str) -> str:
    """The served name's objects: apart from the models' own routes, which carry the models' names."""
    return f"served-{name}"


@dataclass(frozen=True, kw_only=True)
class ServedNameRouteArgs:
    namespace: pulumi.Input[str]
    namespace_name: str
    gateway: GatewayRef
    host: str
    path: str | None
    candidates: tuple[Candidate, ...]
    """In the order the gateway tries them."""
    embed: bool
    timeout_seconds: int
    after: list[pulumi.Resource]
    """The Gateway, and the models' Services."""
    access: RouteAccess
    """Who may call the name: its route's API-key clients and limits, a JWT issuer, or public."""
    keys: Mapping[str, pulumi.Output[str]]
    """Every client's key (secret outputs)."""


class ServedNameRoute(pulumi.ComponentResource):
    """The AgentgatewayBackend and HTTPRoute `served-<name>` of one served name, and its route's authentication and
    retries (`RouteAuth`: the Secret `served-<name>-api-keys` and the AgentgatewayPolicy `served-<name>-auth`).

    Example::

        ServedNameRoute("chat", ServedNameRouteArgs(namespace=ns, namespace_name="llm-serving", gateway=ref,
                        host="chat.example.com", path=None, candidates=(Candidate(model="small",
                        served_model_name="small", service="small", port=8000), ...), embed=False,
                        timeout_seconds=600, after=[], access=RouteAccess(clients=("app",)), keys={"app": key}))
    """

    url: str

    def __init__(self, name: str, args: ServedNameRouteArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:ServedNameRoute", name, None, opts)
        labels = {"app.kubernetes.io/part-of": PART_OF}
        object_name = resource_name(name)
        child = pulumi.ResourceOptions(parent=self, depends_on=args.after)
        k8s.apiextensions.CustomResource(
            f"{object_name}-backend",
            api_version=API_VERSION,
            kind="AgentgatewayBackend",
            metadata={"name": object_name, "namespace": args.namespace, "labels": labels},
            spec=backend_spec(args.candidates, args.namespace_name, embed=args.embed),
            opts=child,
        )
        k8s.apiextensions.CustomResource(
            f"{object_name}-route",
            api_version="gateway.networking.k8s.io/v1",
            kind="HTTPRoute",
            metadata={"name": object_name, "namespace": args.namespace, "labels": labels},
            spec=served_route_spec(
                gateway=args.gateway,
                host=args.host,
                path=args.path,
                backend=object_name,
                timeout_seconds=args.timeout_seconds,
            ),
            opts=child,
        )
        RouteAuth(
            object_name,
            RouteAuthArgs(
                namespace=args.namespace,
                route=object_name,
                access=args.access,
                keys=args.keys,
                gateway=args.gateway,
                after=args.after,
                extra_traffic=retry_traffic(len(args.candidates)),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.url = f"https://{args.host}{args.path or ''}/v1"
        self.register_outputs({"url": self.url})
