"""The stack's weight store on Azure: a storage account with Entra ID authorization only (shared keys off, so no
account key or SAS can read it), HTTPS and TLS 1.2, no anonymous access, zone- and geo-redundant, infrastructure
encryption and a customer-managed key (components/storage/blob_encryption_key.py), versioning and soft delete, a
lifecycle for old versions; one private container per model, which its server reads and its copy Job writes, each
with a user-assigned identity federated with the model's Kubernetes ServiceAccount (Azure workload identity) and a
role on that container only: Storage Blob Data Reader, Storage Blob Data Contributor.

Public network access is off: the pods reach the account through a private endpoint in the node subnet, and every
blob and queue request is logged to the cluster's workspace (components/storage/blob_private_access.py). The
streamer reads `az://<container>/` with AZURE_STORAGE_ACCOUNT_NAME and DefaultAzureCredential, which uses the
federated token the workload identity webhook mounts in a pod labelled `azure.workload.identity/use: "true"` whose
ServiceAccount names the identity's client id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_random
from pulumi_azure_native import authorization, managedidentity, storage

from components.azure_roles import role_definition_id
from components.serving.weights import StreamedWeights
from components.storage.blob_encryption_key import EncryptionKeyArgs, encryption_key
from components.storage.blob_private_access import (
    BLOB_GROUP,
    BLOB_ZONE,
    NetworkPlacement,
    private_endpoint,
    storage_logs,
)
from components.storage.model_weights import ModelWeights, writer_account

BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
"""Built-in role ids (Azure RBAC docs, "Azure built-in roles: Storage")."""
TOKEN_AUDIENCE = "api://AzureADTokenExchange"
WORKLOAD_IDENTITY_LABEL = {"azure.workload.identity/use": "true"}
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
RETENTION_DAYS = 30


@dataclass(frozen=True, kw_only=True)
class BlobWeightsArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    cluster_name: str
    oidc_issuer_url: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    namespace: str
    models: Sequence[str]
    subnet_id: pulumi.Input[str]
    """The node subnet: the private endpoint takes an address there."""
    virtual_network_id: pulumi.Input[str]
    log_workspace_id: pulumi.Input[str]


def container_name(model: str) -> str:
    """A container per model (3-63 lowercase letters, digits and single hyphens): the model's name."""
    return model


def account_prefix(cluster_name: str) -> str:
    """The storage account's name before its random suffix: letters and digits of the cluster's name, at most 14."""
    return re.sub(r"[^a-z0-9]", "", cluster_name.lower())[:14] or "llm"


def service_account_subject(namespace: str, account: str) -> str:
    return f"system:serviceaccount:{namespace}:{account}"


class BlobWeights(pulumi.ComponentResource):
    """The storage account `<cluster letters><hex>`, a container and two identities per model.

    Example::

        BlobWeights("weights", BlobWeightsArgs(resource_group_name=rg.name, location="eastus2", cluster_name="llm",
                    oidc_issuer_url=issuer, subscription_id=sub, namespace="llm-serving", models=["chat"],
                    subnet_id=subnet, virtual_network_id=vnet, log_workspace_id=workspace))
    """

    models: dict[str, ModelWeights]

    def __init__(self, name: str, args: BlobWeightsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:storage:BlobWeights", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        suffix = pulumi_random.RandomId(f"{name}-suffix", byte_length=4, opts=child)
        account_name = pulumi.Output.concat(account_prefix(args.cluster_name), suffix.hex)
        placement = NetworkPlacement(
            resource_group_name=args.resource_group_name,
            location=args.location,
            subnet_id=args.subnet_id,
            virtual_network_id=args.virtual_network_id,
        )
        key = encryption_key(
            name,
            EncryptionKeyArgs(
                placement=placement,
                tenant_id=args.tenant_id,
                subscription_id=args.subscription_id,
                cluster_name=args.cluster_name,
            ),
            parent=self,
        )
        account = storage.StorageAccount(
            f"{name}-account",
            account_name=account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind=storage.Kind.STORAGE_V2,
            # Zone- and geo-redundant (checkov's CKV_AZURE_206 asks for a geo-redundant copy).
            sku={"name": storage.SkuName.STANDARD_GZRS},
            enable_https_traffic_only=True,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            allow_blob_public_access=False,
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            allow_cross_tenant_replication=False,
            public_network_access=storage.PublicNetworkAccess.DISABLED,
            identity={"type": storage.IdentityType.USER_ASSIGNED, "user_assigned_identities": [key.identity_id]},
            encryption={
                "key_source": storage.KeySource.MICROSOFT_KEYVAULT,
                # No key version: the account follows the key's rotations.
                "key_vault_properties": {"key_vault_uri": key.vault_uri, "key_name": key.key_name},
                "encryption_identity": {"encryption_user_assigned_identity": key.identity_id},
                "require_infrastructure_encryption": True,
                "services": {"blob": {"enabled": True, "key_type": storage.KeyType.ACCOUNT}},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=key.ready),
        )
        # The account's name is known before it exists: what lives in the account waits for it.
        in_account = pulumi.ResourceOptions(parent=self, depends_on=[account])
        storage.BlobServiceProperties(
            f"{name}-blob-service",
            account_name=account_name,
            resource_group_name=args.resource_group_name,
            blob_services_name="default",
            is_versioning_enabled=True,
            delete_retention_policy={"enabled": True, "days": RETENTION_DAYS},
            container_delete_retention_policy={"enabled": True, "days": RETENTION_DAYS},
            opts=in_account,
        )
        storage.ManagementPolicy(
            f"{name}-lifecycle",
            account_name=account_name,
            resource_group_name=args.resource_group_name,
            management_policy_name="default",
            policy={
                "rules": [
                    {
                        "name": "old-versions",
                        "enabled": True,
                        "type": storage.RuleType.LIFECYCLE,
                        "definition": {
                            "filters": {"blob_types": ["blockBlob"]},
                            "actions": {"version": {"delete": {"days_after_creation_greater_than": RETENTION_DAYS}}},
                        },
                    }
                ]
            },
            opts=in_account,
        )
        reachable = private_endpoint(name, account.id, BLOB_GROUP, BLOB_ZONE, placement, parent=self)
        storage_logs(name, account.id, args.log_workspace_id, parent=self)
        self.account_name = account_name
        self.models = {
            model: self._model(name, model, account_name, args, in_account, reachable) for model in args.models
        }
        self.register_outputs({"account": account_name})

    def _model(
        self,
        name: str,
        model: str,
        account_name: pulumi.Output[str],
        args: BlobWeightsArgs,
        child: pulumi.ResourceOptions,
        reachable: list[pulumi.Resource],
    ) -> ModelWeights:
        container = storage.BlobContainer(
            f"{name}-{model}",
            account_name=account_name,
            resource_group_name=args.resource_group_name,
            container_name=container_name(model),
            public_access=storage.PublicAccess.NONE,
            opts=child,
        )
        child = pulumi.ResourceOptions(parent=self)
        ready: list[pulumi.Resource] = list(reachable)
        streamed: dict[str, StreamedWeights] = {}
        for role_name, service_account, role in (
            ("reader", model, BLOB_DATA_READER),
            ("writer", writer_account(model), BLOB_DATA_CONTRIBUTOR),
        ):
            identity = managedidentity.UserAssignedIdentity(
                f"{name}-{model}-{role_name}",
                resource_group_name=args.resource_group_name,
                location=args.location,
                opts=child,
            )
            credential = managedidentity.FederatedIdentityCredential(
                f"{name}-{model}-{role_name}",
                resource_group_name=args.resource_group_name,
                resource_name_=identity.name,
                issuer=args.oidc_issuer_url,
                subject=service_account_subject(args.namespace, service_account),
                audiences=[TOKEN_AUDIENCE],
                opts=child,
            )
            assignment = authorization.RoleAssignment(
                f"{name}-{model}-{role_name}",
                scope=container.id,
                principal_id=identity.principal_id,
                principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
                role_definition_id=role_definition_id(args.subscription_id, role),
                opts=child,
            )
            ready += [credential, assignment]
            streamed[role_name] = StreamedWeights(
                uri=f"az://{container_name(model)}/",
                env=(("AZURE_STORAGE_ACCOUNT_NAME", account_name),),
                pod_labels=dict(WORKLOAD_IDENTITY_LABEL),
                account_annotations={CLIENT_ID_ANNOTATION: identity.client_id},
            )
        return ModelWeights(reader=streamed["reader"], writer=streamed["writer"], ready=ready)
