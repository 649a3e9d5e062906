"""What a LeaderWorkerSet group's pods add to reach their node's GPU network, per fabric: the extended resources,
annotations, volumes, sidecars and NCCL environment each cloud documents. Pure shapes.

- EKS EFA: every interface as `vpc.amazonaws.com/efa` (aws-efa-k8s-device-plugin); nothing from the host.
- GKE GPUDirect-TCPXO (container-engine-accelerators 992db81, gpudirect-tcpxo/nccl-test-latest.yaml and
  README.md's "Jan 9, 2026" release): the pod attaches the eight GPU networks (`networking.gke.io/interfaces`),
  runs the `tcpxo-daemon` (RxDM) beside vLLM with NET_ADMIN and the host's /sys and /proc/sys, and vLLM loads the
  installer's NCCL and FasTrak plugin from the host's /home/kubernetes/bin/nvidia/lib64 with README's NCCL
  configuration; the LLCM aperture devices come from the host's /dev/aperture_devices.
- GKE GPUDirect-RDMA (gpudirect-rdma/nccl-test.yaml): the pod attaches the eight RDMA networks and mounts the gIB
  plugin and NCCL from the host; its NCCL configuration is the plugin's own `set_nccl_env.sh`, sourced before
  vLLM starts (GKE documents no other list).
- AKS InfiniBand (Azure/aks-rdma-infiniband, website/docs/configurations/01-network-operator.md): one
  `rdma/shared_ib` (the NicClusterPolicy's RDMA shared device plugin; every HCA of the node) and IPC_LOCK, with
  which the verbs library pins the buffers NCCL registers.

Host paths and added capabilities are beyond Pod Security "baseline": a namespace serving such a group runs at
"privileged" (`pod_security_level`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.catalog.fabric import Fabric, FabricKind
from components.clusters.contract import POOL_LABEL
from components.clusters.gke_fabric import PodNetwork

EFA_RESOURCE = "vpc.amazonaws.com/efa"
"""The EFA device plugin's extended resource (aws-efa-k8s-device-plugin)."""
RDMA_RESOURCE = "rdma/shared_ib"
"""The RDMA shared device plugin's resource: its `rdma` prefix and the `resourceName` of the NicClusterPolicy's
config (components/clusters/network_operator.py)."""
NVIDIA_LIB64 = "/usr/local/nvidia/lib64"
"""Where GKE's NCCL plugin installers leave NCCL and the net plugin (the host's /home/kubernetes/bin/nvidia/lib64)."""
TCPXO_DAEMON = "tcpxo-daemon"
GIB_NCCL_ENV = "/usr/local/gib/scripts/set_nccl_env.sh"
"""The gIB plugin's NCCL configuration, installed with it (gpudirect-rdma/nccl-test.yaml sources it)."""
PRIVILEGED = "privileged"
RESTRICTED = "restricted"


@dataclass(frozen=True, kw_only=True)
class FabricPod:
    """What each pod of a group adds for its fabric."""

    resources: Mapping[str, str] = field(default_factory=dict)
    """Extended resources, requested and limited alike."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    env: tuple[dict[str, str], ...] = ()
    """Added to vLLM's container."""
    volumes: tuple[dict[str, Any], ...] = ()
    mounts: tuple[dict[str, Any], ...] = ()
    """vLLM's container's mounts of `volumes`."""
    capabilities: tuple[str, ...] = ()
    """Added to vLLM's container (which drops the others)."""
    sidecars: tuple[dict[str, Any], ...] = ()
    """Containers beside vLLM's."""
    command: tuple[str, ...] = ()
    """Replaces the image's entrypoint (`vllm serve`) and passes vLLM's arguments on; empty: the entrypoint."""
    affinity: Mapping[str, Any] = field(default_factory=dict)
    """The pod's affinity, when the fabric holds it to nodes its group selector does not single out."""

    @property
    def needs_host(self) -> bool:
        """Whether the pod is beyond Pod Security "restricted": host paths, sidecars or added capabilities."""
        host_paths = any("hostPath" in volume for volume in self.volumes)
        return host_paths or bool(self.sidecars) or bool(set(self.capabilities) - {"NET_BIND_SERVICE"})


def pod_security_level(pods: Iterable[FabricPod]) -> str:
    """The level the serving namespace enforces: "privileged" when a group's pods need the host, else
    "restricted" (no level in between admits hostPath volumes or NET_ADMIN/IPC_LOCK)."""
    return PRIVILEGED if any(pod.needs_host for pod in pods) else RESTRICTED


def efa_pod(fabric: Fabric) -> FabricPod:
    """Every EFA interface of the node, so NCCL's aws-ofi-nccl sees them all."""
    return FabricPod(resources={EFA_RESOURCE: str(fabric.interfaces)})


def interfaces_annotation(networks: list[PodNetwork]) -> dict[str, str]:
    """GKE multi-networking: eth0 on the default network, then one interface per GPU network."""
    interfaces = [{"interfaceName": "eth0", "network": "default"}]
    interfaces += [{"interfaceName": n.interface, "network": n.name} for n in networks]
    return {
        "networking.gke.io/default-interface": "eth0",
        "networking.gke.io/interfaces": json.dumps(interfaces),
    }


def on_pool(pool: str) -> dict[str, Any]:
    """Required node affinity to one pool. A GKE group pod names its pool's own Networks, which no other pool's
    nodes carry (not even a stand-in of the same GPU group, whose ComputeClass the pod selects)."""
    term = {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": [pool]}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


def _host_path(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "hostPath": {"path": path}}


TCPXO_NCCL_CONFIG: dict[str, str] = {
    # README.md "Jan 9, 2026" NCCL configs for plugin v1.0.15, its `/usr/local/tcpxo/lib64/` paths replaced by the
    # workload's NCCL lib directory as the README says. CUDA_VISIBLE_DEVICES is left out: the device plugin sets it
    # to the pod's GPUs.
    "NCCL_FASTRAK_CTRL_DEV": "eth0",
    "NCCL_FASTRAK_IFNAME": "eth1,eth2,eth3,eth4,eth5,eth6,eth7,eth8",
    "NCCL_SOCKET_IFNAME": "eth0",
    "NCCL_CROSS_NIC": "0",
    "NCCL_PROTO": "Simple,LL128",
    "NCCL_MIN_NCHANNELS": "4",
    "NCCL_TUNER_PLUGIN": "libnccl-tuner.so",
    "NCCL_TUNER_CONFIG_PATH": f"{NVIDIA_LIB64}/a3plus_tuner_config.textproto",
    "NCCL_SHIMNET_GUEST_CONFIG_CHECKER_CONFIG_FILE": f"{NVIDIA_LIB64}/a3plus_guest_config.textproto",
    "NCCL_NVLSTREE_MAX_CHUNKSIZE": "131072",
    "NCCL_P2P_NET_CHUNKSIZE": "524288",
    "NCCL_P2P_PCI_CHUNKSIZE": "524288",
    "NCCL_P2P_NVL_CHUNKSIZE": "1048576",
    "NCCL_FASTRAK_NUM_FLOWS": "2",
    "NCCL_FASTRAK_USE_SNAP": "1",
    "NCCL_FASTRAK_PLUGIN_ACCEPT_TIMEOUT_MS": "600000",
    "NCCL_FASTRAK_ENABLE_CONTROL_CHANNEL": "0",
    "NCCL_BUFFSIZE": "8388608",
    "NCCL_NET_GDR_LEVEL": "PIX",
    "NCCL_FASTRAK_ENABLE_HOTPATH_LOGGING": "0",
    "NCCL_FASTRAK_USE_LLCM": "1",
    "NCCL_NVLS_ENABLE": "1",
    "NCCL_DEBUG": "WARN",
    "NCCL_DEBUG_SUBSYS": "INIT,NET,ENV,COLL,GRAPH",
}


def tcpxo_daemon(daemon_image: str) -> dict[str, Any]:
    """The RxDM, as nccl-test-latest.yaml runs it (no `privileged`: NET_ADMIN and the host's sysfs suffice)."""
    return {
        "name": TCPXO_DAEMON,
        "image": daemon_image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/sh", "-c"],
        "args": [
            "set -ex\nchmod 755 /fts/entrypoint_rxdm_container.sh\n/fts/entrypoint_rxdm_container.sh --num_hops=2"
        ],
        "securityContext": {
            # The daemon programs the NICs' flow steering as root; the pod's non-root default is overridden here.
            "runAsNonRoot": False,
            "runAsUser": 0,
            "capabilities": {"add": ["NET_ADMIN", "NET_BIND_SERVICE"]},
        },
        "env": [{"name": "LD_LIBRARY_PATH", "value": NVIDIA_LIB64}],
        "volumeMounts": [
            {"name": "nvidia-lib64", "mountPath": NVIDIA_LIB64},
            {"name": "sys", "mountPath": "/hostsysfs"},
            {"name": "proc-sys", "mountPath": "/hostprocsysfs"},
        ],
    }


def tcpxo_pod(pool: str, networks: list[PodNetwork], gpus: int, daemon_image: str) -> FabricPod:
    """A3 Mega: the eight GPU networks, the RxDM beside vLLM with the GPUs it serves (GKE's device annotation, as
    the daemon requests no GPU), and NCCL from the installer."""
    devices = [f"/dev/nvidia{n}" for n in range(gpus)]
    devices += ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/dmabuf_import_helper"]
    return FabricPod(
        annotations={
            f"devices.gke.io/container.{TCPXO_DAEMON}": "".join(f"- path: {d}\n" for d in devices),
            **interfaces_annotation(networks),
        },
        env=(
            {"name": "LD_LIBRARY_PATH", "value": NVIDIA_LIB64},
            {"name": "NCCL_FASTRAK_LLCM_DEVICE_DIRECTORY", "value": "/dev/aperture_devices"},
            *({"name": name, "value": value} for name, value in TCPXO_NCCL_CONFIG.items()),
        ),
        volumes=(
            _host_path("nvidia-lib64", "/home/kubernetes/bin/nvidia/lib64"),
            _host_path("sys", "/sys"),
            _host_path("proc-sys", "/proc/sys"),
            _host_path("aperture-devices", "/dev/aperture_devices"),
        ),
        mounts=(
            {"name": "nvidia-lib64", "mountPath": NVIDIA_LIB64},
            {"name": "aperture-devices", "mountPath": "/dev/aperture_devices"},
        ),
        sidecars=(tcpxo_daemon(daemon_image),),
        affinity=on_pool(pool),
    )


def rdma_pod(pool: str, networks: list[PodNetwork]) -> FabricPod:
    """A3 Ultra: the eight RDMA networks, the gIB plugin and NCCL from the host, and the plugin's NCCL settings
    sourced before `vllm serve` (vLLM's arguments pass through as "$@")."""
    return FabricPod(
        annotations=interfaces_annotation(networks),
        env=({"name": "LD_LIBRARY_PATH", "value": NVIDIA_LIB64},),
        volumes=(
            _host_path("nvidia-install", "/home/kubernetes/bin/nvidia"),
            _host_path("gib", "/home/kubernetes/bin/gib"),
        ),
        mounts=(
            {"name": "nvidia-install", "mountPath": "/usr/local/nvidia"},
            {"name": "gib", "mountPath": "/usr/local/gib"},
        ),
        command=("/bin/bash", "-c", f'source {GIB_NCCL_ENV} && exec vllm serve "$@"', "vllm"),
        affinity=on_pool(pool),
    )


def infiniband_pod() -> FabricPod:
    """ND H100/H200 v5: the node's HCAs through one shared RDMA slot, IPC_LOCK for memory registration, and
    NCCL told not to fall back from InfiniBand (Azure's test values: NCCL_IB_DISABLE=0)."""
    return FabricPod(
        resources={RDMA_RESOURCE: "1"},
        env=({"name": "NCCL_IB_DISABLE", "value": "0"},),
        capabilities=("IPC_LOCK",),
    )


def fabric_pod(
    fabric: Fabric | None, pool: str, networks: list[PodNetwork], gpus: int, tcpxo_daemon_image: str
) -> FabricPod:
    """The pod side of a pool's fabric; nothing without one."""
    if fabric is None:
        return FabricPod()
    if fabric.kind is FabricKind.EFA:
        return efa_pod(fabric)
    if fabric.kind is FabricKind.TCPXO:
        return tcpxo_pod(pool, networks, gpus, tcpxo_daemon_image)
    if fabric.kind is FabricKind.RDMA:
        return rdma_pod(pool, networks)
    return infiniband_pod()
