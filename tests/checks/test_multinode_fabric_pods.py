"""The multi-node examples inside the cluster: how each cloud's group pods reach their node's GPU network (GKE's
GPUDirect networks, NCCL installers and TCPXO daemon; AKS's Network Operator and `rdma/shared_ib`), checked on the
planned objects against the vendored CRDs, the pools' fabric and the Pod Security levels decided for them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import versions
from components.clusters.contract import POOL_LABEL
from tests.checks.test_reliability import restricted_violations
from tools.offline import Mode
from tools.validation import custom_resource_errors

POOL = "h100"
SERVING_NAMESPACE = "llm-serving"


def _manifests(plans: Any, stack: str, kind: str) -> list[dict[str, Any]]:
    return [body for body in plans[(stack, Mode.UPDATE)].manifests.values() if body["kind"] == kind]


def _resources(plans: Any, stack: str, type_: str) -> list[dict[str, Any]]:
    return [r["inputs"] for r in plans[(stack, Mode.UPDATE)].document["resources"] if r["type"] == type_]


def _group_pods(plans: Any, stack: str) -> dict[str, dict[str, Any]]:
    [group] = _manifests(plans, stack, "LeaderWorkerSet")
    template = group["spec"]["leaderWorkerTemplate"]
    return {"leader": template["leaderTemplate"], "worker": template["workerTemplate"]}


def _vllm(pod: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in pod["spec"]["containers"] if c["name"] == "vllm")


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env", [])}


# --- GKE: GPUDirect-TCPXO --------------------------------------------------------------------------------------


def test_gke_each_gpu_nic_has_a_network_and_param_set_naming_the_pools_own_vpc_and_subnet(plans: Any) -> None:
    """GKE "Create the GKE environment": per GPU VPC a GKENetworkParamSet (vpc, vpcSubnet, deviceMode NetDevice on
    TCPXO) and a Device-type Network referring to it; the names are those the node pool's additional networks send."""
    [pool] = [p for p in _resources(plans, "multinode-gcp", "gcp:container/nodePool:NodePool") if p["name"] == POOL]
    node_nics = {(n["network"], n["subnetwork"]) for n in pool["networkConfig"]["additionalNodeNetworkConfigs"]}
    params = {p["metadata"]["name"]: p["spec"] for p in _manifests(plans, "multinode-gcp", "GKENetworkParamSet")}
    networks = {n["metadata"]["name"]: n["spec"] for n in _manifests(plans, "multinode-gcp", "Network")}
    assert len(params) == 8
    assert {(p["vpc"], p["vpcSubnet"]) for p in params.values()} == node_nics
    assert {p["deviceMode"] for p in params.values()} == {"NetDevice"}
    assert networks.keys() == params.keys()
    for name, network in networks.items():
        assert network == {
            "type": "Device",
            "parametersRef": {"group": "networking.gke.io", "kind": "GKENetworkParamSet", "name": name},
        }


def test_gke_group_pods_attach_every_gpu_network_after_the_default_one(plans: Any) -> None:
    networks = {n["metadata"]["name"] for n in _manifests(plans, "multinode-gcp", "Network")}
    for role, pod in _group_pods(plans, "multinode-gcp").items():
        annotations = pod["metadata"]["annotations"]
        interfaces = json.loads(annotations["networking.gke.io/interfaces"])
        assert annotations["networking.gke.io/default-interface"] == "eth0", role
        assert interfaces[0] == {"interfaceName": "eth0", "network": "default"}, role
        assert [i["interfaceName"] for i in interfaces[1:]] == [f"eth{n}" for n in range(1, 9)], role
        assert {i["network"] for i in interfaces[1:]} == networks, role


def test_gke_group_pods_are_held_to_the_pool_whose_networks_they_name(plans: Any) -> None:
    """The Networks are the pool's own VPCs: a stand-in of the same GPU group (which the ComputeClass selector
    admits) has none of them, so a group pod there would never get its interfaces."""
    for role, pod in _group_pods(plans, "multinode-gcp").items():
        terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert terms["nodeSelectorTerms"] == [
            {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": [POOL]}]}
        ], role
    for role, pod in _group_pods(plans, "multinode-azure").items():
        assert "affinity" not in pod["spec"], role  # `rdma/shared_ib` exists only on the policy's pools


def test_gke_tcpxo_pods_run_the_rxdm_beside_vllm_with_the_gpus_of_the_node(plans: Any) -> None:
    """nccl-test-latest.yaml: the tcpxo-daemon at the image paired with the installer, NET_ADMIN, the host's sysfs,
    and GKE's device annotation naming each GPU of the pod, which the daemon does not request."""
    for role, pod in _group_pods(plans, "multinode-gcp").items():
        daemon = next(c for c in pod["spec"]["containers"] if c["name"] == "tcpxo-daemon")
        assert daemon["image"] == versions.TCPXO_DAEMON_IMAGE, role
        assert daemon["securityContext"]["capabilities"]["add"] == ["NET_ADMIN", "NET_BIND_SERVICE"]
        assert {m["mountPath"] for m in daemon["volumeMounts"]} == {
            "/usr/local/nvidia/lib64",
            "/hostsysfs",
            "/hostprocsysfs",
        }
        gpus = int(_vllm(pod)["resources"]["limits"]["nvidia.com/gpu"])
        devices = pod["metadata"]["annotations"]["devices.gke.io/container.tcpxo-daemon"]
        assert [
            line for line in devices.splitlines() if line.startswith("- path: /dev/nvidia") and line[-1].isdigit()
        ] == [f"- path: /dev/nvidia{n}" for n in range(gpus)]


def test_gke_tcpxo_vllm_loads_the_installers_nccl_over_the_pods_gpu_interfaces(plans: Any) -> None:
    """README "Jan 9, 2026": NCCL's FasTrak plugin on eth1..eth8, control on eth0, from /usr/local/nvidia/lib64
    (the host's /home/kubernetes/bin/nvidia/lib64, where nccl-tcpxo-installer copies it)."""
    for role, pod in _group_pods(plans, "multinode-gcp").items():
        vllm = _vllm(pod)
        env = _env(vllm)
        interfaces = json.loads(pod["metadata"]["annotations"]["networking.gke.io/interfaces"])
        assert env["NCCL_FASTRAK_IFNAME"].split(",") == [i["interfaceName"] for i in interfaces[1:]], role
        assert env["NCCL_FASTRAK_CTRL_DEV"] == env["NCCL_SOCKET_IFNAME"] == "eth0"
        assert env["LD_LIBRARY_PATH"] == "/usr/local/nvidia/lib64"
        assert env["NCCL_FASTRAK_LLCM_DEVICE_DIRECTORY"] == "/dev/aperture_devices"
        assert env["NCCL_TUNER_CONFIG_PATH"].startswith(env["LD_LIBRARY_PATH"] + "/")
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        for mount in vllm["volumeMounts"]:
            if mount["mountPath"] in {"/usr/local/nvidia/lib64", "/dev/aperture_devices"}:
                assert volumes[mount["name"]]["hostPath"]["path"] in {
                    "/home/kubernetes/bin/nvidia/lib64",
                    "/dev/aperture_devices",
                }


def test_gke_nccl_tcpxo_installer_runs_on_the_fabric_pool_at_the_pinned_release(plans: Any) -> None:
    [installer] = _manifests(plans, "multinode-gcp", "DaemonSet")
    spec = installer["spec"]["template"]["spec"]
    assert installer["metadata"] == {
        **installer["metadata"],
        "name": "nccl-tcpxo-installer",
        "namespace": "gke-gpudirect",
    }
    assert [c["image"] for c in spec["initContainers"]] == [versions.UBUNTU_IMAGE, versions.TCPXO_INSTALLER_IMAGE]
    assert versions.TCPXO_INSTALLER_IMAGE.endswith(":v1.0.15")
    assert versions.TCPXO_DAEMON_IMAGE.endswith(":v1.0.21")
    [term] = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [{"key": POOL_LABEL, "operator": "In", "values": [POOL]}]
    assert spec["tolerations"] == [{"operator": "Exists"}]


# --- AKS: InfiniBand --------------------------------------------------------------------------------------------


def test_aks_network_operator_is_the_pinned_chart_in_its_privileged_namespace(plans: Any) -> None:
    [release] = [
        r
        for r in _resources(plans, "multinode-azure", "kubernetes:helm.sh/v3:Release")
        if r["name"] == "network-operator"
    ]
    assert (release["chart"], release["version"], release["namespace"]) == (
        "network-operator",
        "26.4.1",
        "nvidia-network-operator",
    )
    assert release["repositoryOpts"]["repo"] == "https://helm.ngc.nvidia.com/nvidia"
    [namespace] = [
        n for n in _manifests(plans, "multinode-azure", "Namespace") if n["metadata"]["name"] == release["namespace"]
    ]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_aks_group_pods_request_the_resource_the_nic_cluster_policy_advertises_on_their_pool(plans: Any) -> None:
    """The RDMA shared device plugin advertises `rdma/<resourceName>` (its default prefix) on the nodes the
    policy's nodeAffinity selects: the fabric pool. The request keeps the pods off any stand-in pool without it."""
    [policy] = _manifests(plans, "multinode-azure", "NicClusterPolicy")
    assert policy["metadata"]["name"] == "nic-cluster-policy"  # the operator reconciles this name only
    [resource] = json.loads(policy["spec"]["rdmaSharedDevicePlugin"]["config"])["configList"]
    [term] = policy["spec"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    for role, pod in _group_pods(plans, "multinode-azure").items():
        vllm = _vllm(pod)
        for amounts in (vllm["resources"]["requests"], vllm["resources"]["limits"]):
            assert amounts[f"rdma/{resource['resourceName']}"] == "1", role
        assert vllm["securityContext"]["capabilities"]["add"] == ["IPC_LOCK"]
        assert _env(vllm)["NCCL_IB_DISABLE"] == "0"
    assert term["matchExpressions"] == [{"key": POOL_LABEL, "operator": "In", "values": [POOL]}]
    assert resource["selectors"] == {"vendors": ["15b3"], "linkTypes": ["infiniband"]}


def test_aks_nic_cluster_policy_tolerates_the_pools_taints(plans: Any) -> None:
    [policy] = _manifests(plans, "multinode-azure", "NicClusterPolicy")
    pod = _group_pods(plans, "multinode-azure")["worker"]
    tolerated = {(t["key"], t["effect"]) for t in policy["spec"]["tolerations"]}
    assert {(t["key"], t["effect"]) for t in pod["spec"]["tolerations"] if t.get("key")} <= tolerated


# --- every cloud ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "kind", "count"),
    [
        ("multinode-gcp", "GKENetworkParamSet", 8),
        ("multinode-gcp", "Network", 8),
        ("multinode-azure", "NicClusterPolicy", 1),
    ],
)
def test_fabric_objects_pass_their_vendored_crd(plans: Any, stack: str, kind: str, count: int) -> None:
    objects = _manifests(plans, stack, kind)
    assert len(objects) == count
    assert [error for body in objects for error in custom_resource_errors(body)] == []


def test_the_vendored_gke_network_schemas_refuse_what_gke_would() -> None:
    """The schemas are in force: an unknown device mode and an unknown Network type are refused."""
    params = {
        "apiVersion": "networking.gke.io/v1",
        "kind": "GKENetworkParamSet",
        "metadata": {"name": "vpc1"},
        "spec": {"vpc": "v", "vpcSubnet": "s", "deviceMode": "NetDevice"},
    }
    network = {
        "apiVersion": "networking.gke.io/v1",
        "kind": "Network",
        "metadata": {"name": "vpc1"},
        "spec": {
            "type": "Device",
            "parametersRef": {"group": "networking.gke.io", "kind": "GKENetworkParamSet", "name": "vpc1"},
        },
    }
    assert custom_resource_errors(params) == custom_resource_errors(network) == []
    assert custom_resource_errors({**params, "spec": {**params["spec"], "deviceMode": "TCPXO"}})
    assert custom_resource_errors({**network, "spec": {**network["spec"], "type": "GPU"}})


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("multinode-aws", set()),
        ("multinode-azure", {"vllm: adds capabilities"}),
        (
            "multinode-gcp",
            {
                "volume nvidia-lib64: ['hostPath']",
                "volume sys: ['hostPath']",
                "volume proc-sys: ['hostPath']",
                "volume aperture-devices: ['hostPath']",
                "tcpxo-daemon: allowPrivilegeEscalation must be false",
                "tcpxo-daemon: capabilities must drop ALL",
                "tcpxo-daemon: adds capabilities",
                "tcpxo-daemon: runs as UID 0",
            },
        ),
    ],
)
def test_group_pods_go_beyond_restricted_only_where_their_fabric_needs_the_host(
    plans: Any, stack: str, expected: set[str]
) -> None:
    """The serving namespace enforces "privileged" on gcp and azure for these pods only: every other field stays
    as "restricted" asks (vLLM non-root, no privilege escalation, every other capability dropped)."""
    for role, pod in _group_pods(plans, stack).items():
        assert set(restricted_violations(pod["spec"])) == expected, role


@pytest.mark.parametrize(
    ("stack", "enforced"),
    [("multinode-aws", "restricted"), ("multinode-azure", "privileged"), ("multinode-gcp", "privileged")],
)
def test_the_serving_namespace_enforces_privileged_only_for_host_fabrics_and_still_warns_at_restricted(
    plans: Any, stack: str, enforced: str
) -> None:
    [namespace] = [n for n in _manifests(plans, stack, "Namespace") if n["metadata"]["name"] == SERVING_NAMESPACE]
    labels = namespace["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == enforced
    assert labels["pod-security.kubernetes.io/warn"] == labels["pod-security.kubernetes.io/audit"] == "restricted"


def test_a_root_stack_without_a_group_keeps_its_serving_namespace_restricted(plans: Any) -> None:
    for stack in ("prod-gcp", "prod-azure"):
        [namespace] = [n for n in _manifests(plans, stack, "Namespace") if n["metadata"]["name"] == SERVING_NAMESPACE]
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
