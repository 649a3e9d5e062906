"""The stack's Gateway (Gateway API): where exposed models are reached from outside the cluster, TLS only.

Which implementation, per target:

- aws, gcp, azure, existing: agentgateway (pinned charts; components/serving/agentgateway.py), conformant to the
  inference extension: it routes to InferencePools natively, asking each pool's endpoint picker (docs/manual.md
  "The stack's Gateway" for the choice). Its controller and proxies run under Pod Security "restricted" in
  `agentgateway-system`, where the Gateway is and its proxies run, behind the cloud's L4 load balancer. On gcp the
  Gateway API and InferencePool CRDs are GKE's (the cluster's Gateway API channel), not the stack's.
- `existingGateway`: a Gateway the cluster runs; the stack only attaches routes to it.

cert-manager's Gateway shim turns the Gateway's `cert-manager.io/cluster-issuer` annotation into one Certificate per
HTTPS listener (stored in the Gateway's namespace); with `acmeEmail` the stack creates a Let's Encrypt issuer whose
HTTP-01 challenges are answered through the Gateway's plain-HTTP listener, which otherwise only redirects to HTTPS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.catalog.instances import Cloud
from components.serving import agentgateway, awaits
from components.serving.clients import Client
from components.serving.gateway_address import StatusReadable, first_address
from components.serving.metadata import PART_OF, namespace_peer, platform_namespace

NAME = "llm-platform"
"""The Gateway's name, and its AgentgatewayParameters'."""
CLASS_NAME = "llm-platform-agentgateway"
"""The stack's GatewayClass. Not `llm-platform`, the name of the Envoy Gateway class it replaces: a class's
controllerName is immutable (Gateway API's CEL rule), so the new class is a new object, created before the old one
goes."""
HTTP_PORT, HTTPS_PORT = agentgateway.HTTP_PORT, agentgateway.HTTPS_PORT
LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
ACME_ISSUER = "llm-platform-letsencrypt"


class Implementation(Enum):
    AGENTGATEWAY = "agentgateway"
    EXISTING = "existing"


@dataclass(frozen=True, kw_only=True)
class GatewayRef:
    """The Gateway routes attach to, and who its data plane is to the models' NetworkPolicies."""

    implementation: Implementation
    namespace: str
    name: str
    cluster_owns_crds: bool = False
    """The cluster installs Gateway API's and the InferencePool's CRDs itself (GKE's Gateway API channel): the stack
    neither writes them nor assumes a bundle newer than the oldest the cluster may have."""

    @property
    def proxies(self) -> Client | None:
        """The data plane's pods, when it runs in pods: agentgateway's proxies of this Gateway, or every pod of an
        existing Gateway's namespace (where most implementations run a Gateway's own proxies)."""
        if self.implementation is Implementation.AGENTGATEWAY:
            return Client(namespace=self.namespace, pod_labels=agentgateway.proxy_labels(self.name, CLASS_NAME))
        if self.implementation is Implementation.EXISTING:
            return Client(namespace=self.namespace)
        return None

    @property
    def reference_grant_api_version(self) -> str:
        """ReferenceGrant's version the cluster serves: `v1` from Gateway API 1.5, which the stack installs with
        agentgateway (its bundle is pinned with it); `v1beta1` on GKE and behind an existing Gateway, whose installed
        bundle the cluster decides (served by every standard bundle from v0.6.0 to v1.6.1,
        config/crd/standard/gateway.networking.k8s.io_referencegrants.yaml)."""
        own_bundle = self.implementation is Implementation.AGENTGATEWAY and not self.cluster_owns_crds
        version = "v1" if own_bundle else "v1beta1"
        return f"gateway.networking.k8s.io/{version}"

    def https_listener(self, host: str) -> str | None:
        """The listener a host's route attaches to; None for an existing Gateway, whose listeners are its own."""
        return None if self.implementation is Implementation.EXISTING else listener_name(host)


def gateway_ref(*, existing: str | None, cloud: Cloud | None) -> GatewayRef:
    if existing is not None:
        namespace, name = existing.split("/", 1)
        return GatewayRef(implementation=Implementation.EXISTING, namespace=namespace, name=name)
    return GatewayRef(
        implementation=Implementation.AGENTGATEWAY,
        namespace=agentgateway.NAMESPACE,
        name=NAME,
        cluster_owns_crds=cloud is Cloud.GCP,
    )


def address_command(gateway: GatewayRef) -> str:
    """How to read the address when the stack does not know it."""
    return f"kubectl -n {gateway.namespace} get gateway {gateway.name} -o jsonpath='{{.status.addresses[*].value}}'"


def gateway_output(
    gateway: GatewayRef, hosts: Sequence[str], address: pulumi.Input[str | None] | None
) -> dict[str, Any]:
    """The `gateway` stack output: the Gateway, its address (None until known, as a model's `loadBalancerUrl`), the
    command that reads it, and the host names to point at it."""
    return {
        "namespace": gateway.namespace,
        "name": gateway.name,
        "implementation": gateway.implementation.value,
        "address": address,
        "addressCommand": address_command(gateway),
        "hosts": sorted(set(hosts)),
    }


def listener_name(host: str) -> str:
    return "https-" + host.replace(".", "-")


def certificate_secret(host: str) -> str:
    return "tls-" + host.replace(".", "-")


def listeners(hosts: Sequence[str], serving_namespace: str) -> list[dict[str, Any]]:
    """Plain HTTP (the HTTPS redirect and ACME challenges, routes of the Gateway's own namespace only), then one
    HTTPS listener per host, its certificate from cert-manager, open to routes of the serving namespace only."""
    return [
        {"name": "http", "protocol": "HTTP", "port": HTTP_PORT, "allowedRoutes": {"namespaces": {"from": "Same"}}},
        *(
            {
                "name": listener_name(host),
                "hostname": host,
                "protocol": "HTTPS",
                "port": HTTPS_PORT,
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": certificate_secret(host)}]},
                "allowedRoutes": {
                    "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
                    "namespaces": {
                        "from": "Selector",
                        "selector": namespace_peer(serving_namespace)["namespaceSelector"],
                    },
                },
            }
            for host in sorted(set(hosts))
        ),
    ]


def redirect_route_spec(gateway: GatewayRef) -> dict[str, Any]:
    """Every plain-HTTP request gets a redirect to HTTPS (the ACME solver's routes match longer paths and win)."""
    return {
        "parentRefs": [{"name": gateway.name, "sectionName": "http"}],
        "rules": [
            {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
        ],
    }


def acme_issuer_spec(email: str, gateway: GatewayRef) -> dict[str, Any]:
    """Let's Encrypt, HTTP-01 through the Gateway's plain-HTTP listener (cert-manager's gatewayHTTPRoute solver
    creates its HTTPRoute in the Certificate's namespace, the Gateway's)."""
    return {
        "acme": {
            "server": LETS_ENCRYPT,
            "email": email,
            "privateKeySecretRef": {"name": f"{ACME_ISSUER}-account"},
            "solvers": [
                {
                    "http01": {
                        "gatewayHTTPRoute": {
                            "parentRefs": [
                                {
                                    "group": "gateway.networking.k8s.io",
                                    "kind": "Gateway",
                                    "name": gateway.name,
                                    "namespace": gateway.namespace,
                                    "sectionName": "http",
                                }
                            ]
                        }
                    }
                }
            ],
        }
    }


@dataclass(frozen=True, kw_only=True)
class StackGatewayArgs:
    gateway: GatewayRef
    """The stack's agentgateway (never an existing one: nothing is created for it)."""
    cloud: Cloud | None
    internal: bool
    hosts: tuple[str, ...]
    """The exposed models' host names: one HTTPS listener each."""
    serving_namespace: str
    cluster_issuer: str | None
    """A ClusterIssuer of the user's; None: the stack's ACME issuer for `acme_email`."""
    acme_email: str | None
    await_seconds: int | None
    """How long Pulumi waits for the Gateway to be Programmed (an address from the cloud); None: not at all."""
    source_ranges: tuple[str, ...] = ()
    """agentgateway: the only CIDR blocks its load balancer admits; empty: anyone."""


class StackGateway(pulumi.ComponentResource):
    """The stack's Gateway and what it needs: agentgateway's CRDs, charts, parameters and GatewayClass, TLS
    from cert-manager (the issuer named, or `acme_issuer`'s with `acme_email`) and the HTTP-to-HTTPS redirect.

    Example::

        StackGateway("gateway", StackGatewayArgs(gateway=ref, cloud=Cloud.AWS, internal=False,
                     hosts=("llm.example.com",), serving_namespace="llm-serving", cluster_issuer=None,
                     acme_email="ops@example.com", await_seconds=1800),
                     opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    crds: list[pulumi.Resource]
    """What installs the Gateway API CRDs (the stack's patches; on GKE the cluster, so the namespace stands in):
    cert-manager's Gateway shim needs them when it starts."""
    ready: list[pulumi.Resource]
    """What HTTPRoutes (and InferencePools) come after."""
    address: pulumi.Output[str | None]
    """The Gateway's hostname or IP once Pulumi has read it from the cluster with an address (after waiting for it,
    `await_seconds`, or on a refresh); None until then."""

    def __init__(self, name: str, args: StackGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:StackGateway", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        gateway = args.gateway
        labels = {"app.kubernetes.io/part-of": PART_OF}
        namespace = platform_namespace(f"{name}-namespace", gateway.namespace, level="restricted", opts=child)
        platform = agentgateway.Agentgateway(
            name, namespace, install_gateway_crds=not gateway.cluster_owns_crds, opts=child
        )
        self.crds = platform.crds or [namespace]
        after: list[pulumi.Resource] = [namespace, *platform.ready]
        k8s.networking.v1.NetworkPolicy(
            f"{name}-listeners",
            metadata={"name": "allow-gateway-listeners", "namespace": gateway.namespace, "labels": labels},
            spec=agentgateway.listener_policy_spec(agentgateway.proxy_labels(gateway.name, CLASS_NAME)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
        )
        parameters = k8s.apiextensions.CustomResource(
            f"{name}-parameters",
            api_version=agentgateway.API_VERSION,
            kind="AgentgatewayParameters",
            metadata={"name": NAME, "namespace": gateway.namespace, "labels": labels},
            spec=agentgateway.parameters_spec(
                args.cloud, internal=args.internal, gateway_name=gateway.name, source_ranges=args.source_ranges
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        gateway_class = k8s.apiextensions.CustomResource(
            f"{name}-class",
            api_version="gateway.networking.k8s.io/v1",
            kind="GatewayClass",
            metadata={"name": CLASS_NAME, "labels": labels},
            spec={
                "controllerName": agentgateway.CONTROLLER,
                "parametersRef": {
                    "group": agentgateway.GROUP,
                    "kind": "AgentgatewayParameters",
                    "name": NAME,
                    "namespace": gateway.namespace,
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*after, parameters]),
        )
        after = [*after, gateway_class]
        issuer = args.cluster_issuer or (ACME_ISSUER if args.acme_email is not None else None)
        gateway_object = StatusReadable(
            f"{name}-gateway",
            api_version="gateway.networking.k8s.io/v1",
            kind="Gateway",
            metadata={
                "name": gateway.name,
                "namespace": gateway.namespace,
                "labels": labels,
                "annotations": {
                    **({"cert-manager.io/cluster-issuer": issuer} if issuer else {}),
                    **awaits.gateway(args.await_seconds, until_addressed=True),
                },
            },
            spec={"gatewayClassName": CLASS_NAME, "listeners": listeners(args.hosts, args.serving_namespace)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-client-keepalive",
            api_version=agentgateway.API_VERSION,
            kind="AgentgatewayPolicy",
            metadata={"name": "client-keepalive", "namespace": gateway.namespace, "labels": labels},
            spec=agentgateway.keepalive_policy_spec(gateway.name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*after, gateway_object]),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-retry-after",
            api_version=agentgateway.API_VERSION,
            kind="AgentgatewayPolicy",
            metadata={"name": "retry-after", "namespace": gateway.namespace, "labels": labels},
            spec=agentgateway.retry_after_policy_spec(gateway.name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*after, gateway_object]),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-https-redirect",
            api_version="gateway.networking.k8s.io/v1",
            kind="HTTPRoute",
            metadata={"name": "https-redirect", "namespace": gateway.namespace, "labels": labels},
            spec=redirect_route_spec(gateway),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, gateway_object]),
        )
        self.ready = [gateway_object]
        self.address = gateway_object.status.apply(first_address)
        self.register_outputs({})


def acme_issuer(
    name: str, email: str, gateway: GatewayRef, *, after: list[pulumi.Resource], opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    """The stack's Let's Encrypt ClusterIssuer, after cert-manager (its CRD) is installed."""
    return k8s.apiextensions.CustomResource(
        f"{name}-acme-issuer",
        api_version="cert-manager.io/v1",
        kind="ClusterIssuer",
        metadata={"name": ACME_ISSUER, "labels": {"app.kubernetes.io/part-of": PART_OF}},
        spec=acme_issuer_spec(email, gateway),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=after)),
    )
