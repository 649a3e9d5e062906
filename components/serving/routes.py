"""A model's route on the Gateway: an HTTPRoute by host (and path), to the model's Service (its InferencePool with
`routing: inference`), or to KEDA's HTTP add-on interceptor when the model sleeps (it wakes the
model and holds the request), split by weight when a canary shares the route.

The interceptor picks a model by the Host header, so a sleeping backend's requests carry the model's wake host name,
set on that backend alone. agentgateway v1.4.1 takes only header modifiers, redirects and mirrors as a backendRef's
filters and refuses the whole route over a URLRewrite there (controller/pkg/agentgateway/translator/conversion.go
BuildAgwBackendPolicyFilters: "unsupported filter type"); a RequestHeaderModifier that sets `Host` rewrites the
request's authority (crates/agentgateway/src/http/mod.rs apply_header: "Normalize modification of host header to
authority header"), which is what the interceptor reads. An existing Gateway keeps the backendRef-level URLRewrite
of the hostname. The wake Service itself is an ExternalName alias, which Gateways refuse as a backend,
hence the interceptor's Service is named directly, across namespaces, which a ReferenceGrant in KEDA's namespace
allows (agentgateway checks it: conversion.go buildAgwDestination).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.serving.gateway import GatewayRef, Implementation
from components.serving.metadata import PART_OF
from components.serving.vllm import SHUTDOWN_TIMEOUT_SECONDS

# Streaming completions can run for minutes; the Gateway must not cut them sooner than the server would drain.
REQUEST_TIMEOUT_SECONDS = max(600, SHUTDOWN_TIMEOUT_SECONDS)


@dataclass(frozen=True, kw_only=True)
class Backend:
    """One model behind a route."""

    model: str
    service: str
    namespace: str | None
    """The Service's namespace when it is not the route's (the interceptor's)."""
    port: int
    weight: int
    wake_host: str | None = None
    """A sleeping model: the host name the interceptor routes to it."""
    pool: bool = False
    """`routing: inference`: the model's InferencePool (named after the model, next to the route) instead of its
    Service; the pool's endpoint picker chooses the replica."""


def wake_filter(wake_host: str, implementation: Implementation) -> dict[str, Any]:
    """The filter that gives a sleeping backend's requests the model's wake host name."""
    if implementation is Implementation.AGENTGATEWAY:
        return {
            "type": "RequestHeaderModifier",
            "requestHeaderModifier": {"set": [{"name": "Host", "value": wake_host}]},
        }
    return {"type": "URLRewrite", "urlRewrite": {"hostname": wake_host}}


def backend_ref(backend: Backend, implementation: Implementation) -> dict[str, Any]:
    if backend.pool:
        # No port: the pool's targetPorts name it (Gateway API requires a port only for a Service).
        return {
            "group": "inference.networking.k8s.io",
            "kind": "InferencePool",
            "name": backend.model,
            "weight": backend.weight,
        }
    ref: dict[str, Any] = {"kind": "Service", "name": backend.service, "port": backend.port, "weight": backend.weight}
    if backend.namespace is not None:
        ref["namespace"] = backend.namespace
    if backend.wake_host is not None:
        ref["filters"] = [wake_filter(backend.wake_host, implementation)]
    return ref


def route_spec(
    *,
    gateway: GatewayRef,
    host: str,
    path: str | None,
    backends: Sequence[Backend],
    timeout_seconds: int,
    api_only: bool = False,
    api_paths: Sequence[str] = (),
) -> dict[str, Any]:
    """One rule: the host (and path prefix, removed before the model sees it; or `api_paths`, OpenAI paths matched
    exactly and passed on unchanged), the weighted backends, and a request timeout as long as the longest
    completion the server would finish.

    `api_only`: only `/v1` under the prefix, where vLLM's own `--api-key` checks every request; vLLM v0.31.0 leaves
    its other paths (`/invocations`, `/tokenize`, ...) open (entrypoints/serve/middleware/authenticate.py:12).
    `api_paths` are under `/v1` already."""
    if path and api_paths:
        raise ValueError(f"route for {host!r}: a path prefix ({path!r}) or exact API paths, not both")
    parent: dict[str, Any] = {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "namespace": gateway.namespace,
        "name": gateway.name,
    }
    listener = gateway.https_listener(host)
    if listener is not None:
        parent["sectionName"] = listener
    prefix = f"{path or ''}/v1" if api_only else path or "/"
    matches = (
        [{"path": {"type": "Exact", "value": api_path}} for api_path in api_paths]
        if api_paths
        else [{"path": {"type": "PathPrefix", "value": prefix}}]
    )
    rule: dict[str, Any] = {
        "matches": matches,
        "backendRefs": [backend_ref(backend, gateway.implementation) for backend in backends],
        "timeouts": {"request": f"{timeout_seconds}s"},
    }
    if path:
        rest = "/v1" if api_only else "/"
        rule["filters"] = [
            {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": rest}}}
        ]
    return {"parentRefs": [parent], "hostnames": [host], "rules": [rule]}


def reference_grant_spec(route_namespace: str, service: str) -> dict[str, Any]:
    """Lets HTTPRoutes of the serving namespace name one Service of this namespace (the interceptor's)."""
    return {
        "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": route_namespace}],
        "to": [{"group": "", "kind": "Service", "name": service}],
    }


@dataclass(frozen=True, kw_only=True)
class ModelRouteArgs:
    namespace: pulumi.Input[str]
    namespace_name: str
    gateway: GatewayRef
    host: str
    path: str | None
    backends: tuple[Backend, ...]
    timeout_seconds: int
    after: list[pulumi.Resource]
    api_paths: tuple[str, ...] = ()
    """Instead of `path`: OpenAI paths matched exactly, so that several models share the host."""
    """The Gateway (or its CRDs), and the interceptor's chart when a backend sleeps."""
    interceptor_namespace: pulumi.Input[str] | None = None
    """KEDA's namespace as an output (`Keda.namespace`), so that the ReferenceGrant in it waits for the Namespace."""
    api_only: bool = False
    """Route only `/v1`: the models check API keys themselves (vLLM's `--api-key`), on `/v1` alone."""


class ModelRoute(pulumi.ComponentResource):
    """The HTTPRoute `<name>` and, when a backend is the interceptor, the ReferenceGrant `<name>-route` next to it.

    Example::

        ModelRoute("chat", ModelRouteArgs(namespace=ns, namespace_name="llm-serving", gateway=ref,
                   host="chat.example.com", path=None, backends=(Backend(model="chat", service="chat",
                   namespace=None, port=8000, weight=100),), timeout_seconds=600, after=[]))
    """

    url: str
    """The model's public OpenAI base URL."""

    def __init__(self, name: str, args: ModelRouteArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:ModelRoute", name, None, opts)
        labels = {"app.kubernetes.io/part-of": PART_OF}
        for namespace, service in sorted({(b.namespace, b.service) for b in args.backends if b.namespace}):
            k8s.apiextensions.CustomResource(
                f"{name}-route-grant",
                api_version=args.gateway.reference_grant_api_version,
                kind="ReferenceGrant",
                metadata={
                    "name": f"{name}-route",
                    "namespace": args.interceptor_namespace or namespace,
                    "labels": labels,
                },
                spec=reference_grant_spec(args.namespace_name, service),
                opts=pulumi.ResourceOptions(parent=self, depends_on=args.after),
            )
        k8s.apiextensions.CustomResource(
            f"{name}-route",
            api_version="gateway.networking.k8s.io/v1",
            kind="HTTPRoute",
            metadata={"name": name, "namespace": args.namespace, "labels": labels},
            spec=route_spec(
                gateway=args.gateway,
                host=args.host,
                path=args.path,
                backends=args.backends,
                timeout_seconds=args.timeout_seconds,
                api_only=args.api_only,
                api_paths=args.api_paths,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.after),
        )
        self.url = f"https://{args.host}{args.path or ''}/v1"
        self.register_outputs({"url": self.url})
