"""Shared file storage on GKE: the Filestore API and a ReadWriteMany StorageClass, in the cluster's own VPC, for
the models' weight caches.

Facts from kubernetes-sigs/gcp-filestore-csi-driver v1.13.1 (pkg/csi_driver/controller.go, README.md), the
source of GKE's managed driver `filestore.csi.storage.gke.io`:
- CreateVolume creates one Filestore instance per claim in the VPC the class's `network` parameter names, the
  network called `default` when it names none, where GKE's built-in `standard-rwx` puts them too: in a project
  without that network the claim never binds; with it, the nodes of a cluster on another VPC cannot mount it.
- `network` is the VPC's short name with `connect-mode: DIRECT_PEERING` (the default); PRIVATE_SERVICE_ACCESS
  and a full network path are for a Shared VPC seen from a service project, which this stack does not create.
  Private nodes live in that VPC, so they reach the peered instance directly.
- A claim smaller than the tier's minimum gets the minimum (100 GiB for `standard`, i.e. Basic HDD); the driver
  expands volumes (ControllerExpandVolume), so `allowVolumeExpansion` lets `modelCacheGiB` grow in place.
- The driver calls the Filestore API (`file.googleapis.com`), which a project does not have enabled by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.serving.metadata import PART_OF

PROVISIONER = "filestore.csi.storage.gke.io"
API = "file.googleapis.com"
TIER = "standard"
"""Basic HDD: weights are read once per replica start, sequentially; the SSD tiers cost more per GiB."""


@dataclass(frozen=True, kw_only=True)
class FilestoreStorageArgs:
    project: str
    network_name: pulumi.Input[str]
    """Short name of the cluster's VPC, where every Filestore instance goes."""
    storage_class_name: str


def storage_class_parameters(network_name: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    """One Basic HDD instance per claim, peered into the cluster's VPC."""
    return {"tier": TIER, "network": network_name, "connect-mode": "DIRECT_PEERING"}


class FilestoreStorage(pulumi.ComponentResource):
    """The Filestore API, enabled for the project, and the StorageClass `storage_class_name`.

    Needs the Google Cloud and Kubernetes providers (`providers=[gcp_provider, k8s_provider]`).

    Example::

        FilestoreStorage("model-cache", FilestoreStorageArgs(project="my-project", network_name=gke.network_name,
                         storage_class_name="filestore-model-cache"),
                         opts=pulumi.ResourceOptions(providers=[gcp_provider, gke.provider]))
    """

    storage_class_name: pulumi.Output[str]
    """The ReadWriteMany StorageClass; claims that use it wait for it to exist."""

    def __init__(self, name: str, args: FilestoreStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:clusters:FilestoreStorage", name, None, opts)
        # Enabled here rather than left as a prerequisite, so that the first `pulumi up` provisions caches; left
        # enabled on destroy, since other workloads of the project may use Filestore too.
        api = gcp.projects.Service(
            f"{name}-api",
            project=args.project,
            service=API,
            disable_on_destroy=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-class",
            metadata={"name": args.storage_class_name, "labels": {"app.kubernetes.io/part-of": PART_OF}},
            provisioner=PROVISIONER,
            parameters=storage_class_parameters(args.network_name),
            # The weights are a cache: a deleted claim deletes its instance.
            reclaim_policy="Delete",
            # R5: provision where the first pod lands (Basic HDD instances are zonal).
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            # A claim provisioned before the API is on fails its first CreateVolume calls.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[api]),
        )
        self.storage_class_name = storage_class.metadata.name
        self.register_outputs({"storageClassName": self.storage_class_name})
