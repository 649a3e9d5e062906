"""The Azure weight store's customer-managed key, under mocks.

Azure Storage docs ("Customer-managed keys for account encryption"): the key's vault needs soft delete and purge
protection; the account reads the key with a managed identity that holds get, wrapKey and unwrapKey on it (built-in
role Key Vault Crypto Service Encryption User); with no key version named, the account follows the key's rotations.
Key Vault docs ("Configure key auto-rotation"): a rotation policy rotates the key `timeBeforeExpiry` before it expires,
each new version expiring `expiryTime` after its creation."""

from __future__ import annotations

from typing import Any

import pytest

from components.storage.blob_encryption_key import CRYPTO_SERVICE_ENCRYPTION_USER, vault_prefix
from tests.components.azure_store import blob_weights
from tests.support import Registered, record


def store() -> None:
    blob_weights(["qwen"])


@pytest.fixture(scope="module")
def registered() -> Registered:
    return record(store, config={"llm-platform:region": "eastus2"})


def _vault(registered: Registered) -> dict[str, Any]:
    return registered.inputs("azure-native:keyvault:Vault")["properties"]


def test_the_vault_keeps_deleted_keys_and_cannot_be_purged_early(registered: Registered) -> None:
    vault = _vault(registered)
    assert vault["enableSoftDelete"] is True
    assert vault["softDeleteRetentionInDays"] == 90
    assert vault["enablePurgeProtection"] is True


def test_the_vault_authorizes_with_rbac_and_takes_only_private_and_trusted_service_traffic(
    registered: Registered,
) -> None:
    vault = _vault(registered)
    assert vault["enableRbacAuthorization"] is True
    assert "accessPolicies" not in vault
    assert vault["publicNetworkAccess"] == "Disabled"
    assert vault["networkAcls"] == {"defaultAction": "Deny", "bypass": "AzureServices"}
    assert vault["tenantId"] == "tenant"


def test_the_key_is_hsm_backed_expires_and_rotates_before_it_does(registered: Registered) -> None:
    key = registered.inputs("azure-native:keyvault:Key")["properties"]
    assert key["kty"] == "RSA-HSM"
    assert _vault(registered)["sku"] == {"family": "A", "name": "premium"}
    assert key["attributes"]["expires"] > 0
    assert key["rotationPolicy"]["attributes"] == {"expiryTime": "P1Y"}
    assert key["rotationPolicy"]["lifetimeActions"] == [
        {"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "rotate"}}
    ]


def test_the_account_encrypts_with_the_key_through_its_own_identity_following_rotations(
    registered: Registered,
) -> None:
    account = registered.inputs("azure-native:storage:StorageAccount")
    encryption = account["encryption"]
    identity = registered.one("azure-native:managedidentity:UserAssignedIdentity", "weights-encryption")
    assert encryption["keySource"] == "Microsoft.Keyvault"
    assert encryption["keyVaultProperties"]["keyVaultUri"].startswith("https://")
    assert "keyVersion" not in encryption["keyVaultProperties"]
    assert encryption["encryptionIdentity"]["encryptionUserAssignedIdentity"].endswith(f"/{identity.name}")
    assert account["identity"]["type"] == "UserAssigned"
    assert account["identity"]["userAssignedIdentities"] == [
        encryption["encryptionIdentity"]["encryptionUserAssignedIdentity"]
    ]


def test_a_rotation_is_not_undone_by_the_next_update(registered: Registered) -> None:
    assert registered.one("azure-native:keyvault:Key").ignore_changes == ["properties.attributes"]


def test_the_identity_may_wrap_and_unwrap_the_key_only(registered: Registered) -> None:
    grant = registered.inputs("azure-native:authorization:RoleAssignment", "weights-encryption")
    key = registered.one("azure-native:keyvault:Key")
    assert grant["roleDefinitionId"].endswith(f"/{CRYPTO_SERVICE_ENCRYPTION_USER}")
    assert grant["scope"].endswith(f"/{key.name}")


def test_the_account_is_created_after_its_identity_holds_the_role(registered: Registered) -> None:
    account = registered.one("azure-native:storage:StorageAccount")
    grant = registered.one("azure-native:authorization:RoleAssignment", "weights-encryption")
    assert grant.urn in account.dependencies


def test_a_vault_name_fits_azures_24_characters_with_its_suffix() -> None:
    assert len(vault_prefix("a-very-long-cluster-name-indeed")) + 1 + 8 <= 24
