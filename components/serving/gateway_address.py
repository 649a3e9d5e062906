"""Where the Gateway is reached: the address its controller writes into `status.addresses`, what users point the
models' host names at (a CNAME for a hostname, an A or AAAA record for an IP).

pulumi-kubernetes returns a custom resource's live object, `status` included, once it has waited for it
(provider/pkg/await/await.go Creation returns what the awaiter last saw; provider.go checkpointObject keeps the whole
live object), but its Python `CustomResource` only exposes the properties it was given (pulumi-kubernetes issue
#1836): `StatusReadable` also asks for `status`. Like a model's load balancer URL, the address is known only when
Pulumi waited for the Gateway (`awaits.gateway_wait_seconds`), and unknown in a preview; otherwise the output says
how to read it (`gateway_output` in components/serving/gateway.py).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

DNS_ADDRESS_TYPES = ("IPAddress", "Hostname")
"""Address types a DNS record can point at; the Gateway API's default type is IPAddress (gateway-api v1.6.1
GatewayStatusAddress), others (NamedAddress, domain-prefixed types) are the implementation's own."""


class StatusReadable(k8s.apiextensions.CustomResource):
    """A custom resource whose `status` output is readable once Pulumi has waited for it.

    Example::

        gateway = StatusReadable("gateway", api_version="gateway.networking.k8s.io/v1", kind="Gateway",
                                 metadata={...}, spec={...})
        gateway.status.apply(first_address)
    """

    status: pulumi.Output[Any]

    def __init__(
        self,
        resource_name: str,
        *,
        api_version: str,
        kind: str,
        metadata: pulumi.Input[Any],
        spec: pulumi.Input[Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # As CustomResource._internal_init builds them, plus `status`: a None input is not sent, but it is registered,
        # so the provider's `status` resolves it.
        props = k8s.apiextensions.CustomResourceArgs.__new__(k8s.apiextensions.CustomResourceArgs)
        props.__dict__.update(api_version=api_version, kind=kind, metadata=metadata, spec=spec, status=None)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(version=k8s._utilities.get_version()))
        pulumi.CustomResource.__init__(self, f"kubernetes:{api_version}:{kind}", resource_name, props, opts)


def first_address(status: Any) -> str | None:
    """The first address in `status.addresses` a DNS record can point at; None before the controller sets one."""
    addresses = (status.get("addresses") or []) if isinstance(status, dict) else []
    for address in addresses:
        if address.get("type", "IPAddress") in DNS_ADDRESS_TYPES and address.get("value"):
            return str(address["value"])
    return None
