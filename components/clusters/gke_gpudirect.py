"""GKE's GPUDirect inside the cluster, for the fabric pools: the `GKENetworkParamSet` and `Network` per GPU NIC that
pods attach (networking.gke.io/v1; GKE "Maximize GPU network bandwidth", "Create the GKE environment"), and the
NCCL plugin installer DaemonSet GKE requires per machine type, from GoogleCloudPlatform/container-engine-accelerators
at versions.GKE_ACCELERATORS_COMMIT: gpudirect-tcpxo/nccl-tcpxo-installer.yaml (a3-megagpu-8g) and
gpudirect-rdma/nccl-rdma-installer.yaml (a3-ultragpu-8g). The pods' side is components/serving/fabric_pods.py.

The installers run in their own namespace at Pod Security "privileged" (they are privileged, on the host's network
and PID namespace, and write the host's /home/kubernetes/bin), not in kube-system as the upstream manifests do,
so that every namespace the stack writes to declares its level. They keep upstream's `system-node-critical`
PriorityClass, which GKE admits outside kube-system only under a ResourceQuota naming it (GKE's own quota is
kube-system's `gcp-critical-pods`; open-policy-agent/gatekeeper#1120, openservicemesh/osm#4408): the namespace has
one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.catalog.fabric import Fabric, FabricKind
from components.clusters.contract import POOL_LABEL
from components.clusters.gke_fabric import PodNetwork, pod_networks
from components.serving.metadata import PART_OF, platform_namespace, scanner_skips

NAMESPACE = "gke-gpudirect"
PRIORITY_CLASS = "system-node-critical"
CRITICAL_PODS = "1k"
"""The quota's bound on critical pods in the namespace: one installer per fabric node, far below it."""
API_VERSION = "networking.gke.io/v1"

TCPXO_PRE_INSTALL = """\
/sbin/iptables -I INPUT -p tcp -m tcp -j ACCEPT && modprobe import-helper
sudo mkdir -p /dev/aperture_devices
while IFS= read -r line; do
  BDF=$( echo "$line" | awk '{print $1}' );
  target_aperture_path="/dev/aperture_devices/$BDF"
  host_aperture_device=$(readlink -f "/sys/bus/pci/devices/$BDF");
  sudo mkdir -p $target_aperture_path;
  sudo umount -R $target_aperture_path;
  sudo mount --bind $host_aperture_device $target_aperture_path;
done < <(lspci -nn -D | grep '1ae0:0084')
if [ -d /dev/aperture_devices ]; then
    chmod -R a+r /dev/aperture_devices/
    chmod a+rw /dev/aperture_devices/*/resource*
fi
"""
"""nccl-tcpxo-installer.yaml's `pre-installation` step, run in the host's namespaces: it exposes the NICs'
LLCM aperture devices under /dev/aperture_devices, which the pods mount (fabric_pods.tcpxo_pod)."""
TCPXO_INSTALL = """\
set -ex
chmod 755 /scripts/container_entry.sh
/scripts/container_entry.sh install --install-nccl
mkdir -p /usr/local/nvidia/lib64
cp -r /var/lib/tcpxo/lib64/. /usr/local/nvidia/lib64
echo "installation finishes"
"""
RDMA_INSTALL = """\
set -ex
/scripts/container_entry.sh install
cp -r /var/lib/gib/lib64/. /usr/local/home/kubernetes/bin/nvidia/lib64
cp -r /var/lib/gib/. /usr/local/home/kubernetes/bin/gib
echo "installation finishes"
"""


HOST_INSTALLER = "an installer of GKE's NCCL plugin on the node (container-engine-accelerators' manifest)"
INSTALLER_SKIPS = {
    "CKV_K8S_16": f"privileged: {HOST_INSTALLER} writes the host's /home/kubernetes/bin and loads a kernel module",
    "CKV_K8S_17": f"host PID: {HOST_INSTALLER} enters the host's namespaces with nsenter",
    "CKV_K8S_19": f"host network: {HOST_INSTALLER} opens the host's firewall for the GPU NICs",
    "CKV_K8S_20": f"privileged init containers: {HOST_INSTALLER}",
    "CKV_K8S_22": f"the installer images write their own filesystem while unpacking: {HOST_INSTALLER}",
    "CKV_K8S_23": f"runs as root: {HOST_INSTALLER}",
    "CKV_K8S_28": f"privileged init containers hold every capability: {HOST_INSTALLER}",
    "CKV_K8S_37": f"privileged init containers hold every capability: {HOST_INSTALLER}",
    "CKV_K8S_40": f"runs as root: {HOST_INSTALLER}",
    "CKV_K8S_43": "the installer images are pinned to the release tags of gpudirect-tcpxo/README.md and the RDMA "
    "installer manifest in components/versions.py; a digest cannot be resolved without registry access",
    "CKV_K8S_8": "the init containers do the work and exit; the pause container that stays has nothing to probe",
    "CKV_K8S_9": "the init containers do the work and exit; the pause container that stays has nothing to probe",
}
"""What the scanner flags on an installer DaemonSet, each waived with why it is so (Pod Security "privileged" in
its namespace for the same reasons)."""
RESOURCES = {
    # CPU as upstream requests it; memory is the installers' file copies (page cache, reclaimable) with room.
    "pre-installation": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
    "installer": {"requests": {"cpu": "150m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
    "pause": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "10m", "memory": "16Mi"}},
}


@dataclass(frozen=True)
class FabricPool:
    """A GKE pool with a fabric, as the in-cluster objects need it."""

    name: str
    fabric: Fabric
    prefix: str
    """Its VPCs' and subnets' name prefix, `<cluster>-<pool>` (gke_fabric.gpu_networks)."""

    @property
    def networks(self) -> list[PodNetwork]:
        return pod_networks(self.prefix, self.name, self.fabric)


def network_objects(network: PodNetwork) -> tuple[dict[str, Any], dict[str, Any]]:
    """The GKENetworkParamSet and the Network of one GPU NIC, both cluster-scoped and named after it."""
    params = {"vpc": network.vpc, "vpcSubnet": network.subnet, "deviceMode": network.device_mode}
    ref = {"group": "networking.gke.io", "kind": "GKENetworkParamSet", "name": network.name}
    return params, {"type": "Device", "parametersRef": ref}


def _host_path(name: str, path: str, **extra: str) -> dict[str, Any]:
    return {"name": name, "hostPath": {"path": path, **extra}}


def installer_spec(kind: FabricKind, pools: list[str]) -> dict[str, Any]:
    """The installer DaemonSet's spec on the named pools: privileged init containers that put NCCL and the net plugin
    under the host's /home/kubernetes/bin, then a pause container that keeps the pod (and its readiness) up."""
    name = "nccl-tcpxo-installer" if kind is FabricKind.TCPXO else "nccl-rdma-installer"
    privileged = {"privileged": True}
    if kind is FabricKind.TCPXO:
        volumes = [
            _host_path("var-lib", "/var/lib"),
            _host_path("tcpxo", "/var/lib/tcpxo"),
            _host_path("library-dir-host", "/home/kubernetes/bin"),
        ]
        init = [
            {
                "name": "pre-installation",
                "image": versions.UBUNTU_IMAGE,
                "imagePullPolicy": "Always",
                "resources": RESOURCES["pre-installation"],
                "securityContext": privileged,
                "command": ["nsenter", "-at", "1", "--", "sh", "-c", TCPXO_PRE_INSTALL],
            },
            {
                "name": "nccl-tcpxo-installer",
                "image": versions.TCPXO_INSTALLER_IMAGE,
                "imagePullPolicy": "Always",
                "resources": RESOURCES["installer"],
                "securityContext": privileged,
                "volumeMounts": [
                    {"name": "var-lib", "mountPath": "/var/lib"},
                    {"name": "library-dir-host", "mountPath": "/usr/local"},
                ],
                "command": ["/bin/sh", "-c"],
                "args": [TCPXO_INSTALL],
            },
        ]
    else:
        volumes = [
            _host_path("library-dir-host", "/home/kubernetes/bin/nvidia/lib64", type="DirectoryOrCreate"),
            _host_path("gib", "/home/kubernetes/bin/gib"),
        ]
        init = [
            {
                "name": "nccl-rdma-installer",
                "image": versions.GIB_INSTALLER_IMAGE,
                "imagePullPolicy": "Always",
                "resources": RESOURCES["installer"],
                "securityContext": privileged,
                "volumeMounts": [
                    {"name": "library-dir-host", "mountPath": "/usr/local/home/kubernetes/bin/nvidia/lib64"},
                    {"name": "gib", "mountPath": "/usr/local/home/kubernetes/bin/gib"},
                ],
                "command": ["/bin/sh", "-c"],
                "args": [RDMA_INSTALL],
            }
        ]
    labels = {"k8s-app": name, "app.kubernetes.io/part-of": PART_OF}
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": pools}]}]
            }
        }
    }
    return {
        "selector": {"matchLabels": {"k8s-app": name}},
        "updateStrategy": {"type": "RollingUpdate"},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "affinity": affinity,
                "tolerations": [{"operator": "Exists"}],
                "hostNetwork": True,
                "hostPID": True,
                "priorityClassName": PRIORITY_CLASS,
                "automountServiceAccountToken": False,
                "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                "volumes": volumes,
                "initContainers": init,
                "containers": [
                    {
                        "name": "pause",
                        "image": versions.GKE_PAUSE_IMAGE_BY_DIGEST,
                        "imagePullPolicy": "Always",
                        "resources": RESOURCES["pause"],
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                    }
                ],
            },
        },
    }


def critical_pods_quota() -> dict[str, Any]:
    """What admits the installers' PriorityClass in the namespace on GKE."""
    selector = {"matchExpressions": [{"operator": "In", "scopeName": "PriorityClass", "values": [PRIORITY_CLASS]}]}
    return {"hard": {"pods": CRITICAL_PODS}, "scopeSelector": selector}


class GkeGpuDirect(pulumi.ComponentResource):
    """The fabric pools' GPU networks as pods attach them, and the NCCL plugin installer per GPUDirect kind.

    Example::

        GkeGpuDirect("gpudirect", {"h100": FabricPool("h100", fabric, "llm-h100")}, opts=ResourceOptions(provider=p))
    """

    ready: list[pulumi.Resource]
    """What group pods come after: the installers (NCCL on the node) and the Networks (their interfaces)."""

    def __init__(self, name: str, pools: Mapping[str, FabricPool], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:clusters:GkeGpuDirect", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.ready = []
        for pool in pools.values():
            for network in pool.networks:
                params, spec = network_objects(network)
                param_set = k8s.apiextensions.CustomResource(
                    f"{name}-{network.name}-params",
                    api_version=API_VERSION,
                    kind="GKENetworkParamSet",
                    metadata={"name": network.name, "labels": {"app.kubernetes.io/part-of": PART_OF}},
                    spec=params,
                    opts=child,
                )
                self.ready.append(
                    k8s.apiextensions.CustomResource(
                        f"{name}-{network.name}-network",
                        api_version=API_VERSION,
                        kind="Network",
                        metadata={"name": network.name, "labels": {"app.kubernetes.io/part-of": PART_OF}},
                        spec=spec,
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[param_set]),
                    )
                )
        namespace = platform_namespace(f"{name}-namespace", NAMESPACE, level="privileged", opts=child)
        quota = k8s.core.v1.ResourceQuota(
            f"{name}-critical-pods",
            metadata={
                "name": "critical-pods",
                "namespace": namespace.metadata.name,
                "labels": {"app.kubernetes.io/part-of": PART_OF},
            },
            spec=critical_pods_quota(),
            opts=child,
        )
        for kind in sorted({pool.fabric.kind for pool in pools.values()}):
            on = sorted(pool.name for pool in pools.values() if pool.fabric.kind is kind)
            spec = installer_spec(kind, on)
            installer_name = spec["selector"]["matchLabels"]["k8s-app"]
            self.ready.append(
                k8s.apps.v1.DaemonSet(
                    f"{name}-{installer_name}",
                    metadata={
                        "name": installer_name,
                        "namespace": namespace.metadata.name,
                        "labels": {"k8s-app": installer_name, "app.kubernetes.io/part-of": PART_OF},
                        "annotations": scanner_skips(INSTALLER_SKIPS),
                    },
                    spec=spec,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[quota]),
                )
            )
        self.register_outputs({})
