"""Reliability and security checks of ../shared/SECURITY.md on every example stack's planned objects:
R2 probes, R3 graceful shutdown, R4 rollout feasibility, R6 disruption, R7 wiring, N1 network, P1/P2 Pod Security.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.serving import kserve
from components.serving.agentgateway import HTTP_PORT, HTTPS_PORT, proxy_labels
from components.serving.gateway import CLASS_NAME, NAME
from components.serving.served_names import resource_name
from stacks.config import StackConfig, parse_config
from stacks.serving import stack_gateway_ref
from tests.support import interceptor_pod
from tools.offline import Mode, load_stack_files, planned_stack_names
from tools.reachability import Network, Pod


def _config(stack: str) -> StackConfig:
    files = load_stack_files(stack)
    raw = {key.split(":", 1)[1]: value for key, value in files.config.items() if key.startswith("llm-platform:")}
    return parse_config(raw, stack=stack, secret_keys={"hfToken": True})


STACKS = planned_stack_names()
# Pod Security "restricted" (kubernetes/pod-security-admission, policy/check_*.go): the volume types it allows.
RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
}  # fmt: skip
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}  # fmt: skip
"""The sysctls Pod Security "baseline" allows, and so "restricted" (Pod Security Standards; pod-security-admission
policy/check_sysctls.go: ip_unprivileged_port_start from 1.22, ip_local_reserved_ports from 1.27, the keepalive and
fin timeouts from 1.29, all below the oldest minor the stacks support)."""


def _objects(plans: dict[Any, Any], stack: str, kind: str) -> list[dict[str, Any]]:
    return [body for body in plans[(stack, Mode.UPDATE)].manifests.values() if body["kind"] == kind]


def _serving_quota(plans: dict[Any, Any], stack: str) -> list[dict[str, Any]]:
    """The serving namespace's ResourceQuota (gke-gpudirect has one of its own, for its critical pods)."""
    namespace = _config(stack).namespace
    return [q for q in _objects(plans, stack, "ResourceQuota") if q["metadata"]["namespace"] == namespace]


def _model_workloads(plans: dict[Any, Any], stack: str) -> list[dict[str, Any]]:
    return [
        d
        for d in _objects(plans, stack, "Deployment")
        if d["metadata"]["labels"].get("app.kubernetes.io/component") == "model-server"
    ]


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    [container] = workload["spec"]["template"]["spec"]["containers"]
    return container


def _flag(container: dict[str, Any], name: str) -> str | None:
    args = container["args"]
    return args[args.index(name) + 1] if name in args else None


@pytest.mark.parametrize("stack", STACKS)
def test_r2_probes_are_http_and_the_startup_window_covers_the_load_budget(plans: dict[Any, Any], stack: str) -> None:
    for workload in _model_workloads(plans, stack):
        container = _container(workload)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert "httpGet" in container[probe], probe
            assert 5 <= container[probe]["timeoutSeconds"] <= 10
        startup = container["startupProbe"]
        window = startup.get("initialDelaySeconds", 0) + startup["periodSeconds"] * startup["failureThreshold"]
        cold_start = plans[(stack, Mode.UPDATE)].document["outputs"]["models"][workload["metadata"]["name"]][
            "coldStart"
        ]
        assert window >= cold_start["startupBudgetSeconds"]
        # Twice the predicted weights and engine start, or the whole 30 minutes when a pod may download the weights.
        weights, engine = cold_start["terms"]["weights"], cold_start["terms"]["engine"]
        assert window >= (2 * (weights + engine) if cold_start["weights"] == "stream" else 1800)


@pytest.mark.parametrize("stack", STACKS)
def test_r3_shutdown_drains_within_the_grace_period(plans: dict[Any, Any], stack: str) -> None:
    for workload in _model_workloads(plans, stack):
        container = _container(workload)
        pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        drain = int(_flag(container, "--shutdown-timeout") or 0)
        grace = workload["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert pre_stop > 0
        assert drain > 0
        assert grace > pre_stop + drain


@pytest.mark.parametrize("stack", STACKS)
def test_r4_rollouts_are_feasible(plans: dict[Any, Any], stack: str) -> None:
    [quota] = _serving_quota(plans, stack)
    needed = 0
    for workload in _model_workloads(plans, stack):
        cold_start = plans[(stack, Mode.UPDATE)].document["outputs"]["models"][workload["metadata"]["name"]][
            "coldStart"
        ]
        assert workload["spec"]["progressDeadlineSeconds"] >= 2 * cold_start["startupBudgetSeconds"]
        limits = _container(workload)["resources"]["limits"]
        gpus = int(limits.get("nvidia.com/gpu", 0))
        surge = workload["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        outputs = plans[(stack, Mode.UPDATE)].document["outputs"]["models"][workload["metadata"]["name"]]
        needed += (outputs["replicas"]["max"] + surge) * gpus
    assert int(quota["spec"]["hard"]["requests.nvidia.com/gpu"]) >= needed


@pytest.mark.parametrize("stack", STACKS)
def test_r6_every_model_may_lose_one_pod_to_a_drain(plans: dict[Any, Any], stack: str) -> None:
    budgets = {b["metadata"]["name"]: b["spec"] for b in _objects(plans, stack, "PodDisruptionBudget")}
    for workload in _model_workloads(plans, stack):
        budget = budgets[workload["metadata"]["name"]]
        assert budget["maxUnavailable"] >= 1
        assert budget["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
        assert budget["selector"] == workload["spec"]["selector"]


@pytest.mark.parametrize("stack", STACKS)
def test_r7_selectors_ports_and_services_are_wired(plans: dict[Any, Any], stack: str) -> None:
    services = {s["metadata"]["name"]: s["spec"] for s in _objects(plans, stack, "Service")}
    accounts = {a["metadata"]["name"] for a in _objects(plans, stack, "ServiceAccount")}
    for workload in _model_workloads(plans, stack):
        template = workload["spec"]["template"]
        selector = workload["spec"]["selector"]["matchLabels"]
        assert selector.items() <= template["metadata"]["labels"].items()
        service = services[workload["metadata"]["name"]]
        assert service["selector"].items() <= template["metadata"]["labels"].items()
        ports = {port["name"] for port in _container(workload)["ports"]}
        assert {port["targetPort"] for port in service["ports"]} <= ports
        assert template["spec"]["serviceAccountName"] in accounts


PLATFORM_NAMESPACES = {
    "nvidia-gpu",
    "monitoring",
    "keda",
    "cert-manager",
    "kserve",
    "agentgateway-system",
    "lws-system",  # LeaderWorkerSet's controller (examples/multinode)
    "aws-efa",  # the EFA device plugin (examples/multinode)
    "gke-gpudirect",  # GKE's NCCL plugin installers (examples/multinode)
    "nvidia-network-operator",  # InfiniBand in pods on AKS (examples/multinode)
    "cnpg-system",  # CloudNativePG's operator (examples/rag)
}
# Container ports of the webhooks and aggregated APIs the API server calls (KEDA, cert-manager, KServe, the
# Prometheus Operator); the only ports a platform namespace opens to any source.
API_SERVER_PORTS = {6443, 9443, 10250}
GATEWAY_LISTENER_PORTS = {HTTP_PORT, HTTPS_PORT}
"""agentgateway's proxies listen on the listeners' own ports (no shift: their pods may bind below 1024)."""
GATEWAY_PROXY_LABELS = proxy_labels(NAME, CLASS_NAME)


def _default_deny(policies: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Namespace -> the directions a `podSelector: {}` policy without rules denies there."""
    denied: dict[str, set[str]] = {}
    for policy in policies:
        spec = policy["spec"]
        if spec["podSelector"] == {} and "ingress" not in spec and "egress" not in spec:
            denied.setdefault(policy["metadata"]["namespace"], set()).update(spec["policyTypes"])
    return denied


@pytest.mark.parametrize("stack", STACKS)
def test_n1_every_namespace_denies_ingress_by_default(plans: dict[Any, Any], stack: str) -> None:
    namespaces = {n["metadata"]["name"] for n in _objects(plans, stack, "Namespace")}
    denied = _default_deny(_objects(plans, stack, "NetworkPolicy"))
    assert {namespace for namespace in namespaces if "Ingress" in denied.get(namespace, set())} == namespaces


@pytest.mark.parametrize("stack", STACKS)
def test_n1_serving_namespaces_deny_egress_by_default_too(plans: dict[Any, Any], stack: str) -> None:
    namespaces = {n["metadata"]["name"] for n in _objects(plans, stack, "Namespace")} - PLATFORM_NAMESPACES
    assert namespaces, "every stack serves models"
    denied = _default_deny(_objects(plans, stack, "NetworkPolicy"))
    for namespace in namespaces:
        assert denied[namespace] == {"Ingress", "Egress"}


@pytest.mark.parametrize("stack", STACKS)
def test_n1_only_api_server_ports_are_open_to_any_source(plans: dict[Any, Any], stack: str) -> None:
    for policy in _objects(plans, stack, "NetworkPolicy"):
        for rule in policy["spec"].get("ingress", []):
            if "from" not in rule:
                assert policy["metadata"]["namespace"] in PLATFORM_NAMESPACES
                assert rule["ports"], "a rule without sources or ports admits everything"
                ports = {port["port"] for port in rule["ports"]}
                if policy["spec"]["podSelector"] == {"matchLabels": GATEWAY_PROXY_LABELS}:
                    # The Gateway's proxies take traffic from its load balancer, whose address decides who reaches it.
                    assert ports == GATEWAY_LISTENER_PORTS
                else:
                    assert ports <= API_SERVER_PORTS


@pytest.mark.parametrize("stack", STACKS)
def test_n1_no_egress_reaches_the_metadata_endpoint(plans: dict[Any, Any], stack: str) -> None:
    for policy in _objects(plans, stack, "NetworkPolicy"):
        for rule in policy["spec"].get("egress", []):
            for peer in rule.get("to", []):
                if "ipBlock" in peer and peer["ipBlock"]["cidr"] == "0.0.0.0/0":
                    assert "169.254.169.254/32" in peer["ipBlock"]["except"]


def test_n1_keda_may_read_prometheus(plans: dict[Any, Any]) -> None:
    stacks = [s for s in STACKS if any(n["metadata"]["name"] == "keda" for n in _objects(plans, s, "Namespace"))]
    assert stacks
    for stack in stacks:
        rules = [
            rule
            for policy in _objects(plans, stack, "NetworkPolicy")
            if policy["metadata"]["namespace"] == "monitoring"
            for rule in policy["spec"].get("ingress", [])
        ]
        keda = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}}}
        assert any(
            keda in rule.get("from", []) and {"protocol": "TCP", "port": 9090} in rule["ports"] for rule in rules
        )


@pytest.mark.parametrize("stack", STACKS)
def test_p2_every_namespace_declares_its_pod_security_level(plans: dict[Any, Any], stack: str) -> None:
    for namespace in _objects(plans, stack, "Namespace"):
        labels = namespace["metadata"]["labels"]
        level = labels["pod-security.kubernetes.io/enforce"]
        assert labels["pod-security.kubernetes.io/enforce-version"]
        # Only the node agents' namespaces may run privileged pods (the GPU agents', the EFA device plugin's, whose
        # chart sets hostNetwork and hostPath volumes, which "baseline" forbids, GKE's NCCL installers and the
        # Network Operator's driver); Prometheus's meets "baseline". The serving namespace runs at "privileged" only
        # where a group's pods need their node's GPU network from the host (components/serving/fabric_pods.py).
        node_agents = ("nvidia-gpu", "aws-efa", "gke-gpudirect", "nvidia-network-operator")
        expected = {**dict.fromkeys(node_agents, "privileged"), "monitoring": "baseline"}.get(
            namespace["metadata"]["name"], "restricted"
        )
        if namespace["metadata"]["name"] == _config(stack).namespace and stack in SERVING_HOST_ACCESS:
            expected = "privileged"
        assert level == expected


SERVING_HOST_ACCESS = ("multinode-gcp", "multinode-gcp-rdma", "multinode-azure")
"""Stacks whose serving namespace enforces "privileged": GKE's TCPXO pods mount host paths and run the RxDM with
NET_ADMIN, its RDMA pods mount the host's NCCL plugin; AKS's InfiniBand pods add IPC_LOCK."""


def restricted_violations(pod: dict[str, Any]) -> list[str]:
    """Pod Security Standards "restricted", as the pod-security-admission checks define it."""
    problems = []
    context = pod.get("securityContext", {})
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            problems.append(field)
    for sysctl in context.get("sysctls", []):
        if sysctl["name"] not in SAFE_SYSCTLS:
            problems.append(f"sysctl {sysctl['name']}")
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            problems.append(f"volume {volume['name']}: {sorted(kinds)}")
    for container in pod.get("initContainers", []) + pod["containers"]:
        security = container.get("securityContext", {})
        if security.get("privileged"):
            problems.append(f"{container['name']}: privileged")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{container['name']}: allowPrivilegeEscalation must be false")
        if "ALL" not in security.get("capabilities", {}).get("drop", []):
            problems.append(f"{container['name']}: capabilities must drop ALL")
        if set(security.get("capabilities", {}).get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{container['name']}: adds capabilities")
        if not (security.get("runAsNonRoot") or context.get("runAsNonRoot")):
            problems.append(f"{container['name']}: runAsNonRoot")
        if 0 in (security.get("runAsUser"), context.get("runAsUser")):
            problems.append(f"{container['name']}: runs as UID 0")
        seccomp = security.get("seccompProfile") or context.get("seccompProfile") or {}
        if seccomp.get("type") not in {"RuntimeDefault", "Localhost"}:
            problems.append(f"{container['name']}: seccompProfile")
        for port in container.get("ports", []):
            if port.get("hostPort"):
                problems.append(f"{container['name']}: hostPort")
    return problems


@pytest.mark.parametrize("stack", STACKS)
def test_p1_serving_pods_meet_pod_security_restricted(plans: dict[Any, Any], stack: str) -> None:
    for workload in _objects(plans, stack, "Deployment"):
        assert restricted_violations(workload["spec"]["template"]["spec"]) == [], workload["metadata"]["name"]


def test_p1_check_rejects_what_the_standard_rejects() -> None:
    # Fixtures in the spirit of pod-security-admission's testdata: each breaks one rule.
    good = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {"name": "c", "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}
        ],
    }
    assert restricted_violations(good) == []
    host_path = {**good, "volumes": [{"name": "v", "hostPath": {"path": "/"}}]}
    assert restricted_violations(host_path) == ["volume v: ['hostPath']"]
    privileged = {**good, "containers": [{**good["containers"][0], "securityContext": {"privileged": True}}]}
    assert "c: privileged" in restricted_violations(privileged)
    root = {**good, "securityContext": {**good["securityContext"], "runAsUser": 0}}
    assert restricted_violations(root) == ["c: runs as UID 0"]
    unconfined = {**good, "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "Unconfined"}}}
    assert restricted_violations(unconfined) == ["c: seccompProfile"]
    assert restricted_violations({**good, "hostNetwork": True}) == ["hostNetwork"]
    unsafe = {**good, "securityContext": {**good["securityContext"], "sysctls": [{"name": "net.core.somaxconn"}]}}
    assert restricted_violations(unsafe) == ["sysctl net.core.somaxconn"]
    unprivileged_ports = [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]
    assert (
        restricted_violations({**good, "securityContext": {**good["securityContext"], "sysctls": unprivileged_ports}})
        == []
    )


@pytest.mark.parametrize("stack", STACKS)
def test_r7_every_autoscaled_model_has_a_scaler_that_targets_it(plans: dict[Any, Any], stack: str) -> None:
    outputs = plans[(stack, Mode.UPDATE)].document["outputs"]["models"]
    scalers = {s["metadata"]["name"]: s["spec"] for s in _objects(plans, stack, "ScaledObject")}
    monitors = {m["metadata"]["name"] for m in _objects(plans, stack, "ServiceMonitor")}
    for workload in _model_workloads(plans, stack):
        name = workload["metadata"]["name"]
        replicas = outputs[name]["replicas"]
        if replicas["max"] > replicas["min"]:
            assert "replicas" not in workload["spec"]  # KEDA owns the count
            scaler = scalers[name]
            assert scaler["scaleTargetRef"]["name"] == name
            assert (scaler["minReplicaCount"], scaler["maxReplicaCount"]) == (replicas["min"], replicas["max"])
            assert f"{name}-vllm" in monitors
        else:
            assert workload["spec"]["replicas"] == replicas["min"]
            assert name not in scalers


@pytest.mark.parametrize("stack", STACKS)
def test_p1_and_r3_hold_for_pod_specs_inside_inference_services(plans: dict[Any, Any], stack: str) -> None:
    # checkov cannot see a pod spec inside a custom resource (SECURITY.md, CRD row): the same checks apply here.
    for service in _objects(plans, stack, "InferenceService"):
        predictor = dict(service["spec"]["predictor"])
        model = predictor.pop("model")
        pod = {**predictor, "containers": [{"name": "kserve-container", **model}]}
        assert restricted_violations(pod) == [], service["metadata"]["name"]
        pre_stop = model["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pre_stop > 0
        assert predictor["terminationGracePeriodSeconds"] > pre_stop + kserve.RUNTIME_DRAIN_SECONDS
        startup = model["startupProbe"]
        budget = plans[(stack, Mode.UPDATE)].document["outputs"]["models"][service["metadata"]["name"]]["coldStart"][
            "startupBudgetSeconds"
        ]
        assert startup["periodSeconds"] * startup["failureThreshold"] >= max(1800, budget)


def test_both_engines_serve_across_the_cloud_stacks(plans: dict[Any, Any]) -> None:
    engines = {
        model["engine"]
        for stack in STACKS
        if stack.startswith("prod-")
        for model in plans[(stack, Mode.UPDATE)].document["outputs"]["models"].values()
    }
    assert engines == {"vllm", "kserve"}
    gpus = [
        model["gpusPerReplica"]
        for stack in STACKS
        if stack.startswith("prod-")
        for model in plans[(stack, Mode.UPDATE)].document["outputs"]["models"].values()
    ]
    assert max(gpus) > 1, "at least one model needs tensor parallelism"


@pytest.mark.parametrize("stack", STACKS)
def test_r5_model_caches_never_deadlock_on_multi_attach(plans: dict[Any, Any], stack: str) -> None:
    claims = {c["metadata"]["name"]: c["spec"] for c in _objects(plans, stack, "PersistentVolumeClaim")}
    for workload in _model_workloads(plans, stack):
        pod = workload["spec"]["template"]["spec"]
        for volume in pod["volumes"]:
            if "persistentVolumeClaim" in volume:
                claim = claims[volume["persistentVolumeClaim"]["claimName"]]
                assert claim["accessModes"] == ["ReadWriteMany"]
        assert pod["securityContext"]["fsGroupChangePolicy"] == "OnRootMismatch"
    if claims:
        [quota] = _serving_quota(plans, stack)
        assert int(quota["spec"]["hard"]["persistentvolumeclaims"]) >= len(claims)
        total = sum(int(c["resources"]["requests"]["storage"].removesuffix("Gi")) for c in claims.values())
        assert int(quota["spec"]["hard"]["requests.storage"].removesuffix("Gi")) >= total


CLOUD_CACHE_CLASSES = {
    "prod-aws": "efs-model-cache",
    "prod-azure": "azurefile-csi-premium",
    "prod-gcp": "filestore-model-cache",
}


@pytest.mark.parametrize("stack", sorted(CLOUD_CACHE_CLASSES))
def test_r5_cloud_stacks_give_every_model_that_downloads_a_shared_cache(plans: dict[Any, Any], stack: str) -> None:
    claims = _objects(plans, stack, "PersistentVolumeClaim")
    models = plans[(stack, Mode.UPDATE)].document["outputs"]["models"]
    downloading = {name for name, model in models.items() if model["coldStart"]["weights"] == "download"}
    assert {c["metadata"]["name"].removesuffix("-cache") for c in claims} == downloading
    assert {c["spec"]["storageClassName"] for c in claims} == {CLOUD_CACHE_CLASSES[stack]}


@pytest.mark.parametrize("stack", STACKS)
def test_r5_storage_classes_the_stack_creates_bind_where_the_pod_lands(plans: dict[Any, Any], stack: str) -> None:
    for storage_class in _objects(plans, stack, "StorageClass"):
        assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"


def test_r5_the_aws_stack_creates_the_class_its_caches_use(plans: dict[Any, Any]) -> None:
    [storage_class] = _objects(plans, "prod-aws", "StorageClass")
    assert storage_class["metadata"]["name"] == CLOUD_CACHE_CLASSES["prod-aws"]


def test_r5_the_gcp_stack_creates_the_expandable_class_its_caches_use(plans: dict[Any, Any]) -> None:
    [storage_class] = _objects(plans, "prod-gcp", "StorageClass")
    assert storage_class["metadata"]["name"] == CLOUD_CACHE_CLASSES["prod-gcp"]
    assert storage_class["allowVolumeExpansion"] is True  # modelCacheGiB grows the claims in place


@pytest.mark.parametrize("stack", STACKS)
def test_n2_every_ingress_host_is_served_over_tls(plans: dict[Any, Any], stack: str) -> None:
    for ingress in _objects(plans, stack, "Ingress"):
        covered = {host for tls in ingress["spec"].get("tls", []) for host in tls["hosts"]}
        assert {rule["host"] for rule in ingress["spec"]["rules"]} <= covered
        assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]


def _gateways(plans: dict[Any, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [(s, g) for s in STACKS for g in plans[(s, Mode.UPDATE)].manifests.values() if g["kind"] == "Gateway"]
    assert {stack for stack, _ in found} >= {"prod-aws", "prod-gcp"}, "agentgateway on aws and on GKE"
    return found


def test_n2_acme_http01_challenges_reach_the_solver_through_the_gateway_namespaces_default_deny(
    plans: dict[Any, Any],
) -> None:
    for stack, gateway in _gateways(plans):
        namespace = gateway["metadata"]["namespace"]
        network = Network(_objects(plans, stack, "NetworkPolicy"))
        solver = Pod(namespace=namespace, labels={"acme.cert-manager.io/http01-solver": "true"}, name="solver")
        ref = stack_gateway_ref(_config(stack))
        assert ref is not None
        proxies: list[Any] = []
        if ref.proxies is not None:
            proxies.append(Pod(namespace=ref.proxies.namespace, labels=dict(ref.proxies.pod_labels), name="proxy"))
        assert proxies
        for proxy in proxies:
            assert network.ingress_allows(solver, proxy, 8089), (stack, proxy)
        assert not network.ingress_allows(solver, Pod(namespace="unnamed", labels={}), 8089), stack


def test_n2_every_exposed_model_has_a_route_on_the_gateway(plans: dict[Any, Any]) -> None:
    for stack, gateway in _gateways(plans):
        routes = [r for r in plans[(stack, Mode.UPDATE)].manifests.values() if r["kind"] == "HTTPRoute"]
        config = _config(stack)
        exposed = {name for name, model in config.models.items() if model.spec.host}
        exposed |= {resource_name(name) for name in config.served_names}  # a served name's route
        assert exposed
        assert {r["metadata"]["name"] for r in routes if r["metadata"]["namespace"] == config.namespace} == exposed
        for route in routes:
            for parent in route["spec"]["parentRefs"]:
                assert parent["name"] == gateway["metadata"]["name"]


def test_n1_a_load_balanced_model_admits_exactly_its_source_ranges(plans: dict[Any, Any]) -> None:
    exposed = [
        (s, svc) for s in STACKS for svc in _objects(plans, s, "Service") if svc["spec"].get("type") == "LoadBalancer"
    ]
    assert exposed, "an example stack exposes a model through a load balancer"
    for stack, service in exposed:
        [policy] = [
            p
            for p in _objects(plans, stack, "NetworkPolicy")
            if p["spec"]["podSelector"] == {"matchLabels": service["spec"]["selector"]}
        ]
        cidrs = {
            peer["ipBlock"]["cidr"] for rule in policy["spec"]["ingress"] for peer in rule["from"] if "ipBlock" in peer
        }
        assert cidrs == set(service["spec"]["loadBalancerSourceRanges"])
        assert service["spec"]["externalTrafficPolicy"] == "Local"


SLEEPER = (
    '{"chat": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "minReplicas": 0, "host": "chat.example.com",'
    ' "auth": {"apiKeyClients": ["app"]}}}'
)


@pytest.fixture(scope="module")
def sleeping_exposed_model() -> dict[str, dict[str, Any]]:
    from tools.offline import run_program
    from tools.plan import build_plan

    overrides = {"models": SLEEPER, "tlsClusterIssuer": "letsencrypt"}
    return build_plan(run_program("dev", Mode.UPDATE, config_overrides=overrides)).manifests


def test_an_exposed_sleeping_models_route_leads_to_the_interceptor_with_its_wake_host(
    sleeping_exposed_model: dict[str, dict[str, Any]],
) -> None:
    [route] = [
        body
        for body in sleeping_exposed_model.values()
        if body["kind"] == "HTTPRoute" and body["metadata"]["name"] == "chat"
    ]
    [backend] = route["spec"]["rules"][0]["backendRefs"]
    assert (backend["name"], backend["namespace"], backend["port"]) == (
        "keda-add-ons-http-interceptor-proxy",
        "keda",
        8080,
    )
    [host_header] = backend["filters"]
    [interceptor_route] = [body for body in sleeping_exposed_model.values() if body["kind"] == "InterceptorRoute"]
    [wake_host] = host_header["requestHeaderModifier"]["set"]
    assert wake_host["name"] == "Host"
    assert wake_host["value"] in interceptor_route["spec"]["rules"][0]["hosts"]
    [grant] = [body for body in sleeping_exposed_model.values() if body["kind"] == "ReferenceGrant"]
    assert grant["metadata"]["namespace"] == "keda"
    assert grant["spec"]["to"] == [{"group": "", "kind": "Service", "name": "keda-add-ons-http-interceptor-proxy"}]


def _sleeper_network(manifests: dict[str, dict[str, Any]]) -> Network:
    return Network([body for body in manifests.values() if body["kind"] == "NetworkPolicy"])


def test_a_sleeping_models_pods_admit_the_interceptor_and_no_other_pod_of_keda(
    sleeping_exposed_model: dict[str, dict[str, Any]],
) -> None:
    [deployment] = [body for body in sleeping_exposed_model.values() if body["kind"] == "Deployment"]
    chat = Pod(
        namespace="llm-serving", labels=deployment["spec"]["template"]["metadata"]["labels"], ports={"http": 8000}
    )
    network = _sleeper_network(sleeping_exposed_model)
    assert network.allows(interceptor_pod(), chat, 8000)
    keda_operator = Pod(namespace="keda", labels={"app": "keda-operator", "app.kubernetes.io/name": "keda-operator"})
    assert not network.ingress_allows(chat, keda_operator, 8000)


def test_the_interceptor_admits_the_gateways_proxies_of_a_sleeping_model_and_not_the_serving_namespace(
    sleeping_exposed_model: dict[str, dict[str, Any]],
) -> None:
    network = _sleeper_network(sleeping_exposed_model)
    proxy = Pod(namespace="agentgateway-system", labels={**GATEWAY_PROXY_LABELS, "pod-template-hash": "abc"})
    assert network.allows(proxy, interceptor_pod(), 8080)
    assert not network.ingress_allows(interceptor_pod(), Pod(namespace="agentgateway-system", labels={}), 8080)
    assert not network.ingress_allows(interceptor_pod(), Pod(namespace="llm-serving", labels={"app": "x"}), 8080)
