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
from collections.abc import Iterator, Mapping
from typing import Any

from tools.offline import Mode, ProgramRun, Registration, computed_outputs, reveal
from tools.tfplan_azure import (
    AZURE_TYPES,
    BLOB_SERVICE,
    DIAGNOSTIC_SETTING,
    DNS_ZONE_GROUP,
    MERGED,
    QUEUE_SERVICE,
    blob_properties,
    dns_zone_group,
    queue_logging,
    subnet_nsg_association,
)

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
            association = subnet_nsg_association(inputs)
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
            blocks.setdefault(str(inputs.get("accountName")), {})["blob_properties"] = [blob_properties(inputs)]
        elif registration.type == DNS_ZONE_GROUP:
            endpoint = str(inputs.get("privateEndpointName"))
            blocks.setdefault(endpoint, {})["private_dns_zone_group"] = [dns_zone_group(inputs)]
        elif registration.type == DIAGNOSTIC_SETTING and str(inputs.get("resourceUri", "")).endswith(QUEUE_SERVICE):
            account_id = str(inputs["resourceUri"]).removesuffix(QUEUE_SERVICE)
            blocks.setdefault(account_id, {})["queue_properties"] = [queue_logging(inputs)]
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
