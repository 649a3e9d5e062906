"""The whole path of a request to an exposed model, hop by hop, over what one offline plan registers: source → cloud
network rules → load balancer → Gateway proxy → listener → route (Gateway API's precedence: tools/route_matching.py)
→ the route's authentication and rate limit (tools/route_access.py) → Service, pool or a served name's providers in
priority order → NetworkPolicy → pod and its own key check (and, for a sleeping model, the interceptor's route to
it), plus each load balancer's health check: the port and path it probes and whether the pods answer 200 there.

Each hop reads the planned objects; what a controller adds in the cloud, outside the plan, is modelled from upstream:

- agentgateway's proxies (v1.4.1: tools/planned_cluster.py agentgateway_proxy) sit behind the Service its deployer
  makes from the GatewayClass's AgentgatewayParameters (the plan's `service` overlay: annotations, source ranges,
  `externalTrafficPolicy: Local`, which keeps the client's address for the proxies' NetworkPolicy); the cloud load
  balancer checks the nodes' health-check node port (kube-proxy's /healthz), outside NetworkPolicies.
- An InferencePool's requests go to the pod its endpoint picker names; with the picker down, a pool whose
  `endpointPickerRef.failureMode` is FailOpen still sends them to one of its pods (agentgateway v1.4.1 crates/
  agentgateway/src/proxy/httpproxy.rs select_service_target_port), one that fails closed answers an error.
- Azure evaluates the node subnet's NSG (the plan's rules, then Azure's defaults: AllowVnetInBound, AllowAzureLoad
  BalancerInBound, DenyAllInBound); the load balancer keeps the Service's port (floating IP). AKS opens the Service's
  own ports in the NIC-level NSG it manages (Azure/AKS#674), modelled as open.
- cloud-provider-aws opens a Network Load Balancer's ports to its `loadBalancerSourceRanges` (everyone when none) in
  the nodes' security group, and GKE's service controller its L4 load balancer's in the network's firewall: both
  modelled as open.
- Charts' objects (KEDA's HTTP add-on interceptor and its Service) come from the charts' templates at the pinned
  versions (kedacore/http-add-on v0.15.0 config/interceptor/deployment.yaml: admin 9090 `/readyz`, proxy 8080).

A walk records the rules it relied on (`Walk.relied_on`): removing any one of them must break it, which is how the
tests show that each rule is needed; and the credential checks it passed (`Walk.guarded_by`): removing them must let
a request without a credential through, which is how the tests show that the checks can fail.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.planned_cluster import (
    AZURE_LOAD_BALANCER,
    INTERCEPTOR_POD,
    INTERNAL_ANNOTATIONS,
    NODE_PORT,
    BlockedError,
    Cluster,
    Served,
    agentgateway_proxy,
    is_private,
    key,
)
from tools.reachability import Address, Endpoint, Pod, selects
from tools.route_access import ANONYMOUS, Credential, RefusedError, check_at_gateway, check_at_server
from tools.route_matching import select

AGENTGATEWAY_CONTROLLER = "agentgateway.dev/agentgateway"
"""The controller name agentgateway v1.4.1 serves (controller/pkg/wellknown/controller.go)."""


@dataclass
class Walk:
    hops: list[str] = field(default_factory=list)
    relied_on: list[tuple[Any, ...]] = field(default_factory=list)
    """Rules the path passed through: ("nsg", name), ("policy-rule", namespace, name, index), ("object", kind,
    namespace, name)."""
    blocked: str | None = None
    refused_with: int | None = None
    """The HTTP status of the hop that refused the request (401: no valid credential), if one did."""
    rate_limit: str | None = None
    """The limit the Gateway's policy applies to the request's client, if any."""
    order: list[str] = field(default_factory=list)
    """A served name's providers, in the order the Gateway tries them."""
    reached: list[Served] = field(default_factory=list)
    """The pods that answer the request (pickers and the interceptor pass it on)."""
    guarded_by: list[tuple[Any, ...]] = field(default_factory=list)
    """The credential checks on the way (("object", "AgentgatewayPolicy", namespace, name), ("server-keys",
    namespace, pod)): without any one, a request without a credential would get through."""

    @property
    def reaches(self) -> bool:
        return self.blocked is None


# --- walking a route ---------------------------------------------------------------------------------------------


def routes(cluster: Cluster) -> list[tuple[str, str]]:
    """Every (host, path) a planned HTTPRoute serves on an HTTPS listener."""
    found = []
    for route in cluster.kind("HTTPRoute"):
        for host in route["spec"].get("hostnames") or []:
            for rule in route["spec"]["rules"]:
                for match in rule.get("matches") or []:
                    found.append((host, match["path"]["value"]))
    return sorted(set(found))


def walk_route(
    cluster: Cluster,
    source: Address,
    host: str,
    path: str,
    *,
    credential: Credential = ANONYMOUS,
    picker_down: bool = False,
) -> Walk:
    """A client's request to host and path carrying `credential`; `picker_down`: with every endpoint picker
    unreachable (fail-open)."""
    walk = Walk()
    try:
        _walk_route(cluster, source, host, path, walk, credential=credential, picker_down=picker_down)
    except RefusedError as refused:
        walk.blocked, walk.refused_with = str(refused), refused.status
    except BlockedError as blocked:
        walk.blocked = str(blocked)
    return walk


def _walk_route(
    cluster: Cluster, source: Address, host: str, path: str, walk: Walk, *, credential: Credential, picker_down: bool
) -> None:
    selected = select(cluster, host, path)
    route, rule = selected.route, selected.rule
    walk.relied_on.append(("object", "HTTPRoute", *key(route)))
    [parent] = route["spec"]["parentRefs"]
    gateway = cluster.find("Gateway", parent.get("namespace", route["metadata"]["namespace"]), parent["name"])
    if gateway is None:
        walk.hops.append(f"Gateway {parent['namespace']}/{parent['name']} (not the stack's)")
        proxy: Endpoint = Pod(namespace=parent["namespace"], name="gateway-proxy")
    else:
        proxy = _through_gateway(cluster, gateway, source, walk)
        _listener(cluster, gateway, route, parent, host, walk)
    walk.hops.append(f"HTTPRoute {key(route)[1]} ({selected.match.get('path', {}).get('type', 'PathPrefix')} match)")
    if gateway is not None and _applies_policies(cluster, gateway):
        check = check_at_gateway(cluster, route, credential)
        if check.policy is not None:
            walk.guarded_by.append(("object", "AgentgatewayPolicy", *key(check.policy)))
        walk.hops.append(check.hop)
        walk.rate_limit = check.rate_limit
    for ref in rule["backendRefs"]:
        if ref.get("weight", 1) == 0:
            continue
        answering, asked = _backend(cluster, route, ref, walk, picker_down=picker_down)
        for served in asked:
            _admit(cluster, served, proxy, walk, f"proxy {proxy}")
        for served in answering:
            _admit(cluster, served, proxy, walk, f"proxy {proxy}")
            if served.pod == INTERCEPTOR_POD:
                _through_interceptor(cluster, ref, walk, path=selected.forwarded_path, credential=credential)
            else:
                _serve(cluster, served, selected.forwarded_path, credential, walk)


def _applies_policies(cluster: Cluster, gateway: dict[str, Any]) -> bool:
    """A Gateway of agentgateway's class: it applies the AgentgatewayPolicies on its routes."""
    gateway_class = cluster.find("GatewayClass", None, gateway["spec"]["gatewayClassName"])
    return gateway_class is not None and gateway_class["spec"]["controllerName"] == AGENTGATEWAY_CONTROLLER


def _serve(cluster: Cluster, served: Served, path: str, credential: Credential, walk: Walk) -> None:
    """The pod answers: its own key check, if it has one, and it is a model pod that answers once ready."""
    check = check_at_server(cluster, served.pod, path, credential)
    if check is not None:
        walk.hops.append(check.hop)
        if check.checked:
            walk.guarded_by.append(("server-keys", served.pod.namespace, served.pod.name))
    walk.reached.append(served)


def _route_for(cluster: Cluster, host: str, path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    selected = select(cluster, host, path)
    return selected.route, selected.rule


def _through_gateway(cluster: Cluster, gateway: dict[str, Any], source: Address, walk: Walk) -> Endpoint:
    """Load balancer, cloud rules and the Gateway's proxies; the proxy as the backends see it."""
    namespace, name = key(gateway)
    class_name = gateway["spec"]["gatewayClassName"]
    gateway_class = cluster.find("GatewayClass", None, class_name)
    if gateway_class is None:
        raise BlockedError(f"no GatewayClass {class_name}")
    if gateway_class["spec"]["controllerName"] != AGENTGATEWAY_CONTROLLER:
        raise BlockedError(f"GatewayClass {class_name} is not served by agentgateway")
    reference = gateway_class["spec"]["parametersRef"]
    parameters = cluster.find("AgentgatewayParameters", reference["namespace"], reference["name"])
    if parameters is None:
        raise BlockedError(f"no AgentgatewayParameters {reference['namespace']}/{reference['name']}")
    service = parameters["spec"].get("service", {})
    annotations = service.get("metadata", {}).get("annotations") or {}
    spec = service.get("spec", {})
    internal = any(annotations.get(key) == value for key, value in INTERNAL_ANNOTATIONS.items())
    ranges = spec.get("loadBalancerSourceRanges") or []
    if ranges and not any(ipaddress.ip_address(source.ip) in ipaddress.ip_network(cidr) for cidr in ranges):
        raise BlockedError(f"{source} is outside the Gateway Service's loadBalancerSourceRanges {ranges}")
    _reach_load_balancer(source, internal, walk, "agentgateway's load balancer")
    _cloud_rules(cluster, source, 443, walk)
    proxy = agentgateway_proxy(namespace, name, class_name)
    kept = spec.get("externalTrafficPolicy") == "Local"
    _admit_port(cluster, proxy, source, 443, walk, f"{source} ({'the client' if kept else 'a node'}'s address)")
    return proxy


def _reach_load_balancer(source: Address, internal: bool, walk: Walk, what: str) -> None:
    if internal and not is_private(source):
        raise BlockedError(f"{what} is internal: {source} is outside the network")
    walk.hops.append(f"{what} ({'internal' if internal else 'public'})")


def _cloud_rules(cluster: Cluster, source: Address, port: int, walk: Walk) -> None:
    if cluster.cloud == "azure" and cluster.nsg_rules is not None:
        rule = cluster.nsg_admits(source, port)
        walk.hops.append(f"node subnet NSG rule {rule} admits {source} on {port}")
        try:
            cluster.without(("nsg", rule)).nsg_admits(source, port)
        except BlockedError:
            walk.relied_on.append(("nsg", rule))  # the only rule that lets it in
    elif cluster.cloud == "aws":
        walk.hops.append("the nodes' security group (cloud-provider-aws opens the Service's sourceRanges)")


def _listener(
    cluster: Cluster, gateway: dict[str, Any], route: dict[str, Any], parent: Mapping[str, Any], host: str, walk: Walk
) -> None:
    route_namespace = route["metadata"]["namespace"]
    labels = cluster.network.namespace_labels(route_namespace)
    for listener in gateway["spec"]["listeners"]:
        if listener.get("hostname") != host or listener["protocol"] != "HTTPS":
            continue
        if parent.get("sectionName") not in {None, listener["name"]}:
            continue
        allowed = listener.get("allowedRoutes", {}).get("namespaces", {})
        if allowed.get("from") == "Selector" and not selects(allowed.get("selector"), labels):
            raise BlockedError(f"listener {listener['name']} does not admit routes of {route_namespace}")
        walk.hops.append(f"listener {listener['name']} (HTTPS {listener['port']})")
        return
    raise BlockedError(f"the Gateway has no HTTPS listener for {host}")


def _backend(
    cluster: Cluster, route: dict[str, Any], ref: Mapping[str, Any], walk: Walk, *, picker_down: bool = False
) -> tuple[list[Served], list[Served]]:
    """The pods that answer a backendRef's requests, and those the proxy asks first (endpoint pickers)."""
    route_namespace = route["metadata"]["namespace"]
    if ref.get("kind") == "InferencePool":
        return _pool(cluster, route_namespace, ref["name"], walk, picker_down=picker_down)
    if ref.get("kind") == "AgentgatewayBackend":
        return _served_name(cluster, route_namespace, ref["name"], walk, picker_down=picker_down)
    namespace = ref.get("namespace", route_namespace)
    if namespace != route_namespace:
        grant = _reference_grant(cluster, namespace, route_namespace, ref["name"])
        walk.relied_on.append(("object", "ReferenceGrant", *key(grant)))
    walk.hops.append(f"Service {namespace}/{ref['name']}:{ref['port']}")
    return cluster.behind_service(namespace, ref["name"], int(ref["port"])), []


def _pool(
    cluster: Cluster, namespace: str, name: str, walk: Walk, *, picker_down: bool
) -> tuple[list[Served], list[Served]]:
    pool = cluster.find("InferencePool", namespace, name)
    if pool is None:
        raise BlockedError(f"no InferencePool {name}")
    spec = pool["spec"]
    served = cluster.served(namespace, spec["selector"]["matchLabels"], spec["targetPorts"][0]["number"])
    if not served:
        raise BlockedError(f"InferencePool {name} selects no pod")
    picker = spec["endpointPickerRef"]
    if picker_down:
        if picker.get("failureMode") != "FailOpen":
            raise BlockedError(f"InferencePool {name} fails closed: with its picker down, requests fail")
        walk.relied_on.append(("object", "InferencePool", namespace, name))
        walk.hops.append(f"picker {picker['name']} down: InferencePool {name} fails open to its pods")
        return served, []
    pickers = cluster.behind_service(namespace, picker["name"], picker["port"]["number"])
    walk.hops.append(f"InferencePool {name} asks picker {picker['name']}")
    return served, pickers


def _served_name(
    cluster: Cluster, namespace: str, name: str, walk: Walk, *, picker_down: bool
) -> tuple[list[Served], list[Served]]:
    """An AgentgatewayBackend's priority groups, first to last (agentgateway v1.4.1 crates/agentgateway/src/types/
    loadbalancer.rs best_bucket: the first group with a provider not evicted); each provider must reach its model,
    for the request falls back to it. A provider names its model's Service by host and port, or its InferencePool."""
    backend = cluster.find("AgentgatewayBackend", namespace, name)
    if backend is None:
        raise BlockedError(f"no AgentgatewayBackend {name}")
    walk.relied_on.append(("object", "AgentgatewayBackend", namespace, name))
    answering: list[Served] = []
    asked: list[Served] = []
    for group in backend["spec"]["ai"]["groups"]:
        for provider in group["providers"]:
            walk.order.append(provider["name"])
            pool_ref = (provider.get("custom") or {}).get("backendRef") or {}
            if pool_ref.get("kind") == "InferencePool":
                served, pickers = _pool(cluster, namespace, pool_ref["name"], walk, picker_down=picker_down)
                answering += served
                asked += pickers
            elif "host" in provider:
                service, service_namespace, *rest = provider["host"].split(".")
                if rest != ["svc", "cluster", "local"]:
                    raise BlockedError(f"provider {provider['name']}: {provider['host']} is no Service of the cluster")
                walk.hops.append(f"provider {provider['name']}: Service {service_namespace}/{service}")
                answering += cluster.behind_service(service_namespace, service, int(provider["port"]))
            else:
                raise BlockedError(f"provider {provider['name']} names neither a Service nor an InferencePool")
    walk.hops.append(f"AgentgatewayBackend {name} tries {', then '.join(walk.order)}")
    return answering, asked


def _reference_grant(cluster: Cluster, namespace: str, route_namespace: str, service: str) -> dict[str, Any]:
    for grant in cluster.kind("ReferenceGrant"):
        if grant["metadata"].get("namespace") != namespace:
            continue
        spec = grant["spec"]
        if any(f["kind"] == "HTTPRoute" and f["namespace"] == route_namespace for f in spec["from"]) and any(
            t["kind"] == "Service" and t.get("name") in {None, service} for t in spec["to"]
        ):
            return grant
    raise BlockedError(f"no ReferenceGrant in {namespace} lets HTTPRoutes of {route_namespace} name Service {service}")


def _through_interceptor(
    cluster: Cluster,
    ref: Mapping[str, Any],
    walk: Walk,
    *,
    path: str | None = None,
    credential: Credential = ANONYMOUS,
) -> None:
    """The interceptor routes by the rewritten host (a backend's hostname rewrite, or its Host header set) to its
    InterceptorRoute's target; with `path`, the model's own key check follows."""
    hosts = [f["urlRewrite"]["hostname"] for f in ref.get("filters") or [] if "hostname" in f.get("urlRewrite", {})]
    hosts += [
        header["value"]
        for f in ref.get("filters") or []
        for header in f.get("requestHeaderModifier", {}).get("set", [])
        if header["name"].lower() == "host"
    ]
    if not hosts:
        raise BlockedError("a request reaches the interceptor without a wake host: it answers 404")
    for interceptor_route in cluster.kind("InterceptorRoute"):
        spec = interceptor_route["spec"]
        if any(hosts[0] in rule.get("hosts", []) for rule in spec["rules"]):
            walk.relied_on.append(("object", "InterceptorRoute", *key(interceptor_route)))
            namespace = interceptor_route["metadata"]["namespace"]
            target = spec["target"]
            for served in cluster.behind_service(namespace, target["service"], int(target["port"])):
                _admit(cluster, served, INTERCEPTOR_POD, walk, "the interceptor")
                if path is not None:
                    _serve(cluster, served, path, credential, walk)
            return
    raise BlockedError(f"no InterceptorRoute names {hosts[0]}: the interceptor answers 404")


def _admit(cluster: Cluster, served: Served, source: Endpoint, walk: Walk, who: str) -> None:
    if isinstance(source, Pod) and not cluster.network.egress_allows(source, served.pod, served.port):
        raise BlockedError(f"{who} may not send to {served.pod}:{served.port}")
    _admit_port(cluster, served.pod, source, served.port, walk, who)


def _admit_port(cluster: Cluster, pod: Pod, source: Endpoint, port: int, walk: Walk, who: str) -> None:
    if not cluster.network.ingress_allows(pod, source, port):
        raise BlockedError(f"{pod} does not admit {who} on {port}")
    rules = cluster.network.admitting_rules(pod, source, port)
    if len(rules) == 1:
        walk.relied_on.append(("policy-rule", *rules[0]))
    walk.hops.append(f"{pod}:{port} admits {who}")


# --- health checks -----------------------------------------------------------------------------------------------


def health_checks(cluster: Cluster, host: str, path: str) -> Walk:
    """Whether the load balancers in front of a route's backends find them healthy, and through which rules."""
    walk = Walk()
    try:
        _health_checks(cluster, host, path, walk)
    except BlockedError as blocked:
        walk.blocked = str(blocked)
    return walk


def _health_checks(cluster: Cluster, host: str, path: str, walk: Walk) -> None:
    route, _ = _route_for(cluster, host, path)
    [parent] = route["spec"]["parentRefs"]
    gateway = cluster.find("Gateway", parent.get("namespace"), parent["name"])
    if gateway is None:
        walk.hops.append("an existing Gateway's health checks are its own")
        return
    # The cloud probes the health-check node port on the nodes (kube-proxy's /healthz answers 200 where a proxy pod
    # runs); only the cloud's rules stand in between.
    if cluster.cloud == "azure":
        _cloud_rules(cluster, AZURE_LOAD_BALANCER, NODE_PORT, walk)
    walk.hops.append("the load balancer probes the nodes' health-check node port (/healthz)")


# --- a model's own load balancer ---------------------------------------------------------------------------------


def load_balancers(cluster: Cluster) -> list[dict[str, Any]]:
    return [s for s in cluster.kind("Service") if s["spec"].get("type") == "LoadBalancer"]


def walk_load_balancer(cluster: Cluster, source: Address, service: dict[str, Any]) -> Walk:
    """A client to a model's own LoadBalancer Service (`externalTrafficPolicy: Local`: its address reaches the pod)."""
    walk = Walk()
    try:
        spec = service["spec"]
        ranges = spec.get("loadBalancerSourceRanges") or ["0.0.0.0/0"]
        if not any(ipaddress.ip_address(source.ip) in ipaddress.ip_network(cidr) for cidr in ranges):
            raise BlockedError(f"{source} is outside the load balancer's sourceRanges")
        annotations = service["metadata"].get("annotations") or {}
        internal = any(annotations.get(key) == value for key, value in INTERNAL_ANNOTATIONS.items())
        _reach_load_balancer(source, internal, walk, f"load balancer {service['metadata']['name']}")
        [entry] = spec["ports"]
        _cloud_rules(cluster, source, int(entry["port"]), walk)
        for served in cluster.behind_service(
            service["metadata"]["namespace"], service["metadata"]["name"], entry["port"]
        ):
            _admit(cluster, served, source, walk, f"{source}")
    except BlockedError as blocked:
        walk.blocked = str(blocked)
    return walk


# --- a client pod inside the cluster -----------------------------------------------------------------------------


def walk_in_cluster(cluster: Cluster, client: Pod, namespace: str, service: str, port: int) -> Walk:
    """A client pod calling a model's in-cluster base URL: its Service, or a sleeping model's wake alias (an
    ExternalName of the interceptor's Service, whose route is chosen by the Host header: the alias's own name)."""
    walk = Walk()
    try:
        body = cluster.service(namespace, service)
        if body is None:
            raise BlockedError(f"no Service {namespace}/{service}")
        if body["spec"].get("type") == "ExternalName":
            target, target_namespace = body["spec"]["externalName"].split(".")[:2]
            wake_host = f"{service}.{namespace}.svc.cluster.local"
            walk.hops.append(f"{service} is an alias of {target_namespace}/{target}")
            for served in cluster.behind_service(target_namespace, target, port):
                _admit(cluster, served, client, walk, f"client {client}")
            _through_interceptor(cluster, {"filters": [{"urlRewrite": {"hostname": wake_host}}]}, walk)
        else:
            for served in cluster.behind_service(namespace, service, port):
                _admit(cluster, served, client, walk, f"client {client}")
    except BlockedError as blocked:
        walk.blocked = str(blocked)
    return walk
