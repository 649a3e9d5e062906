"""The customer-managed key a weight store's storage account encrypts with: an HSM-backed RSA key in a Key Vault of the
stack's, and the user-assigned identity the account reads it with.

The vault authorizes with Azure RBAC (no access policies), keeps deleted keys 90 days and cannot be purged before
(purge protection, which Azure Storage requires of a customer-managed key's vault), takes no public traffic and is
reached from the VNet through a private endpoint. Azure Storage unwraps the key as a trusted Microsoft service, which
the vault's firewall lets through (`bypass: AzureServices`; with public network access disabled, "all traffic except
private endpoint traffic and that originates from trusted services will be blocked", `az keyvault create` reference).
The key rotates itself 30 days before it expires, each version a year after its creation; the account names no key
version, so Azure Storage moves to a new version within a day of its rotation (Azure Storage docs, "Configure
customer-managed keys in the same tenant": automatic key version updates).

The identity, not the account's own system-assigned one, holds the role: a system-assigned identity exists only with
the account, so the account could not be created with the key already granted to it. The account waits for the role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_random
import pulumiverse_time as time
from pulumi_azure_native import authorization, keyvault, managedidentity

from components.azure_roles import role_definition_id
from components.storage.blob_private_access import VAULT_GROUP, VAULT_ZONE, NetworkPlacement, private_endpoint

CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
"""Built-in role "Key Vault Crypto Service Encryption User": get, wrap and unwrap a key (Azure built-in roles)."""
KEY_SIZE = 3072
KEY_LIFETIME_YEARS = 1
ROTATE_BEFORE_EXPIRY = "P30D"
SOFT_DELETE_DAYS = 90


@dataclass(frozen=True, kw_only=True)
class EncryptionKeyArgs:
    placement: NetworkPlacement
    tenant_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    cluster_name: str


@dataclass(frozen=True)
class EncryptionKey:
    """What the storage account names: its identity, the key, and what it must wait for."""

    identity_id: pulumi.Output[str]
    vault_uri: pulumi.Output[str]
    key_name: pulumi.Output[str]
    ready: list[pulumi.Resource]


def vault_prefix(cluster_name: str) -> str:
    """The vault's name before its random suffix (names are 3-24 letters, digits and hyphens, global): at most 15."""
    return (re.sub(r"[^a-z0-9]", "", cluster_name.lower())[:12] or "llm") + "-kv"


def encryption_key(name: str, args: EncryptionKeyArgs, parent: pulumi.Resource) -> EncryptionKey:
    child = pulumi.ResourceOptions(parent=parent)
    placement = args.placement
    suffix = pulumi_random.RandomId(f"{name}-vault-suffix", byte_length=4, opts=child)
    vault = keyvault.Vault(
        f"{name}-vault",
        vault_name=pulumi.Output.concat(vault_prefix(args.cluster_name), "-", suffix.hex),
        resource_group_name=placement.resource_group_name,
        location=placement.location,
        properties={
            "tenant_id": args.tenant_id,
            # Premium: HSM-backed keys (RSA-HSM).
            "sku": {"family": "A", "name": keyvault.SkuName.PREMIUM},
            "enable_rbac_authorization": True,
            "enable_soft_delete": True,
            "soft_delete_retention_in_days": SOFT_DELETE_DAYS,
            "enable_purge_protection": True,
            "public_network_access": "Disabled",
            "network_acls": {"default_action": "Deny", "bypass": "AzureServices"},
        },
        opts=child,
    )
    private_endpoint(f"{name}-vault", vault.id, VAULT_GROUP, VAULT_ZONE, placement, parent)
    # The first version's expiry, fixed when the key is created (a date computed at each run would move it).
    expiry = time.Offset(f"{name}-key-expiry", offset_years=KEY_LIFETIME_YEARS, opts=child)
    key = keyvault.Key(
        f"{name}-key",
        key_name="weights",
        vault_name=vault.name,
        resource_group_name=placement.resource_group_name,
        properties={
            "kty": keyvault.JsonWebKeyType.RS_A_HSM,
            "key_size": KEY_SIZE,
            "key_ops": ["wrapKey", "unwrapKey"],
            "attributes": {"enabled": True, "expires": expiry.unix},
            "rotation_policy": {
                "attributes": {"expiry_time": f"P{KEY_LIFETIME_YEARS}Y"},
                "lifetime_actions": [
                    {"trigger": {"time_before_expiry": ROTATE_BEFORE_EXPIRY}, "action": {"type": "rotate"}}
                ],
            },
        },
        # A rotation gives the key a new current version with its own expiry: not a change to undo.
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["properties.attributes"]),
    )
    identity = managedidentity.UserAssignedIdentity(
        f"{name}-encryption",
        resource_group_name=placement.resource_group_name,
        location=placement.location,
        opts=child,
    )
    grant = authorization.RoleAssignment(
        f"{name}-encryption",
        scope=key.id,
        principal_id=identity.principal_id,
        principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
        role_definition_id=role_definition_id(args.subscription_id, CRYPTO_SERVICE_ENCRYPTION_USER),
        opts=child,
    )
    return EncryptionKey(
        identity_id=identity.id,
        vault_uri=vault.properties.apply(lambda properties: properties.vault_uri),
        key_name=key.name,
        ready=[grant],
    )
