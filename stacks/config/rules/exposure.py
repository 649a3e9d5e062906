"""How models are exposed: through a Gateway (Gateway API), its TLS, and weighted rollouts of one served name.

The keys of the Ingress this replaced are retired with a message that says what to write instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from components.catalog.instances import Cloud
from components.serving import agentgateway
from components.serving.cert_manager import NAMESPACE as CERT_MANAGER_NAMESPACE
from stacks.config.rules import Finding
from stacks.config.rules.networks import source_range_findings

RETIRED_KEYS: dict[str, str] = {
    "ingressClassName": (
        "is retired: models are exposed through a Gateway (Gateway API) that the stack installs (agentgateway), "
        "no longer through an Ingress. Remove the key; to use a Gateway the cluster "
        "already runs, set existingGateway: <namespace>/<name>"
    ),
    "ingressNamespace": (
        "is retired: the Gateway's own pods are the only ones admitted to exposed models, wherever it runs. Remove "
        "the key; with existingGateway, the pods of that Gateway's namespace are admitted"
    ),
}
"""Keys of the Ingress-based exposure, and what to write instead (`host` and `tlsClusterIssuer` keep their
meaning on the Gateway)."""


GATEWAY_NAMESPACES: dict[str, str] = {
    CERT_MANAGER_NAMESPACE: "where the stack installs cert-manager",
    agentgateway.NAMESPACE: "where the stack installs agentgateway",
}
"""Namespaces the exposure's add-ons take, which the serving namespace may not be."""


class _Model(Protocol):
    host: str | None
    path: str | None
    canary_of: str | None
    weight: int | None
    served_model_name: str | None
    hugging_face_id: str
    min_replicas: int


@dataclass(frozen=True, kw_only=True)
class Exposure:
    """The stack-wide exposure keys."""

    tls_cluster_issuer: str | None
    acme_email: str | None
    existing_gateway: str | None
    gateway_internal: bool
    gateway_source_ranges: tuple[str, ...] = ()


def gateway_findings(exposure: Exposure, models: Mapping[str, _Model], *, cloud: Cloud | None) -> list[Finding]:
    """TLS for the Gateway's HTTPS listeners: exactly one of a ClusterIssuer of yours or the stack's ACME one."""
    findings: list[Finding] = []
    exposed = [name for name, model in models.items() if model.host]
    if exposure.existing_gateway is not None:
        # Its listeners, and their certificates, are its owner's.
        keys = [
            key
            for key, value in (("tlsClusterIssuer", exposure.tls_cluster_issuer), ("acmeEmail", exposure.acme_email))
            if value
        ]
        return (
            [
                Finding(
                    key, "only applies to the Gateway the stack installs; existingGateway's certificates are its own"
                )
                for key in keys
            ]
            + (
                [Finding("gatewayInternal", "only applies to the Gateway the stack installs; remove the key")]
                if exposure.gateway_internal
                else []
            )
            + (
                [
                    Finding(
                        "gatewaySourceRanges",
                        f"{list(exposure.gateway_source_ranges)} only applies to the Gateway the stack installs; "
                        "existingGateway's load balancer is its owner's; remove the key",
                    )
                ]
                if exposure.gateway_source_ranges
                else []
            )
        )
    if exposed and exposure.tls_cluster_issuer is None and exposure.acme_email is None:
        findings.append(
            Finding(
                "tlsClusterIssuer",
                f"is required when a model sets host ({', '.join(exposed)}): the Gateway serves TLS only, with a "
                "certificate from this cert-manager ClusterIssuer; or set acmeEmail and the stack creates a Let's "
                "Encrypt issuer",
            )
        )
    if exposure.tls_cluster_issuer is not None and exposure.acme_email is not None:
        findings.append(
            Finding(
                "acmeEmail", "only applies without tlsClusterIssuer (the issuer the stack would create); remove one"
            )
        )
    if exposure.gateway_internal and cloud is None:
        findings.append(
            Finding(
                "gatewayInternal",
                "only applies to cloud targets: on 'existing' the cluster's load balancer decides; remove the key",
            )
        )
    findings.extend(_source_range_findings(exposure, cloud))
    if exposure.gateway_internal and exposure.acme_email is not None:
        findings.append(
            Finding(
                "acmeEmail",
                "needs a public Gateway: Let's Encrypt checks HTTP-01 challenges from the internet, and "
                "gatewayInternal is true. Name a ClusterIssuer of yours (DNS-01, a private CA) in tlsClusterIssuer",
            )
        )
    return findings


def _source_range_findings(exposure: Exposure, cloud: Cloud | None) -> list[Finding]:
    """`gatewaySourceRanges` limits the stack's public agentgateway Gateway, whose Service carries them to the cloud's
    load balancer."""
    ranges = list(exposure.gateway_source_ranges)
    if not ranges:
        return []
    key = "gatewaySourceRanges"
    if exposure.gateway_internal:
        return [Finding(key, f"{ranges} only applies to a public Gateway, and gatewayInternal is true; remove one")]
    if cloud is None:
        # On 'existing' the cluster's load balancer decides.
        return [
            Finding(
                key,
                f"{ranges} only applies on aws, gcp and azure, not on 'existing' (the cluster's load balancer "
                "decides); remove the key",
            )
        ]
    findings = source_range_findings(key, ranges, exposes="the Gateway")
    if exposure.acme_email is not None:
        # Let's Encrypt publishes no addresses for its HTTP-01 checks (letsencrypt.org/docs/faq).
        findings.append(
            Finding(
                "acmeEmail",
                "needs the Gateway open to the whole internet: Let's Encrypt checks HTTP-01 challenges from addresses "
                "it does not publish, and gatewaySourceRanges limits who reaches it. Name a ClusterIssuer of yours "
                "(DNS-01, a private CA) in tlsClusterIssuer",
            )
        )
    return findings


def canary_findings(models: Mapping[str, _Model]) -> list[Finding]:
    """`canaryOf` names an exposed model that is no canary itself; the canary shares its route and served name."""
    findings: list[Finding] = []
    shares: dict[str, int] = {}
    for name, model in models.items():
        path = f"models.{name}"
        if model.canary_of is None:
            if model.weight is not None:
                findings.append(Finding(f"{path}.weight", "only applies with canaryOf; remove the key"))
            continue
        primary = models.get(model.canary_of)
        if primary is None or model.canary_of == name:
            others = sorted(other for other in models if other != name)
            findings.append(
                Finding(
                    f"{path}.canaryOf", f"{model.canary_of!r} is not another model of this stack; use one of {others}"
                )
            )
            continue
        if primary.canary_of is not None:
            findings.append(
                Finding(
                    f"{path}.canaryOf",
                    f"{model.canary_of!r} is itself a canary of {primary.canary_of!r}; name {primary.canary_of!r}",
                )
            )
            continue
        if not primary.host:
            findings.append(
                Finding(
                    f"{path}.canaryOf",
                    f"{model.canary_of!r} sets no host: weights apply on its Gateway route, which it does not have",
                )
            )
        if model.host or model.path:
            findings.append(
                Finding(f"{path}.host", f"a canary serves the route of {model.canary_of!r}; remove host and path")
            )
        if model.weight is None:
            findings.append(Finding(f"{path}.weight", "is required with canaryOf: the percent of requests it gets"))
        else:
            shares[model.canary_of] = shares.get(model.canary_of, 0) + model.weight
        if model.served_model_name is not None and model.served_model_name != _own_served_name(primary):
            findings.append(
                Finding(
                    f"{path}.servedModelName",
                    f"{model.served_model_name!r} differs from {_own_served_name(primary)!r}, the served name of "
                    f"{model.canary_of!r}: clients send one name to the route; remove the key",
                )
            )
    for primary, share in shares.items():
        if share > 100:
            findings.append(
                Finding(f"models.{primary}", f"its canaries' weights add up to {share}; they may take at most 100")
            )
    return findings


def served_name(name: str, models: Mapping[str, _Model]) -> str:
    """The name clients send as `model`: a canary answers to its primary's, so that the route can split them."""
    model = models[name]
    primary = models.get(model.canary_of) if model.canary_of is not None else None
    if primary is not None:
        return _own_served_name(primary)
    return _own_served_name(model)


def _own_served_name(model: _Model) -> str:
    return model.served_model_name or model.hugging_face_id


def route_backends(name: str, models: Mapping[str, Any]) -> list[tuple[str, int]]:
    """The models behind `name`'s route, with their weights: the primary keeps what its canaries do not take."""
    canaries = [(other, spec.weight) for other, spec in models.items() if spec.canary_of == name]
    taken = sum(weight or 0 for _, weight in canaries)
    return [(name, 100 - taken), *((other, weight or 0) for other, weight in canaries)]
