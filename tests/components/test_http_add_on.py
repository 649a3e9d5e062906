"""Scale-to-zero under mocks: KEDA's HTTP add-on, the wake route of a sleeping model, and its ScaledObject.

The InterceptorRoute is also admitted against its CRD (schemas/crds/, tests/checks/test_admission.py); these tests
hold it to the rules of its API type that the CRD does not encode (kedacore/http-add-on v0.15.0
operator/apis/http/v1beta1/interceptorroute_types.go)."""

from __future__ import annotations

import re

import pytest

from components.autoscaling.http_add_on import (
    INTERCEPTOR_SERVICE,
    PROXY_PORT,
    KedaHttpAddOn,
    KedaHttpAddOnArgs,
    wake_hosts,
)
from components.autoscaling.keda import Keda, KedaArgs, QueueScaler, QueueScalerArgs, Wake
from components.serving.clients import Client
from tests.support import Registered, interceptor_pod, record
from tools.reachability import Network, Pod

ROUTE = "kubernetes:http.keda.sh/v1beta1:InterceptorRoute"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
SERVICE = "kubernetes:core/v1:Service"
RELEASE = "kubernetes:helm.sh/v3:Release"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$")
DOCS_ASSISTANT = Client(namespace="internal-tools", pod_labels={"app": "docs-assistant"})
INGRESS_CONTROLLER = Client(namespace="ingress-nginx")
INTERCEPTOR_POD = interceptor_pod()


def build() -> None:
    keda = Keda("keda", KedaArgs())
    add_on = KedaHttpAddOn(
        "keda-http",
        KedaHttpAddOnArgs(namespace="keda", keda=keda.release, clients=(DOCS_ASSISTANT, INGRESS_CONTROLLER)),
    )
    QueueScaler(
        "chat",
        QueueScalerArgs(
            namespace="llm-serving",
            name="chat",
            deployment="chat",
            service="chat",
            service_selector={"app.kubernetes.io/instance": "chat"},
            namespace_name="llm-serving",
            min_replicas=0,
            max_replicas=2,
            queue_per_replica=4,
            prometheus_url="http://prometheus:9090",
            after=[],
            wake=Wake(
                hosts=wake_hosts("chat", "llm-serving", "chat.example.com"),
                port=8000,
                keda_namespace="keda",
                ready_within_seconds=1800,
                wake_budget_seconds=3600,
                response_within_seconds=600,
                add_on=add_on.release,
            ),
        ),
    )


@pytest.fixture(scope="module")
def registered() -> Registered:
    return record(build)


def test_route_targets_the_models_service_by_exactly_one_of_port_and_port_name(registered: Registered) -> None:
    target = registered.inputs(ROUTE)["spec"]["target"]
    assert target["service"] == "chat"
    assert ("port" in target) != ("portName" in target)
    assert 1 <= target["port"] <= 65535


def test_route_has_a_scaling_metric_as_its_type_requires(registered: Registered) -> None:
    metric = registered.inputs(ROUTE)["spec"]["scalingMetric"]
    assert metric.keys() & {"concurrency", "requestRate"}
    assert all(value["targetValue"] >= 1 for value in metric.values())


def test_route_timeouts_are_go_durations_covering_a_cold_start(registered: Registered) -> None:
    timeouts = registered.inputs(ROUTE)["spec"]["timeouts"]
    assert set(timeouts) <= {"readiness", "request", "responseHeader"}
    assert all(DURATION.match(value) for value in timeouts.values())
    assert timeouts["readiness"] == "1800s"


def test_route_answers_for_the_wake_service_and_the_public_host(registered: Registered) -> None:
    [rule] = registered.inputs(ROUTE)["spec"]["rules"]
    assert "chat-wake.llm-serving.svc.cluster.local" in rule["hosts"]
    assert "chat.example.com" in rule["hosts"]
    assert all(":" not in host for host in rule["hosts"]), "the interceptor matches host names without the port"


def test_route_asks_for_no_placeholder_so_the_interceptor_needs_no_configmap_access(registered: Registered) -> None:
    # Chart 0.15.0 grants the interceptor no configmaps; only a placeholder body from a ConfigMap reads one.
    assert "coldStart" not in registered.inputs(ROUTE)["spec"]


def test_route_waits_for_the_add_on_that_installs_its_crd(registered: Registered) -> None:
    release = registered.one(RELEASE, "keda-http-release")
    assert release.urn in registered.one(ROUTE).dependencies


def test_the_add_on_comes_after_keda(registered: Registered) -> None:
    keda = registered.one(RELEASE, "keda-release")
    assert keda.urn in registered.one(RELEASE, "keda-http-release").dependencies


def test_wake_service_is_an_alias_of_the_interceptor(registered: Registered) -> None:
    spec = registered.inputs(SERVICE, "chat-wake")["spec"]
    assert spec["type"] == "ExternalName"
    assert spec["externalName"] == f"{INTERCEPTOR_SERVICE}.keda.svc.cluster.local"
    assert [port["port"] for port in spec["ports"]] == [PROXY_PORT]


def test_a_sleeping_model_scales_from_zero_on_waiting_requests_and_out_on_its_queue(registered: Registered) -> None:
    spec = registered.inputs(SCALED_OBJECT)["spec"]
    assert spec["minReplicaCount"] == 0
    triggers = {trigger["type"]: trigger["metadata"] for trigger in spec["triggers"]}
    assert "vllm:num_requests_waiting" in triggers["prometheus"]["query"]
    assert triggers["external-push"] == {
        "scalerAddress": "keda-add-ons-http-external-scaler.keda:9090",
        "interceptorRoute": "chat",
    }


def test_a_woken_model_is_not_put_back_to_sleep_before_its_whole_wake_has_passed(registered: Registered) -> None:
    spec = registered.inputs(SCALED_OBJECT)["spec"]
    route = registered.inputs(ROUTE)["spec"]
    request_hold = int(route["timeouts"]["readiness"].removesuffix("s"))
    assert request_hold == 1800  # the interceptor gives up on the waking request after 30 minutes ...
    assert spec["cooldownPeriod"] == 3600  # ... while KEDA keeps the replica for the whole 1-hour wake


def test_the_add_on_runs_under_pod_security_restricted(registered: Registered) -> None:
    values = registered.inputs(RELEASE, "keda-http-release")["values"]
    assert values["podSecurityContext"]["runAsNonRoot"] is True
    assert values["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert values["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert values["securityContext"]["allowPrivilegeEscalation"] is False


def _interceptor_policy(registered: Registered) -> Network:
    return Network([{**registered.inputs(POLICY, "keda-http-callers"), "kind": "NetworkPolicy"}])


def test_the_interceptor_admits_its_clients_on_the_proxy_port(registered: Registered) -> None:
    network = _interceptor_policy(registered)
    docs = Pod(namespace="internal-tools", labels={"app": "docs-assistant"})
    assert network.allows(docs, INTERCEPTOR_POD, PROXY_PORT)
    assert network.allows(Pod(namespace="ingress-nginx", labels={"app": "controller"}), INTERCEPTOR_POD, PROXY_PORT)
    assert not network.allows(docs, INTERCEPTOR_POD, 9090), "the admin port is not theirs"


def test_the_interceptor_admits_no_other_pod(registered: Registered) -> None:
    network = _interceptor_policy(registered)
    for stranger in (
        Pod(namespace="internal-tools", labels={"app": "wiki"}),
        Pod(namespace="llm-serving", labels={"app": "anything"}),
        Pod(namespace="default"),
    ):
        assert not network.allows(stranger, INTERCEPTOR_POD, PROXY_PORT), stranger


def test_an_interceptor_without_clients_admits_no_one() -> None:
    registered = record(
        lambda: (
            KedaHttpAddOn(
                "keda-http", KedaHttpAddOnArgs(namespace="keda", keda=Keda("keda", KedaArgs()).release, clients=())
            )
            and None
        )
    )
    assert registered.inputs(POLICY, "keda-http-callers")["spec"]["ingress"] == []
    assert not _interceptor_policy(registered).allows(Pod(namespace="default"), INTERCEPTOR_POD, PROXY_PORT)
