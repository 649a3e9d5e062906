"""Who may call a model: clients named by namespace and pod labels, and the NetworkPolicy peers and egress
exceptions that let exactly them through.

The serving namespace denies all traffic by default (ServingNamespace). A model's own policy admits its clients
(`Client.peer`); a client inside the serving namespace is also under that default-deny, so it gets an egress
exception to the model's pods, to DNS (to resolve the model's name) and, for a sleeping model, to KEDA's HTTP
add-on interceptor that wakes it (`client_egress_spec`). Clients in other namespaces send under their own
namespace's rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.serving.metadata import DNS_EGRESS, PART_OF, model_labels, namespace_peer


@dataclass(frozen=True, kw_only=True)
class Client:
    """Pods that may call a model: every pod of `namespace`, or those carrying all of `pod_labels`."""

    namespace: str
    pod_labels: Mapping[str, str] = field(default_factory=dict)

    def peer(self) -> dict[str, Any]:
        """The NetworkPolicy peer that matches these pods, from a policy in any namespace."""
        peer = namespace_peer(self.namespace)
        if self.pod_labels:
            peer["podSelector"] = {"matchLabels": dict(self.pod_labels)}
        return peer


@dataclass(frozen=True, kw_only=True)
class Target:
    """Pods a client sends to (a peer as its egress rule names them), on the port they listen on."""

    peer: Mapping[str, Any]
    port: int


def client_egress_spec(client: Client, targets: Sequence[Target]) -> dict[str, Any]:
    """The egress exception of a client in the serving namespace: DNS, then each target on its port only."""
    return {
        "podSelector": {"matchLabels": dict(client.pod_labels)},
        "policyTypes": ["Egress"],
        "egress": [
            DNS_EGRESS,
            *({"to": [dict(target.peer)], "ports": [{"protocol": "TCP", "port": target.port}]} for target in targets),
        ],
    }


@dataclass(frozen=True, kw_only=True)
class ClientEgressArgs:
    namespace: pulumi.Input[str]
    """The serving namespace, as the policies' namespace."""
    namespace_name: str
    """The same, as plain text: which clients are inside it."""
    model: str
    clients: tuple[Client, ...]
    """The model's configured clients, in their order."""
    targets: tuple[Target, ...]
    """Where they send: the model's pods and, for a sleeping model, the interceptor."""


class ClientEgress(pulumi.ComponentResource):
    """One egress NetworkPolicy per client of a model inside the serving namespace, `<model>-client-<n>` after its
    place in `clients`; clients elsewhere send under their own namespace's rules.

    Example::

        ClientEgress("chat", ClientEgressArgs(namespace=ns.name, namespace_name="llm-serving", model="chat",
                     clients=(Client(namespace="llm-serving", pod_labels={"app": "gateway"}),),
                     targets=(Target(peer={"podSelector": {"matchLabels": selector}}, port=8000),)))
    """

    def __init__(self, name: str, args: ClientEgressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:ClientEgress", name, None, opts)
        for index, client in enumerate(args.clients):
            if client.namespace != args.namespace_name:
                continue
            if not client.pod_labels:
                # The config refuses it: the exception would cover every pod of the namespace, the models included.
                raise ValueError(f"client {index} of {args.model} is in the serving namespace without pod labels")
            k8s.networking.v1.NetworkPolicy(
                f"{name}-client-{index}",
                metadata={
                    "name": f"{args.model}-client-{index}",
                    "namespace": args.namespace,
                    "labels": {"app.kubernetes.io/part-of": PART_OF},
                },
                spec=client_egress_spec(client, args.targets),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})


def model_pod_labels(engine: str, model: str) -> dict[str, str]:
    """The labels a model's pods carry: the stack's, and on KServe those its controller adds to the predictor's
    (kserve pkg/controller/v1beta1/inferenceservice/components/predictor.go, buildObjectMeta). A client selector
    that these satisfy would select the model itself."""
    labels = model_labels(engine, model)
    if engine == "kserve":
        labels |= {"serving.kserve.io/inferenceservice": model, "component": "predictor"}
    return labels


def selects_all_of(pod_labels: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Whether a `matchLabels` selector of `pod_labels` selects pods carrying `labels`."""
    return all(labels.get(key) == value for key, value in pod_labels.items())
