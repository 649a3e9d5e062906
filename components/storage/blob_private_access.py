"""How a weight store's storage account (and its key's vault) is reached and watched: only through a private endpoint
in the cluster's node subnet, whose name resolves there through a private DNS zone (`privatelink.blob.core.windows.net`,
`privatelink.vaultcore.azure.net`) linked to the VNet; and every request on the account's blob and queue services
logged to the cluster's Log Analytics workspace.

With the account's public network access disabled, the data plane answers only through the endpoint (the nodes,
the streamer in the server pods, the copy Job); Pulumi itself reaches only Azure Resource Manager (the account, its
containers, lifecycle, roles), which the setting does not close. Pods resolve `<account>.blob.core.windows.net` to
its CNAME `<account>.privatelink.blob.core.windows.net` and that to the endpoint's address through the zone, which
answers only in a VNet that uses Azure-provided DNS (168.63.129.16): a VNet of `existingSubnetIds` with its own DNS
servers must forward the zone there, and one already linked to another `privatelink.blob.core.windows.net` zone
cannot take this one (Azure Private Endpoint DNS docs, "Azure services DNS zone configuration").
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import monitor, network, privatedns

BLOB_ZONE = "privatelink.blob.core.windows.net"
"""The private DNS zone of a storage account's `blob` sub-resource (Azure Private Endpoint DNS docs)."""
BLOB_GROUP = "blob"
VAULT_ZONE = "privatelink.vaultcore.azure.net"
"""The private DNS zone of a key vault's `vault` sub-resource (same docs)."""
VAULT_GROUP = "vault"
STORAGE_LOG_CATEGORIES = ("StorageRead", "StorageWrite", "StorageDelete")
"""The resource-log categories of a storage service (Azure Monitor, supported categories of
Microsoft.Storage/storageAccounts/blobServices and /queueServices)."""
LOGGED_SERVICES = ("blobServices", "queueServices")
"""The blob service holds the weights; the queue service is unused, and logged so that any use of it shows."""


@dataclass(frozen=True, kw_only=True)
class NetworkPlacement:
    """Where a private endpoint goes: the node subnet, and the VNet its DNS zone answers in."""

    resource_group_name: pulumi.Input[str]
    location: str
    subnet_id: pulumi.Input[str]
    virtual_network_id: pulumi.Input[str]


def private_endpoint(
    name: str,
    target_id: pulumi.Input[str],
    group: str,
    zone_name: str,
    placement: NetworkPlacement,
    parent: pulumi.Resource,
) -> list[pulumi.Resource]:
    """An endpoint for `group` of the resource `target_id`, its DNS zone, link and record group; returns what a client
    in the VNet must wait for (the resource's name resolving to the endpoint's address)."""
    child = pulumi.ResourceOptions(parent=parent)
    endpoint = network.PrivateEndpoint(
        f"{name}-endpoint",
        resource_group_name=placement.resource_group_name,
        location=placement.location,
        subnet={"id": placement.subnet_id},
        private_link_service_connections=[
            {"name": f"{name}-{group}", "private_link_service_id": target_id, "group_ids": [group]}
        ],
        opts=child,
    )
    zone = privatedns.PrivateZone(
        f"{name}-{group}-zone",
        private_zone_name=zone_name,
        resource_group_name=placement.resource_group_name,
        location="global",
        opts=child,
    )
    link = privatedns.VirtualNetworkLink(
        f"{name}-{group}-zone-link",
        private_zone_name=zone.name,
        resource_group_name=placement.resource_group_name,
        location="global",
        virtual_network={"id": placement.virtual_network_id},
        registration_enabled=False,
        opts=child,
    )
    # The group writes the endpoint's A record into the zone and keeps it when the endpoint's address changes.
    records = network.PrivateDnsZoneGroup(
        f"{name}-{group}-zone-group",
        private_endpoint_name=endpoint.name,
        resource_group_name=placement.resource_group_name,
        private_dns_zone_group_name="default",
        private_dns_zone_configs=[{"name": group, "private_dns_zone_id": zone.id}],
        opts=child,
    )
    return [endpoint, link, records]


def storage_logs(
    name: str, account_id: pulumi.Input[str], workspace_id: pulumi.Input[str], parent: pulumi.Resource
) -> None:
    """Every read, write and delete on the account's blob and queue services, to the workspace."""
    for service in LOGGED_SERVICES:
        monitor.DiagnosticSetting(
            f"{name}-{service}-logs",
            name=f"{service}-logs",
            resource_uri=pulumi.Output.concat(account_id, f"/{service}/default"),
            workspace_id=workspace_id,
            logs=[{"category": category, "enabled": True} for category in STORAGE_LOG_CATEGORIES],
            opts=pulumi.ResourceOptions(parent=parent),
        )
