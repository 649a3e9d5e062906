"""An EKS GPU node that starts with its images: a second EBS volume made from the snapshot `imageCache` names,
mounted at /var/lib/containerd before containerd first starts, so that the images in it are already pulled.

The terraform-aws-eks-blueprints ml-container-cache pattern on AL2023 (patterns/ml-container-cache/eks.tf): a
`text/x-shellscript` part of the launch template's user data, which cloud-init runs before nodeadm starts containerd
and the kubelet (nodeadm-run.service runs after cloud-final.service, amazon-eks-ami
templates/al2023/runtime/rootfs/etc/systemd/system/nodeadm-run.service), mounts the volume, attached as /dev/xvdb (a
symlink to its NVMe device on Nitro instances, made by amazon-ec2-utils' udev rules). The snapshot holds an XFS file
system with containerd's state (content store, snapshots, metadata), built once on a node of the same AMI type
(docs/manual.md, "Images cached on the node").
"""

from __future__ import annotations

from typing import Any

CACHE_DEVICE = "/dev/xvdb"
CACHE_MOUNT = "/var/lib/containerd"
CACHE_VOLUME_IOPS = 3000
CACHE_VOLUME_THROUGHPUT_MIBPS = 600
"""gp3's baseline IOPS and the throughput FastImagePull asks of a root volume: images are read from here."""

MOUNT_SCRIPT = f"""#!/bin/bash
# The image cache: containerd's state from the EBS snapshot, in place before nodeadm starts containerd.
set -euo pipefail
systemctl stop containerd kubelet || true
rm -rf {CACHE_MOUNT}/*
echo '{CACHE_DEVICE} {CACHE_MOUNT} xfs defaults,nofail 0 2' >> /etc/fstab
mount {CACHE_MOUNT}
# A volume larger than its snapshot: the file system takes the rest.
xfs_growfs {CACHE_MOUNT}
"""


def cache_volume(snapshot_id: str, gib: int) -> dict[str, Any]:
    """The launch template's block device mapping of the cache volume (at least the snapshot's size)."""
    return {
        "device_name": CACHE_DEVICE,
        "ebs": {
            "snapshot_id": snapshot_id,
            "volume_size": gib,
            "volume_type": "gp3",
            "iops": CACHE_VOLUME_IOPS,
            "throughput": CACHE_VOLUME_THROUGHPUT_MIBPS,
            "encrypted": "true",
            "delete_on_termination": "true",
        },
    }
