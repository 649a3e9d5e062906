"""Azure's cloud resources in the Terraform-plan view (tools/tfplan.py): pulumi-azure-native is not a bridged provider
(its inputs are the ARM request body), so each type the stack creates is mapped by hand to its azurerm equivalent
(AZURE_TYPES), with the blocks azurerm nests in a parent (blob properties, DNS zone groups, queue logging) built here
and merged by tools/tfplan.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any


def _pool_values(pool: Mapping[str, Any]) -> dict[str, Any]:
    """An agent pool (ARM `agentPoolProfiles[]` or AgentPool) as azurerm's node pool attributes."""
    values = {
        "name": pool.get("name") or pool.get("agentPoolName"),
        "vm_size": pool.get("vmSize"),
        "type": pool.get("type"),
        "mode": pool.get("mode"),
        "max_pods": pool.get("maxPods"),
        "os_disk_type": pool.get("osDiskType"),
        "os_disk_size_gb": pool.get("osDiskSizeGB"),
        "host_encryption_enabled": pool.get("enableEncryptionAtHost", False),
        "node_public_ip_enabled": pool.get("enableNodePublicIP", False),
        "auto_scaling_enabled": pool.get("enableAutoScaling", False),
        "min_count": pool.get("minCount"),
        "max_count": pool.get("maxCount"),
        "node_count": pool.get("count"),
        "zones": pool.get("availabilityZones"),
        "node_labels": pool.get("nodeLabels") or {},
        "node_taints": pool.get("nodeTaints") or [],
        "vnet_subnet_id": pool.get("vnetSubnetID"),
        "priority": pool.get("scaleSetPriority"),
        "eviction_policy": pool.get("scaleSetEvictionPolicy"),
        "spot_max_price": pool.get("spotMaxPrice"),
        # azurerm's `only_critical_addons_enabled` is the CriticalAddonsOnly taint on a system pool.
        "only_critical_addons_enabled": "CriticalAddonsOnly=true:NoSchedule" in (pool.get("nodeTaints") or []),
    }
    return {key: value for key, value in values.items() if value is not None}


def _managed_cluster(inputs: Mapping[str, Any]) -> dict[str, Any]:
    addons = inputs.get("addonProfiles") or {}
    api_server = inputs.get("apiServerAccessProfile") or {}
    network = inputs.get("networkProfile") or {}
    security = inputs.get("securityProfile") or {}
    upgrades = inputs.get("autoUpgradeProfile") or {}
    aad = inputs.get("aadProfile")
    pools = inputs.get("agentPoolProfiles") or []
    values: dict[str, Any] = {
        "name": inputs.get("resourceName"),
        "location": inputs.get("location"),
        "resource_group_name": inputs.get("resourceGroupName"),
        "node_resource_group": inputs.get("nodeResourceGroup"),
        "dns_prefix": inputs.get("dnsPrefix"),
        "kubernetes_version": inputs.get("kubernetesVersion"),
        "sku_tier": (inputs.get("sku") or {}).get("tier", "Free"),
        "automatic_upgrade_channel": upgrades.get("upgradeChannel"),
        "node_os_upgrade_channel": upgrades.get("nodeOSUpgradeChannel"),
        "local_account_disabled": inputs.get("disableLocalAccounts", False),
        "role_based_access_control_enabled": inputs.get("enableRBAC", True),
        "private_cluster_enabled": api_server.get("enablePrivateCluster", False),
        "azure_policy_enabled": (addons.get("azurepolicy") or {}).get("enabled", False),
        "http_application_routing_enabled": (addons.get("httpApplicationRouting") or {}).get("enabled", False),
        "oidc_issuer_enabled": (inputs.get("oidcIssuerProfile") or {}).get("enabled", False),
        "workload_identity_enabled": (security.get("workloadIdentity") or {}).get("enabled", False),
        "image_cleaner_enabled": (security.get("imageCleaner") or {}).get("enabled", False),
        "disk_encryption_set_id": inputs.get("diskEncryptionSetID"),
        "identity": [
            {
                "type": (inputs.get("identity") or {}).get("type"),
                "identity_ids": list((inputs.get("identity") or {}).get("userAssignedIdentities") or []),
            }
        ],
        "default_node_pool": [_pool_values(pools[0])] if pools else [],
        "network_profile": [
            {
                "network_plugin": network.get("networkPlugin"),
                "network_plugin_mode": network.get("networkPluginMode"),
                "network_policy": network.get("networkPolicy"),
                "network_data_plane": network.get("networkDataplane"),
                "outbound_type": network.get("outboundType"),
                "load_balancer_sku": network.get("loadBalancerSku"),
                "pod_cidr": network.get("podCidr"),
                "service_cidr": network.get("serviceCidr"),
                "dns_service_ip": network.get("dnsServiceIP"),
            }
        ],
    }
    if api_server.get("authorizedIPRanges"):
        values["api_server_access_profile"] = [{"authorized_ip_ranges": api_server["authorizedIPRanges"]}]
    if aad:
        values["azure_active_directory_role_based_access_control"] = [
            {"azure_rbac_enabled": aad.get("enableAzureRBAC", False)}
        ]
    oms = addons.get("omsagent") or {}
    if oms.get("enabled"):
        workspace = (oms.get("config") or {}).get("logAnalyticsWorkspaceResourceID")
        values["oms_agent"] = [{"log_analytics_workspace_id": workspace}]
    secrets = addons.get("azureKeyvaultSecretsProvider") or {}
    if secrets.get("enabled"):
        rotation = (secrets.get("config") or {}).get("enableSecretRotation") == "true"
        values["key_vault_secrets_provider"] = [{"secret_rotation_enabled": rotation}]
    return {key: value for key, value in values.items() if value is not None}


def _security_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": rule.get("name"),
        "priority": rule.get("priority"),
        "direction": rule.get("direction"),
        "access": rule.get("access"),
        "protocol": rule.get("protocol"),
        "source_port_range": rule.get("sourcePortRange"),
        "source_port_ranges": rule.get("sourcePortRanges") or [],
        "destination_port_range": rule.get("destinationPortRange"),
        "destination_port_ranges": rule.get("destinationPortRanges") or [],
        "source_address_prefix": rule.get("sourceAddressPrefix"),
        "source_address_prefixes": rule.get("sourceAddressPrefixes") or [],
        "destination_address_prefix": rule.get("destinationAddressPrefix"),
        "destination_address_prefixes": rule.get("destinationAddressPrefixes") or [],
        "description": rule.get("description"),
    }


def _network_security_group(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": inputs.get("networkSecurityGroupName"),
        "location": inputs.get("location"),
        "resource_group_name": inputs.get("resourceGroupName"),
        "security_rule": [_security_rule(rule) for rule in inputs.get("securityRules") or []],
    }


def _subnet(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": inputs.get("subnetName"),
        "resource_group_name": inputs.get("resourceGroupName"),
        "virtual_network_name": inputs.get("virtualNetworkName"),
        "address_prefixes": [inputs["addressPrefix"]] if "addressPrefix" in inputs else inputs.get("addressPrefixes"),
        "private_endpoint_network_policies": inputs.get("privateEndpointNetworkPolicies"),
        "private_link_service_network_policies_enabled": inputs.get("privateLinkServiceNetworkPolicies") == "Enabled",
    }


def subnet_nsg_association(inputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """azure-native sets a subnet's NSG inline; azurerm (and so checkov) models it as an association."""
    nsg = (inputs.get("networkSecurityGroup") or {}).get("id")
    return {"network_security_group_id": nsg} if nsg else None


BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
"""Merged into its account (azurerm has no resource of its own for it: `blob_properties` of the account)."""
DNS_ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
"""Merged into its endpoint (azurerm's `private_dns_zone_group` block of azurerm_private_endpoint)."""
MERGED = frozenset({BLOB_SERVICE, DNS_ZONE_GROUP})
"""azure-native resources that are a block of another resource in azurerm."""
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
QUEUE_SERVICE = "/queueServices/default"


def _storage_account(inputs: Mapping[str, Any]) -> dict[str, Any]:
    sku = str((inputs.get("sku") or {}).get("name", "Standard_LRS"))
    encryption = inputs.get("encryption") or {}
    return {
        "name": inputs.get("accountName"),
        "location": inputs.get("location"),
        "resource_group_name": inputs.get("resourceGroupName"),
        "account_kind": inputs.get("kind"),
        "account_tier": sku.split("_")[0],
        "account_replication_type": sku.split("_")[1],
        "https_traffic_only_enabled": inputs.get("enableHttpsTrafficOnly", True),
        "min_tls_version": inputs.get("minimumTlsVersion"),
        "allow_nested_items_to_be_public": inputs.get("allowBlobPublicAccess", False),
        "shared_access_key_enabled": inputs.get("allowSharedKeyAccess", True),
        "default_to_oauth_authentication": inputs.get("defaultToOAuthAuthentication", False),
        "cross_tenant_replication_enabled": inputs.get("allowCrossTenantReplication", False),
        "infrastructure_encryption_enabled": encryption.get("requireInfrastructureEncryption", False),
        "public_network_access_enabled": inputs.get("publicNetworkAccess", "Enabled") == "Enabled",
        **({"network_rules": [inputs["networkRuleSet"]]} if inputs.get("networkRuleSet") else {}),
        **_account_identity(inputs),
        **_customer_managed_key(encryption),
    }


def _account_identity(inputs: Mapping[str, Any]) -> dict[str, Any]:
    identity = inputs.get("identity")
    if not identity:
        return {}
    return {
        "identity": [{"type": identity.get("type"), "identity_ids": list(identity.get("userAssignedIdentities") or [])}]
    }


def _customer_managed_key(encryption: Mapping[str, Any]) -> dict[str, Any]:
    """An account's Key Vault key as azurerm's `customer_managed_key` block: azurerm names the key by its versionless
    id (`<vault uri>keys/<name>`), ARM by the vault's URI and the key's name."""
    if str(encryption.get("keySource", "")).lower() != "microsoft.keyvault":
        return {}
    key = encryption.get("keyVaultProperties") or {}
    key_id = f"{key.get('keyVaultUri')}keys/{key.get('keyName')}" if key.get("keyName") else None
    identity = (encryption.get("encryptionIdentity") or {}).get("encryptionUserAssignedIdentity")
    return {"customer_managed_key": [{"key_vault_key_id": key_id, "user_assigned_identity_id": identity}]}


def _key_vault(inputs: Mapping[str, Any]) -> dict[str, Any]:
    properties = inputs.get("properties") or {}
    acls = properties.get("networkAcls")
    return {
        "name": inputs.get("vaultName"),
        "location": inputs.get("location"),
        "resource_group_name": inputs.get("resourceGroupName"),
        "tenant_id": properties.get("tenantId"),
        "sku_name": (properties.get("sku") or {}).get("name"),
        "rbac_authorization_enabled": properties.get("enableRbacAuthorization", False),
        "soft_delete_retention_days": properties.get("softDeleteRetentionInDays"),
        "purge_protection_enabled": properties.get("enablePurgeProtection", False),
        "public_network_access_enabled": properties.get("publicNetworkAccess", "Enabled") == "Enabled",
        **(
            {"network_acls": [{"default_action": acls.get("defaultAction"), "bypass": acls.get("bypass")}]}
            if acls
            else {}
        ),
    }


def _key_vault_key(inputs: Mapping[str, Any]) -> dict[str, Any]:
    properties = inputs.get("properties") or {}
    expires = (properties.get("attributes") or {}).get("expires")
    rotation = properties.get("rotationPolicy") or {}
    before_expiry = [
        (action.get("trigger") or {}).get("timeBeforeExpiry")
        for action in rotation.get("lifetimeActions") or []
        if (action.get("action") or {}).get("type", "").lower() == "rotate"
    ]
    return {
        "name": inputs.get("keyName"),
        "key_vault_id": inputs.get("vaultName"),
        "key_type": properties.get("kty"),
        "key_size": properties.get("keySize"),
        "key_opts": properties.get("keyOps"),
        # ARM takes seconds since the epoch; azurerm an RFC 3339 date.
        "expiration_date": (
            datetime.fromtimestamp(float(expires), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if expires else None
        ),
        "rotation_policy": [
            {
                "expire_after": (rotation.get("attributes") or {}).get("expiryTime"),
                "automatic": [{"time_before_expiry": before_expiry[0]}] if before_expiry else [],
            }
        ]
        if rotation
        else [],
    }


def queue_logging(setting: Mapping[str, Any]) -> dict[str, Any]:
    """A diagnostic setting on an account's queue service as its `queue_properties.logging`: azurerm's block is the
    classic Storage Analytics log of the same requests (read, write, delete), which Azure Monitor's resource logs
    replace (categories StorageRead, StorageWrite, StorageDelete)."""
    logged = {log.get("category") for log in setting.get("logs") or [] if log.get("enabled")}
    return {
        "logging": [
            {
                "read": "StorageRead" in logged,
                "write": "StorageWrite" in logged,
                "delete": "StorageDelete" in logged,
                "version": "2.0",
            }
        ]
    }


def _private_endpoint(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": inputs.get("privateEndpointName"),
        "location": inputs.get("location"),
        "resource_group_name": inputs.get("resourceGroupName"),
        "subnet_id": (inputs.get("subnet") or {}).get("id"),
        "private_service_connection": [
            {
                "name": connection.get("name"),
                "private_connection_resource_id": connection.get("privateLinkServiceId"),
                "subresource_names": connection.get("groupIds"),
                "is_manual_connection": False,
            }
            for connection in inputs.get("privateLinkServiceConnections") or []
        ],
    }


def dns_zone_group(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A PrivateDnsZoneGroup as its endpoint's `private_dns_zone_group` block."""
    configs = inputs.get("privateDnsZoneConfigs") or []
    return {
        "name": inputs.get("privateDnsZoneGroupName"),
        "private_dns_zone_ids": [config.get("privateDnsZoneId") for config in configs],
    }


def blob_properties(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A BlobServiceProperties' settings as the account's `blob_properties` block."""
    properties: dict[str, Any] = {"versioning_enabled": inputs.get("isVersioningEnabled", False)}
    for source, target in (
        ("deleteRetentionPolicy", "delete_retention_policy"),
        ("containerDeleteRetentionPolicy", "container_delete_retention_policy"),
    ):
        policy = inputs.get(source) or {}
        if policy.get("enabled"):
            properties[target] = [{"days": policy.get("days")}]
    return properties


_AzureMapping = Callable[[Mapping[str, Any]], dict[str, Any]]
AZURE_TYPES: dict[str, tuple[str, _AzureMapping]] = {
    "azure-native:authorization:RoleAssignment": (
        "azurerm_role_assignment",
        lambda i: {
            "scope": i.get("scope"),
            "role_definition_id": i.get("roleDefinitionId"),
            "principal_id": i.get("principalId"),
            "principal_type": i.get("principalType"),
        },
    ),
    "azure-native:keyvault:Vault": ("azurerm_key_vault", _key_vault),
    "azure-native:keyvault:Key": ("azurerm_key_vault_key", _key_vault_key),
    "azure-native:containerservice:AgentPool": ("azurerm_kubernetes_cluster_node_pool", _pool_values),
    "azure-native:containerservice:ManagedCluster": ("azurerm_kubernetes_cluster", _managed_cluster),
    "azure-native:managedidentity:UserAssignedIdentity": (
        "azurerm_user_assigned_identity",
        lambda i: {
            "name": i.get("resourceName"),
            "location": i.get("location"),
            "resource_group_name": i.get("resourceGroupName"),
        },
    ),
    # azurerm has no type argument: every proximity placement group it creates is Standard.
    "azure-native:compute:ProximityPlacementGroup": (
        "azurerm_proximity_placement_group",
        lambda i: {
            "name": i.get("proximityPlacementGroupName"),
            "location": i.get("location"),
            "resource_group_name": i.get("resourceGroupName"),
        },
    ),
    "azure-native:monitor:DiagnosticSetting": (
        "azurerm_monitor_diagnostic_setting",
        lambda i: {
            "name": i.get("name"),
            "target_resource_id": i.get("resourceUri"),
            "log_analytics_workspace_id": i.get("workspaceId"),
            "log_analytics_destination_type": i.get("logAnalyticsDestinationType"),
            "enabled_log": [{"category": log.get("category")} for log in i.get("logs") or [] if log.get("enabled")],
        },
    ),
    "azure-native:network:NetworkSecurityGroup": ("azurerm_network_security_group", _network_security_group),
    "azure-native:network:PrivateEndpoint": ("azurerm_private_endpoint", _private_endpoint),
    "azure-native:privatedns:PrivateZone": (
        "azurerm_private_dns_zone",
        lambda i: {"name": i.get("privateZoneName"), "resource_group_name": i.get("resourceGroupName")},
    ),
    "azure-native:privatedns:VirtualNetworkLink": (
        "azurerm_private_dns_zone_virtual_network_link",
        lambda i: {
            "name": i.get("virtualNetworkLinkName"),
            "resource_group_name": i.get("resourceGroupName"),
            "private_dns_zone_name": i.get("privateZoneName"),
            "virtual_network_id": (i.get("virtualNetwork") or {}).get("id"),
            "registration_enabled": i.get("registrationEnabled", False),
        },
    ),
    "azure-native:network:Subnet": ("azurerm_subnet", _subnet),
    "azure-native:network:VirtualNetwork": (
        "azurerm_virtual_network",
        lambda i: {
            "name": i.get("virtualNetworkName"),
            "location": i.get("location"),
            "resource_group_name": i.get("resourceGroupName"),
            "address_space": (i.get("addressSpace") or {}).get("addressPrefixes"),
        },
    ),
    "azure-native:operationalinsights:Workspace": (
        "azurerm_log_analytics_workspace",
        lambda i: {
            "name": i.get("workspaceName"),
            "location": i.get("location"),
            "resource_group_name": i.get("resourceGroupName"),
            "sku": (i.get("sku") or {}).get("name"),
            "retention_in_days": i.get("retentionInDays"),
        },
    ),
    "azure-native:storage:StorageAccount": ("azurerm_storage_account", _storage_account),
    "azure-native:storage:BlobContainer": (
        "azurerm_storage_container",
        lambda i: {
            "name": i.get("containerName"),
            "storage_account_name": i.get("accountName"),
            "container_access_type": "private" if i.get("publicAccess", "None") == "None" else i.get("publicAccess"),
        },
    ),
    "azure-native:storage:ManagementPolicy": (
        "azurerm_storage_management_policy",
        lambda i: {"storage_account_id": i.get("accountName"), "rule": (i.get("policy") or {}).get("rules")},
    ),
    "azure-native:managedidentity:FederatedIdentityCredential": (
        "azurerm_federated_identity_credential",
        lambda i: {
            "name": i.get("federatedIdentityCredentialResourceName"),
            "resource_group_name": i.get("resourceGroupName"),
            "parent_id": i.get("resourceName"),
            "issuer": i.get("issuer"),
            "subject": i.get("subject"),
            "audience": i.get("audiences"),
        },
    ),
    "azure-native:resources:ResourceGroup": (
        "azurerm_resource_group",
        lambda i: {"name": i.get("resourceGroupName"), "location": i.get("location")},
    ),
}
