"""VllmServer under mocks, and the pure rules its pod spec is built from."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from components.catalog.gpus import GpuType
from components.clusters.contract import GpuPoolInfo, Toleration, placement_for
from components.serving import vllm
from components.serving.clients import Client
from components.serving.vllm import VllmServer, VllmServerArgs
from tools.reachability import Address, Network, Pod

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

CPU_ARGS = VllmServerArgs(
    namespace="llm-serving",
    image="registry.example/vllm-cpu:v1",
    model_id="Qwen/Qwen2.5-0.5B-Instruct",
    served_model_name="qwen",
    replicas=1,
    max_replicas=1,
    context_length=4096,
)
L4_POOL = GpuPoolInfo(
    name="l4",
    gpu=GpuType.L4,
    gpus_per_node=4,
    spot=True,
    priority=50,
    min_nodes=0,
    max_nodes=2,
    labels={"llm-platform/gpu-pool": "l4"},
    tolerations=(Toleration(key="nvidia.com/gpu", operator="Exists", effect="NoSchedule"),),
)


def gpu_args(**changes: Any) -> VllmServerArgs:
    placement = placement_for({"l4": L4_POOL}, "l4")
    return dataclasses.replace(CPU_ARGS, placement=placement, image="registry.example/vllm:v1", **changes)


def pod_spec(registered: Any) -> dict[str, Any]:
    return registered.inputs(DEPLOYMENT)["spec"]["template"]["spec"]


def container(registered: Any) -> dict[str, Any]:
    [only] = pod_spec(registered)["containers"]
    return only


# --- pure rules ---------------------------------------------------------------------------------------


def test_args_serve_the_model_under_its_served_name_on_the_service_port() -> None:
    args = vllm.vllm_args(CPU_ARGS)
    assert args[0] == "Qwen/Qwen2.5-0.5B-Instruct"
    assert args[args.index("--served-model-name") + 1] == "qwen"
    assert args[args.index("--port") + 1] == "8000"
    assert args[args.index("--max-model-len") + 1] == "4096"


def test_args_drain_in_flight_requests_on_shutdown() -> None:
    args = vllm.vllm_args(CPU_ARGS)
    assert args[args.index("--shutdown-timeout") + 1] == str(vllm.SHUTDOWN_TIMEOUT_SECONDS)


def test_args_pin_the_revision_when_given() -> None:
    args = vllm.vllm_args(dataclasses.replace(CPU_ARGS, revision="abc123"))
    assert args[args.index("--revision") + 1] == "abc123"


def test_args_leave_out_the_context_when_the_model_decides() -> None:
    assert "--max-model-len" not in vllm.vllm_args(dataclasses.replace(CPU_ARGS, context_length=None))


def test_cpu_args_have_no_tensor_parallelism() -> None:
    assert "--tensor-parallel-size" not in vllm.vllm_args(CPU_ARGS)


def test_gpu_args_set_tensor_parallelism_to_the_gpus_per_replica() -> None:
    args = vllm.vllm_args(gpu_args(gpus=2))
    assert args[args.index("--tensor-parallel-size") + 1] == "2"


def test_gpu_args_ask_for_an_fp8_kv_cache_only_when_the_model_does() -> None:
    assert "--kv-cache-dtype" not in vllm.vllm_args(gpu_args())
    args = vllm.vllm_args(gpu_args(kv_cache_dtype="fp8"))
    assert args[args.index("--kv-cache-dtype") + 1] == "fp8"


def test_grace_period_outlasts_pre_stop_and_drain() -> None:
    assert vllm.TERMINATION_GRACE_SECONDS > vllm.PRE_STOP_SLEEP_SECONDS + vllm.SHUTDOWN_TIMEOUT_SECONDS


def test_startup_probe_allows_the_whole_startup_budget() -> None:
    startup = vllm.probes()["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= vllm.STARTUP_BUDGET_SECONDS


def test_every_probe_is_an_http_health_check() -> None:
    for probe in vllm.probes().values():
        assert probe["httpGet"] == {"path": "/health", "port": "http"}


def test_cpu_rollout_surges_one_pod_where_the_nodes_can_make_room() -> None:
    assert vllm.rollout_strategy(CPU_ARGS)["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}


def test_cpu_rollout_replaces_in_place_where_spare_capacity_is_unknown() -> None:
    args = dataclasses.replace(CPU_ARGS, cpu_surge=False)
    assert vllm.rollout_strategy(args)["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}


def test_gpu_rollout_surges_when_the_pool_can_hold_one_more_replica() -> None:
    # 2 nodes x 4 GPUs / 2 GPUs per replica = room for 4; 3 replicas + 1 surge fit.
    args = gpu_args(gpus=2, max_replicas=3)
    assert vllm.rollout_strategy(args)["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}


def test_gpu_rollout_replaces_in_place_when_the_pool_is_full() -> None:
    args = gpu_args(gpus=2, max_replicas=4)
    assert vllm.rollout_strategy(args)["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}


# --- the component under mocks ---------------------------------------------------------------------


@pytest.fixture
def cpu_server(under_mocks: Any) -> Any:
    return under_mocks(lambda: {"baseUrl": VllmServer("qwen", CPU_ARGS).base_url})


@pytest.fixture
def gpu_server(under_mocks: Any) -> Any:
    return under_mocks(lambda: {"baseUrl": VllmServer("chat", gpu_args(gpus=2)).base_url})


def test_base_url_is_the_in_cluster_openai_endpoint(cpu_server: Any) -> None:
    assert cpu_server.outputs["baseUrl"] == "http://qwen.llm-serving.svc.cluster.local:8000/v1"


def test_cpu_model_uses_the_given_image_on_any_linux_node(cpu_server: Any) -> None:
    assert container(cpu_server)["image"] == "registry.example/vllm-cpu:v1"
    assert pod_spec(cpu_server)["nodeSelector"] == {"kubernetes.io/os": "linux"}


def test_cpu_model_requests_no_gpu_and_sets_the_kv_cache_space(cpu_server: Any) -> None:
    resources = container(cpu_server)["resources"]
    assert "nvidia.com/gpu" not in resources["limits"]
    assert {"name": "VLLM_CPU_KVCACHE_SPACE", "value": str(vllm.CPU_KV_CACHE_GIB)} in container(cpu_server)["env"]


def test_requests_equal_limits(cpu_server: Any) -> None:
    resources = container(cpu_server)["resources"]
    assert resources["requests"] == resources["limits"] == {"cpu": "4", "memory": "16Gi"}


def test_gpu_request_equals_limit_equals_tensor_parallel_size(gpu_server: Any) -> None:
    resources = container(gpu_server)["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == resources["limits"]["nvidia.com/gpu"] == "2"


def test_gpu_model_selects_its_pool_and_tolerates_its_taint(gpu_server: Any) -> None:
    spec = pod_spec(gpu_server)
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux", "llm-platform/gpu-pool": "l4"}
    assert spec["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]


def test_tensor_parallel_model_gets_memory_backed_shared_memory(gpu_server: Any) -> None:
    volumes = {volume["name"]: volume for volume in pod_spec(gpu_server)["volumes"]}
    assert volumes["dshm"]["emptyDir"]["medium"] == "Memory"
    assert {"name": "dshm", "mountPath": "/dev/shm"} in container(gpu_server)["volumeMounts"]


def test_single_gpu_model_has_no_shared_memory_volume(under_mocks: Any) -> None:
    registered = under_mocks(lambda: VllmServer("chat", gpu_args(gpus=1)) and None)
    assert "dshm" not in {volume["name"] for volume in pod_spec(registered)["volumes"]}


def test_cpu_model_gets_shared_memory_for_its_processes(cpu_server: Any) -> None:
    volumes = {volume["name"]: volume for volume in pod_spec(cpu_server)["volumes"]}
    assert volumes["dshm"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "2Gi"}


def test_pod_runs_restricted(cpu_server: Any) -> None:
    spec = pod_spec(cpu_server)
    security = container(cpu_server)["securityContext"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert spec["automountServiceAccountToken"] is False


def test_pre_stop_sleeps_before_the_drain(cpu_server: Any) -> None:
    assert container(cpu_server)["lifecycle"] == {"preStop": {"sleep": {"seconds": vllm.PRE_STOP_SLEEP_SECONDS}}}
    assert pod_spec(cpu_server)["terminationGracePeriodSeconds"] == vllm.TERMINATION_GRACE_SECONDS


def test_progress_deadline_is_twice_the_startup_budget(cpu_server: Any) -> None:
    spec = cpu_server.inputs(DEPLOYMENT)["spec"]
    assert spec["progressDeadlineSeconds"] == 2 * vllm.STARTUP_BUDGET_SECONDS


def test_service_selects_the_pods_on_the_named_port(cpu_server: Any) -> None:
    service = cpu_server.inputs(SERVICE)["spec"]
    deployment = cpu_server.inputs(DEPLOYMENT)["spec"]
    assert service["selector"] == deployment["selector"]["matchLabels"]
    assert all(deployment["template"]["metadata"]["labels"][k] == v for k, v in service["selector"].items())
    assert service["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]


def test_network_policy_keeps_the_metadata_endpoint_out_of_reach(cpu_server: Any) -> None:
    policy = cpu_server.inputs(POLICY)["spec"]
    blocks = [peer["ipBlock"] for rule in policy["egress"] for peer in rule["to"] if "ipBlock" in peer]
    assert blocks == [{"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}]


def test_without_a_token_nothing_mounts_one(cpu_server: Any) -> None:
    assert "HF_TOKEN_PATH" not in {env["name"] for env in container(cpu_server)["env"]}
    assert "hf-token" not in {volume["name"] for volume in pod_spec(cpu_server)["volumes"]}


def test_token_is_mounted_as_a_file_never_an_environment_value(under_mocks: Any) -> None:
    registered = under_mocks(
        lambda: VllmServer("qwen", dataclasses.replace(CPU_ARGS, hf_token_secret="hf-token")) and None
    )
    env = {item["name"]: item for item in container(registered)["env"]}
    assert env["HF_TOKEN_PATH"] == {"name": "HF_TOKEN_PATH", "value": f"{vllm.TOKEN_DIR}/token"}
    assert not any("valueFrom" in item for item in env.values())
    assert {"name": "hf-token", "mountPath": vllm.TOKEN_DIR, "readOnly": True} in container(registered)["volumeMounts"]


def test_disruption_budget_lets_one_pod_go_and_never_waits_on_unready_ones(cpu_server: Any) -> None:
    budget = cpu_server.inputs("kubernetes:policy/v1:PodDisruptionBudget")["spec"]
    assert budget["maxUnavailable"] == 1
    assert budget["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    assert budget["selector"] == cpu_server.inputs(DEPLOYMENT)["spec"]["selector"]


QWEN_POD = Pod(
    namespace="llm-serving",
    labels={"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": "qwen"},
    ports={"http": vllm.PORT},
)
GATEWAY = Client(namespace="llm-serving", pod_labels={"app": "gateway"})
CHAT_UI = Client(namespace="chat", pod_labels={"app": "ui"})


def _served(under_mocks: Any, **changes: Any) -> Network:
    registered = under_mocks(lambda: VllmServer("qwen", dataclasses.replace(CPU_ARGS, **changes)) and None)
    return Network([{**registered.inputs(POLICY), "kind": "NetworkPolicy"}])


def test_a_model_admits_its_clients_on_the_api_port(under_mocks: Any) -> None:
    network = _served(under_mocks, clients=(GATEWAY, CHAT_UI))
    assert network.ingress_allows(QWEN_POD, Pod(namespace="llm-serving", labels={"app": "gateway"}), vllm.PORT)
    assert network.ingress_allows(QWEN_POD, Pod(namespace="chat", labels={"app": "ui", "tier": "web"}), vllm.PORT)
    assert not network.ingress_allows(QWEN_POD, Pod(namespace="chat", labels={"app": "ui"}), 9000)


def test_a_model_admits_no_pod_that_is_not_its_client_not_even_in_its_namespace(under_mocks: Any) -> None:
    network = _served(under_mocks, clients=(GATEWAY, CHAT_UI))
    for stranger in (
        Pod(namespace="llm-serving", labels={"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": "other"}),
        Pod(namespace="llm-serving", labels={"app": "batch"}),
        Pod(namespace="chat", labels={"app": "worker"}),
        Pod(namespace="gateway", labels={"app": "gateway"}),
    ):
        assert not network.ingress_allows(QWEN_POD, stranger, vllm.PORT), stranger


def test_a_model_without_clients_admits_only_prometheus(under_mocks: Any) -> None:
    network = _served(under_mocks)
    assert network.ingress_allows(QWEN_POD, Pod(namespace="monitoring", labels={"app": "prometheus"}), vllm.PORT)
    assert not network.ingress_allows(QWEN_POD, Pod(namespace="llm-serving", labels={"app": "x"}), vllm.PORT)
    assert not network.ingress_allows(QWEN_POD, Address("10.1.2.3"), vllm.PORT)


def test_a_client_peer_names_its_namespace_and_narrows_to_its_pods_only_when_labelled() -> None:
    assert CHAT_UI.peer() == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "chat"}},
        "podSelector": {"matchLabels": {"app": "ui"}},
    }
    assert Client(namespace="chat").peer() == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "chat"}}
    }


def test_prometheus_may_scrape_from_the_monitoring_namespaces(cpu_server: Any) -> None:
    ingress = cpu_server.inputs(POLICY)["spec"]["ingress"]
    namespaces = [
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in ingress
        for peer in rule["from"]
        if "namespaceSelector" in peer
    ]
    assert namespaces == ["monitoring", "gmp-system"]


def test_footprint_counts_max_replicas_plus_the_surge_pod() -> None:
    assert vllm.footprint(gpu_args(gpus=2, max_replicas=3)).pods == 4  # the pool holds 4 replicas: surge allowed
    assert vllm.footprint(gpu_args(gpus=2, max_replicas=4)).pods == 4  # full pool: no surge
    assert vllm.footprint(gpu_args(gpus=2, max_replicas=3)).gpus_per_pod == 2


# --- K2: supply chain ---------------------------------------------------------------------------------

DIGEST = "sha256:" + "ab" * 32


def test_a_tag_pinned_image_carries_its_scanner_waivers_with_reasons(under_mocks: Any) -> None:
    def program() -> None:
        VllmServer("chat", CPU_ARGS)

    annotations = under_mocks(program).inputs(DEPLOYMENT)["metadata"]["annotations"]
    waived = dict(value.split("=", 1) for key, value in annotations.items() if key.startswith("checkov.io/skip"))
    assert set(waived) == {"CKV_K8S_43", "CKV_K8S_15"}
    assert all(reason.strip() for reason in waived.values())


def test_a_digest_pinned_image_needs_no_waiver(under_mocks: Any) -> None:
    args = dataclasses.replace(CPU_ARGS, image=f"registry.example/vllm-cpu:v1@{DIGEST}")

    def program() -> None:
        VllmServer("chat", args)

    registered = under_mocks(program)
    annotations = registered.inputs(DEPLOYMENT)["metadata"]["annotations"]
    assert not [key for key in annotations if key.startswith("checkov.io/skip")]
    assert container(registered)["image"] == f"registry.example/vllm-cpu:v1@{DIGEST}"
