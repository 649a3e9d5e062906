"""The stack's Gateway under mocks, and the routes models get on it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import versions
from components.catalog.instances import Cloud
from components.serving.agentgateway import CONTROLLER, proxy_labels
from components.serving.gateway import (
    CLASS_NAME,
    NAME,
    Implementation,
    StackGateway,
    StackGatewayArgs,
    gateway_ref,
)
from components.serving.load_balancer import AWS_NLB_IDLE_TIMEOUT_SECONDS
from components.serving.routes import REQUEST_TIMEOUT_SECONDS, Backend, route_spec
from tests.support import Registered, record

TYPES = {
    "Gateway": "kubernetes:gateway.networking.k8s.io/v1:Gateway",
    "GatewayClass": "kubernetes:gateway.networking.k8s.io/v1:GatewayClass",
    "HTTPRoute": "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    "AgentgatewayParameters": "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayParameters",
}
RELEASE = "kubernetes:helm.sh/v3:Release"
CRD_PATCH = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
AGENTGATEWAY = gateway_ref(existing=None, cloud=Cloud.AWS)
GKE = gateway_ref(existing=None, cloud=Cloud.GCP)


def build(
    gateway: Any = AGENTGATEWAY, cloud: Cloud = Cloud.AWS, internal: bool = False, source_ranges: tuple[str, ...] = ()
) -> None:
    StackGateway(
        "gateway",
        StackGatewayArgs(
            gateway=gateway,
            cloud=cloud,
            internal=internal,
            hosts=("b.example.com", "a.example.com", "a.example.com"),
            serving_namespace="llm-serving",
            cluster_issuer="corp-ca",
            acme_email=None,
            await_seconds=900,
            source_ranges=source_ranges,
        ),
    )


@pytest.fixture(scope="module")
def agw() -> Registered:
    return record(build)


def _custom(registered: Registered, kind: str) -> list[dict[str, Any]]:
    return [registered.inputs(TYPES[kind], r.name) for r in registered.all(TYPES[kind])]


def test_agentgateway_is_installed_from_its_two_pinned_oci_charts(agw: Registered) -> None:
    releases = {(r.inputs["chart"], r.inputs["version"]) for r in agw.all(RELEASE)}
    assert releases == {
        ("oci://ghcr.io/agentgateway/charts/agentgateway-crds", "v1.4.1"),
        ("oci://ghcr.io/agentgateway/charts/agentgateway", "v1.4.1"),
    }
    assert versions.AGENTGATEWAY_VERSION == "v1.4.1"


def test_the_controller_chart_comes_after_the_gateway_api_crds_and_its_own(agw: Registered) -> None:
    controller = agw.one(RELEASE, "gateway-agentgateway")
    after = set(controller.dependencies)
    crds = {r.urn for r in agw.all(CRD_PATCH)}
    assert crds
    assert crds <= after
    assert agw.one(RELEASE, "gateway-agentgateway-crds").urn in after


def test_the_gateway_class_is_the_stacks_own_served_by_agentgateway_with_its_parameters(agw: Registered) -> None:
    [gateway_class] = _custom(agw, "GatewayClass")
    assert gateway_class["metadata"]["name"] == CLASS_NAME
    assert gateway_class["spec"] == {
        "controllerName": CONTROLLER,
        "parametersRef": {
            "group": "agentgateway.dev",
            "kind": "AgentgatewayParameters",
            "name": NAME,
            "namespace": "agentgateway-system",
        },
    }
    [parameters] = _custom(agw, "AgentgatewayParameters")
    assert (parameters["metadata"]["name"], parameters["metadata"]["namespace"]) == (NAME, "agentgateway-system")
    service = parameters["spec"]["service"]
    assert service["metadata"]["annotations"] == {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
    [gateway] = _custom(agw, "Gateway")
    assert gateway["spec"]["gatewayClassName"] == CLASS_NAME


def test_the_new_class_is_a_new_object_because_a_classs_controller_name_is_immutable() -> None:
    # Envoy Gateway's class was `llm-platform`; Gateway API's CEL rule on spec.controllerName is `self == oldSelf`.
    assert CLASS_NAME != "llm-platform"


def test_an_internal_gateway_asks_the_cloud_for_a_private_load_balancer() -> None:
    [parameters] = _custom(record(lambda: build(internal=True)), "AgentgatewayParameters")
    annotations = parameters["spec"]["service"]["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-internal"] == "true"


def test_each_host_gets_one_https_listener_with_a_certificate_from_the_named_issuer(agw: Registered) -> None:
    [gateway] = _custom(agw, "Gateway")
    assert gateway["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "corp-ca"
    listeners = gateway["spec"]["listeners"]
    assert [(item["name"], item["protocol"], item["port"]) for item in listeners] == [
        ("http", "HTTP", 80),
        ("https-a-example-com", "HTTPS", 443),
        ("https-b-example-com", "HTTPS", 443),
    ]
    assert listeners[1]["tls"] == {
        "mode": "Terminate",
        "certificateRefs": [{"kind": "Secret", "name": "tls-a-example-com"}],
    }


def test_only_the_serving_namespace_may_attach_routes_to_the_https_listeners(agw: Registered) -> None:
    [gateway] = _custom(agw, "Gateway")
    for listener in gateway["spec"]["listeners"][1:]:
        assert listener["allowedRoutes"]["namespaces"] == {
            "from": "Selector",
            "selector": {"matchLabels": {"kubernetes.io/metadata.name": "llm-serving"}},
        }
    assert gateway["spec"]["listeners"][0]["allowedRoutes"] == {"namespaces": {"from": "Same"}}


def test_plain_http_only_redirects_to_https(agw: Registered) -> None:
    [route] = _custom(agw, "HTTPRoute")
    assert route["spec"]["parentRefs"] == [{"name": "llm-platform", "sectionName": "http"}]
    [rule] = route["spec"]["rules"]
    assert rule["filters"] == [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]


def test_the_proxies_accept_connections_on_the_listeners_own_ports_only(agw: Registered) -> None:
    policy = agw.inputs(POLICY, "gateway-listeners")
    assert policy["spec"]["podSelector"] == {"matchLabels": proxy_labels(NAME, CLASS_NAME)}
    assert policy["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": 80}, {"protocol": "TCP", "port": 443}]}]


def test_the_proxies_pods_are_the_gateways_clients_to_the_models() -> None:
    assert AGENTGATEWAY.implementation is Implementation.AGENTGATEWAY
    assert AGENTGATEWAY.proxies is not None
    assert AGENTGATEWAY.proxies.namespace == "agentgateway-system"
    assert dict(AGENTGATEWAY.proxies.pod_labels) == {
        "app.kubernetes.io/name": "llm-platform",
        "app.kubernetes.io/instance": "llm-platform",
        "gateway.networking.k8s.io/gateway-name": "llm-platform",
        "gateway.networking.k8s.io/gateway-class-name": CLASS_NAME,
    }


def test_on_gke_agentgateway_serves_an_internal_gateway_behind_gkes_internal_l4_load_balancer() -> None:
    registered = record(lambda: build(GKE, Cloud.GCP, internal=True, source_ranges=("10.20.0.0/16",)))
    [gateway] = _custom(registered, "Gateway")
    assert (gateway["spec"]["gatewayClassName"], gateway["metadata"]["namespace"]) == (
        CLASS_NAME,
        "agentgateway-system",
    )
    [parameters] = _custom(registered, "AgentgatewayParameters")
    service = parameters["spec"]["service"]
    # GKE's service controller: an internal passthrough Network Load Balancer (no proxy-only subnet).
    assert service["metadata"]["annotations"] == {"networking.gke.io/load-balancer-type": "Internal"}
    assert service["spec"]["loadBalancerSourceRanges"] == ["10.20.0.0/16"]
    assert service["spec"]["externalTrafficPolicy"] == "Local"


def test_a_public_gke_gateway_is_gkes_external_l4_load_balancer_without_annotations() -> None:
    [parameters] = _custom(record(lambda: build(GKE, Cloud.GCP)), "AgentgatewayParameters")
    assert "metadata" not in parameters["spec"]["service"]
    assert parameters["spec"]["service"]["spec"]["type"] == "LoadBalancer"


def test_on_gke_the_stack_writes_no_gateway_api_crd_which_gkes_channel_owns() -> None:
    registered = record(lambda: build(GKE, Cloud.GCP))
    assert registered.all(CRD_PATCH) == []
    assert {r.inputs["name"] for r in registered.all(RELEASE)} == {"agentgateway-crds", "agentgateway"}
    assert GKE.cluster_owns_crds
    assert not AGENTGATEWAY.cluster_owns_crds


def test_gkes_proxies_are_agentgateways_pods_as_on_every_cloud() -> None:
    assert GKE.implementation is Implementation.AGENTGATEWAY
    assert GKE.proxies == AGENTGATEWAY.proxies


def test_an_existing_gateways_namespace_is_its_data_plane() -> None:
    ref = gateway_ref(existing="edge/public", cloud=Cloud.AWS)
    assert (ref.namespace, ref.name, ref.https_listener("a.example.com")) == ("edge", "public", None)
    assert ref.proxies is not None
    assert (ref.proxies.namespace, dict(ref.proxies.pod_labels)) == ("edge", {})


def _spec(*backends: Backend, path: str | None = None) -> dict[str, Any]:
    return route_spec(gateway=AGENTGATEWAY, host="llm.example.com", path=path, backends=backends, timeout_seconds=900)


def test_a_route_splits_its_requests_by_weight() -> None:
    spec = _spec(
        Backend(model="chat", service="chat", namespace=None, port=8000, weight=90),
        Backend(model="next", service="next-predictor", namespace=None, port=80, weight=10),
    )
    assert spec["parentRefs"][0]["sectionName"] == "https-llm-example-com"
    assert spec["hostnames"] == ["llm.example.com"]
    [rule] = spec["rules"]
    assert [(ref["name"], ref["port"], ref["weight"]) for ref in rule["backendRefs"]] == [
        ("chat", 8000, 90),
        ("next-predictor", 80, 10),
    ]
    assert rule["timeouts"] == {"request": "900s"}


def test_a_path_route_removes_its_prefix_before_the_model_sees_it() -> None:
    [rule] = _spec(Backend(model="chat", service="chat", namespace=None, port=8000, weight=100), path="/small")["rules"]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/small"}}]
    assert rule["filters"] == [
        {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}
    ]


WAKE = Backend(
    model="big",
    service="keda-add-ons-http-interceptor-proxy",
    namespace="keda",
    port=8080,
    weight=100,
    wake_host="big-wake.llm-serving.svc.cluster.local",
)


def test_a_sleeping_backend_is_the_interceptor_told_which_model_by_its_host_header_on_agentgateway() -> None:
    # agentgateway v1.4.1 refuses a backendRef URLRewrite (conversion.go BuildAgwBackendPolicyFilters) and turns a
    # set Host header into the request's authority (crates/agentgateway/src/http/mod.rs apply_header).
    [ref] = _spec(WAKE)["rules"][0]["backendRefs"]
    assert ref["namespace"] == "keda"
    assert ref["filters"] == [
        {
            "type": "RequestHeaderModifier",
            "requestHeaderModifier": {"set": [{"name": "Host", "value": "big-wake.llm-serving.svc.cluster.local"}]},
        }
    ]


def test_agentgateway_gets_only_the_backend_filters_it_translates() -> None:
    supported = {"RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "RequestMirror"}
    [ref] = _spec(WAKE)["rules"][0]["backendRefs"]
    assert {item["type"] for item in ref["filters"]} <= supported


def test_on_gke_a_sleeping_backend_is_told_its_model_by_the_host_header_too() -> None:
    spec = route_spec(gateway=GKE, host="llm.example.com", path=None, backends=(WAKE,), timeout_seconds=900)
    [ref] = spec["rules"][0]["backendRefs"]
    assert [item["type"] for item in ref["filters"]] == ["RequestHeaderModifier"]


def _reference_grant_version(gateway: Any) -> str:
    from components.serving.routes import ModelRoute, ModelRouteArgs

    wake = Backend(model="big", service="interceptor", namespace="keda", port=8080, weight=100, wake_host="w")

    def program() -> None:
        ModelRoute(
            "big",
            ModelRouteArgs(
                namespace="llm-serving",
                namespace_name="llm-serving",
                gateway=gateway,
                host="big.example.com",
                path=None,
                backends=(wake,),
                timeout_seconds=600,
                after=[],
            ),
        )

    [grant] = [r for r in record(program).registrations if r.name == "big-route-grant"]
    return grant.type


@pytest.mark.parametrize(
    "gateway",
    [GKE, gateway_ref(existing="edge/public", cloud=Cloud.AWS)],
    ids=["gke", "existing"],
)
def test_where_the_cluster_decides_the_gateway_api_bundle_the_reference_grant_is_v1beta1(gateway: Any) -> None:
    # v1 is served only from Gateway API 1.5; v1beta1 by every standard bundle since v0.6.
    assert _reference_grant_version(gateway) == "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant"


def test_with_the_stacks_own_bundle_the_reference_grant_is_v1() -> None:
    assert _reference_grant_version(AGENTGATEWAY) == "kubernetes:gateway.networking.k8s.io/v1:ReferenceGrant"


AGENTGATEWAY_POLICY = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy"


def test_client_connections_carry_keepalives_well_inside_an_nlbs_idle_timeout(agw: Registered) -> None:
    policy = agw.inputs(AGENTGATEWAY_POLICY, "gateway-client-keepalive")
    assert policy["metadata"]["namespace"] == AGENTGATEWAY.namespace, "a policy targets a Gateway of its namespace"
    assert policy["spec"]["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": AGENTGATEWAY.name}
    ]
    keepalive = policy["spec"]["frontend"]["tcp"]["keepalive"]
    assert keepalive == {"time": "60s", "interval": "60s"}
    # A silent connection carries a probe after `time`, and again each `interval` while it is answered.
    assert int(keepalive["time"].removesuffix("s")) < AWS_NLB_IDLE_TIMEOUT_SECONDS


@pytest.mark.parametrize("internal", [True, False])
def test_an_azure_gateways_load_balancer_outlasts_the_routes_timeout(internal: bool) -> None:
    [parameters] = _custom(record(lambda: build(cloud=Cloud.AZURE, internal=internal)), "AgentgatewayParameters")
    annotations = parameters["spec"]["service"]["metadata"]["annotations"]
    minutes = int(annotations["service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout"])
    assert 4 <= minutes <= 100, "the range cloud-provider-azure accepts"
    assert minutes * 60 > REQUEST_TIMEOUT_SECONDS


def test_agentgateways_gateway_is_awaited_until_it_has_an_address_too(agw: Registered) -> None:
    # agentgateway reports Programmed from its translation; the address follows from its proxies' Service.
    [gateway] = _custom(agw, "Gateway")
    wait_for = json.loads(gateway["metadata"]["annotations"]["pulumi.com/waitFor"])
    assert wait_for == ["condition=Programmed", "jsonpath={.status.addresses[0].value}"]
