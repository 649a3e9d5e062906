"""A model's clients inside the serving namespace: their egress exception under the namespace's default-deny."""

from __future__ import annotations

from typing import Any

import pytest

from components.autoscaling.http_add_on import interceptor_target
from components.serving.clients import Client, ClientEgress, ClientEgressArgs, Target, client_egress_spec
from components.serving.namespace import ServingNamespace, ServingNamespaceArgs
from tests.support import Registered, interceptor_pod, record
from tools.reachability import Address, Network, Pod

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SELECTOR = {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": "chat"}
CHAT = Pod(namespace="llm-serving", labels=SELECTOR, ports={"http": 8000})
OTHER_MODEL = Pod(
    namespace="llm-serving", labels={**SELECTOR, "app.kubernetes.io/instance": "code"}, ports={"http": 8000}
)
DNS = Pod(namespace="kube-system", labels={"k8s-app": "kube-dns"})
GATEWAY = Client(namespace="llm-serving", pod_labels={"app": "gateway"})
GATEWAY_POD = Pod(namespace="llm-serving", labels={"app": "gateway", "version": "2"})
TO_CHAT = Target(peer={"podSelector": {"matchLabels": SELECTOR}}, port=8000)


def _policies(registered: Registered) -> list[dict[str, Any]]:
    return [{**registered.inputs(POLICY, r.name), "kind": "NetworkPolicy"} for r in registered.all(POLICY)]


def _under_default_deny(*specs: dict[str, Any]) -> Network:
    """The serving namespace's default-deny with the given policies of that namespace."""
    deny = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    return Network(
        [
            {"kind": "NetworkPolicy", "metadata": {"namespace": "llm-serving", "name": f"p{index}"}, "spec": spec}
            for index, spec in enumerate([deny, *specs])
        ]
    )


def test_a_client_may_send_to_dns_and_its_model_on_the_pods_port_only() -> None:
    network = _under_default_deny(client_egress_spec(GATEWAY, [TO_CHAT]))
    assert network.egress_allows(GATEWAY_POD, CHAT, 8000)
    assert network.egress_allows(GATEWAY_POD, DNS, 53, "UDP")
    assert network.egress_allows(GATEWAY_POD, DNS, 53, "TCP")
    assert not network.egress_allows(GATEWAY_POD, CHAT, 9000)
    assert not network.egress_allows(GATEWAY_POD, OTHER_MODEL, 8000)
    assert not network.egress_allows(GATEWAY_POD, Address("169.254.169.254"), 80)
    assert not network.egress_allows(GATEWAY_POD, Address("198.51.100.7"), 443)


def test_a_client_of_a_sleeping_model_may_also_send_to_the_interceptor() -> None:
    network = _under_default_deny(client_egress_spec(GATEWAY, [TO_CHAT, interceptor_target("keda")]))
    assert network.egress_allows(GATEWAY_POD, interceptor_pod(), 8080)
    assert not network.egress_allows(GATEWAY_POD, interceptor_pod(), 9090), "not its admin port"
    assert not network.egress_allows(GATEWAY_POD, Pod(namespace="keda", labels={"app": "keda-operator"}), 8080)


def test_the_exception_covers_only_the_clients_pods() -> None:
    network = _under_default_deny(client_egress_spec(GATEWAY, [TO_CHAT]))
    assert not network.egress_allows(Pod(namespace="llm-serving", labels={"app": "batch"}), CHAT, 8000)


def test_one_policy_per_client_inside_the_serving_namespace_named_after_its_place_in_clients() -> None:
    clients = (Client(namespace="apps"), GATEWAY, Client(namespace="llm-serving", pod_labels={"app": "eval"}))

    def program() -> None:
        namespace = ServingNamespace("serving", ServingNamespaceArgs(name="llm-serving", pod_security_version="v1.34"))
        ClientEgress(
            "chat",
            ClientEgressArgs(
                namespace=namespace.name,
                namespace_name="llm-serving",
                model="chat",
                clients=clients,
                targets=(TO_CHAT,),
            ),
        )

    registered = record(program)
    names = sorted(
        registered.inputs(POLICY, r.name)["metadata"]["name"] for r in registered.all(POLICY) if "client" in r.name
    )
    assert names == ["chat-client-1", "chat-client-2"]
    network = Network(_policies(registered))
    assert network.egress_allows(GATEWAY_POD, CHAT, 8000)
    assert network.egress_allows(Pod(namespace="llm-serving", labels={"app": "eval"}), CHAT, 8000)


def test_client_policies_go_into_the_namespace_the_stack_creates() -> None:
    def program() -> None:
        namespace = ServingNamespace("serving", ServingNamespaceArgs(name="llm-serving", pod_security_version="v1.34"))
        ClientEgress(
            "chat",
            ClientEgressArgs(
                namespace=namespace.name, namespace_name="llm-serving", model="chat", clients=(GATEWAY,), targets=()
            ),
        )

    registered = record(program)
    namespace = registered.one("kubernetes:core/v1:Namespace")
    assert namespace.urn in registered.one(POLICY, "chat-client-0").dependencies


def test_a_client_in_the_serving_namespace_without_labels_is_refused() -> None:
    everyone = Client(namespace="llm-serving")
    args = ClientEgressArgs(
        namespace="llm-serving", namespace_name="llm-serving", model="chat", clients=(everyone,), targets=()
    )
    with pytest.raises(ValueError, match="client 0 of chat is in the serving namespace without pod labels"):
        record(lambda: ClientEgress("chat", args) and None)
