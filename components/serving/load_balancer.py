"""Exposing a model through a cloud load balancer restricted by source ranges: the alternative to the TLS Ingress
for clients in a known network (a peered VPC, an office range), without an ingress controller or certificates.

`externalTrafficPolicy: Local` keeps the client's address, so the model's NetworkPolicy can admit the same
ranges the load balancer does; on AWS that needs a Network Load Balancer (a Classic one proxies connections).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.catalog.instances import Cloud
from components.serving import awaits
from components.serving.metadata import PART_OF

PORT = 80

# Annotations of the clouds' built-in service controllers (no extra controller to install):
# AWS cloud-provider-aws (in-tree annotations), GKE networking.gke.io, AKS cloud-provider-azure.
_AWS_NLB = {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
AZURE_IDLE_TIMEOUT = "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout"
AZURE_IDLE_TIMEOUT_MINUTES = 15
"""Above the Gateway route's 10 minutes, so that the route answers (504) before the load balancer resets a silent
connection; Azure's default is 4 minutes, the annotation takes 4 to 100 (cloud-provider-azure pkg/provider/
azure_loadbalancer.go, getExpectedLoadBalancingRulePropertiesForPort)."""
_AZURE_IDLE = {AZURE_IDLE_TIMEOUT: str(AZURE_IDLE_TIMEOUT_MINUTES)}
_INTERNAL: dict[Cloud, dict[str, str]] = {
    Cloud.AWS: {**_AWS_NLB, "service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
    Cloud.GCP: {"networking.gke.io/load-balancer-type": "Internal"},
    Cloud.AZURE: {"service.beta.kubernetes.io/azure-load-balancer-internal": "true", **_AZURE_IDLE},
}
_PUBLIC: dict[Cloud, dict[str, str]] = {Cloud.AWS: _AWS_NLB, Cloud.GCP: {}, Cloud.AZURE: _AZURE_IDLE}
AWS_NLB_IDLE_TIMEOUT_SECONDS = 350
"""A Network Load Balancer's TCP idle timeout (AWS "Network Load Balancers" docs). cloud-provider-aws, which creates
the stack's NLBs, has no annotation to change it; TCP keepalives reset it, which the Gateway's proxies send
(components/serving/gateway.py) and a model's own load balancer has no one to send."""


def load_balancer_annotations(cloud: Cloud | None, *, internal: bool) -> dict[str, str]:
    """The cloud's annotations for an internal or public load balancer; none on an existing cluster."""
    if cloud is None:
        return {}
    return dict((_INTERNAL if internal else _PUBLIC)[cloud])


@dataclass(frozen=True, kw_only=True)
class ModelLoadBalancerArgs:
    namespace: pulumi.Input[str]
    selector: dict[str, str]
    """The model's pods."""
    source_ranges: tuple[str, ...]
    """CIDR blocks the load balancer admits (the model's NetworkPolicy admits the same)."""
    cloud: Cloud | None
    """The cloud whose load balancer to ask for; None: an existing cluster's own (MetalLB, kind...)."""
    internal: bool = True
    await_seconds: int | None = None
    """How long Pulumi waits for the address and a ready model pod (the model's rollout time); None: it does not
    wait, because nothing the stack installs or checks assigns the address (`awaits.load_balancer_wait_seconds`)."""


class ModelLoadBalancer(pulumi.ComponentResource):
    """A LoadBalancer Service `<name>-lb` on port 80 to the model's `http` port.

    Example::

        ModelLoadBalancer("chat", ModelLoadBalancerArgs(namespace=ns, selector={"app": "chat"},
                          source_ranges=("10.20.0.0/16",), cloud=Cloud.GCP))
    """

    address: pulumi.Output[str]
    """The load balancer's hostname or IP once assigned; empty when Pulumi did not wait for it."""

    def __init__(self, name: str, args: ModelLoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:ModelLoadBalancer", name, None, opts)
        service = k8s.core.v1.Service(
            f"{name}-lb",
            metadata={
                "name": f"{name}-lb",
                "namespace": args.namespace,
                "labels": {"app.kubernetes.io/part-of": PART_OF},
                "annotations": {
                    **load_balancer_annotations(args.cloud, internal=args.internal),
                    **awaits.load_balancer(args.await_seconds),
                },
            },
            spec={
                "type": "LoadBalancer",
                "selector": args.selector,
                "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
                "loadBalancerSourceRanges": list(args.source_ranges),
                # Keeps the client's address for the NetworkPolicy, and skips a second hop between nodes.
                "externalTrafficPolicy": "Local",
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.address = service.status.apply(_address)
        self.register_outputs({"address": self.address})


def _address(status: object) -> str:
    ingress = getattr(getattr(status, "load_balancer", None), "ingress", None) or []
    if not ingress:
        return ""
    return ingress[0].hostname or ingress[0].ip or ""
