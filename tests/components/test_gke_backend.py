"""GKE's Gateway in front of a route's backends: each Service backend is health-checked where its pods answer 200 and
waited for as long as the route allows (components/serving/gke_backend.py), whichever component owns the backend.

The HealthCheckPolicy's port rules are the CEL rules gke-gateway-api added in commit 983ac3d
(apis/networking/v1/healthcheck_types.go, CommonHealthCheck), written out here as Python."""

from __future__ import annotations

from typing import Any

import pytest

from components.autoscaling.http_add_on import (
    INTERCEPTOR_SERVICE,
    GkeWakeBackend,
    KedaHttpAddOn,
    KedaHttpAddOnArgs,
    interceptor_ingress_rules,
)
from components.autoscaling.keda import Keda, KedaArgs
from components.catalog.instances import Cloud
from components.serving.clients import Client
from components.serving.gateway import GOOGLE_HEALTH_CHECK_RANGES, gateway_ref
from components.serving.gke_backend import HealthCheck, health_check_policy_spec, service_target
from components.serving.routes import Backend, ModelRoute, ModelRouteArgs
from tests.support import Registered, interceptor_pod, record
from tools.reachability import Address, Network

HEALTH_CHECK = "kubernetes:networking.gke.io/v1:HealthCheckPolicy"
BACKEND_POLICY = "kubernetes:networking.gke.io/v1:GCPBackendPolicy"


def port_rules_admit(check: dict[str, Any]) -> bool:
    """The three XValidation rules of CommonHealthCheck since 983ac3d."""
    spec, has_port, has_name = check.get("portSpecification"), "port" in check, "portName" in check
    if spec == "USE_FIXED_PORT" and not (has_port and not has_name):
        return False
    if spec == "USE_NAMED_PORT" and not (not has_port and has_name):
        return False
    return not ((spec is None or spec == "USE_SERVING_PORT") and (has_port or has_name))


def test_the_port_rules_refuse_a_port_without_its_specification() -> None:
    assert not port_rules_admit({"port": 8000, "requestPath": "/health"})
    assert port_rules_admit({"requestPath": "/health"})


def test_a_health_check_names_its_fixed_port_as_the_crds_rules_require() -> None:
    spec = health_check_policy_spec(service_target("chat"), HealthCheck(port=8000, path="/health"))
    check = spec["default"]["config"]["httpHealthCheck"]
    assert port_rules_admit(check)
    assert check == {"portSpecification": "USE_FIXED_PORT", "port": 8000, "requestPath": "/health"}


GKE = gateway_ref(existing=None, cloud=Cloud.GCP, proxy_only_cidr="10.0.64.0/21")


def _route(backends: tuple[Backend, ...], gateway: Any = GKE) -> Registered:
    def build() -> None:
        ModelRoute(
            "chat",
            ModelRouteArgs(
                namespace="llm-serving",
                namespace_name="llm-serving",
                gateway=gateway,
                host="chat.example.com",
                path=None,
                backends=backends,
                timeout_seconds=600,
                after=[],
            ),
        )

    return record(build)


VLLM = Backend(
    model="chat", service="chat", namespace=None, port=8000, weight=90, health_check=HealthCheck(8000, "/health")
)
KSERVE = Backend(
    model="next",
    service="next-predictor",
    namespace=None,
    port=80,
    weight=10,
    health_check=HealthCheck(8080, "/v2/health/ready"),
)


def test_on_gke_every_service_backend_of_a_route_is_checked_where_its_pods_answer_200() -> None:
    registered = _route((VLLM, KSERVE))
    checks = {
        r.inputs["spec"]["targetRef"]["name"]: r.inputs["spec"]["default"]["config"]["httpHealthCheck"]
        for r in registered.all(HEALTH_CHECK)
    }
    assert checks == {
        "chat": {"portSpecification": "USE_FIXED_PORT", "port": 8000, "requestPath": "/health"},
        "next-predictor": {"portSpecification": "USE_FIXED_PORT", "port": 8080, "requestPath": "/v2/health/ready"},
    }
    for check in registered.all(HEALTH_CHECK):
        assert check.inputs["metadata"]["namespace"] == "llm-serving", "next to the Service it targets"


def test_on_gke_every_service_backend_waits_as_long_as_the_route() -> None:
    registered = _route((VLLM, KSERVE))
    timeouts = {
        r.inputs["spec"]["targetRef"]["name"]: r.inputs["spec"]["default"] for r in registered.all(BACKEND_POLICY)
    }
    assert timeouts == {"chat": {"timeoutSec": 600}, "next-predictor": {"timeoutSec": 600}}


def test_off_gke_a_route_makes_no_gke_policies() -> None:
    agentgateway = gateway_ref(existing=None, cloud=Cloud.AWS, proxy_only_cidr=None)
    registered = _route((VLLM,), gateway=agentgateway)
    assert registered.all(HEALTH_CHECK) == []
    assert registered.all(BACKEND_POLICY) == []


def test_a_service_backend_without_its_health_check_is_refused_on_gke() -> None:
    unchecked = Backend(model="chat", service="chat", namespace=None, port=8000, weight=100)
    with pytest.raises(ValueError, match="GKE needs its health check"):
        _route((unchecked,))


def _add_on(gke: GkeWakeBackend | None) -> Registered:
    def build() -> None:
        keda = Keda("keda", KedaArgs())
        KedaHttpAddOn(
            "keda-http",
            KedaHttpAddOnArgs(
                namespace="keda",
                keda=keda.release,
                clients=(Client(namespace="apps"),),
                cidrs=GKE.proxy_cidrs,
                gke_backend=gke,
            ),
        )

    return record(build)


def test_behind_gkes_gateway_the_interceptor_is_checked_on_its_admin_readiness_never_through_a_model() -> None:
    registered = _add_on(GkeWakeBackend(timeout_seconds=600, health_check_cidrs=GOOGLE_HEALTH_CHECK_RANGES))
    [check] = [r.inputs for r in registered.all(HEALTH_CHECK)]
    assert check["metadata"]["namespace"] == "keda"
    assert check["spec"]["targetRef"] == {"group": "", "kind": "Service", "name": INTERCEPTOR_SERVICE}
    http = check["spec"]["default"]["config"]["httpHealthCheck"]
    assert http == {"portSpecification": "USE_FIXED_PORT", "port": 9090, "requestPath": "/readyz"}
    assert "host" not in http, "no wake host: a check through one would keep its model awake"
    [backend] = [r.inputs for r in registered.all(BACKEND_POLICY)]
    assert backend["spec"]["default"] == {"timeoutSec": 600}


def test_behind_gkes_gateway_the_interceptor_admits_health_checks_on_its_admin_port_only() -> None:
    rules = interceptor_ingress_rules((), GKE.proxy_cidrs, GOOGLE_HEALTH_CHECK_RANGES)
    network = Network([{"metadata": {"namespace": "keda", "name": "p"}, "spec": {"podSelector": {}, "ingress": rules}}])
    interceptor = interceptor_pod()
    assert network.ingress_allows(interceptor, Address("35.191.3.4"), 9090)
    assert network.ingress_allows(interceptor, Address("130.211.0.9"), 9090)
    assert not network.ingress_allows(interceptor, Address("10.0.64.9"), 9090), "the proxies need only the proxy"
    assert not network.ingress_allows(interceptor, Address("198.51.100.1"), 9090)


def test_without_gkes_gateway_the_interceptor_has_no_gke_policies() -> None:
    registered = _add_on(None)
    assert registered.all(HEALTH_CHECK) == []
    assert registered.all(BACKEND_POLICY) == []
