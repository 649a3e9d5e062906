"""Who can reach a model, in one line for the plan summary and the `models.<name>.reachableBy` output: the Gateway
host with its authentication and limits, the load balancer's source ranges, the client namespaces, or no one but
Prometheus."""

from __future__ import annotations

from components.serving.clients import Client
from components.serving.gateway import GatewayRef
from components.serving.route_auth import RouteAccess, enforces_policies, gateway_label
from stacks.config import StackConfig

NO_ONE = "no one but Prometheus (no host, load balancer or clients)"


def reachable_by(config: StackConfig, name: str, gateway: GatewayRef | None) -> str:
    """Every way in to the model, joined by '; '."""
    model = config.models[name]
    access = config.route_access.get(model.route.primary) if model.route is not None else None
    vllm_checks_keys = (
        gateway is not None and access is not None and bool(access.clients) and not enforces_policies(gateway)
    )
    ways: list[str] = []
    if model.route is not None and gateway is not None and access is not None:
        ways.append(f"{model.route.url} through {gateway_label(gateway)}: {_gateway_access(access, gateway)}")
        if config.gateway_internal:
            ways[-1] += ", from the cluster's network only"
        elif config.gateway_source_ranges:
            ways[-1] += f", from {', '.join(config.gateway_source_ranges)} only"
    balancer = model.spec.load_balancer
    if balancer is not None:
        key = ", each request with an API key (vLLM checks it)" if vllm_checks_keys else ", no authentication"
        ways.append(f"its load balancer from {', '.join(balancer.source_ranges)}{key}")
    if model.clients:
        key = ", each with an API key (vLLM checks it)" if vllm_checks_keys else ""
        ways.append(f"pods of {', '.join(_client(client) for client in model.clients)}{key}")
    return "; ".join(ways) if ways else NO_ONE


def _gateway_access(access: RouteAccess, gateway: GatewayRef) -> str:
    if access.public:
        return f"anyone, without authentication (public: {access.public_reason})"
    if access.jwt is not None:
        audiences = f" for {', '.join(access.jwt.audiences)}" if access.jwt.audiences else ""
        return f"JWTs of {access.jwt.issuer}{audiences}, checked by the Gateway; no per-client limit"
    clients = ", ".join(access.clients)
    if not enforces_policies(gateway):
        return f"API keys of {clients}, checked by vLLM's --api-key (the Gateway checks none), no per-client limit"
    limits = ", ".join(f"{client} {limit}/min" for client, limit in access.requests_per_minute.items())
    unlimited = [client for client in access.clients if client not in access.requests_per_minute]
    limit_text = f"requests per client per proxy replica: {limits}" if limits else "no per-client limit"
    if limits and unlimited:
        limit_text += f" ({', '.join(unlimited)} unlimited)"
    return f"API keys of {clients}, checked by the Gateway; {limit_text}"


def _client(client: Client) -> str:
    if not client.pod_labels:
        return f"namespace {client.namespace}"
    labels = ",".join(f"{key}={value}" for key, value in sorted(client.pod_labels.items()))
    return f"namespace {client.namespace} labelled {labels}"
