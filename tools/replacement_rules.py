"""Which input changes make Pulumi replace a resource (delete and create) instead of updating it, or make the
API refuse the update: the rules the offline plan diff (tools/plan_diff.py) flags first.

Each rule is data: the resource type, the input paths (in the Pulumi names the plan shows, `[*]` for any list
item), the effect and where upstream says so. A change matches a rule when its path starts with the rule's path.

Effects:
- "replace": the provider itself plans a replacement (pulumi-kubernetes' force-new list, a bridged Terraform
  provider's `ForceNew`, azure-native's force-new properties);
- "rejected": the provider plans an update that the API refuses (an immutable field the provider does not
  replace on): `pulumi up --replace` or a rename is needed.

Sources, at the versions the stored copies had (pins: requirements.txt):
- pulumi-kubernetes `provider/pkg/provider/diff.go` (`forceNew`, `forceNewProperties`) and
  `provider/pkg/provider/provider.go` (enableConfigMapMutable and enableSecretMutable default to false);
- kubernetes `pkg/apis/core/validation/validation.go` (ValidatePersistentVolumeClaimUpdate: a claim's spec is
  immutable but for resources.requests and volumeAttributesClassName);
- terraform-provider-aws `internal/service/eks/node_group.go` and `internal/service/eks/cluster.go`;
- terraform-provider-google `google/services/container/node_config.go` (node_config's ForceNew leaves) and
  `resource_container_cluster.go` (network, subnetwork, networking mode, IP allocation, private nodes);
- terraform-provider-aws `internal/service/ec2/vpc_subnet.go` and `vpc_.go` (a subnet's zone, CIDR and VPC, a
  VPC's CIDR are ForceNew) and `internal/provider/sdkv2/region.go` (provider v6's per-resource `region`, defaulted
  from the provider's, is ForceNew: a provider whose region changes replaces every regional resource);
- pulumi-kubernetes `provider/pkg/provider/provider.go` (DiffConfig: a changed `clusterIdentifier` replaces the
  provider, and with it every object it manages; the kubeconfig alone does not when clusterIdentifier is set);
- pulumi-azure-native pull request #3655 (AgentPool: the VM size and GPU instance profile cannot change
  after creation, Azure's "manage node pools" limitations) and azure-native's rule that a change of a resource's
  URL path parameters (its name, its parent's name, its resource group) is a new resource.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

REPLACE = "replace"
REJECTED = "rejected"

_K8S_DIFF = "pulumi-kubernetes provider/pkg/provider/diff.go (forceNew)"
_K8S_MUTABLE = "pulumi-kubernetes provider/pkg/provider/diff.go + provider.go (enable*Mutable default false)"
_K8S_PVC = "kubernetes pkg/apis/core/validation/validation.go (ValidatePersistentVolumeClaimUpdate)"
_TF_NODE_GROUP = "terraform-provider-aws internal/service/eks/node_group.go (ForceNew)"
_TF_EKS = "terraform-provider-aws internal/service/eks/cluster.go (ForceNew)"
_TF_GKE_NODE = "terraform-provider-google google/services/container/node_config.go (ForceNew)"
_TF_GKE_CLUSTER = "terraform-provider-google google/services/container/resource_container_cluster.go (ForceNew)"
_TF_KMS = (
    "terraform-provider-google google/services/kms/resource_kms_key_ring.go, resource_kms_crypto_key.go (ForceNew)"
)
_AZ_AGENT_POOL = "pulumi-azure-native #3655 (AgentPool: VM size and GPU instance profile are fixed at creation)"
_AZ_PATH = "pulumi-azure-native: a changed URL path parameter names another resource"
_AZ_LOCATION = "pulumi-azure-native: a resource's location is fixed at creation (ForceNew)"
_TF_SUBNET = "terraform-provider-aws internal/service/ec2/vpc_subnet.go (ForceNew)"
_TF_VPC = "terraform-provider-aws internal/service/ec2/vpc_.go (ForceNew)"
_TF_REGION = "terraform-provider-aws internal/provider/sdkv2/region.go (region is ForceNew on every regional resource)"
_K8S_PROVIDER = "pulumi-kubernetes provider/pkg/provider/provider.go (DiffConfig: clusterIdentifier)"
_TF_GKE_POOL = "terraform-provider-google google/services/container/resource_container_node_pool.go (ForceNew)"

Predicate = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]
"""(the resource's inputs after the change, its Kubernetes provider's inputs) → whether the rule applies."""


def _always(_inputs: Mapping[str, Any], _provider: Mapping[str, Any]) -> bool:
    return True


def _configmap_replaced_on_data(inputs: Mapping[str, Any], provider: Mapping[str, Any]) -> bool:
    return inputs.get("immutable") is True or str(provider.get("enableConfigMapMutable")).lower() != "true"


def _secret_replaced_on_data(inputs: Mapping[str, Any], provider: Mapping[str, Any]) -> bool:
    return inputs.get("immutable") is True or str(provider.get("enableSecretMutable")).lower() != "true"


@dataclass(frozen=True)
class Rule:
    type: str
    """A resource type token; `kubernetes:*` applies to every Kubernetes object (any `<package>:*` likewise)."""
    paths: tuple[str, ...]
    effect: str
    source: str
    when: Predicate = field(default=_always, compare=False)


def _selector(prefix: str) -> tuple[str, ...]:
    return (prefix,)


RULES: tuple[Rule, ...] = (
    # Every Kubernetes object: its name and namespace are its identity.
    Rule("kubernetes:*", ("metadata.name", "metadata.namespace"), REPLACE, _K8S_DIFF),
    Rule("kubernetes:apps/v1:Deployment", _selector("spec.selector"), REPLACE, _K8S_DIFF),
    Rule("kubernetes:apps/v1:DaemonSet", _selector("spec.selector"), REPLACE, _K8S_DIFF),
    Rule(
        "kubernetes:apps/v1:StatefulSet",
        (
            "spec.podManagementPolicy",
            "spec.revisionHistoryLimit",
            "spec.selector",
            "spec.serviceName",
            "spec.volumeClaimTemplates",
        ),
        REPLACE,
        _K8S_DIFF,
    ),
    Rule(
        "kubernetes:batch/v1:Job",
        ("spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
        REPLACE,
        _K8S_DIFF,
    ),
    Rule(
        "kubernetes:core/v1:PersistentVolumeClaim",
        ("spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"),
        REPLACE,
        _K8S_DIFF,
    ),
    # The rest of a claim's spec is immutable too (its size may grow), but pulumi-kubernetes updates it in place.
    Rule(
        "kubernetes:core/v1:PersistentVolumeClaim",
        ("spec.volumeMode", "spec.dataSource", "spec.dataSourceRef"),
        REJECTED,
        _K8S_PVC,
    ),
    Rule("kubernetes:core/v1:Service", ("spec.clusterIP",), REPLACE, _K8S_DIFF),
    Rule("kubernetes:core/v1:ResourceQuota", ("spec.scopes",), REPLACE, _K8S_DIFF),
    Rule("kubernetes:core/v1:Secret", ("type",), REPLACE, _K8S_DIFF),
    Rule("kubernetes:core/v1:Secret", ("data", "stringData"), REPLACE, _K8S_MUTABLE, _secret_replaced_on_data),
    Rule("kubernetes:core/v1:ConfigMap", ("data", "binaryData"), REPLACE, _K8S_MUTABLE, _configmap_replaced_on_data),
    Rule("kubernetes:storage.k8s.io/v1:StorageClass", ("parameters", "provisioner"), REPLACE, _K8S_DIFF),
    Rule("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", ("roleRef",), REPLACE, _K8S_DIFF),
    Rule("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", ("roleRef",), REPLACE, _K8S_DIFF),
    # EKS
    Rule(
        "aws:eks/nodeGroup:NodeGroup",
        (
            "amiType",
            "capacityType",
            "clusterName",
            "diskSize",
            "instanceTypes",
            "launchTemplate.id",
            "launchTemplate.name",
            "nodeGroupName",
            "nodeGroupNamePrefix",
            "nodeRoleArn",
            "remoteAccess",
            "subnetIds",
        ),
        REPLACE,
        _TF_NODE_GROUP,
    ),
    Rule(
        "aws:eks/cluster:Cluster",
        ("name", "accessConfig.bootstrapClusterCreatorAdminPermissions", "bootstrapSelfManagedAddons"),
        REPLACE,
        _TF_EKS,
    ),
    # GKE: a node pool's accelerators, spot/preemptible and identity are fixed; its machine type is not ForceNew
    # (GKE recreates the nodes in place, the pool stays).
    Rule(
        "gcp:container/nodePool:NodePool",
        (
            "nodeConfig.guestAccelerators",
            "nodeConfig.spot",
            "nodeConfig.preemptible",
            "nodeConfig.serviceAccount",
            "nodeConfig.oauthScopes",
            "nodeConfig.metadata",
            "nodeConfig.localSsdCount",
            "nodeConfig.bootDiskKmsKey",
            "nodeConfig.minCpuPlatform",
            "nodeConfig.shieldedInstanceConfig",
            "nodeConfig.reservationAffinity",
            "nodeConfig.confidentialNodes",
            "nodeConfig.ephemeralStorageLocalSsdConfig",
            "nodeConfig.gvnic",
        ),
        REPLACE,
        _TF_GKE_NODE,
    ),
    Rule(
        "gcp:container/cluster:Cluster",
        (
            "name",
            "location",
            "project",
            "network",
            "subnetwork",
            "networkingMode",
            "datapathProvider",
            "ipAllocationPolicy",
            "privateClusterConfig.enablePrivateNodes",
            "privateClusterConfig.masterIpv4CidrBlock",
            "privateClusterConfig.privateEndpointSubnetwork",
            "confidentialNodes",
        ),
        REPLACE,
        _TF_GKE_CLUSTER,
    ),
    # A key ring can never be deleted: a new name is a new ring, and the old one (and its keys) stays behind.
    Rule("gcp:kms/keyRing:KeyRing", ("name", "location", "project"), REPLACE, _TF_KMS),
    Rule("gcp:kms/cryptoKey:CryptoKey", ("name", "keyRing"), REPLACE, _TF_KMS),
    # AKS
    Rule("azure-native:containerservice:AgentPool", ("vmSize", "gpuInstanceProfile"), REPLACE, _AZ_AGENT_POOL),
    Rule(
        "azure-native:containerservice:AgentPool",
        ("agentPoolName", "resourceName", "resourceGroupName"),
        REPLACE,
        _AZ_PATH,
    ),
    Rule("azure-native:containerservice:ManagedCluster", ("resourceName", "resourceGroupName"), REPLACE, _AZ_PATH),
    Rule("azure-native:*", ("location",), REPLACE, _AZ_LOCATION),
    # The network: a region change moves every subnet to other zones, and a replaced VPC (its id unknown in a
    # preview) replaces its subnets, whose replacement replaces the node groups in them (tools/plan_cascade.py).
    Rule(
        "aws:ec2/subnet:Subnet", ("availabilityZone", "availabilityZoneId", "cidrBlock", "vpcId"), REPLACE, _TF_SUBNET
    ),
    Rule("aws:ec2/vpc:Vpc", ("cidrBlock",), REPLACE, _TF_VPC),
    Rule("gcp:container/nodePool:NodePool", ("location", "cluster", "project"), REPLACE, _TF_GKE_POOL),
    # Providers: a replaced provider replaces every resource it manages (tools/plan_cascade.py).
    Rule("pulumi:providers:aws", ("region",), REPLACE, _TF_REGION),
    Rule("pulumi:providers:kubernetes", ("clusterIdentifier",), REPLACE, _K8S_PROVIDER),
)


def _segments(path: str) -> list[str]:
    """`spec.containers[vllm].image` → ["spec", "containers", "[*]", "image"]: list items of any key match `[*]`."""
    out: list[str] = []
    for part in path.split("."):
        while "[" in part:
            head, _, rest = part.partition("[")
            if head:
                out.append(head)
            out.append("[*]")
            part = rest.partition("]")[2]
        if part:
            out.append(part)
    return out


def _starts_with(path: str, prefix: str) -> bool:
    have, want = _segments(path), _segments(prefix)
    return have[: len(want)] == want


def matching_rules(
    type_: str, path: str, inputs: Mapping[str, Any], provider: Mapping[str, Any] | None = None
) -> list[Rule]:
    """The rules a change of `path` in a resource of `type_` falls under."""
    found = []
    for rule in RULES:
        applies = rule.type == type_ or (rule.type.endswith(":*") and type_.startswith(rule.type[:-1]))
        if applies and any(_starts_with(path, prefix) for prefix in rule.paths) and rule.when(inputs, provider or {}):
            found.append(rule)
    return found
