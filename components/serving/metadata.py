"""Labels and annotations shared by the objects the serving stack creates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

PART_OF = "llm-platform"


def model_selector(engine: str, model: str) -> dict[str, str]:
    """The labels that identify one model's pods; Services, policies and budgets select on these."""
    return {"app.kubernetes.io/name": engine, "app.kubernetes.io/instance": model}


def model_labels(engine: str, model: str) -> dict[str, str]:
    return {
        **model_selector(engine, model),
        "app.kubernetes.io/component": "model-server",
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
    }


def scanner_skips(reasons: dict[str, str]) -> dict[str, str]:
    """Annotations that tell checkov which of its checks does not apply to this object, and why.

    The reason travels with the object, so a reviewer of the manifest sees it where the check would fire.
    """
    return {f"checkov.io/skip{index}": f"{check}={reason}" for index, (check, reason) in enumerate(reasons.items(), 1)}


METRICS_NAMESPACES = ("monitoring", "gmp-system")
"""Where Prometheus scrapes from: the stack's kube-prometheus-stack, or GKE's Managed Prometheus collectors.
Every namespace admits them."""


def platform_namespace(
    resource_name: str,
    name: str,
    *,
    level: str,
    opts: pulumi.ResourceOptions,
    warn_restricted: bool = False,
    api_server_ports: tuple[int, ...] = (),
    clients: Mapping[str, tuple[int, ...]] | None = None,
) -> k8s.core.v1.Namespace:
    """A namespace for a platform component, with the Pod Security level it needs (P2: `restricted` where the
    component allows it, `baseline` or `privileged` only where its pods need host access) and default-deny
    ingress (N1) that admits only its own pods, Prometheus (METRICS_NAMESPACES), `clients` (namespace: ports)
    and the API server on `api_server_ports` (the container ports of webhooks and aggregated APIs).

    The API server's calls come from outside the pod network on EKS and through konnectivity agents on GKE and
    AKS (aws-network-policy-agent#281, Cilium's policy docs), so no selector names them on every cloud: those
    ports are open to any source, as cert-manager's and kube-prometheus-stack's own charts open them. Egress
    stays open: these controllers call the API server, whose address is not known at plan time."""
    labels = {
        "app.kubernetes.io/part-of": PART_OF,
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": "latest",
    }
    if warn_restricted:
        labels |= {"pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted"}
    namespace = k8s.core.v1.Namespace(resource_name, metadata={"name": name, "labels": labels}, opts=opts)
    in_namespace = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace]))
    for policy_name, spec in platform_network_policies(name, api_server_ports, clients or {}).items():
        k8s.networking.v1.NetworkPolicy(
            f"{resource_name}-{policy_name}",
            metadata={"name": policy_name, "namespace": name, "labels": {"app.kubernetes.io/part-of": PART_OF}},
            spec=spec,
            opts=in_namespace,
        )
    return namespace


def platform_network_policies(
    namespace: str, api_server_ports: tuple[int, ...], clients: Mapping[str, tuple[int, ...]]
) -> dict[str, dict[str, Any]]:
    """The NetworkPolicy specs of a platform namespace, by name."""

    def ports(numbers: tuple[int, ...]) -> list[dict[str, Any]]:
        return [{"protocol": "TCP", "port": number} for number in numbers]

    policies: dict[str, dict[str, Any]] = {
        "default-deny-ingress": {"podSelector": {}, "policyTypes": ["Ingress"]},
        "allow-namespace-and-monitoring": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {}}, *map(namespace_peer, METRICS_NAMESPACES)]}],
        },
    }
    if api_server_ports:
        policies["allow-api-server"] = {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": ports(api_server_ports)}],
        }
    for client, client_ports in sorted(clients.items()):
        if client != namespace:
            policies[f"allow-{client}"] = {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [namespace_peer(client)], "ports": ports(client_ports)}],
            }
    return policies


def namespace_peer(namespace: str) -> dict[str, Any]:
    """A NetworkPolicy peer for every pod of a namespace (by the label Kubernetes sets on each namespace)."""
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


DNS_EGRESS: dict[str, Any] = {
    "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
}
"""An egress rule to the cluster's DNS (CoreDNS or kube-dns, labelled `k8s-app: kube-dns` on every cloud), for pods
under a default-deny egress policy."""


def restricted_container_security(uid: int) -> dict[str, Any]:
    """A container under Pod Security "restricted", running as `uid` (its group too), with a read-only root: every
    write goes to a mounted volume."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
