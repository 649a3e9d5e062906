"""The big moves of a change, stated first in a plan diff: a region, a Kubernetes version, a namespace, provider
versions, and what a change destroys with its data.

Each reads two plan.json documents (tools/plan.py) and says what Pulumi will do in words a reviewer acts on;
tools/plan_diff.py puts them at the head of a stack's section.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Where each cloud's region is: its provider's input (aws, gcp) or location (azure-native).
_REGION_INPUTS = {
    "pulumi:providers:aws": "region",
    "pulumi:providers:gcp": "region",
    "pulumi:providers:azure-native": "location",
}
# Where each cloud's Kubernetes version is: the control plane's input.
_VERSION_INPUTS = {
    "aws:eks/cluster:Cluster": "version",
    "gcp:container/cluster:Cluster": "minMasterVersion",
    "azure-native:containerservice:ManagedCluster": "kubernetesVersion",
}
_NODE_POOL_TYPES = (
    "aws:eks/nodeGroup:NodeGroup",
    "gcp:container/nodePool:NodePool",
    "azure-native:containerservice:AgentPool",
)

DATA_TYPES: tuple[str, ...] = (
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:core/v1:PersistentVolume",
    "aws:efs/fileSystem:FileSystem",
    "aws:kms/key:Key",
    "aws:s3/bucket",
    "aws:ebs/volume:Volume",
    "gcp:filestore/instance:Instance",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:storage/bucket:Bucket",
    "gcp:compute/disk:Disk",
    "azure-native:storage:FileShare",
    "azure-native:storage:StorageAccount",
    "azure-native:storage:BlobContainer",
    "azure-native:keyvault:Key",
    "azure-native:keyvault:Vault",
)
"""Resource types (or type prefixes) whose deletion deletes data: model weight caches (claims, EFS, Filestore,
Azure Files), keys that encrypt other data, buckets and disks."""


def destroys_data(type_: str) -> bool:
    return any(type_ == kind or type_.startswith(kind) for kind in DATA_TYPES)


def _first(document: Mapping[str, Any], types: Mapping[str, str]) -> str | None:
    for resource in document.get("resources") or []:
        key = types.get(resource["type"])
        if key and isinstance((resource.get("inputs") or {}).get(key), str):
            return str(resource["inputs"][key])
    return None


def _count(document: Mapping[str, Any], types: Iterable[str]) -> int:
    wanted = set(types)
    return sum(1 for resource in document.get("resources") or [] if resource["type"] in wanted)


def region_headline(base: Mapping[str, Any], head: Mapping[str, Any], replaced: int) -> str | None:
    before, after = _first(base, _REGION_INPUTS), _first(head, _REGION_INPUTS)
    if before is None or after is None or before == after:
        return None
    return (
        f"Region {before} → {after}: a new cluster, network and model caches in {after}, the old ones deleted "
        f"({replaced} resources replaced); models are down between the two unless another stack serves them"
    )


def kept_objects_headline(base: Mapping[str, Any], head: Mapping[str, Any], replaced: Iterable[str]) -> str | None:
    """A replaced cluster whose Kubernetes provider keeps its `clusterIdentifier`: pulumi-kubernetes then replaces
    none of the objects (provider/pkg/provider/provider.go, DiffConfig: an unchanged clusterIdentifier suppresses
    the provider's replacement), so Pulumi keeps them in its state although the new cluster has none of them."""
    clusters = [label for label in replaced if label.split("::")[0] in _VERSION_INPUTS]
    if not clusters:
        return None

    def identifiers(document: Mapping[str, Any]) -> set[str]:
        return {
            str((r.get("inputs") or {}).get("clusterIdentifier"))
            for r in document.get("resources") or []
            if r["type"] == "pulumi:providers:kubernetes" and (r.get("inputs") or {}).get("clusterIdentifier")
        }

    kept = identifiers(base) & identifiers(head)
    if not kept:
        return None
    return (
        f"The cluster is replaced but its Kubernetes provider keeps clusterIdentifier {', '.join(sorted(kept))}: no "
        "Kubernetes object is recreated, and Pulumi's state lists them in a cluster that has none. Change the "
        "cluster's name with it, or `pulumi refresh` and `pulumi up` again after"
    )


def kubernetes_headline(base: Mapping[str, Any], head: Mapping[str, Any]) -> str | None:
    before, after = _first(base, _VERSION_INPUTS), _first(head, _VERSION_INPUTS)
    if before is None or after is None or before == after:
        return None
    pools = _count(head, _NODE_POOL_TYPES)
    return (
        f"Kubernetes {before} → {after}: the control plane upgrades first, then every node pool ({pools}) rolls "
        "its nodes, evicting each model's pods (read the upgrade notes in docs/manual.md and the API removals)"
    )


def namespace_headline(before: Mapping[str, Any], after: Mapping[str, Any], moved: int) -> str | None:
    old, new = before.get("namespace"), after.get("namespace")
    if not old or not new or old == new:
        return None
    return (
        f"Namespace {old} → {new}: every object in it is deleted and created again ({moved} objects), the model "
        "caches with them: each model downloads its weights again"
    )


def provider_headline(before: Mapping[str, str], after: Mapping[str, str]) -> str | None:
    """Provider and SDK pins (requirements.txt, `name==version`) that differ: both sides are planned with this
    change's packages (the offline plan runs in one environment), so nothing below shows the new provider's
    behaviour."""
    moved = [
        f"{name} {before.get(name, '(none)')} → {after.get(name, '(none)')}"
        for name in sorted(set(before) | set(after))
        if name.startswith(("pulumi", "pulumiverse")) and before.get(name) != after.get(name)
    ]
    if not moved:
        return None
    return (
        f"Provider versions change ({'; '.join(moved)}): the offline diff plans both sides with this change's "
        "packages and cannot show what the new providers do (new defaults, replacements, state upgrades): read "
        "`pulumi preview` and the providers' changelogs"
    )


def requirement_pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, _, version = line.partition("==")
            pins[name.strip().lower()] = version.strip()
    return pins
