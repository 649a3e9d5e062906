"""The conversion of planned cloud resources to Terraform-plan JSON (tools/tfplan.py), on small fixtures."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pulumi_azure_native as azure_native
import pytest

from tests.support import record
from tools.offline import Mode, ProgramRun, StackFiles, run_program
from tools.tfplan import (
    MERGED,
    UnmappedResourceError,
    bridged_values,
    is_cloud,
    snake,
    split_references,
    terraform_plan,
)


def _run(program: Any) -> ProgramRun:
    registered = record(program, config={"llm-platform:region": "us-east-1"})
    files = StackFiles("llm-platform", "test", {"llm-platform:region": "us-east-1"}, [], [])
    return ProgramRun("test", Mode.UPDATE, files, registered.registrations)


def _resource(plan: dict[str, Any], address: str) -> dict[str, Any]:
    [only] = [r for r in plan["planned_values"]["root_module"]["resources"] if r["address"] == address]
    return only


def _expressions(plan: dict[str, Any], address: str) -> dict[str, Any]:
    [only] = [r for r in plan["configuration"]["root_module"]["resources"] if r["address"] == address]
    return only["expressions"]


def test_camel_case_becomes_terraform_snake_case() -> None:
    assert snake("masterIpv4CidrBlock") == "master_ipv4_cidr_block"
    assert snake("httpPutResponseHopLimit") == "http_put_response_hop_limit"


def test_objects_become_blocks_maps_stay_maps_and_pluralized_lists_get_their_terraform_name() -> None:
    values = bridged_values(
        {
            "nodeConfig": {"guestAccelerators": [{"type": "nvidia-l4", "count": 1}], "labels": {"a/b": "c"}},
            "tags": {"kubernetes.io/role/elb": "1"},
        }
    )
    assert values == {
        "node_config": [{"guest_accelerator": [{"type": "nvidia-l4", "count": 1}], "labels": {"a/b": "c"}}],
        "tags": {"kubernetes.io/role/elb": "1"},
    }


def test_an_input_holding_another_resources_id_becomes_a_reference() -> None:
    kept, expressions = split_references({"vpc_id": "vpc-1", "cidr": "10.0.0.0/16"}, {"vpc-1": "aws_vpc.main"}, "x")
    assert kept == {"vpc_id": None, "cidr": "10.0.0.0/16"}
    assert expressions == {"vpc_id": {"references": ["aws_vpc.main.id", "aws_vpc.main"]}}


def test_a_bridged_resource_gets_its_terraform_type_address_and_references() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("main", cidr_block="10.0.0.0/16", tags={"Name": "main"})
        aws.ec2.FlowLog("flows", vpc_id=vpc.id, traffic_type="ALL")

    plan = terraform_plan(_run(program))
    assert _resource(plan, "aws_vpc.main")["values"] == {"cidr_block": "10.0.0.0/16", "tags": {"Name": "main"}}
    assert _resource(plan, "aws_flow_log.flows")["values"]["vpc_id"] is None
    assert _expressions(plan, "aws_flow_log.flows")["vpc_id"]["references"] == ["aws_vpc.main.id", "aws_vpc.main"]
    assert {change["change"]["actions"][0] for change in plan["resource_changes"]} == {"create"}


def test_an_azure_subnet_with_an_nsg_becomes_an_azurerm_subnet_and_its_association() -> None:
    def program() -> None:
        nsg = azure_native.network.NetworkSecurityGroup(
            "nsg", network_security_group_name="nsg", resource_group_name="rg"
        )
        azure_native.network.Subnet(
            "nodes",
            subnet_name="nodes",
            resource_group_name="rg",
            virtual_network_name="vnet",
            address_prefix="10.0.0.0/19",
            network_security_group={"id": nsg.id},
        )

    plan = terraform_plan(_run(program))
    assert _resource(plan, "azurerm_subnet.nodes")["values"]["address_prefixes"] == ["10.0.0.0/19"]
    association = "azurerm_subnet_network_security_group_association.nodes"
    assert _expressions(plan, association) == {
        "network_security_group_id": {
            "references": ["azurerm_network_security_group.nsg.id", "azurerm_network_security_group.nsg"]
        },
        "subnet_id": {"references": ["azurerm_subnet.nodes.id", "azurerm_subnet.nodes"]},
    }


def test_a_fabric_pools_placement_group_and_self_rules_become_their_terraform_resources() -> None:
    """pulumi-aws v7.51.1 provider/resources.go: aws_placement_group, aws_vpc_security_group_ingress_rule and
    aws_vpc_security_group_egress_rule, the types checkov's network checks read."""

    def program() -> None:
        aws.ec2.PlacementGroup("fabric", strategy="cluster")
        pool = aws.ec2.SecurityGroup("pool", vpc_id="vpc-1")
        aws.vpc.SecurityGroupIngressRule(
            "efa-in", security_group_id=pool.id, referenced_security_group_id=pool.id, ip_protocol="-1"
        )
        aws.vpc.SecurityGroupEgressRule(
            "efa-out", security_group_id=pool.id, referenced_security_group_id=pool.id, ip_protocol="-1"
        )

    plan = terraform_plan(_run(program))
    assert _resource(plan, "aws_placement_group.fabric")["values"] == {"strategy": "cluster"}
    for rule in ("aws_vpc_security_group_ingress_rule.efa-in", "aws_vpc_security_group_egress_rule.efa-out"):
        assert _resource(plan, rule)["values"]["ip_protocol"] == "-1"
        assert _expressions(plan, rule)["referenced_security_group_id"]["references"][0] == "aws_security_group.pool.id"


def test_an_azure_proximity_placement_group_becomes_azurerm_proximity_placement_group() -> None:
    def program() -> None:
        azure_native.compute.ProximityPlacementGroup(
            "fabric", resource_group_name="rg", location="eastus2", proximity_placement_group_type="Standard"
        )

    plan = terraform_plan(_run(program))
    values = _resource(plan, "azurerm_proximity_placement_group.fabric")["values"]
    assert values == {"name": None, "location": "eastus2", "resource_group_name": "rg"}


def test_a_cloud_resource_without_a_terraform_type_stops_the_conversion() -> None:
    def program() -> None:
        aws.sqs.Queue("unmapped")

    with pytest.raises(UnmappedResourceError, match=r"aws:sqs/queue:Queue \(unmapped\)"):
        terraform_plan(_run(program))


def test_every_example_stack_converts_with_every_cloud_resource(plans: dict[Any, Any]) -> None:
    for (stack, mode), plan in plans.items():
        if mode != Mode.UPDATE:
            continue
        converted = terraform_plan(plan.run)
        names = {r["name"] for r in converted["planned_values"]["root_module"]["resources"]}
        # A BlobServiceProperties or PrivateDnsZoneGroup is a block of another resource in azurerm.
        cloud = {r.name for r in plan.run.registrations if r.custom and is_cloud(r.type) and r.type not in MERGED}
        assert names == cloud, stack


def test_an_azure_accounts_blob_service_settings_become_its_blob_properties(plans: dict[Any, Any]) -> None:
    converted = terraform_plan(plans[("prod-azure", Mode.UPDATE)].run)
    [account] = [
        r for r in converted["planned_values"]["root_module"]["resources"] if r["type"] == "azurerm_storage_account"
    ]
    [properties] = account["values"]["blob_properties"]
    assert properties["versioning_enabled"] is True
    assert properties["delete_retention_policy"] == [{"days": 30}]


def test_an_azure_private_endpoint_carries_its_dns_zone_group_and_references_its_account() -> None:
    """azurerm keeps a zone group inside azurerm_private_endpoint (`private_dns_zone_group`); checkov's
    CKV2_AZURE_33 follows the endpoint's reference to the account."""

    def program() -> None:
        account = azure_native.storage.StorageAccount(
            "account", resource_group_name="rg", account_name="weights", kind="StorageV2", sku={"name": "Standard_GZRS"}
        )
        zone = azure_native.privatedns.PrivateZone(
            "zone", resource_group_name="rg", private_zone_name="privatelink.blob.core.windows.net"
        )
        endpoint = azure_native.network.PrivateEndpoint(
            "endpoint",
            resource_group_name="rg",
            subnet={"id": "subnet-1"},
            private_link_service_connections=[
                {"name": "blob", "private_link_service_id": account.id, "group_ids": ["blob"]}
            ],
        )
        azure_native.network.PrivateDnsZoneGroup(
            "records",
            resource_group_name="rg",
            private_endpoint_name=endpoint.name,
            private_dns_zone_group_name="default",
            private_dns_zone_configs=[{"name": "blob", "private_dns_zone_id": zone.id}],
        )

    plan = terraform_plan(_run(program))
    values = _resource(plan, "azurerm_private_endpoint.endpoint")["values"]
    assert values["private_service_connection"][0]["subresource_names"] == ["blob"]
    assert values["private_dns_zone_group"][0]["name"] == "default"
    expressions = _expressions(plan, "azurerm_private_endpoint.endpoint")
    assert expressions["private_service_connection"][0]["private_connection_resource_id"]["references"][0] == (
        "azurerm_storage_account.account.id"
    )
    assert expressions["private_dns_zone_group"][0]["private_dns_zone_ids"]["references"][0] == (
        "azurerm_private_dns_zone.zone.id"
    )
    assert not [r for r in plan["planned_values"]["root_module"]["resources"] if r["name"] == "records"]


def test_a_diagnostic_setting_on_an_accounts_queue_service_is_its_queue_logging() -> None:
    def program() -> None:
        account = azure_native.storage.StorageAccount(
            "account", resource_group_name="rg", account_name="weights", kind="StorageV2", sku={"name": "Standard_GZRS"}
        )
        azure_native.monitor.DiagnosticSetting(
            "queue-logs",
            resource_uri=account.id.apply(lambda id_: f"{id_}/queueServices/default"),
            workspace_id="workspace",
            logs=[{"category": c, "enabled": True} for c in ("StorageRead", "StorageWrite", "StorageDelete")],
        )

    plan = terraform_plan(_run(program))
    [properties] = _resource(plan, "azurerm_storage_account.account")["values"]["queue_properties"]
    assert properties["logging"] == [{"read": True, "write": True, "delete": True, "version": "2.0"}]
    assert _resource(plan, "azurerm_monitor_diagnostic_setting.queue-logs")["values"]["log_analytics_workspace_id"]


def test_an_azure_key_vault_its_key_and_an_accounts_customer_managed_key_become_their_azurerm_attributes() -> None:
    def program() -> None:
        vault = azure_native.keyvault.Vault(
            "vault",
            resource_group_name="rg",
            vault_name="llm-kv",
            properties={
                "tenant_id": "tenant",
                "sku": {"family": "A", "name": "premium"},
                "enable_purge_protection": True,
                "public_network_access": "Disabled",
                "network_acls": {"default_action": "Deny", "bypass": "AzureServices"},
            },
        )
        azure_native.keyvault.Key(
            "key",
            resource_group_name="rg",
            vault_name=vault.name,
            key_name="weights",
            properties={"kty": "RSA-HSM", "attributes": {"expires": 1_830_297_600}},
        )
        azure_native.storage.StorageAccount(
            "account",
            resource_group_name="rg",
            account_name="weights",
            kind="StorageV2",
            sku={"name": "Standard_GZRS"},
            encryption={
                "key_source": "Microsoft.Keyvault",
                "key_vault_properties": {"key_vault_uri": "https://llm-kv.vault.azure.net/", "key_name": "weights"},
                "encryption_identity": {"encryption_user_assigned_identity": "identity-1"},
            },
        )

    plan = terraform_plan(_run(program))
    vault = _resource(plan, "azurerm_key_vault.vault")["values"]
    assert vault["purge_protection_enabled"] is True
    assert vault["public_network_access_enabled"] is False
    assert vault["network_acls"] == [{"default_action": "Deny", "bypass": "AzureServices"}]
    key = _resource(plan, "azurerm_key_vault_key.key")["values"]
    assert key["key_type"] == "RSA-HSM"
    assert key["expiration_date"] == "2028-01-01T00:00:00Z"
    [cmk] = _resource(plan, "azurerm_storage_account.account")["values"]["customer_managed_key"]
    assert cmk == {
        "key_vault_key_id": "https://llm-kv.vault.azure.net/keys/weights",
        "user_assigned_identity_id": "identity-1",
    }


def test_an_image_cache_reaches_the_launch_templates_and_node_pools_the_scan_reads() -> None:
    aws_plan = terraform_plan(
        run_program("prod-aws", Mode.UPDATE, config_overrides={"imageCache": "snap-0123456789abcdef0"})
    )
    caches = [
        mapping["ebs"][0]
        for r in aws_plan["planned_values"]["root_module"]["resources"]
        if r["type"] == "aws_launch_template"
        for mapping in r["values"]["block_device_mappings"]
        if mapping["device_name"] == "/dev/xvdb"
    ]
    assert caches
    assert all(ebs["snapshot_id"] == "snap-0123456789abcdef0" and ebs["encrypted"] == "true" for ebs in caches)
    gcp_plan = terraform_plan(run_program("prod-gcp", Mode.UPDATE, config_overrides={"imageCache": "global/images/c"}))
    disks = [
        r["values"]["node_config"][0]["secondary_boot_disks"]
        for r in gcp_plan["planned_values"]["root_module"]["resources"]
        if r["type"] == "google_container_node_pool" and "secondary_boot_disks" in r["values"]["node_config"][0]
    ]
    assert disks
    assert all(disk == [{"disk_image": "global/images/c", "mode": "CONTAINER_IMAGE_CACHE"}] for disk in disks)


def test_the_azure_weight_store_gives_checkov_what_its_storage_checks_read(plans: dict[Any, Any]) -> None:
    """CKV_AZURE_59 (no public network access), CKV2_AZURE_33 (a private endpoint connected), CKV2_AZURE_1 (a
    customer-managed key), CKV_AZURE_33 (queue logging for read, write and delete), without a skip."""
    converted = terraform_plan(plans[("prod-azure", Mode.UPDATE)].run)
    [account] = [
        r for r in converted["planned_values"]["root_module"]["resources"] if r["type"] == "azurerm_storage_account"
    ]
    values = account["values"]
    assert values["public_network_access_enabled"] is False
    assert values["customer_managed_key"][0]["key_vault_key_id"]
    assert values["queue_properties"][0]["logging"][0] | {"version": None} == {
        "read": True,
        "write": True,
        "delete": True,
        "version": None,
    }
    endpoints = [
        expressions
        for r in converted["configuration"]["root_module"]["resources"]
        if r["type"] == "azurerm_private_endpoint"
        for expressions in [r["expressions"]]
    ]
    targets = {e["private_service_connection"][0]["private_connection_resource_id"]["references"][1] for e in endpoints}
    assert account["address"] in targets
