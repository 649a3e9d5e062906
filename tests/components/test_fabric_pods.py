"""The pod side of each fabric (components/serving/fabric_pods.py) and GKE's in-cluster GPUDirect objects
(components/clusters/gke_gpudirect.py), including GPUDirect-RDMA (a3-ultragpu-8g), which no example stack uses."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components import versions
from components.catalog.fabric import FABRICS, FabricKind
from components.catalog.instances import Cloud
from components.clusters.contract import POOL_LABEL
from components.clusters.gke_fabric import gpu_subnets, pod_networks, subnet_name, vpc_name
from components.clusters.gke_gpudirect import FabricPool, GkeGpuDirect, installer_spec
from components.serving import fabric_pods
from components.serving.fabric_pods import (
    TCPXO_NCCL_CONFIG,
    FabricPod,
    fabric_pod,
    pod_security_level,
    rdma_pod,
)
from components.serving.leader_worker_set import GroupArgs, group_pod
from tests.components.test_vllm import gpu_args
from tools.validation import custom_resource_errors

A3_MEGA = FABRICS[Cloud.GCP]["a3-megagpu-8g"]
A3_ULTRA = FABRICS[Cloud.GCP]["a3-ultragpu-8g"]
DAEMON = versions.TCPXO_DAEMON_IMAGE


def _group(fabric: FabricPod) -> dict[str, Any]:
    server = gpu_args(gpus=8, replicas=1, max_replicas=1, context_length=32768)
    args = GroupArgs(server=server, nodes=2, fabric=fabric, platform_ready=[])
    return group_pod(args, {"app": "m"}, leader=False, service_account="m")


def test_rdma_pods_attach_the_eight_roce_subnets_on_eth2_to_eth9() -> None:
    """gpudirect-rdma/nccl-test.yaml (Standard): eth0 default, eth2..eth9 on rdma-0..rdma-7; eth1, the node's
    second gVNIC, is not the pod's. Each RoCE subnet is in the one RDMA VPC, after the gVNIC subnet (index 0)."""
    networks = pod_networks("c-ultra", "ultra", A3_ULTRA)
    [gvnic, *roce] = gpu_subnets(A3_ULTRA)
    assert [n.interface for n in networks] == [f"eth{n}" for n in range(2, 10)]
    assert [n.name for n in networks] == [f"ultra-rdma-{n}" for n in range(8)]
    assert {n.device_mode for n in networks} == {"RDMA"}
    assert {n.vpc for n in networks} == {vpc_name("c-ultra", roce[0])}
    assert [n.subnet for n in networks] == [subnet_name("c-ultra", i) for i in range(1, 9)]
    assert gvnic.network == "gvnic"


def test_tcpxo_pods_attach_one_network_per_gpu_vpc_on_eth1_to_eth8() -> None:
    networks = pod_networks("c-mega", "mega", A3_MEGA)
    assert [n.interface for n in networks] == [f"eth{n}" for n in range(1, 9)]
    assert len({n.vpc for n in networks}) == 8
    assert {n.device_mode for n in networks} == {"NetDevice"}


def test_the_rdma_pod_sources_the_gib_nccl_settings_and_still_passes_vllms_arguments(tmp_path: Path) -> None:
    """The command replaces `vllm serve` (the image's entrypoint) by a shell that sources the plugin's settings and
    execs it with the container's args: run with a stand-in script and a stand-in `vllm` that prints what it got."""
    settings = tmp_path / "set_nccl_env.sh"
    settings.write_text("export NCCL_NET=gIB\n")
    fake = tmp_path / "vllm"
    fake.write_text('#!/bin/sh\necho "$NCCL_NET|$*"\n')
    fake.chmod(0o755)
    container = _group(rdma_pod("ultra", pod_networks("c", "ultra", A3_ULTRA)))["spec"]["containers"][0]
    command = [part.replace(fabric_pods.GIB_NCCL_ENV, str(settings)) for part in container["command"]]
    args = [str(arg) for arg in container["args"]]
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    result = subprocess.run([*command, *args], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "gIB|serve " + " ".join(args)


def test_the_rdma_pod_mounts_the_hosts_nccl_and_gib_where_the_plugin_expects_them() -> None:
    pod = _group(rdma_pod("ultra", pod_networks("c", "ultra", A3_ULTRA)))
    volumes = {v["name"]: v.get("hostPath", {}).get("path") for v in pod["spec"]["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in pod["spec"]["containers"][0]["volumeMounts"]}
    assert mounts["/usr/local/nvidia"] == "/home/kubernetes/bin/nvidia"
    assert mounts["/usr/local/gib"] == "/home/kubernetes/bin/gib"
    assert {"name": "LD_LIBRARY_PATH", "value": "/usr/local/nvidia/lib64"} in pod["spec"]["containers"][0]["env"]


def test_the_tcpxo_nccl_settings_are_the_readmes_for_the_pinned_plugin() -> None:
    """gpudirect-tcpxo/README.md "Jan 9, 2026" (plugin v1.0.15, daemon v1.0.21) NCCL configs, less
    CUDA_VISIBLE_DEVICES (the device plugin's); the paths in the workload's NCCL lib directory."""
    readme_keys = {
        "NCCL_FASTRAK_CTRL_DEV", "NCCL_FASTRAK_IFNAME", "NCCL_SOCKET_IFNAME", "NCCL_CROSS_NIC", "NCCL_PROTO",
        "NCCL_MIN_NCHANNELS", "NCCL_TUNER_PLUGIN", "NCCL_TUNER_CONFIG_PATH",
        "NCCL_SHIMNET_GUEST_CONFIG_CHECKER_CONFIG_FILE", "NCCL_NVLSTREE_MAX_CHUNKSIZE", "NCCL_P2P_NET_CHUNKSIZE",
        "NCCL_P2P_PCI_CHUNKSIZE", "NCCL_P2P_NVL_CHUNKSIZE", "NCCL_FASTRAK_NUM_FLOWS", "NCCL_FASTRAK_USE_SNAP",
        "NCCL_FASTRAK_PLUGIN_ACCEPT_TIMEOUT_MS", "NCCL_FASTRAK_ENABLE_CONTROL_CHANNEL", "NCCL_BUFFSIZE",
        "NCCL_NET_GDR_LEVEL", "NCCL_FASTRAK_ENABLE_HOTPATH_LOGGING", "NCCL_FASTRAK_USE_LLCM", "NCCL_NVLS_ENABLE",
        "NCCL_DEBUG", "NCCL_DEBUG_SUBSYS",
    }  # fmt: skip
    assert TCPXO_NCCL_CONFIG.keys() == readme_keys
    assert TCPXO_NCCL_CONFIG["NCCL_PROTO"] == "Simple,LL128"
    assert TCPXO_NCCL_CONFIG["NCCL_TUNER_CONFIG_PATH"] == "/usr/local/nvidia/lib64/a3plus_tuner_config.textproto"


@pytest.mark.parametrize(
    ("cloud", "machine", "level"),
    [
        (Cloud.AWS, "p5.48xlarge", "restricted"),
        (Cloud.GCP, "a3-megagpu-8g", "privileged"),
        (Cloud.GCP, "a3-ultragpu-8g", "privileged"),
        (Cloud.AZURE, "Standard_ND96isr_H100_v5", "privileged"),
    ],
)
def test_only_fabrics_that_need_the_host_raise_the_serving_namespace(cloud: Cloud, machine: str, level: str) -> None:
    fabric = FABRICS[cloud][machine]
    networks = pod_networks("c", "p", fabric) if cloud is Cloud.GCP else []
    pod = fabric_pod(fabric, "p", networks, 8, DAEMON)
    assert pod_security_level([FabricPod(), pod]) == level
    assert pod_security_level([FabricPod()]) == "restricted"


def test_the_rdma_installer_puts_the_gib_plugin_under_the_hosts_kubernetes_bin_on_its_pools() -> None:
    """gpudirect-rdma/nccl-rdma-installer.yaml: privileged init container at the pinned gIB image, lib64 created if
    missing, on the host's network and PID namespaces; here on the named pools instead of the accelerator label."""
    spec = installer_spec(FabricKind.RDMA, ["ultra"])["template"]["spec"]
    [init] = spec["initContainers"]
    assert init["image"] == versions.GIB_INSTALLER_IMAGE
    assert init["securityContext"] == {"privileged": True}
    assert (spec["hostNetwork"], spec["hostPID"]) == (True, True)
    paths = {v["name"]: v["hostPath"] for v in spec["volumes"]}
    assert paths["library-dir-host"] == {"path": "/home/kubernetes/bin/nvidia/lib64", "type": "DirectoryOrCreate"}
    [term] = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [{"key": POOL_LABEL, "operator": "In", "values": ["ultra"]}]
    assert spec["priorityClassName"] == "system-node-critical"


def test_an_rdma_pool_gets_its_installer_and_rdma_networks_that_pass_the_vendored_crds(under_mocks: Any) -> None:
    def program() -> None:
        GkeGpuDirect("gpudirect", {"ultra": FabricPool("ultra", A3_ULTRA, "c-ultra")})

    registered = under_mocks(program)
    [installer] = registered.all("kubernetes:apps/v1:DaemonSet")
    assert installer.inputs["metadata"]["name"] == "nccl-rdma-installer"
    params = registered.all("kubernetes:networking.gke.io/v1:GKENetworkParamSet")
    networks = registered.all("kubernetes:networking.gke.io/v1:Network")
    assert {p.inputs["spec"]["deviceMode"] for p in params} == {"RDMA"}
    assert len(params) == len(networks) == 8
    for registration in [*params, *networks]:
        body = {k: registration.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}
        assert custom_resource_errors(body) == []


def test_the_installers_namespace_admits_their_critical_priority_class_as_gke_requires(under_mocks: Any) -> None:
    """GKE admits system-node-critical pods outside kube-system only under a ResourceQuota scoped to that class
    (open-policy-agent/gatekeeper#1120: "insufficient quota to match these scopes"); the installers come after it."""

    def program() -> None:
        GkeGpuDirect("gpudirect", {"mega": FabricPool("mega", A3_MEGA, "c-mega")})

    registered = under_mocks(program)
    quota = registered.inputs("kubernetes:core/v1:ResourceQuota")
    [installer] = registered.all("kubernetes:apps/v1:DaemonSet")
    priority = installer.inputs["spec"]["template"]["spec"]["priorityClassName"]
    assert quota["metadata"]["namespace"] == installer.inputs["metadata"]["namespace"] == "gke-gpudirect"
    [scope] = quota["spec"]["scopeSelector"]["matchExpressions"]
    assert (scope["scopeName"], scope["operator"], scope["values"]) == ("PriorityClass", "In", [priority])


def test_a_pod_without_a_fabric_is_unchanged() -> None:
    plain = _group(FabricPod())
    assert [c["name"] for c in plain["spec"]["containers"]] == ["vllm"]
    assert "annotations" not in plain["metadata"]
    assert "command" not in plain["spec"]["containers"][0]
    assert dataclasses.asdict(fabric_pod(None, "p", [], 8, DAEMON)) == dataclasses.asdict(FabricPod())
