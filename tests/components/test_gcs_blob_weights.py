"""The GCS and Azure Blob weight stores under mocks, their grants evaluated: a model's server reads its own prefix
(GCS managed folder) or container (Azure) and nothing else; its copy Job writes there only.

GCS: a binding on a managed folder applies to the objects whose names start with the folder's name (GCS docs,
"Managed folders"); roles/storage.objectViewer holds storage.objects.get and .list, roles/storage.objectUser adds
create, update and delete (IAM roles for Cloud Storage). Azure: a role assignment applies to its scope and what is
under it; Storage Blob Data Reader reads blobs, Contributor also writes and deletes (Azure built-in roles)."""

from __future__ import annotations

from typing import Any

import pytest

from components.storage.blob_weights import (
    BLOB_DATA_CONTRIBUTOR,
    BLOB_DATA_READER,
    CLIENT_ID_ANNOTATION,
)
from components.storage.gcs_weights import METADATA_SERVER, GcsWeights, GcsWeightsArgs, workload_principal
from tests.components.azure_store import blob_weights
from tests.support import Registered, record

GCS_PERMISSIONS = {
    "roles/storage.objectViewer": {"get", "list"},
    "roles/storage.objectUser": {"get", "list", "create", "update", "delete"},
}
AZURE_PERMISSIONS = {BLOB_DATA_READER: {"read"}, BLOB_DATA_CONTRIBUTOR: {"read", "write", "delete"}}
MODELS = ["qwen", "qwen-7b"]


def gcs() -> None:
    GcsWeights(
        "weights",
        GcsWeightsArgs(
            project="proj", region="us-central1", cluster_name="llm", namespace="llm-serving", models=MODELS
        ),
    )


def blob() -> None:
    blob_weights(MODELS)


@pytest.fixture(scope="module")
def gcs_registered() -> Registered:
    return record(gcs, config={"llm-platform:region": "us-central1"})


@pytest.fixture(scope="module")
def blob_registered() -> Registered:
    return record(blob, config={"llm-platform:region": "eastus2"})


def gcs_allows(registered: Registered, account: str, permission: str, obj: str) -> bool:
    principal = workload_principal("123456789012", "proj", "llm-serving", account)
    folders = {r.name: r.inputs["name"] for r in registered.all("gcp:storage/managedFolder:ManagedFolder")}
    for member in registered.all("gcp:storage/managedFolderIamMember:ManagedFolderIamMember"):
        inputs = member.inputs
        if inputs["member"] == principal and obj.startswith(inputs["managedFolder"]):
            assert inputs["managedFolder"] in folders.values()
            if permission in GCS_PERMISSIONS[inputs["role"]]:
                return True
    return False


def test_a_gke_server_reads_and_lists_its_own_folder(gcs_registered: Registered) -> None:
    assert gcs_allows(gcs_registered, "qwen", "get", "qwen/model.safetensors")
    assert gcs_allows(gcs_registered, "qwen", "list", "qwen/")


def test_a_gke_server_reads_no_other_folder_and_writes_nothing(gcs_registered: Registered) -> None:
    assert not gcs_allows(gcs_registered, "qwen", "get", "qwen-7b/model.safetensors")
    assert not gcs_allows(gcs_registered, "qwen", "create", "qwen/model.safetensors")
    assert not gcs_allows(gcs_registered, "qwen", "delete", "qwen/model.safetensors")


def test_a_gke_copy_job_writes_its_own_folder_only(gcs_registered: Registered) -> None:
    assert gcs_allows(gcs_registered, "qwen-weights", "create", "qwen/model.safetensors")
    assert not gcs_allows(gcs_registered, "qwen-weights", "create", "qwen-7b/model.safetensors")


def test_the_gcs_buckets_are_private_versioned_and_log_to_each_other(gcs_registered: Registered) -> None:
    buckets = {r.name: r.inputs for r in gcs_registered.all("gcp:storage/bucket:Bucket")}
    assert set(buckets) == {"weights-bucket", "weights-logs"}
    for bucket in buckets.values():
        assert bucket["uniformBucketLevelAccess"] is True
        assert bucket["publicAccessPrevention"] == "enforced"
        assert bucket["versioning"] == {"enabled": True}
    assert buckets["weights-bucket"]["logging"]["logBucket"] == buckets["weights-logs"]["name"]
    assert buckets["weights-logs"]["logging"]["logBucket"] == buckets["weights-bucket"]["name"]


def test_gke_pods_may_reach_the_metadata_server_for_their_token() -> None:
    assert [rule["ports"][0]["port"] for rule in METADATA_SERVER] == [80, 988]


def _identities(registered: Registered) -> dict[str, dict[str, Any]]:
    """Each federated identity's subject → its identity's registration inputs and the role assignments of it."""
    identities = {r.name: r for r in registered.all("azure-native:managedidentity:UserAssignedIdentity")}
    credentials = registered.all("azure-native:managedidentity:FederatedIdentityCredential")
    assignments = registered.all("azure-native:authorization:RoleAssignment")
    found = {}
    for credential in credentials:
        identity = identities[credential.name]
        found[credential.inputs["subject"]] = {
            "credential": credential.inputs,
            "assignments": [a.inputs for a in assignments if a.name == identity.name],
        }
    return found


def blob_allows(registered: Registered, account: str, permission: str, container: str) -> bool:
    identity = _identities(registered)[f"system:serviceaccount:llm-serving:{account}"]
    containers = {r.inputs["containerName"]: r for r in registered.all("azure-native:storage:BlobContainer")}
    # The container's id, as the mock cloud answers it: its resource path ends in the container resource's name.
    scope_end = f"/{containers[container].name}"
    return any(
        str(assignment["scope"]).endswith(scope_end)
        and permission in AZURE_PERMISSIONS[assignment["roleDefinitionId"].rsplit("/", 1)[1]]
        for assignment in identity["assignments"]
    )


def test_an_aks_server_reads_its_own_container_only(blob_registered: Registered) -> None:
    assert blob_allows(blob_registered, "qwen", "read", "qwen")
    assert not blob_allows(blob_registered, "qwen", "read", "qwen-7b")
    assert not blob_allows(blob_registered, "qwen", "write", "qwen")


def test_an_aks_copy_job_writes_its_own_container_only(blob_registered: Registered) -> None:
    assert blob_allows(blob_registered, "qwen-weights", "write", "qwen")
    assert not blob_allows(blob_registered, "qwen-weights", "write", "qwen-7b")


def test_each_identity_trusts_only_its_service_account_tokens_from_the_clusters_issuer(
    blob_registered: Registered,
) -> None:
    for subject, identity in _identities(blob_registered).items():
        assert identity["credential"]["issuer"] == "https://issuer.example/"
        assert identity["credential"]["audiences"] == ["api://AzureADTokenExchange"]
        assert subject.startswith("system:serviceaccount:llm-serving:")


def test_the_account_takes_entra_id_only_over_tls(blob_registered: Registered) -> None:
    account = blob_registered.inputs("azure-native:storage:StorageAccount")
    assert account["allowSharedKeyAccess"] is False
    assert account["allowBlobPublicAccess"] is False
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["enableHttpsTrafficOnly"] is True


def test_the_server_names_its_identity_for_the_webhook() -> None:
    assert CLIENT_ID_ANNOTATION == "azure.workload.identity/client-id"
