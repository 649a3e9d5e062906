"""The namespace the models are served from, locked down before any model lands in it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.serving.metadata import PART_OF


@dataclass(frozen=True, kw_only=True)
class ServingNamespaceArgs:
    name: str
    """The namespace's name (a DNS label)."""
    pod_security_version: str
    """The Pod Security Standards version to enforce, e.g. `v1.34`: the cluster's minor version, so a
    Kubernetes upgrade cannot tighten the rules under running workloads unannounced."""
    pod_security_level: str = "restricted"
    """The level enforced: "restricted", or "privileged" where a model's group pods need their node's GPU network
    from the host (components/serving/fabric_pods.py). Warnings and audit stay at "restricted" either way, so
    every pod beyond it is reported."""
    hf_token: pulumi.Output[str] | None = None
    """A Pulumi secret holding the Hugging Face token, or None. Stored as a Kubernetes Secret."""


class ServingNamespace(pulumi.ComponentResource):
    """A namespace with Pod Security "restricted" enforced (unless a model spans nodes over a fabric that needs
    the host), a default-deny NetworkPolicy, and the
    Hugging Face token Secret that models mount as a file.

    Example::

        ns = ServingNamespace("serving", ServingNamespaceArgs(name="llm-serving", pod_security_version="v1.34"))
        # ns.name feeds every object in it, so they depend on the namespace through data flow.
    """

    name: pulumi.Output[str]
    """The namespace's name, known once the Namespace is registered."""
    hf_token_secret: pulumi.Output[str] | None
    """Name of the Secret with key `token`, or None when no token was given."""

    def __init__(self, name: str, args: ServingNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:ServingNamespace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": args.name,
                "labels": {
                    "app.kubernetes.io/part-of": PART_OF,
                    "pod-security.kubernetes.io/enforce": args.pod_security_level,
                    "pod-security.kubernetes.io/enforce-version": args.pod_security_version,
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/warn-version": args.pod_security_version,
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/audit-version": args.pod_security_version,
                },
            },
            opts=child,
        )
        self.name = namespace.metadata.name
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata={"name": "default-deny", "namespace": self.name, "labels": {"app.kubernetes.io/part-of": PART_OF}},
            spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            opts=child,
        )
        self.hf_token_secret = None
        if args.hf_token is not None:
            secret = k8s.core.v1.Secret(
                f"{name}-hf-token",
                metadata={"name": "hf-token", "namespace": self.name, "labels": {"app.kubernetes.io/part-of": PART_OF}},
                type="Opaque",
                string_data={"token": args.hf_token},
                opts=child,
            )
            self.hf_token_secret = secret.metadata.name
        self.register_outputs({"name": self.name})
