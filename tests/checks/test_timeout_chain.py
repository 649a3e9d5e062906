"""The timeouts on the way to every exposed model agree, on every example stack and exposure variant: the client gives
up no later than the route (OpenAI's Python SDK waits 600 s for a byte: openai-python src/openai/_constants.py,
DEFAULT_TIMEOUT), no cloud load balancer cuts a silent request before the route does, the interceptor holds a
sleeping model's request at least as long as the route and its cold start, and KEDA does not put a woken model back
to sleep before its startup budget has passed.

Read from each plan: the HTTPRoute's request timeout, the cloud load balancer's idle timeout (Azure's annotation, or
its default of 4 minutes; an AWS NLB's fixed 350 s; a GKE passthrough load balancer's connection tracking, 600 s by
default) unless the Gateway's client connections carry TCP keepalives more often (an AgentgatewayPolicy's
`frontend.tcp.keepalive` on the Gateway; they reset it), the InterceptorRoute's timeouts, the ScaledObject's
cooldown and the model's startup probe. agentgateway honours the route's request timeout (v1.4.1
controller/pkg/agentgateway/translator/builtin_helpers.go ApplyTimeouts) and has none of its own by default."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from tests.exposure_variants import CASES, Case
from tools.exposure_paths import routes
from tools.planned_cluster import Cluster
from tools.route_matching import select

CLIENT_TIMEOUT_SECONDS = 600
"""OpenAI's Python SDK: `httpx.Timeout(timeout=600, connect=5.0)`."""
AWS_NLB_IDLE_SECONDS = 350
AZURE_DEFAULT_IDLE_MINUTES = 4
AZURE_IDLE = "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout"
GKE_CONNECTION_TRACKING_IDLE_SECONDS = 600
"""Google Cloud's passthrough Network Load Balancers (GKE's LoadBalancer Services) forget an idle TCP connection after
600 s by default (the backend service's connectionTrackingPolicy.idleTimeoutSec)."""
_DURATION = re.compile(r"([0-9.]+)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def seconds(duration: str) -> float:
    """A Go or Gateway API duration ("600s", "1h30m") in seconds."""
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION.findall(duration))


@pytest.fixture(scope="module")
def cases(exposure_cases: dict[str, Case]) -> dict[str, Case]:
    return exposure_cases


def _route_rule(cluster: Cluster, host: str, path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rule a request selects, by Gateway API's precedence (tools/route_matching.py)."""
    selected = select(cluster, host, path)
    return selected.route, selected.rule


def _load_balancer_cuts_after(cluster: Cluster, route: dict[str, Any], rule: dict[str, Any]) -> float:
    """How long a silent request lasts on the cloud's load balancer in front of the route (inf: nothing cuts it)."""
    [parent] = route["spec"]["parentRefs"]
    gateway = cluster.find("Gateway", parent["namespace"], parent["name"])
    if gateway is None or cluster.cloud is None:
        return math.inf  # an existing Gateway, or no cloud load balancer in the plan
    class_ref = cluster.find("GatewayClass", None, gateway["spec"]["gatewayClassName"])["spec"]["parametersRef"]
    parameters = cluster.find("AgentgatewayParameters", class_ref["namespace"], class_ref["name"])
    annotations = parameters["spec"]["service"].get("metadata", {}).get("annotations") or {}
    idle = (
        AWS_NLB_IDLE_SECONDS
        if cluster.cloud == "aws"
        else 60 * int(annotations.get(AZURE_IDLE, AZURE_DEFAULT_IDLE_MINUTES))
        if cluster.cloud == "azure"
        else GKE_CONNECTION_TRACKING_IDLE_SECONDS
        if cluster.cloud == "gcp"
        else math.inf
    )
    for policy in cluster.kind("AgentgatewayPolicy"):
        targets = {(t["kind"], t["name"]) for t in policy["spec"].get("targetRefs") or []}
        keepalive = policy["spec"].get("frontend", {}).get("tcp", {}).get("keepalive")
        ours = policy["metadata"]["namespace"] == parent["namespace"] and ("Gateway", parent["name"]) in targets
        # agentgateway's defaults when a field is unset: 180 s (crates/agentgateway/src/types/agent.rs defaults).
        if ours and keepalive and seconds(keepalive.get("time", "180s")) < idle:
            return math.inf
    return idle


def _interceptor_routes(cluster: Cluster, rule: dict[str, Any]) -> list[dict[str, Any]]:
    """The InterceptorRoutes a rule's sleeping backends reach through their wake host (a hostname rewrite, or the
    Host header set)."""
    filters = [f for ref in rule["backendRefs"] for f in ref.get("filters") or []]
    hosts = {f["urlRewrite"]["hostname"] for f in filters if "hostname" in f.get("urlRewrite", {})} | {
        header["value"]
        for f in filters
        for header in f.get("requestHeaderModifier", {}).get("set", [])
        if header["name"].lower() == "host"
    }
    return [
        r for r in cluster.kind("InterceptorRoute") if any(hosts & set(item["hosts"]) for item in r["spec"]["rules"])
    ]


def _startup_budget(cluster: Cluster, namespace: str, deployment: str) -> float:
    body = cluster.find("Deployment", namespace, deployment)
    assert body is not None, deployment
    [container] = body["spec"]["template"]["spec"]["containers"]
    probe = container["startupProbe"]
    return float(probe["periodSeconds"] * probe["failureThreshold"])


def test_the_cases_include_routes_to_sleeping_models_on_every_target(cases: dict[str, Case]) -> None:
    clouds = {
        case.cluster.cloud
        for case in cases.values()
        for host, path in routes(case.cluster)
        if _interceptor_routes(case.cluster, _route_rule(case.cluster, host, path)[1])
    }
    assert clouds == {"aws", "gcp", "azure", None}


@pytest.mark.parametrize("case", CASES)
def test_client_then_route_then_load_balancer_then_interceptor_each_waits_at_least_as_long_as_the_one_before(
    cases: dict[str, Case], case: str
) -> None:
    cluster = cases[case].cluster
    for host, path in routes(cluster):
        route, rule = _route_rule(cluster, host, path)
        route_timeout = seconds(rule["timeouts"]["request"])
        where = f"{case} {host}{path}"
        assert route_timeout >= CLIENT_TIMEOUT_SECONDS, f"{where}: the route cuts before the client gives up"
        assert _load_balancer_cuts_after(cluster, route, rule) >= route_timeout, (
            f"{where}: the load balancer cuts first"
        )
        for interceptor_route in _interceptor_routes(cluster, rule):
            timeouts = interceptor_route["spec"]["timeouts"]
            assert seconds(timeouts["readiness"]) >= route_timeout, f"{where}: the interceptor stops holding first"
            assert seconds(timeouts["responseHeader"]) >= route_timeout, f"{where}: the interceptor stops waiting"


@pytest.mark.parametrize("case", CASES)
def test_a_sleeping_model_is_held_for_and_kept_awake_through_its_whole_startup_budget(
    cases: dict[str, Case], case: str
) -> None:
    cluster = cases[case].cluster
    for interceptor_route in cluster.kind("InterceptorRoute"):
        namespace, name = interceptor_route["metadata"]["namespace"], interceptor_route["metadata"]["name"]
        budget = _startup_budget(cluster, namespace, name)
        scaled_object = cluster.find("ScaledObject", namespace, name)
        assert scaled_object is not None
        assert scaled_object["spec"]["minReplicaCount"] == 0
        assert scaled_object["spec"]["cooldownPeriod"] >= budget, f"{name} may sleep before it could start"
        assert seconds(interceptor_route["spec"]["timeouts"]["readiness"]) >= budget, f"{name}: hold < cold start"
