"""Who may connect to whom under a set of NetworkPolicies, evaluated as Kubernetes does (networking.k8s.io/v1).

The rules, from the API's own documentation (kubernetes/api networking/v1/types.go):

- a pod is isolated for ingress (egress) once any policy of its namespace selects it with that policy type;
  `policyTypes` defaults to Ingress, plus Egress when the policy has an `egress` section;
- an isolated pod accepts (sends) a connection when any rule of any policy selecting it for that direction
  matches it; a connection needs both the sender's egress and the receiver's ingress;
- a rule matches when one of its peers and one of its ports match; a missing or empty `from`/`to` matches every
  peer, a missing or empty `ports` every port;
- a peer with a `namespaceSelector` matches pods of the namespaces it selects (every namespace carries
  `kubernetes.io/metadata.name: <name>`), without one pods of the policy's own namespace; a `podSelector` narrows
  it to the pods it selects; both together must both hold;
- a port is a number (up to `endPort`), or a name resolved on the receiving pod's container ports.

Pods have no addresses here: an `ipBlock` peer matches only an `Address` outside the pod network. Implementations
differ on pod addresses inside a block (Calico matches them, Cilium does not), so nothing here depends on it.
Traffic from the pod's own node (kubelet probes, port-forward) is always allowed and not modelled.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

INGRESS = "Ingress"
EGRESS = "Egress"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True, kw_only=True)
class Pod:
    """A pod as policies see it: its namespace, its labels and its named container ports."""

    namespace: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int] = field(default_factory=dict)
    name: str = ""
    """For messages only."""

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name or dict(self.labels)}"


@dataclass(frozen=True)
class Address:
    """An address outside the pod network (a client behind a load balancer, the cloud's metadata endpoint)."""

    ip: str

    def __str__(self) -> str:
        return self.ip


Endpoint = Pod | Address


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A label selector against a set of labels: `matchLabels` and `matchExpressions` ANDed; `{}` selects all."""
    if selector is None:
        return False
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
        if operator not in {"In", "NotIn", "Exists", "DoesNotExist"}:
            raise ValueError(f"unknown label selector operator {operator!r}")
    return True


@dataclass(frozen=True)
class _Policy:
    namespace: str
    name: str
    spec: Mapping[str, Any]

    @property
    def types(self) -> set[str]:
        declared = self.spec.get("policyTypes")
        if declared:
            return set(declared)
        return {INGRESS, EGRESS} if "egress" in self.spec else {INGRESS}

    def applies_to(self, pod: Pod, direction: str) -> bool:
        return (
            pod.namespace == self.namespace
            and direction in self.types
            and selects(self.spec.get("podSelector", {}), pod.labels)
        )

    def rules(self, direction: str) -> list[Mapping[str, Any]]:
        return list(self.spec.get("ingress" if direction == INGRESS else "egress") or [])


class Network:
    """The NetworkPolicies of a cluster, as manifests (`kind: NetworkPolicy`), and what they allow.

    Example::

        network = Network(manifests)
        network.allows(Pod(namespace="apps", labels={"app": "ui"}), model_pod, 8000)
    """

    def __init__(
        self,
        policies: Iterable[Mapping[str, Any]],
        namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self._policies = [
            _Policy(body["metadata"]["namespace"], body["metadata"]["name"], body["spec"])
            for body in policies
            if body.get("kind", "NetworkPolicy") == "NetworkPolicy"
        ]
        self._namespace_labels = namespace_labels or {}

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        return {**self._namespace_labels.get(namespace, {}), NAMESPACE_NAME_LABEL: namespace}

    def allows(self, source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP") -> bool:
        """Whether `source` may open a connection to `destination` on `port`: its egress and the other's ingress."""
        return self.egress_allows(source, destination, port, protocol) and self.ingress_allows(
            destination, source, port, protocol
        )

    def ingress_allows(self, destination: Endpoint, source: Endpoint, port: int, protocol: str = "TCP") -> bool:
        """Whether `destination` accepts the connection (its ingress policies only)."""
        if not isinstance(destination, Pod):
            return True
        return self._direction_allows(destination, INGRESS, source, destination, port, protocol)

    def egress_allows(self, source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP") -> bool:
        """Whether `source` may send the connection (its egress policies only)."""
        if not isinstance(source, Pod):
            return True
        return self._direction_allows(source, EGRESS, destination, destination, port, protocol)

    def admitting_rules(
        self, destination: Pod, source: Endpoint, port: int, protocol: str = "TCP"
    ) -> list[tuple[str, str, int]]:
        """The ingress rules that let `source` reach `destination` on `port`, as (namespace, policy, rule index):
        what removing would cut the connection, when it is the only one."""
        return [
            (policy.namespace, policy.name, index)
            for policy in self._policies
            if policy.applies_to(destination, INGRESS)
            for index, rule in enumerate(policy.rules(INGRESS))
            if self._peers_match(rule.get("from"), policy.namespace, source)
            and _ports_match(rule.get("ports"), destination, port, protocol)
        ]

    def _direction_allows(
        self, subject: Pod, direction: str, peer: Endpoint, receiver: Endpoint, port: int, protocol: str
    ) -> bool:
        selecting = [policy for policy in self._policies if policy.applies_to(subject, direction)]
        if not selecting:
            return True  # not isolated in this direction
        peers_key = "from" if direction == INGRESS else "to"
        return any(
            self._peers_match(rule.get(peers_key), policy.namespace, peer)
            and _ports_match(rule.get("ports"), receiver, port, protocol)
            for policy in selecting
            for rule in policy.rules(direction)
        )

    def _peers_match(self, peers: list[Mapping[str, Any]] | None, policy_namespace: str, endpoint: Endpoint) -> bool:
        if not peers:
            return True
        return any(self._peer_matches(peer, policy_namespace, endpoint) for peer in peers)

    def _peer_matches(self, peer: Mapping[str, Any], policy_namespace: str, endpoint: Endpoint) -> bool:
        if "ipBlock" in peer:
            return isinstance(endpoint, Address) and _in_block(peer["ipBlock"], endpoint.ip)
        if not isinstance(endpoint, Pod):
            return False
        if "namespaceSelector" in peer:
            namespace_ok = selects(peer["namespaceSelector"], self.namespace_labels(endpoint.namespace))
        else:
            namespace_ok = endpoint.namespace == policy_namespace
        pod_ok = selects(peer["podSelector"], endpoint.labels) if "podSelector" in peer else True
        return namespace_ok and pod_ok


def _in_block(block: Mapping[str, Any], ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    if address not in ipaddress.ip_network(block["cidr"]):
        return False
    return not any(address in ipaddress.ip_network(excluded) for excluded in block.get("except") or [])


def _ports_match(ports: list[Mapping[str, Any]] | None, receiver: Endpoint, port: int, protocol: str) -> bool:
    if not ports:
        return True
    for entry in ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            # A named port is looked up on the pod that receives the connection.
            if isinstance(receiver, Pod) and receiver.ports.get(wanted) == port:
                return True
            continue
        if int(wanted) <= port <= int(entry.get("endPort", wanted)):
            return True
    return False
