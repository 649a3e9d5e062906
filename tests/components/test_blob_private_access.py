"""The Azure weight store reached only through its private endpoint, and every request on it logged.

Azure Private Endpoint DNS docs: the `blob` sub-resource's zone is privatelink.blob.core.windows.net, and it answers
in the VNets linked to it; a PrivateDnsZoneGroup keeps the endpoint's A record in the zone. Azure Monitor's storage
resource logs: categories StorageRead, StorageWrite, StorageDelete per service (blobServices, queueServices)."""

from __future__ import annotations

import pytest

from components.clusters.aks import virtual_network_of
from components.storage.blob_weights import BlobWeights
from tests.components.azure_store import SUBNET, VNET, blob_weights
from tests.support import Registered, record

STORES: dict[str, BlobWeights] = {}


def store() -> None:
    STORES["weights"] = blob_weights(["qwen"])


@pytest.fixture(scope="module")
def registered() -> Registered:
    return record(store, config={"llm-platform:region": "eastus2"})


def test_the_account_refuses_every_network_but_its_private_endpoint(registered: Registered) -> None:
    assert registered.inputs("azure-native:storage:StorageAccount")["publicNetworkAccess"] == "Disabled"


@pytest.mark.parametrize(
    ("endpoint", "target_type", "group"),
    [
        ("weights-endpoint", "azure-native:storage:StorageAccount", "blob"),
        ("weights-vault-endpoint", "azure-native:keyvault:Vault", "vault"),
    ],
)
def test_each_endpoint_takes_an_address_in_the_node_subnet_for_its_resources_service(
    registered: Registered, endpoint: str, target_type: str, group: str
) -> None:
    inputs = registered.inputs("azure-native:network:PrivateEndpoint", endpoint)
    target = registered.one(target_type)
    assert inputs["subnet"] == {"id": SUBNET}
    [connection] = inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == [group]
    assert connection["privateLinkServiceId"].endswith(f"/{target.name}")


@pytest.mark.parametrize(
    ("group", "zone_name"),
    [("blob", "privatelink.blob.core.windows.net"), ("vault", "privatelink.vaultcore.azure.net")],
)
def test_each_privatelink_zone_answers_in_the_clusters_vnet_and_holds_its_endpoints_record(
    registered: Registered, group: str, zone_name: str
) -> None:
    [zone] = [
        z for z in registered.all("azure-native:privatedns:PrivateZone") if z.inputs["privateZoneName"] == zone_name
    ]
    [link] = [
        r.inputs for r in registered.all("azure-native:privatedns:VirtualNetworkLink") if r.name == f"{zone.name}-link"
    ]
    [records] = [
        r.inputs for r in registered.all("azure-native:network:PrivateDnsZoneGroup") if r.name == f"{zone.name}-group"
    ]
    assert zone.name.endswith(f"-{group}-zone")
    assert zone.inputs["location"] == "global"
    assert link["virtualNetwork"] == {"id": VNET}
    assert link["registrationEnabled"] is False
    [config] = records["privateDnsZoneConfigs"]
    assert config["privateDnsZoneId"].endswith(f"/{zone.name}")


def test_a_models_pods_wait_until_the_accounts_name_resolves_to_the_endpoint(registered: Registered) -> None:
    ready_types = {resource.pulumi_resource_type for resource in STORES["weights"].models["qwen"].ready}
    assert {
        "azure-native:network:PrivateEndpoint",
        "azure-native:privatedns:VirtualNetworkLink",
        "azure-native:network:PrivateDnsZoneGroup",
    } <= ready_types


def test_reads_writes_and_deletes_on_the_blob_and_queue_services_go_to_the_clusters_workspace(
    registered: Registered,
) -> None:
    settings = {
        s.inputs["resourceUri"].rsplit("/", 2)[1]: s.inputs
        for s in registered.all("azure-native:monitor:DiagnosticSetting")
    }
    assert set(settings) == {"blobServices", "queueServices"}
    for setting in settings.values():
        assert setting["workspaceId"] == "workspace-id"
        assert {log["category"] for log in setting["logs"] if log["enabled"]} == {
            "StorageRead",
            "StorageWrite",
            "StorageDelete",
        }


def test_an_existing_subnets_vnet_is_its_id_before_subnets() -> None:
    assert virtual_network_of(SUBNET) == VNET
