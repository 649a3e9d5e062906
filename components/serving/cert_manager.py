"""cert-manager, installed once per stack for whoever needs it: KServe's webhook certificates and the Gateway's
TLS certificates (its Gateway API support on only when the stack has a Gateway, so that an annotated Gateway gets a
Certificate per HTTPS listener)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.serving.metadata import platform_namespace

NAMESPACE = "cert-manager"
WEBHOOK_PORT = 10250
"""The webhook's securePort, which the API server calls (jetstack/cert-manager values.yaml)."""


def cert_manager_values(*, gateway_api: bool) -> dict[str, Any]:
    """The chart's values. `gateway_api`: the Gateway API shim, which reads `cert-manager.io/cluster-issuer` on
    Gateways and creates their listeners' Certificates.

    The shim is on only where the stack has a Gateway whose CRDs exist: with it on and no Gateway API CRDs, the
    controller exits at start and crash-loops (v1.21.1 pkg/controller/context.go, the discovery check before any
    controller runs). `config.gatewayAPI.enabled` is the current key (`enableGatewayAPI` is deprecated in
    pkg/apis/config/controller/v1alpha1/types.go). Without it `config` stays empty, and the chart then renders no
    configuration file at all (templates/controller-config.yaml and deployment.yaml: `if .Values.config`); the
    file's apiVersion and kind are the template's defaults, so they are not set here."""
    return {
        "crds": {"enabled": True},
        **({"config": {"gatewayAPI": {"enabled": True}}} if gateway_api else {}),
    }


class CertManager(pulumi.ComponentResource):
    """cert-manager (pinned chart, CRDs included) in a `restricted` namespace that admits only the API server on the
    webhook's port.

    Example::

        CertManager("cert-manager", gateway_crds=gateway.crds,
                    opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        gateway_crds: list[pulumi.Resource] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`gateway_crds`: what installs the Gateway API CRDs of the stack's Gateway (the release comes after it, its
        Gateway API shim on); None: the stack has no Gateway of its own, and the shim stays off."""
        super().__init__("llm-platform:serving:CertManager", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace = platform_namespace(
            f"{name}-namespace", NAMESPACE, level="restricted", api_server_ports=(WEBHOOK_PORT,), opts=child
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name="cert-manager",
            chart="cert-manager",
            version=versions.CERT_MANAGER_CHART,
            repository_opts={"repo": versions.CERT_MANAGER_REPO},
            namespace=namespace.metadata.name,
            values=cert_manager_values(gateway_api=gateway_crds is not None),
            max_history=5,
            # The shim checks for the Gateway API CRDs when the controller starts.
            opts=pulumi.ResourceOptions(parent=self, depends_on=gateway_crds or []),
        )
        self.register_outputs({})
