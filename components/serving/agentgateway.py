"""agentgateway, the stack's Gateway implementation on every cloud: its CRDs, its controller, and what its proxies are.

What agentgateway v1.4.1 is, read from its source at that tag (agentgateway/agentgateway):

- The controller (chart controller/install/helm/agentgateway) provisions, per Gateway, a Deployment and a
  LoadBalancer Service of proxies in the Gateway's namespace (controller/pkg/helm/agentgateway, the chart its deployer
  renders). The proxies' pods carry the Gateway's name and class (templates/_helpers.tpl `kgateway.gateway.
  selectorLabels` and the pod template's labels) and listen on the listeners' own ports: the Service's targetPort is
  the port (pkg/deployer/values_helpers.go AppendPortValue), the pod's sysctl `net.ipv4.ip_unprivileged_port_start=0`
  lets the non-root proxy bind 80 and 443. That sysctl is one of Pod Security's safe sysctls (baseline's allowed list
  since Kubernetes 1.22, which "restricted" inherits), so the proxies run in a "restricted" namespace once they have
  a seccomp profile, which their pod template lacks and the stack adds through AgentgatewayParameters' Deployment
  overlay (a strategic merge patch that keeps the sysctl: test/deployer/testdata/agentgateway-security-context-out).
- The controller makes and reconciles a GatewayClass named `agentgateway` itself (pkg/controller/start.go
  GetDefaultClassInfo); a class of another name with its controller name is served the same, and only its status is
  written (pkg/controller/gatewayclass.go): the stack's class is its own, `llm-platform`, pointing at the stack's
  AgentgatewayParameters.
- Neither chart installs Gateway API or the InferencePool CRD; the controller waits for each (delayed informers,
  pkg/agentgateway/plugins/collection.go), and reads InferencePools only with `inferenceExtension.enabled`
  (AGW_ENABLE_INFER_EXT). The stack creates both sets of CRDs from components/serving/crds/gateway-crds.json
  (tools/vendor_gateway_crds.py) as server-side-apply patches, not creates: a patch creates an object that does not
  exist (pulumi/pulumi-kubernetes#2011, #2194), and a cluster that already has them (an existing cluster's own, or the
  experimental channel Envoy Gateway's chart left on a stack deployed before) is brought to the stack's version
  instead of failing with AlreadyExists (pulumi-kubernetes 4.29 on); they are never deleted, as deleting a CRD
  deletes every object of it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.catalog.instances import Cloud
from components.serving.load_balancer import load_balancer_annotations

GROUP = "agentgateway.dev"
API_VERSION = f"{GROUP}/v1alpha1"
NAMESPACE = "agentgateway-system"
"""The controller's namespace, and the Gateway's: its proxies run next to it (the deployer's namespace is the
Gateway's)."""
CONTROLLER = "agentgateway.dev/agentgateway"
"""The controller name it serves (pkg/wellknown/controller.go DefaultAgwControllerName)."""
HTTP_PORT, HTTPS_PORT = 80, 443
"""The listeners' ports, which are also what the proxies' containers listen on (no shift)."""
UNPRIVILEGED_PORT_SYSCTL = {"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}
"""The sysctl the proxies' pod template sets (controller/pkg/helm/agentgateway/templates/_helpers.tpl)."""
CRD_FILE = Path(__file__).resolve().parent / "crds" / "gateway-crds.json"
KEEPALIVE_SECONDS = 60
"""TCP keepalives on clients' connections to the proxies: a silent connection (a completion that answers only at
the end, a cold start held at the interceptor) carries a packet every minute, which resets the idle timer of the
cloud load balancer in front (AWS NLB: 350 s, fixed; Azure: its idle timeout) before it could cut the request.
agentgateway's own default is 180 s (crates/agentgateway/src/types/agent.rs KeepaliveConfig)."""

CHART_VALUES: dict[str, Any] = {
    # The release's images, by tag (the chart's default registry is not where release.yml pushes them; its default
    # tag is the chart's appVersion for the controller and the controller's build version for the proxies).
    "image": {"registry": versions.AGENTGATEWAY_IMAGE_REGISTRY, "tag": versions.AGENTGATEWAY_VERSION},
    # The container's default securityContext (non-root, no privilege escalation, no capabilities, read-only root)
    # lacks only the seccomp profile Pod Security "restricted" needs; set on the pod so the default stays.
    "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "inferenceExtension": {"enabled": True},
}


def selector_labels(gateway_name: str) -> dict[str, str]:
    """The proxies' Deployment selector (controller/pkg/helm/agentgateway templates/_helpers.tpl, selectorLabels)."""
    return {
        "app.kubernetes.io/name": gateway_name,
        "app.kubernetes.io/instance": gateway_name,
        "gateway.networking.k8s.io/gateway-name": gateway_name,
    }


def proxy_labels(gateway_name: str, class_name: str) -> dict[str, str]:
    """The labels of the proxies of one Gateway (controller/pkg/helm/agentgateway templates/_helpers.tpl: the selector
    labels, each the Gateway's name, and its class's name)."""
    return {**selector_labels(gateway_name), "gateway.networking.k8s.io/gateway-class-name": class_name}


PROXY_REPLICAS = 2
"""Every request to an exposed model passes a proxy: the chart's Deployment sets no `replicas` (Kubernetes' default, 1:
controller/pkg/helm/agentgateway/templates/deployment.yaml), so one node drain or proxy restart would cut every
model off. Two, spread over nodes and zones, with a budget that keeps one through a drain."""


def _spread(selector: dict[str, str]) -> list[dict[str, Any]]:
    """Over nodes, then zones, where the cluster has them; a proxy is never left Pending for it."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector},
        }
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]


def parameters_spec(
    cloud: Cloud | None, *, internal: bool, gateway_name: str, source_ranges: Sequence[str] = ()
) -> dict[str, Any]:
    """The stack's AgentgatewayParameters: the proxies' Service is the cloud's internal or public load balancer (the
    same annotations as a model's own load balancer), admitting only `source_ranges` when given and keeping the
    client's address (`Local`: the NSG and NetworkPolicies see the client, as with a model's own load balancer);
    `PROXY_REPLICAS` proxies spread over nodes and zones, with a PodDisruptionBudget (the deployer points its
    selector at the proxies: controller/api/v1alpha1/agentgateway/agentgateway_parameters_types.go); their pods get
    the seccomp profile Pod Security "restricted" asks for."""
    service_spec: dict[str, Any] = {"type": "LoadBalancer", "externalTrafficPolicy": "Local"}
    if source_ranges:
        service_spec["loadBalancerSourceRanges"] = list(source_ranges)
    service: dict[str, Any] = {"spec": service_spec}
    annotations = load_balancer_annotations(cloud, internal=internal)
    if annotations:
        service["metadata"] = {"annotations": annotations}
    return {
        "service": service,
        "deployment": {
            "spec": {
                "replicas": PROXY_REPLICAS,
                "template": {
                    "spec": {
                        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                        "topologySpreadConstraints": _spread(selector_labels(gateway_name)),
                    }
                },
            }
        },
        "podDisruptionBudget": {"spec": {"minAvailable": PROXY_REPLICAS - 1}},
    }


def keepalive_policy_spec(gateway_name: str) -> dict[str, Any]:
    """Keepalives on the Gateway's client connections (AgentgatewayPolicy `frontend.tcp.keepalive`, which a frontend
    policy may set on a whole Gateway only: the CRD's CEL rules)."""
    return {
        "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway_name}],
        "frontend": {"tcp": {"keepalive": {"time": f"{KEEPALIVE_SECONDS}s", "interval": f"{KEEPALIVE_SECONDS}s"}}},
    }


RETRY_AFTER = 'default(response.headers["retry-after"], response.headers["x-ratelimit-reset"])'
"""A response's Retry-After: the upstream's own, else the seconds until the client's bucket refills. agentgateway
v1.4.1's local limiter answers 429 with `x-ratelimit-reset` but no Retry-After (crates/agentgateway/src/proxy/
mod.rs, RateLimitExceeded); a header expression that fails (neither header) removes the header, i.e. none is added
(http/mod.rs apply_header)."""


def retry_after_policy_spec(gateway_name: str) -> dict[str, Any]:
    """Every response through the Gateway carries Retry-After where a limit refused it: a Gateway-phase
    (`PreRouting`) response transformation, which the proxy runs on every response, the 429s of a route's own rate
    limit included (proxy/httpproxy.rs: the gateway's policies, and with them this transformation, are set before
    the route's limit can refuse the request)."""
    return {
        "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway_name}],
        "traffic": {
            "phase": "PreRouting",
            "transformation": {"response": {"set": [{"name": "retry-after", "value": RETRY_AFTER}]}},
        },
    }


def listener_policy_spec(proxies: dict[str, str]) -> dict[str, Any]:
    """The proxies (by their labels) accept connections on their listener ports from anywhere: the load balancer in
    front of them decides who reaches it (internal or public address, its source ranges)."""
    return {
        "podSelector": {"matchLabels": dict(proxies)},
        "policyTypes": ["Ingress"],
        "ingress": [{"ports": [{"protocol": "TCP", "port": HTTP_PORT}, {"protocol": "TCP", "port": HTTPS_PORT}]}],
    }


@functools.cache
def gateway_crds() -> tuple[dict[str, Any], ...]:
    """Gateway API's standard channel and the InferencePool CRD, as tools/vendor_gateway_crds.py wrote them."""
    return tuple(json.loads(CRD_FILE.read_text())["crds"])


FORCE_PATCH = {"pulumi.com/patchForce": "true"}
"""Takes the fields over from whoever wrote them before (Envoy Gateway's chart, a cluster's own install)."""


class Agentgateway(pulumi.ComponentResource):
    """Gateway API's and the InferencePool's CRDs, then agentgateway's CRD chart and controller chart (pinned) in
    `namespace`, which the caller creates under Pod Security "restricted".

    Example::

        Agentgateway("gateway", namespace=ns, opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    crds: list[pulumi.Resource]
    """Gateway API's CRDs: what cert-manager's Gateway shim needs when it starts (none where the cluster owns them)."""
    ready: list[pulumi.Resource]
    """What the stack's GatewayClass, parameters and policies come after."""

    def __init__(
        self,
        name: str,
        namespace: k8s.core.v1.Namespace,
        *,
        install_gateway_crds: bool = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-platform:serving:Agentgateway", name, None, opts)
        # On GKE the cluster's Gateway API channel owns them (docs/manual.md "The stack's Gateway"): GKE reconciles
        # the CRDs it installs, so a patch of the stack's would be undone, or would fight GKE on every upgrade.
        crds = [
            k8s.apiextensions.v1.CustomResourceDefinitionPatch(
                f"{name}-crd-{body['metadata']['name']}",
                metadata={
                    **body["metadata"],
                    "annotations": {**body["metadata"].get("annotations", {}), **FORCE_PATCH},
                },
                spec=body["spec"],
                # Deleting the CRD deletes every object of it: never, even when the stack drops the Gateway.
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
            for body in (gateway_crds() if install_gateway_crds else ())
        ]
        crd_chart = k8s.helm.v3.Release(
            f"{name}-agentgateway-crds",
            name="agentgateway-crds",
            chart=versions.AGENTGATEWAY_CRD_CHART,
            version=versions.AGENTGATEWAY_VERSION,
            namespace=namespace.metadata.name,
            max_history=5,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
        )
        controller = k8s.helm.v3.Release(
            f"{name}-agentgateway",
            name="agentgateway",
            chart=versions.AGENTGATEWAY_CHART,
            version=versions.AGENTGATEWAY_VERSION,
            namespace=namespace.metadata.name,
            values=CHART_VALUES,
            max_history=5,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, *crds, crd_chart]),
        )
        self.crds = list(crds)
        self.ready = [*crds, crd_chart, controller]
        self.register_outputs({})
