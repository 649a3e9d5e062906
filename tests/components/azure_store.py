"""The Azure weight store the component tests build under mocks: one resource group, VNet and node subnet."""

from __future__ import annotations

from components.storage.blob_weights import BlobWeights, BlobWeightsArgs

VNET = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/llm-vnet"
SUBNET = f"{VNET}/subnets/nodes"


def blob_weights(models: list[str]) -> BlobWeights:
    """The store `weights` for `models`, in eastus2, logging to `workspace-id`."""
    return BlobWeights(
        "weights",
        BlobWeightsArgs(
            resource_group_name="rg",
            location="eastus2",
            cluster_name="llm",
            oidc_issuer_url="https://issuer.example/",
            subscription_id="sub",
            tenant_id="tenant",
            namespace="llm-serving",
            models=models,
            subnet_id=SUBNET,
            virtual_network_id=VNET,
            log_workspace_id="workspace-id",
        ),
    )
