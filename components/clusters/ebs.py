"""Encrypted block volumes on EKS: the EBS CSI driver add-on with least-privilege IAM, and a ReadWriteOnce
StorageClass whose volumes are encrypted at rest (what the vector store's PostgreSQL writes to).

EKS ships no block-volume provisioner of its own since the in-tree one moved to CSI; the add-on
`aws-ebs-csi-driver` is the driver, and only its controller, `kube-system/ebs-csi-controller-sa`, calls AWS
(aws-ebs-csi-driver docs/install.md, "EKS Pod Identity"; the managed policy AmazonEBSCSIDriverPolicy is the one that
document names). Volume parameters are the driver's docs/parameters.md at v1.56.0: `encrypted: "true"` without a
`kmsKeyId` encrypts with the account's default EBS key, which the managed policy may use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.clusters.eks import csi_driver_addon
from components.serving.metadata import PART_OF

CONTROLLER_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
DRIVER_ADDON = "aws-ebs-csi-driver"
DRIVER_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
PROVISIONER = "ebs.csi.aws.com"
VOLUME_PARAMETERS: dict[str, str] = {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"}


@dataclass(frozen=True, kw_only=True)
class EbsStorageArgs:
    cluster_name: pulumi.Input[str]
    storage_class_name: str
    kubernetes_version: str
    """The cluster's minor: the add-on runs the build components/versions.py pins for it."""
    nodes: Sequence[pulumi.Resource] = ()
    """Nodes the driver's controller can run on; an EKS add-on without them never becomes active."""


class EbsStorage(pulumi.ComponentResource):
    """The EBS CSI add-on and the encrypted gp3 StorageClass `storage_class_name`.

    Needs the AWS and Kubernetes providers (`providers=[aws_provider, k8s_provider]`).

    Example::

        EbsStorage("block", EbsStorageArgs(cluster_name=eks.cluster_name, storage_class_name="encrypted-gp3",
                   kubernetes_version="1.34", nodes=[eks.system_nodes]),
                   opts=pulumi.ResourceOptions(providers=[aws_provider, eks.provider]))
    """

    storage_class_name: pulumi.Output[str]

    def __init__(self, name: str, args: EbsStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:clusters:EbsStorage", name, None, opts)
        driver = csi_driver_addon(
            name,
            addon=DRIVER_ADDON,
            managed_policy=DRIVER_POLICY,
            service_account=CONTROLLER_SERVICE_ACCOUNT,
            cluster_name=args.cluster_name,
            kubernetes_version=args.kubernetes_version,
            nodes=args.nodes,
            parent=self,
        )
        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-class",
            metadata={"name": args.storage_class_name, "labels": {"app.kubernetes.io/part-of": PART_OF}},
            provisioner=PROVISIONER,
            parameters=VOLUME_PARAMETERS,
            # A database's volume outlives its claim until someone decides: deleting the claim keeps the data.
            reclaim_policy="Retain",
            allow_volume_expansion=True,
            # EBS volumes are zonal: bind in the zone where the pod lands.
            volume_binding_mode="WaitForFirstConsumer",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[driver]),
        )
        self.storage_class_name = storage_class.metadata.name
        self.register_outputs({"storageClassName": self.storage_class_name})
