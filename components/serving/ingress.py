"""Exposing a model outside the cluster: an Ingress that serves TLS only, its certificate from cert-manager."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.serving import awaits
from components.serving.metadata import PART_OF, namespace_peer
from components.serving.vllm import SHUTDOWN_TIMEOUT_SECONDS

# Streaming completions can run for minutes; the proxy must not cut them sooner than the server would drain.
READ_TIMEOUT_SECONDS = max(600, SHUTDOWN_TIMEOUT_SECONDS)


# cert-manager's HTTP-01 solver pods (in the Ingress's namespace, so under its default-deny) listen here and carry
# this label (cert-manager pkg/apis/acme: SolverIdentificationLabelKey; pkg/issuer/acme/http).
ACME_SOLVER_PORT = 8089
ACME_SOLVER_LABEL = {"acme.cert-manager.io/http01-solver": "true"}


def acme_solver_policy_spec(ingress_namespace: str) -> dict[str, object]:
    """Lets the ingress controller reach the solver pods, or HTTP-01 certificates would never be issued."""
    return {
        "podSelector": {"matchLabels": ACME_SOLVER_LABEL},
        "policyTypes": ["Ingress"],
        "ingress": [
            {"from": [namespace_peer(ingress_namespace)], "ports": [{"protocol": "TCP", "port": ACME_SOLVER_PORT}]}
        ],
    }


@dataclass(frozen=True, kw_only=True)
class ModelIngressArgs:
    namespace: pulumi.Input[str]
    host: str
    """DNS name clients use."""
    service: str
    """The model's Service."""
    port: int
    """The Service's port."""
    ingress_class: str
    cluster_issuer: str
    """cert-manager ClusterIssuer that signs the certificate (stored in `<name>-tls`)."""
    ingress_namespace: str
    """The ingress controller's namespace: it forwards ACME HTTP-01 challenges to cert-manager's solver pods."""


class ModelIngress(pulumi.ComponentResource):
    """One Ingress per exposed model, TLS only (N2: every host is covered by `spec.tls`), and the NetworkPolicy that
    lets ACME HTTP-01 challenges through the namespace's default-deny.

    Example::

        ModelIngress("chat", ModelIngressArgs(namespace=ns, host="chat.example.com", service="chat", port=8000,
                     ingress_class="nginx", cluster_issuer="letsencrypt", ingress_namespace="ingress-nginx"))
    """

    url: str
    """The model's public OpenAI base URL."""

    def __init__(self, name: str, args: ModelIngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:ModelIngress", name, None, opts)
        k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata={
                "name": name,
                "namespace": args.namespace,
                "labels": {"app.kubernetes.io/part-of": PART_OF},
                "annotations": {
                    **awaits.public_ingress(),
                    "cert-manager.io/cluster-issuer": args.cluster_issuer,
                    "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
                    "nginx.ingress.kubernetes.io/proxy-read-timeout": str(READ_TIMEOUT_SECONDS),
                    "nginx.ingress.kubernetes.io/proxy-send-timeout": str(READ_TIMEOUT_SECONDS),
                    # Token streams go out as they come.
                    "nginx.ingress.kubernetes.io/proxy-buffering": "off",
                },
            },
            spec={
                "ingressClassName": args.ingress_class,
                "tls": [{"hosts": [args.host], "secretName": f"{name}-tls"}],
                "rules": [
                    {
                        "host": args.host,
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": args.service, "port": {"number": args.port}}},
                                }
                            ]
                        },
                    }
                ],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-acme-solver",
            metadata={
                "name": f"{name}-acme-http01-solver",
                "namespace": args.namespace,
                "labels": {"app.kubernetes.io/part-of": PART_OF},
            },
            spec=acme_solver_policy_spec(args.ingress_namespace),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.url = f"https://{args.host}/v1"
        self.register_outputs({"url": self.url})
