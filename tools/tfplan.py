"""The cloud resources of an offline plan as a Terraform plan (JSON), for checkov's `terraform_plan` framework.

Terraform users scan `terraform show -json` output; this writes the same shape from what the program
registers under the mock runtime, so the same checks read the same attributes:
`planned_values.root_module.resources[]` (`address`, `mode`, `type`, `name`, `values`), `resource_changes`
(all `create`) and `configuration.root_module.resources[].expressions` (the references between resources,
which checkov's graph checks follow, e.g. "a flow log names this VPC").

- pulumi-aws and pulumi-gcp are bridged Terraform providers: a resource's token maps to one Terraform type
  (TF_TYPES, from each provider's `provider/resources.go` table: no rule derives it, e.g. `aws:ec2/vpc:Vpc` is
  `aws_vpc` but `aws:autoscaling/tag:Tag` is `aws_autoscaling_group_tag`), camelCase inputs are the Terraform
  attributes in snake_case, a nested object is a block (a list of one object in plan JSON) unless the attribute
  is a map (MAP_ATTRIBUTES), and list blocks the bridge pluralized get their Terraform name back (RENAMES).
- pulumi-azure-native is not bridged (its inputs are the ARM request body): the few Azure types the stack
  creates are mapped by hand to their azurerm equivalents (AZURE_TYPES). azurerm rather than checkov's ARM
  framework: the ARM framework has no checks for most AKS settings (CKV_AZURE_115-172, 226-232 exist only
  for azurerm) and runs no graph check, so "a subnet without NSG" (CKV2_AZURE_31) could not fail there.

A reference is found by value: in update mode every resource gets a distinct mock id/ARN
(tools.offline.computed_outputs), so an input equal to another resource's id is left out of `values`
(as Terraform does with values unknown until apply) and named in `expressions`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from tools.offline import Mode, ProgramRun, Registration, computed_outputs, reveal

TERRAFORM_VERSION = "1.9.8"
# Not cloud resources: providers, Kubernetes objects (scanned as manifests), components, and helpers.
NOT_CLOUD = ("pulumi:", "kubernetes:", "llm-platform:", "random:", "time:")

# Pulumi token → Terraform type (pulumi-aws@v7.51.1 and pulumi-gcp@v10.2.0, provider/resources.go).
TF_TYPES: dict[str, str] = {
    "aws:autoscaling/tag:Tag": "aws_autoscaling_group_tag",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/placementGroup:PlacementGroup": "aws_placement_group",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:efs/fileSystem:FileSystem": "aws_efs_file_system",
    "aws:efs/mountTarget:MountTarget": "aws_efs_mount_target",
    "aws:eks/accessEntry:AccessEntry": "aws_eks_access_entry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "aws_eks_access_policy_association",
    "aws:eks/addon:Addon": "aws_eks_addon",
    "aws:eks/cluster:Cluster": "aws_eks_cluster",
    "aws:eks/nodeGroup:NodeGroup": "aws_eks_node_group",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "aws_eks_pod_identity_association",
    "aws:iam/policy:Policy": "aws_iam_policy",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:kms/keyPolicy:KeyPolicy": "aws_kms_key_policy",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketLogging:BucketLogging": "aws_s3_bucket_logging",
    "aws:s3/bucketNotification:BucketNotification": "aws_s3_bucket_notification",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "aws_s3_bucket_server_side_encryption_configuration"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    "gcp:compute/firewall:Firewall": "google_compute_firewall",
    "gcp:compute/network:Network": "google_compute_network",
    "gcp:compute/router:Router": "google_compute_router",
    "gcp:compute/routerNat:RouterNat": "google_compute_router_nat",
    "gcp:compute/subnetwork:Subnetwork": "google_compute_subnetwork",
    "gcp:container/cluster:Cluster": "google_container_cluster",
    "gcp:container/nodePool:NodePool": "google_container_node_pool",
    "gcp:kms/cryptoKey:CryptoKey": "google_kms_crypto_key",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": "google_kms_crypto_key_iam_member",
    "gcp:kms/keyRing:KeyRing": "google_kms_key_ring",
    "gcp:projects/iAMMember:IAMMember": "google_project_iam_member",
    "gcp:projects/service:Service": "google_project_service",
    "gcp:serviceaccount/account:Account": "google_service_account",
    "gcp:storage/bucket:Bucket": "google_storage_bucket",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "google_storage_bucket_iam_member",
    "gcp:storage/managedFolder:ManagedFolder": "google_storage_managed_folder",
    "gcp:storage/managedFolderIamMember:ManagedFolderIamMember": "google_storage_managed_folder_iam_member",
    "gcp:serviceaccount/iAMMember:IAMMember": "google_service_account_iam_member",
}
# List blocks whose Terraform name the bridge pluralized (tfbridge names a list `<name>s` unless told otherwise).
RENAMES: dict[str, str] = {
    "guest_accelerators": "guest_accelerator",
    "lifecycle_rules": "lifecycle_rule",
    "pod_identity_associations": "pod_identity_association",
    "routes": "route",
    "rules": "rule",
    "secondary_ip_ranges": "secondary_ip_range",
    "taints": "taint",
}
# Map-typed attributes: their keys are data (label names), not attributes, and they are not blocks.
MAP_ATTRIBUTES = frozenset({"tags", "tags_all", "labels", "resource_labels", "node_labels", "metadata"})


def snake(name: str) -> str:
    """camelCase → snake_case as the bridge does it in reverse (`masterIpv4CidrBlock` → `master_ipv4_cidr_block`)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def bridged_values(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A bridged resource's inputs as Terraform attribute values."""
    values: dict[str, Any] = {}
    for key, value in inputs.items():
        attribute = snake(key)
        attribute = RENAMES.get(attribute, attribute)
        if attribute in MAP_ATTRIBUTES and isinstance(value, dict):
            values[attribute] = dict(value)
        elif isinstance(value, dict):
            values[attribute] = [bridged_values(value)]
        elif isinstance(value, list):
            values[attribute] = [bridged_values(item) if isinstance(item, dict) else item for item in value]
        else:
            values[attribute] = value
    return values


# --- Azure: azure-native (ARM body) → azurerm ---------------------------------------------------------------


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


def _subnet_nsg_association(inputs: Mapping[str, Any]) -> dict[str, Any] | None:
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


def _queue_logging(setting: Mapping[str, Any]) -> dict[str, Any]:
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


def _dns_zone_group(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A PrivateDnsZoneGroup as its endpoint's `private_dns_zone_group` block."""
    configs = inputs.get("privateDnsZoneConfigs") or []
    return {
        "name": inputs.get("privateDnsZoneGroupName"),
        "private_dns_zone_ids": [config.get("privateDnsZoneId") for config in configs],
    }


def _blob_properties(inputs: Mapping[str, Any]) -> dict[str, Any]:
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


# --- Plan document --------------------------------------------------------------------------------------------


class UnmappedResourceError(ValueError):
    """A cloud resource type with no Terraform equivalent here: it would escape the scan silently."""


def is_cloud(type_: str) -> bool:
    return not type_.startswith(NOT_CLOUD)


def _terraform_resources(
    registration: Registration, merged: Mapping[str, Mapping[str, Any]] | None = None
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(Terraform type, name, values) for one registration: usually one, two for an azure-native subnet with an NSG;
    `merged`: the blocks of other resources (`_merged_blocks`) keyed by the name or id of the resource they go in."""
    inputs = reveal(registration.inputs)
    if registration.type in MERGED:
        return
    if registration.type in TF_TYPES:
        yield TF_TYPES[registration.type], registration.name, bridged_values(inputs)
    elif registration.type in AZURE_TYPES:
        tf_type, mapping = AZURE_TYPES[registration.type]
        values = mapping(inputs)
        if registration.type == "azure-native:storage:StorageAccount":
            values.update((merged or {}).get(str(inputs.get("accountName")), {}))
            values.update((merged or {}).get(_own_id(registration), {}))
        if registration.type == "azure-native:network:PrivateEndpoint":
            values.update((merged or {}).get(_own_name(registration), {}))
        yield tf_type, registration.name, values
        if registration.type == "azure-native:network:Subnet":
            association = _subnet_nsg_association(inputs)
            if association is not None:
                association["subnet_id"] = _own_id(registration)
                yield "azurerm_subnet_network_security_group_association", registration.name, association
    else:
        raise UnmappedResourceError(
            f"{registration.type} ({registration.name}) has no Terraform type: add it to tools/tfplan.py"
        )


def _own_id(registration: Registration) -> str:
    return str(computed_outputs(registration.type, registration.name, registration.inputs, "").get("id") or "")


def _own_name(registration: Registration) -> str:
    """The name the mock cloud answers for an azure-native resource: its `name` input, else its Pulumi name (the
    provider's auto-name)."""
    return str(reveal(registration.inputs).get("name") or registration.name)


def _merged_blocks(registrations: list[Registration]) -> dict[str, dict[str, Any]]:
    """Blocks azurerm keeps inside another resource: an account's `blob_properties` (by account name) and
    `queue_properties` (by account id, from a diagnostic setting on its queue service), an endpoint's
    `private_dns_zone_group` (by endpoint name)."""
    blocks: dict[str, dict[str, Any]] = {}
    for registration in registrations:
        inputs = reveal(registration.inputs)
        if registration.type == BLOB_SERVICE:
            blocks.setdefault(str(inputs.get("accountName")), {})["blob_properties"] = [_blob_properties(inputs)]
        elif registration.type == DNS_ZONE_GROUP:
            endpoint = str(inputs.get("privateEndpointName"))
            blocks.setdefault(endpoint, {})["private_dns_zone_group"] = [_dns_zone_group(inputs)]
        elif registration.type == DIAGNOSTIC_SETTING and str(inputs.get("resourceUri", "")).endswith(QUEUE_SERVICE):
            account_id = str(inputs["resourceUri"]).removesuffix(QUEUE_SERVICE)
            blocks.setdefault(account_id, {})["queue_properties"] = [_queue_logging(inputs)]
    return blocks


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def reference_index(registrations: list[Registration], region: str) -> dict[str, str]:
    """Mock id, ARN or other computed string → the Terraform address of the resource it identifies."""
    index: dict[str, str] = {}
    for registration in registrations:
        if not registration.custom or not is_cloud(registration.type):
            continue
        tf_type = TF_TYPES.get(registration.type) or AZURE_TYPES.get(registration.type, ("unmapped", None))[0]
        address = f"{tf_type}.{registration.name}"
        inputs = reveal(registration.inputs)
        computed = computed_outputs(registration.type, registration.name, registration.inputs, region)
        for text in {f"{registration.name}-id", *(set(_strings(computed)) - set(_strings(inputs)))}:
            index.setdefault(text, address)
    return index


def split_references(values: Any, index: Mapping[str, str], own: str) -> tuple[Any, Any]:
    """Values with references left unknown (None), and the `expressions` naming what they reference."""
    if isinstance(values, dict):
        kept, expressions = {}, {}
        for key, value in values.items():
            kept[key], expression = split_references(value, index, own)
            if expression is not None:
                expressions[key] = expression
        return kept, expressions or None
    if isinstance(values, list) and any(isinstance(item, dict) for item in values):
        pairs = [split_references(item, index, own) for item in values]
        expressions = [expression or {} for _, expression in pairs]
        return [kept for kept, _ in pairs], expressions if any(expressions) else None
    if isinstance(values, list):
        targets = [index.get(item) if isinstance(item, str) else None for item in values]
        references = [ref for target in targets if target and target != own for ref in (f"{target}.id", target)]
        kept_items = [None if target and target != own else item for item, target in zip(values, targets, strict=True)]
        return kept_items, {"references": references} if references else None
    target = index.get(values) if isinstance(values, str) else None
    if target and target != own:
        return None, {"references": [f"{target}.id", target]}
    return values, None


def terraform_plan(run: ProgramRun) -> dict[str, Any]:
    """The stack's cloud resources as `terraform show -json` would print their plan."""
    if run.mode != Mode.UPDATE:
        raise ValueError("references are found through the ids update mode invents: convert an update-mode run")
    region = run.files.config.get(f"{run.files.project}:region", "")
    registrations = [r for r in run.registrations if r.custom and is_cloud(r.type)]
    index = reference_index(registrations, region)
    planned, changes, configuration = [], [], []
    seen: set[str] = set()
    merged = _merged_blocks(registrations)
    for registration in registrations:
        for tf_type, name, values in _terraform_resources(registration, merged):
            address = f"{tf_type}.{name}"
            if address in seen:
                raise ValueError(f"two resources would be {address}")
            seen.add(address)
            kept, expressions = split_references(values, index, own=f"{tf_type}.{registration.name}")
            resource = {"address": address, "mode": "managed", "type": tf_type, "name": name}
            planned.append({**resource, "provider_name": _provider_name(tf_type), "values": kept})
            changes.append({**resource, "change": {"actions": ["create"], "before": None, "after": kept}})
            configuration.append({**resource, "expressions": expressions or {}})
    return {
        "format_version": "1.2",
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": configuration}},
    }


def _provider_name(tf_type: str) -> str:
    provider = tf_type.split("_", 1)[0]
    return f"registry.terraform.io/hashicorp/{provider}"
