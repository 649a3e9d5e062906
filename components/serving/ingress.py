"""Exposing a model outside the cluster: an Ingress that serves TLS only, its certificate from cert-manager."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.serving.metadata import PART_OF
from components.serving.vllm import SHUTDOWN_TIMEOUT_SECONDS

# Streaming completions can run for minutes; the proxy must not cut them sooner than the server would drain.
READ_TIMEOUT_SECONDS = max(600, SHUTDOWN_TIMEOUT_SECONDS)


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


class ModelIngress(pulumi.ComponentResource):
    """One Ingress per exposed model, TLS only (N2: every host is covered by `spec.tls`).

    Example::

        ModelIngress("chat", ModelIngressArgs(namespace=ns, host="chat.example.com", service="chat", port=8000,
                     ingress_class="nginx", cluster_issuer="letsencrypt"))
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
        self.url = f"https://{args.host}/v1"
        self.register_outputs({"url": self.url})
