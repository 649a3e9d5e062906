"""cert-manager, installed once per stack for whoever needs it: KServe's webhook certificates and the Gateway's
TLS certificates (its Gateway API support on, so that an annotated Gateway gets a Certificate per HTTPS listener)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.serving.metadata import platform_namespace

NAMESPACE = "cert-manager"
WEBHOOK_PORT = 10250
"""The webhook's securePort, which the API server calls (jetstack/cert-manager values.yaml)."""

VALUES: dict[str, Any] = {
    "crds": {"enabled": True},
    # The controller's configuration file (the chart's `config` value), with the Gateway API shim on: it reads
    # `cert-manager.io/cluster-issuer` on Gateways and creates their listeners' Certificates (cert-manager.io
    # docs/usage/gateway; `--enable-gateway-api`'s config-file form since v1.15). It needs the Gateway API CRDs at
    # start, hence the release comes after whatever installs them.
    "config": {
        "apiVersion": "controller.config.cert-manager.io/v1alpha1",
        "kind": "ControllerConfiguration",
        "enableGatewayAPI": True,
    },
}


class CertManager(pulumi.ComponentResource):
    """cert-manager (pinned chart, CRDs included) in a `restricted` namespace that admits only the API server on the
    webhook's port.

    Example::

        CertManager("cert-manager", after=[gateway_crds], opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    release: k8s.helm.v3.Release

    def __init__(
        self, name: str, after: list[pulumi.Resource] | None = None, opts: pulumi.ResourceOptions | None = None
    ) -> None:
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
            values=VALUES,
            max_history=5,
            opts=pulumi.ResourceOptions(parent=self, depends_on=after or []),
        )
        self.register_outputs({})
