"""Shared file storage on EKS: an EFS file system the nodes can mount, its CSI driver, and a ReadWriteMany
StorageClass for the models' weight caches (EKS has no ReadWriteMany class of its own, unlike AKS and GKE).

Facts from aws-efs-csi-driver (docs/parameters.md, docs/iam-policy-create.md) and the EKS user guide:
- The add-on `aws-efs-csi-driver` supports Pod Identity (from v2.0.5-eksbuild.1); only its controller,
  `kube-system/efs-csi-controller-sa`, calls AWS (to create one access point per claim).
- With `provisioningMode: efs-ap`, every claim gets an access point that enforces its own POSIX user: the
  pods (UID 10001, read-only root) write as the directory's owner, and fsGroup is never applied to EFS.
- Nodes of managed node groups whose launch template names no security group carry the cluster security
  group, the source the mount targets admit NFS from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.clusters.eks import csi_driver_addon
from components.serving.metadata import PART_OF

NFS_PORT = 2049
CONTROLLER_SERVICE_ACCOUNT = "efs-csi-controller-sa"
DRIVER_ADDON = "aws-efs-csi-driver"
DRIVER_POLICY = "service-role/AmazonEFSCSIDriverPolicy"


@dataclass(frozen=True, kw_only=True)
class EfsStorageArgs:
    cluster_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    node_security_group_id: pulumi.Input[str]
    """The security group every node carries (the EKS cluster security group)."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """The nodes' subnets, one per availability zone: EFS takes one mount target per zone."""
    storage_class_name: str
    kubernetes_version: str
    """The cluster's minor: the driver add-on runs the build components/versions.py pins for it, and moves with it."""
    nodes: Sequence[pulumi.Resource] = ()
    """Nodes the driver's controller can run on; an EKS add-on without them never becomes active."""


def storage_class_parameters(file_system_id: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    """One access point per claim, under /model-cache, owned by the access point's own POSIX user."""
    return {
        "provisioningMode": "efs-ap",
        "fileSystemId": file_system_id,
        "directoryPerms": "700",
        "basePath": "/model-cache",
    }


class EfsStorage(pulumi.ComponentResource):
    """An encrypted EFS file system with a mount target per zone, the EFS CSI add-on with least-privilege IAM,
    and the StorageClass `storage_class_name`.

    Needs the AWS and Kubernetes providers (`providers=[aws_provider, k8s_provider]`).

    Example::

        EfsStorage("model-cache", EfsStorageArgs(cluster_name=eks.cluster_name, vpc_id=eks.vpc_id,
                   node_security_group_id=eks.node_security_group_id, subnet_ids=eks.node_subnet_ids,
                   storage_class_name="efs-model-cache", kubernetes_version="1.34",
                   nodes=[eks.system_nodes]),
                   opts=pulumi.ResourceOptions(providers=[aws_provider, eks.provider]))
    """

    file_system_id: pulumi.Output[str]
    """The EFS file system."""
    storage_class_name: pulumi.Output[str]
    """The ReadWriteMany StorageClass; claims that use it wait for it to exist."""

    def __init__(self, name: str, args: EfsStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:clusters:EfsStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        file_system = aws.efs.FileSystem(
            f"{name}-fs",
            encrypted=True,
            # Replicas read tens of GB at start and little after: elastic throughput is paid per use.
            throughput_mode="elastic",
            tags={"Name": name},
            opts=child,
        )
        nfs = aws.ec2.SecurityGroup(
            f"{name}-nfs",
            description="NFS from the cluster's nodes to the model cache",
            vpc_id=args.vpc_id,
            ingress=[
                {
                    "protocol": "tcp",
                    "from_port": NFS_PORT,
                    "to_port": NFS_PORT,
                    "security_groups": [args.node_security_group_id],
                    "description": "NFS from the cluster's nodes",
                }
            ],
            egress=[],
            opts=child,
        )
        mount_targets = [
            aws.efs.MountTarget(
                f"{name}-mount-{index}",
                file_system_id=file_system.id,
                subnet_id=subnet_id,
                security_groups=[nfs.id],
                opts=child,
            )
            for index, subnet_id in enumerate(args.subnet_ids)
        ]
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
            provisioner="efs.csi.aws.com",
            parameters=storage_class_parameters(file_system.id),
            # The weights are a cache: a deleted claim gives back its access point; the file system goes with the
            # stack.
            reclaim_policy="Delete",
            # The driver cannot expand a volume (its controller offers CREATE_DELETE_VOLUME only, ControllerExpandVolume
            # is Unimplemented, and it runs no csi-resizer): allowing expansion would leave a resized claim waiting
            # forever. An EFS claim's size is nominal (the file system grows with its data); model caches on this
            # class ignore size changes instead (components/serving/cache.py).
            allow_volume_expansion=False,
            # R5: bind where the pod lands (EFS is regional: this never pins a pod to a zone).
            volume_binding_mode="WaitForFirstConsumer",
            # A claim provisioned before the mount targets exist would leave its first pod unable to mount.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[driver, *mount_targets]),
        )
        self.file_system_id = file_system.id
        self.storage_class_name = storage_class.metadata.name
        self.register_outputs({"fileSystemId": self.file_system_id, "storageClassName": self.storage_class_name})
