"""Rules on the stack's top-level keys, its target cloud and its GPU pools: what each cloud offers and allows."""

from __future__ import annotations

import re
from collections.abc import Mapping

from components import versions
from components.autoscaling.keda import NAMESPACE as KEDA_NAMESPACE
from components.catalog.gpus import GPUS
from components.catalog.instances import INSTANCES, Cloud, carrying, choose_instance, offered
from components.catalog.mig import MIG_PROFILES, aks_instance_profile, mig_profile
from components.clusters.aks import OWN_POOLS, aks_pool_name
from components.clusters.contract import SharingMode
from components.clusters.efa import PLUGIN_NAMESPACE as EFA_NAMESPACE
from components.clusters.gke_gpudirect import NAMESPACE as GPUDIRECT_NAMESPACE
from components.clusters.network_operator import NAMESPACE as NETWORK_OPERATOR_NAMESPACE
from components.gpu.device_plugin import NAMESPACE as DEVICE_PLUGIN_NAMESPACE
from components.observability.prometheus import NAMESPACE as PROMETHEUS_NAMESPACE
from components.serving.kserve import API_SERVER_PORTS as KSERVE_NAMESPACES
from components.serving.leader_worker_set import NAMESPACE as LWS_NAMESPACE
from components.serving.metadata import METRICS_NAMESPACES
from components.storage.vector_store import NAMESPACE as VECTOR_STORE_NAMESPACE
from components.storage.vector_store import OPERATOR_NAMESPACE as CNPG_NAMESPACE
from stacks.config.issues import (
    ConfigIssue,
    as_issues,
    quoted,
)
from stacks.config.rules.exposure import (
    GATEWAY_NAMESPACES,
)
from stacks.config.rules.names import pool_name_findings
from stacks.config.rules.networks import network_cidr_findings, source_range_findings
from stacks.config.rules.regions import gpu_zone_findings, region_findings, zone_findings
from stacks.config.schema import (
    CLOUD_OF_TARGET,
    CLOUD_ONLY_KEYS,
    DNS_LABEL,
    FIELD_NAMES,
    LABEL_KEY,
    LABEL_VALUE,
    DeployerType,
    GpuPool,
    RawConfig,
    Target,
)


def label_issues(path: str, labels: Mapping[str, str]) -> list[ConfigIssue]:
    """Kubernetes label keys and values (API conventions: an optional DNS prefix, names of at most 63 characters)."""
    issues = []
    for key, value in labels.items():
        if not LABEL_KEY.match(key) or len(key) > 317:
            issues.append(ConfigIssue(path, f"{key!r} is not a valid Kubernetes label key"))
        elif not LABEL_VALUE.match(value):
            issues.append(
                ConfigIssue(
                    f"{path}[{key!r}]" if "." in key or "/" in key else f"{path}.{key}",
                    f"{value!r} is not a valid label value (at most 63 letters, digits, '-', '_', '.')",
                )
            )
    return issues


def check_top_level(config: RawConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    cloud = config.target is not Target.EXISTING
    if cloud and config.region is None:
        issues.append(ConfigIssue("region", f"is required for target '{config.target}'; set the cloud region"))
    if not cloud and config.region is not None:
        issues.append(ConfigIssue("region", f"{config.region!r} has no effect with target 'existing'; remove the key"))
    if cloud and config.region is not None:
        issues.extend(as_issues(region_findings(CLOUD_OF_TARGET[config.target], config.region)))
    if cloud and config.kubeconfig_context is not None:
        issues.append(
            ConfigIssue(
                "kubeconfigContext",
                f"is only used with target 'existing' (this stack targets '{config.target}'); remove the key",
            )
        )
    if config.kubernetes_version not in versions.SUPPORTED_KUBERNETES_VERSIONS:
        issues.append(
            ConfigIssue(
                "kubernetesVersion",
                f"{config.kubernetes_version!r} is not supported; use one of "
                f"{quoted(versions.SUPPORTED_KUBERNETES_VERSIONS)}",
            )
        )
    namespace_issue = namespace_taken(config.namespace)
    if namespace_issue:
        issues.append(
            ConfigIssue("namespace", f"{config.namespace!r} {namespace_issue}; choose another, such as 'llm-serving'")
        )
    return issues


# Namespaces that exist before the stack or belong to what it installs. The stack creates its serving namespace
# (and deletes it on destroy): creating one that exists fails with AlreadyExists (pulumi-kubernetes 4.29+, #2926),
# and sharing an add-on's would put the models under that add-on's policies and lifecycle.
_ADD_ON_NAMESPACES: dict[str, str] = {
    **{namespace: "where Prometheus runs" for namespace in METRICS_NAMESPACES},
    PROMETHEUS_NAMESPACE: "where the stack installs kube-prometheus-stack",
    DEVICE_PLUGIN_NAMESPACE: "where the stack installs the NVIDIA device plugin",
    EFA_NAMESPACE: "where the stack installs the EFA device plugin",
    GPUDIRECT_NAMESPACE: "where the stack installs GKE's NCCL plugin installers",
    NETWORK_OPERATOR_NAMESPACE: "where the stack installs NVIDIA's Network Operator",
    LWS_NAMESPACE: "where the stack installs the LeaderWorkerSet controller",
    KEDA_NAMESPACE: "where the stack installs KEDA",
    **{namespace: "a namespace of the KServe platform the stack installs" for namespace in KSERVE_NAMESPACES},
    **GATEWAY_NAMESPACES,
    VECTOR_STORE_NAMESPACE: "where the stack runs the vector store",
    CNPG_NAMESPACE: "where the stack installs CloudNativePG",
}


def namespace_taken(namespace: str) -> str | None:
    """Why the serving namespace may not be `namespace`, or None."""
    # Kubernetes starts with `default` and reserves the `kube-` prefix for itself (kubernetes.io, "Namespaces").
    if namespace == "default" or namespace.startswith("kube-"):
        return "is a Kubernetes system namespace"
    # The serving PriorityClass is named after the namespace; `system-` names are reserved for the built-in
    # classes (kubernetes pkg/apis/scheduling/validation: "reserved for system use only").
    if namespace.startswith("system-"):
        return "would name the serving PriorityClass, and names starting with 'system-' are reserved"
    if namespace in _ADD_ON_NAMESPACES:
        return f"is {_ADD_ON_NAMESPACES[namespace]}"
    return None


_SUBNET_ID = {
    Target.AWS: (r"^subnet-[0-9a-f]{8,17}$", "an AWS subnet id such as 'subnet-0abc1234def567890'"),
    Target.AZURE: (
        r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+$",
        "an Azure subnet resource id (/subscriptions/.../virtualNetworks/<vnet>/subnets/<subnet>)",
    ),
}


def check_cidrs(key: str, cidrs: list[str], *, exposes: str) -> list[ConfigIssue]:
    """Source ranges: valid CIDR blocks without host bits, admitting a bounded part of the internet."""
    return as_issues(source_range_findings(key, cidrs, exposes=exposes))


def check_cloud(config: RawConfig, pools: Mapping[str, GpuPool]) -> list[ConfigIssue]:
    """Rules that depend on the target: network, endpoint access, and what each cloud offers."""
    issues: list[ConfigIssue] = []
    target = config.target
    if target is Target.EXISTING:
        for key in CLOUD_ONLY_KEYS:
            if getattr(config, FIELD_NAMES[key]):
                issues.append(ConfigIssue(key, "only applies to cloud targets (aws, gcp, azure); remove the key"))
        for name, pool in pools.items():
            if pool.instance_type is not None:
                issues.append(
                    ConfigIssue(f"gpuPools.{name}.instanceType", "only applies to cloud targets; remove the key")
                )
        issues.extend(check_zones(target, config.region, pools))
        return issues
    issues.extend(_api_endpoint_issues(config))
    issues.extend(_network_issues(config))
    if target is Target.GCP and config.gcp_project is None:
        issues.append(ConfigIssue("gcpProject", "is required for target 'gcp'; set the Google Cloud project id"))
    if target is not Target.GCP and config.gcp_project is not None:
        issues.append(ConfigIssue("gcpProject", f"only applies to target 'gcp', not '{target}'; remove the key"))
    issues.extend(check_zones(target, config.region, pools))
    issues.extend(as_issues(pool_name_findings(target.value, list(pools))))
    cloud = CLOUD_OF_TARGET[target]
    for name, pool in pools.items():
        issues.extend(check_pool_offer(cloud, name, pool))
        issues.extend(check_sharing_on_cloud(target, name, pool))
    if target is Target.AZURE:
        issues.extend(_aks_name_issues(list(pools)))
    return issues


def _aks_name_issues(names: list[str]) -> list[ConfigIssue]:
    """Each GPU pool's agent pool gets an AKS-legal name derived from its own (components/clusters/aks.py); two
    pools that would get the same, or one that would take the component's own pools' names, must be renamed."""
    issues = []
    seen: dict[str, str] = {name: name for name in OWN_POOLS}
    for name in names:
        derived = aks_pool_name(name)
        other = seen.get(derived)
        if other is not None:
            whose = f"gpuPools.{other}'s" if other not in OWN_POOLS else "the stack's own pool's"
            issues.append(
                ConfigIssue(
                    f"gpuPools.{name}",
                    f"its AKS agent pool would be named {derived!r} (AKS takes lowercase letters and digits only, "
                    f"12 at most), which is {whose} name; rename {name!r}",
                )
            )
        seen.setdefault(derived, name)
    return issues


def _api_endpoint_issues(config: RawConfig) -> list[ConfigIssue]:
    """A cloud cluster's API endpoint (who reaches it, and why it is public) and its device plugin."""
    target = config.target
    issues: list[ConfigIssue] = []
    issues.extend(check_cidrs("publicApiCidrs", config.public_api_cidrs, exposes="the Kubernetes API"))
    if not config.install_device_plugin:
        issues.append(
            ConfigIssue(
                "installDevicePlugin",
                f"only applies to target 'existing': on '{target}' the stack decides (GKE runs its own plugin); "
                "remove the key",
            )
        )
    if config.public_api_cidrs and config.public_api_reason is None:
        issues.append(
            ConfigIssue(
                "publicApiReason",
                "is required with publicApiCidrs: a public API endpoint departs from the CIS benchmarks' private "
                "endpoint, so say why it is needed (e.g. 'CI deploys from 203.0.113.0/24')",
            )
        )
    if config.public_api_reason is not None and not config.public_api_cidrs:
        issues.append(ConfigIssue("publicApiReason", "only applies with publicApiCidrs; remove the key"))
    return issues


def _network_issues(config: RawConfig) -> list[ConfigIssue]:
    """The network the stack creates, or the subnets it is given."""
    target = config.target
    issues: list[ConfigIssue] = []
    issues.extend(as_issues(network_cidr_findings(config.network_cidr)))
    if config.existing_subnet_ids:
        if target not in _SUBNET_ID:
            issues.append(
                ConfigIssue(
                    "existingSubnetIds", f"is not supported for target '{target}' yet; remove it to create a network"
                )
            )
        else:
            if target is Target.AZURE and len(config.existing_subnet_ids) != 1:
                issues.append(
                    ConfigIssue(
                        "existingSubnetIds",
                        "AKS places every pool in one node subnet; give exactly one, not "
                        f"{len(config.existing_subnet_ids)}",
                    )
                )
            pattern, example = _SUBNET_ID[target]
            for index, subnet in enumerate(config.existing_subnet_ids):
                if not re.match(pattern, subnet):
                    issues.append(ConfigIssue(f"existingSubnetIds[{index}]", f"{subnet!r} is not {example}"))
    return issues


def check_deployer(config: RawConfig) -> list[ConfigIssue]:
    """azure: the deployer's role assignment names its principal type, and a group by its object id."""
    if config.target is not Target.AZURE:
        return [
            ConfigIssue(key, f"only applies to target 'azure', not '{config.target}'; remove the key")
            for key in ("deployerPrincipalType", "deployerGroupObjectId")
            if getattr(config, FIELD_NAMES[key]) is not None
        ]
    is_group = config.deployer_principal_type is DeployerType.GROUP
    if is_group and config.deployer_group_object_id is None:
        return [
            ConfigIssue(
                "deployerGroupObjectId",
                "is required with deployerPrincipalType 'group': the object id of the Entra ID group whose members "
                "run Pulumi (`az ad group show --group <name> --query id`)",
            )
        ]
    if not is_group and config.deployer_group_object_id is not None:
        return [ConfigIssue("deployerGroupObjectId", "only applies with deployerPrincipalType 'group'; remove the key")]
    return []


def check_zones(target: Target, region: str | None, pools: Mapping[str, GpuPool]) -> list[ConfigIssue]:
    issues = []
    for name, pool in pools.items():
        if pool.zones and target is not Target.GCP:
            issues.append(
                ConfigIssue(f"gpuPools.{name}.zones", f"only applies to target 'gcp', not '{target}'; remove the key")
            )
        if target is Target.GCP and region:
            issues.extend(as_issues(zone_findings(f"gpuPools.{name}.zones", region, pool.zones)))
            machines = (
                [pool.instance_type]
                if pool.instance_type
                else [instance.name for instance in carrying(Cloud.GCP, pool.gpu, pool.gpus_per_node)]
            )
            issues.extend(as_issues(gpu_zone_findings(f"gpuPools.{name}.zones", region, pool.zones, machines)))
    return issues


GKE_MAX_SHARED_CLIENTS = 48


def check_sharing_on_cloud(target: Target, name: str, pool: GpuPool) -> list[ConfigIssue]:
    """What each cloud can do with GPU sharing (docs/manual.md, "GPU sharing per cloud")."""
    sharing, path = pool.sharing, f"gpuPools.{name}.sharing"
    profile = sharing.mig_profile or ""
    if sharing.mode is SharingMode.MIG and target is Target.AWS:
        return [
            ConfigIssue(
                f"{path}.mode",
                "'mig' is not available on aws: EKS nodes come unpartitioned and partitioning needs the NVIDIA GPU "
                "Operator's MIG manager, which this project does not install; use 'time-slicing' or whole GPUs",
            )
        ]
    azure_mig = sharing.mode is SharingMode.MIG and target is Target.AZURE and mig_profile(pool.gpu, profile)
    if azure_mig and aks_instance_profile(pool.gpu, profile) is None:
        expressible = [p.name for p in MIG_PROFILES[pool.gpu] if aks_instance_profile(pool.gpu, p.name)]
        return [
            ConfigIssue(
                f"{path}.migProfile",
                f"AKS cannot partition {pool.gpu.value} into {profile!r} (it names layouts MIG1g..MIG7g); use one "
                f"of {quoted(expressible)}",
            )
        ]
    gke_time_slicing = sharing.mode is SharingMode.TIME_SLICING and target is Target.GCP
    if gke_time_slicing and (sharing.replicas or 0) > GKE_MAX_SHARED_CLIENTS:
        return [
            ConfigIssue(
                f"{path}.replicas",
                f"{sharing.replicas} is more than GKE shares one GPU among ({GKE_MAX_SHARED_CLIENTS})",
            )
        ]
    return []


def check_pool_offer(cloud: Cloud, name: str, pool: GpuPool) -> list[ConfigIssue]:
    path = f"gpuPools.{name}"
    offers = offered(cloud)
    if pool.gpu not in offers:
        listing = ", ".join(f"{gpu.value} ({'/'.join(map(str, counts))} per node)" for gpu, counts in offers.items())
        return [ConfigIssue(f"{path}.gpu", f"{pool.gpu.value} is not offered on {cloud}; {cloud} offers {listing}")]
    counts = offers[pool.gpu]
    if pool.gpus_per_node not in counts:
        return [
            ConfigIssue(
                f"{path}.gpusPerNode",
                f"{pool.gpu.value} comes {'/'.join(map(str, counts))} per node on {cloud}, not {pool.gpus_per_node}",
            )
        ]
    if choose_instance(cloud, pool.gpu, pool.gpus_per_node, pool.instance_type) is None:
        fitting = [i.name for i in INSTANCES[cloud] if i.gpu is pool.gpu and i.gpus == pool.gpus_per_node]
        return [
            ConfigIssue(
                f"{path}.instanceType",
                f"{pool.instance_type!r} does not carry {pool.gpus_per_node} x {pool.gpu.value}; use one of "
                f"{quoted(fitting)}",
            )
        ]
    return []


def check_pool(name: str, pool: GpuPool) -> list[ConfigIssue]:
    path = f"gpuPools.{name}"
    issues: list[ConfigIssue] = []
    if not re.match(DNS_LABEL, name) or len(name) > 20:
        issues.append(
            ConfigIssue(
                path,
                f"pool name {name!r} must be lowercase letters, digits and '-', start with a letter, "
                "at most 20 characters",
            )
        )
    if pool.max_nodes < pool.min_nodes:
        issues.append(
            ConfigIssue(
                f"{path}.maxNodes",
                f"{pool.max_nodes} is less than minNodes ({pool.min_nodes}); set maxNodes >= minNodes",
            )
        )
    sharing = pool.sharing
    if sharing.mode is SharingMode.TIME_SLICING and sharing.replicas is None:
        issues.append(
            ConfigIssue(f"{path}.sharing.replicas", "is required with mode 'time-slicing' (2 or more pods per GPU)")
        )
    if sharing.mode is not SharingMode.TIME_SLICING and sharing.replicas is not None:
        issues.append(
            ConfigIssue(f"{path}.sharing.replicas", f"only applies to mode 'time-slicing', not '{sharing.mode}'")
        )
    if sharing.mode is SharingMode.MIG:
        if not GPUS[pool.gpu].mig_capable:
            capable = [gpu.value for gpu, spec in GPUS.items() if spec.mig_capable]
            issues.append(
                ConfigIssue(
                    f"{path}.sharing.mode",
                    f"'mig' needs a GPU with Multi-Instance GPU; {pool.gpu.value} has none "
                    f"(MIG-capable: {quoted(capable)})",
                )
            )
        if sharing.mig_profile is None:
            issues.append(ConfigIssue(f"{path}.sharing.migProfile", "is required with mode 'mig', e.g. '1g.10gb'"))
        elif GPUS[pool.gpu].mig_capable and mig_profile(pool.gpu, sharing.mig_profile) is None:
            profiles = [profile.name for profile in MIG_PROFILES[pool.gpu]]
            issues.append(
                ConfigIssue(
                    f"{path}.sharing.migProfile",
                    f"{sharing.mig_profile!r} is not a MIG profile of {pool.gpu.value}; use one of {quoted(profiles)}",
                )
            )
    elif sharing.mig_profile is not None:
        issues.append(ConfigIssue(f"{path}.sharing.migProfile", f"only applies to mode 'mig', not '{sharing.mode}'"))
    for key, value in pool.labels.items():
        if not LABEL_KEY.match(key) or len(key) > 317:
            issues.append(ConfigIssue(f"{path}.labels", f"{key!r} is not a valid Kubernetes label key"))
        if not LABEL_VALUE.match(value):
            issues.append(
                ConfigIssue(
                    f"{path}.labels.{key}",
                    f"{value!r} is not a valid label value (at most 63 letters, digits, '-', '_', '.')",
                )
            )
    return issues
