"""Every checkov check the cloud resources fail on purpose, with the reason: the one place these are decided.

The scan (tools/scan.py) counts a failed `terraform_plan` check as skipped only when it is listed here for
that resource type, and fails on an entry that no longer matches anything (a skip outlives its reason).
"""

from __future__ import annotations

from collections.abc import Mapping

# check id → (Terraform resource types it is skipped on, reason)
CLOUD_SKIPS: Mapping[str, tuple[frozenset[str], str]] = {
    "CKV_AWS_338": (
        frozenset({"aws_cloudwatch_log_group"}),
        "control-plane and VPC flow logs are kept 90 days (components/clusters/eks.py LOG_RETENTION_DAYS), "
        "a cost choice for audit-heavy logs; export them to an archive where a year is required",
    ),
    "CKV_AWS_184": (
        frozenset({"aws_efs_file_system"}),
        "the model cache holds public model weights; EFS encrypts it at rest with the AWS-managed key "
        "(CKV_AWS_42 passes)",
    ),
    "CKV_AWS_144": (
        frozenset({"aws_s3_bucket"}),
        "the weight bucket is a regional cache of Hugging Face Hub checkpoints, never their only copy: losing the "
        "region loses the cluster that reads it too, and the copy Job refills a bucket in a new region from the Hub; "
        "replication would double the storage, add inter-region transfer per GB and a second bucket with its own "
        "key, logs and role, for data that is versioned here and re-created on demand",
    ),
    "CKV2_AZURE_21": (
        frozenset({"azurerm_storage_container"}),
        "the check asks for Log Analytics storage insights, which reads the account's classic logs with its "
        "account key, and the account has shared keys off; every blob read, write and delete is logged to the "
        "cluster's workspace by Azure Monitor instead (components/storage/blob_private_access.py)",
    ),
    "CKV_AZURE_117": (
        frozenset({"azurerm_kubernetes_cluster"}),
        "node disks are encrypted at host with platform keys (CKV_AZURE_227 passes); customer-managed keys "
        "need a disk encryption set (and a Key Vault key of its own) the stack does not create",
    ),
    "CKV_AZURE_172": (
        frozenset({"azurerm_kubernetes_cluster"}),
        "the Key Vault secrets provider add-on is not enabled, so there is no secret to rotate (the check "
        "fails on the add-on's absence)",
    ),
    "CKV_GCP_65": (
        frozenset({"google_container_cluster"}),
        "Google Groups for RBAC need the organisation's gke-security-groups group in Google Workspace, "
        "which the stack cannot know; access goes through IAM",
    ),
    "CKV2_GCP_18": (
        frozenset({"google_compute_network"}),
        "the stack's custom-mode VPC opens nothing: GCP's implied deny-all ingress applies, and GKE "
        "creates the firewall rules its control plane and load balancers need",
    ),
}

# Checks against a public API endpoint: skipped only for a stack that gives `publicApiReason` (which
# stacks/config/loader.py requires with `publicApiCidrs`), with that text as the reason.
PUBLIC_ENDPOINT_CHECKS: Mapping[str, frozenset[str]] = {
    "CKV_AWS_39": frozenset({"aws_eks_cluster"}),
    "CKV_AZURE_115": frozenset({"azurerm_kubernetes_cluster"}),
}


Skips = Mapping[str, tuple[frozenset[str], str]]


def skip_reason(
    check_id: str, resource_type: str, public_api_reason: str | None, skips: Skips = CLOUD_SKIPS
) -> str | None:
    """Why `check_id` may fail on a resource of `resource_type`; None: it may not."""
    if check_id in PUBLIC_ENDPOINT_CHECKS and resource_type in PUBLIC_ENDPOINT_CHECKS[check_id]:
        return f"publicApiReason: {public_api_reason}" if public_api_reason else None
    types, reason = skips.get(check_id, (frozenset(), ""))
    return reason if resource_type in types else None
