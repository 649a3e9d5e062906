"""The stack's Gateway under mocks, and the routes models get on it."""

from __future__ import annotations

from typing import Any

import pytest

from components import versions
from components.catalog.instances import Cloud
from components.serving.gateway import (
    ENVOY_CONTROLLER,
    ENVOY_PROXY_LABELS,
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
    "EnvoyProxy": "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
}
RELEASE = "kubernetes:helm.sh/v3:Release"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ENVOY = gateway_ref(existing=None, cloud=Cloud.AWS, proxy_only_cidr=None)
GKE = gateway_ref(existing=None, cloud=Cloud.GCP, proxy_only_cidr="10.0.64.0/19")


def build(gateway: Any = ENVOY, cloud: Cloud = Cloud.AWS, internal: bool = False) -> None:
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
        ),
    )


@pytest.fixture(scope="module")
def envoy() -> Registered:
    return record(build)


def _custom(registered: Registered, kind: str) -> list[dict[str, Any]]:
    return [registered.inputs(TYPES[kind], r.name) for r in registered.all(TYPES[kind])]


def test_envoy_gateway_is_installed_from_its_pinned_oci_chart(envoy: Registered) -> None:
    release = envoy.inputs(RELEASE)
    assert (release["chart"], release["version"]) == ("oci://docker.io/envoyproxy/gateway-helm", "v1.9.0")
    assert release["version"] == versions.ENVOY_GATEWAY_VERSION


def test_the_gateway_class_is_envoy_gateways_with_the_stacks_proxy_settings(envoy: Registered) -> None:
    [gateway_class] = _custom(envoy, "GatewayClass")
    assert gateway_class["spec"]["controllerName"] == ENVOY_CONTROLLER
    assert gateway_class["spec"]["parametersRef"]["kind"] == "EnvoyProxy"
    [proxy] = _custom(envoy, "EnvoyProxy")
    service = proxy["spec"]["provider"]["kubernetes"]["envoyService"]
    assert service["annotations"] == {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}


def test_an_internal_gateway_asks_the_cloud_for_a_private_load_balancer() -> None:
    [proxy] = _custom(record(lambda: build(internal=True)), "EnvoyProxy")
    annotations = proxy["spec"]["provider"]["kubernetes"]["envoyService"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-internal"] == "true"


def test_each_host_gets_one_https_listener_with_a_certificate_from_the_named_issuer(envoy: Registered) -> None:
    [gateway] = _custom(envoy, "Gateway")
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


def test_only_the_serving_namespace_may_attach_routes_to_the_https_listeners(envoy: Registered) -> None:
    [gateway] = _custom(envoy, "Gateway")
    for listener in gateway["spec"]["listeners"][1:]:
        assert listener["allowedRoutes"]["namespaces"] == {
            "from": "Selector",
            "selector": {"matchLabels": {"kubernetes.io/metadata.name": "llm-serving"}},
        }
    assert gateway["spec"]["listeners"][0]["allowedRoutes"] == {"namespaces": {"from": "Same"}}


def test_plain_http_only_redirects_to_https(envoy: Registered) -> None:
    [route] = _custom(envoy, "HTTPRoute")
    assert route["spec"]["parentRefs"] == [{"name": "llm-platform", "sectionName": "http"}]
    [rule] = route["spec"]["rules"]
    assert rule["filters"] == [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]


def test_the_proxies_accept_connections_on_their_shifted_listener_ports_only(envoy: Registered) -> None:
    policy = envoy.inputs(POLICY, "gateway-listeners")
    assert policy["spec"]["podSelector"] == {"matchLabels": ENVOY_PROXY_LABELS}
    assert policy["spec"]["ingress"] == [
        {"ports": [{"protocol": "TCP", "port": 10080}, {"protocol": "TCP", "port": 10443}]}
    ]


def test_on_gke_the_managed_controller_serves_an_internal_gateway_without_a_chart() -> None:
    registered = record(lambda: build(GKE, Cloud.GCP, internal=True))
    assert registered.all(RELEASE) == []
    assert _custom(registered, "GatewayClass") == []
    [gateway] = _custom(registered, "Gateway")
    assert gateway["spec"]["gatewayClassName"] == "gke-l7-rilb"
    assert gateway["metadata"]["namespace"] == "llm-gateway"


def test_a_public_gke_gateway_is_a_regional_external_load_balancer() -> None:
    [gateway] = _custom(record(lambda: build(GKE, Cloud.GCP)), "Gateway")
    assert gateway["spec"]["gatewayClassName"] == "gke-l7-regional-external-managed"


def test_gkes_proxies_are_known_by_their_proxy_only_subnet_and_health_check_ranges() -> None:
    assert GKE.implementation is Implementation.GKE
    assert GKE.proxies is None
    assert GKE.proxy_cidrs == ("10.0.64.0/19", "35.191.0.0/16", "130.211.0.0/22")


def test_an_existing_gateways_namespace_is_its_data_plane() -> None:
    ref = gateway_ref(existing="edge/public", cloud=Cloud.AWS, proxy_only_cidr=None)
    assert (ref.namespace, ref.name, ref.https_listener("a.example.com")) == ("edge", "public", None)
    assert ref.proxies is not None
    assert (ref.proxies.namespace, dict(ref.proxies.pod_labels)) == ("edge", {})


def _spec(*backends: Backend, path: str | None = None) -> dict[str, Any]:
    return route_spec(gateway=ENVOY, host="llm.example.com", path=path, backends=backends, timeout_seconds=900)


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


def test_a_sleeping_backend_is_the_interceptor_told_which_model_by_its_wake_host() -> None:
    wake = Backend(
        model="big",
        service="keda-add-ons-http-interceptor-proxy",
        namespace="keda",
        port=8080,
        weight=100,
        wake_host="big-wake.llm-serving.svc.cluster.local",
    )
    [ref] = _spec(wake)["rules"][0]["backendRefs"]
    assert ref["namespace"] == "keda"
    assert ref["filters"] == [
        {"type": "URLRewrite", "urlRewrite": {"hostname": "big-wake.llm-serving.svc.cluster.local"}}
    ]


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
    [GKE, gateway_ref(existing="edge/public", cloud=Cloud.AWS, proxy_only_cidr=None)],
    ids=["gke", "existing"],
)
def test_where_the_cluster_decides_the_gateway_api_bundle_the_reference_grant_is_v1beta1(gateway: Any) -> None:
    # v1 is served only from Gateway API 1.5; v1beta1 by every standard bundle since v0.6.
    assert _reference_grant_version(gateway) == "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant"


def test_with_envoy_gateways_own_bundle_the_reference_grant_is_v1() -> None:
    assert _reference_grant_version(ENVOY) == "kubernetes:gateway.networking.k8s.io/v1:ReferenceGrant"


CLIENT_TRAFFIC_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"


def test_envoys_client_connections_carry_keepalives_well_inside_an_nlbs_idle_timeout(envoy: Registered) -> None:
    policy = envoy.inputs(CLIENT_TRAFFIC_POLICY)
    assert policy["metadata"]["namespace"] == ENVOY.namespace, "a policy targets a Gateway of its own namespace"
    assert policy["spec"]["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": ENVOY.name}
    ]
    keepalive = policy["spec"]["tcpKeepalive"]
    assert keepalive == {"idleTime": "60s", "interval": "60s"}
    # A silent connection carries a probe after `idleTime`, and again each time that one is answered.
    assert int(keepalive["idleTime"].removesuffix("s")) < AWS_NLB_IDLE_TIMEOUT_SECONDS


@pytest.mark.parametrize("internal", [True, False])
def test_an_azure_gateways_load_balancer_outlasts_the_routes_timeout(internal: bool) -> None:
    [proxy] = _custom(record(lambda: build(cloud=Cloud.AZURE, internal=internal)), "EnvoyProxy")
    annotations = proxy["spec"]["provider"]["kubernetes"]["envoyService"]["annotations"]
    minutes = int(annotations["service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout"])
    assert 4 <= minutes <= 100, "the range cloud-provider-azure accepts"
    assert minutes * 60 > REQUEST_TIMEOUT_SECONDS


def test_gkes_gateway_gets_no_envoy_policy() -> None:
    assert record(lambda: build(gateway=GKE, cloud=Cloud.GCP)).all(CLIENT_TRAFFIC_POLICY) == []
