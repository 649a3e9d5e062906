"""A model's InferencePool and endpoint picker under mocks: the pool, the picker's pods, its RBAC, plugins and
policies, its scrape and alerts, and GKE's policies on the pool. What each pins was read in llm-d-router v0.10.0
(config/charts/routerlib templates, cmd/epp, pkg/epp)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components import versions
from components.catalog.instances import Cloud
from components.serving.endpoint_picker import (
    EXT_PROC_PORT,
    HEALTH_PORT,
    METRICS_PORT,
    MODE_LABEL,
    EndpointPicker,
    EndpointPickerArgs,
    picker_args,
    picker_selector,
)
from components.serving.gateway import Implementation, gateway_ref
from components.serving.routes import Backend, backend_ref
from tests.support import Registered, record
from tools.reachability import Network, Pod

SELECTOR = {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": "chat"}
POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE = "kubernetes:core/v1:Service"
SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
RULES = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
DISRUPTION_BUDGET = "kubernetes:policy/v1:PodDisruptionBudget"


GKE_GATEWAY = gateway_ref(existing=None, cloud=Cloud.GCP)
"""agentgateway on GKE: the same proxies as on every cloud."""


def build(*, monitored: bool = True) -> None:
    EndpointPicker(
        "chat",
        EndpointPickerArgs(
            namespace="llm-serving",
            namespace_name="llm-serving",
            model_selector=SELECTOR,
            model_port=8000,
            proxies=GKE_GATEWAY.proxies,
            priority_class="llm-serving",
            after=[],
            monitoring_after=[] if monitored else None,
        ),
    )


AGENTGATEWAY = gateway_ref(existing=None, cloud=Cloud.AWS)


def agentgateway_build() -> None:
    EndpointPicker(
        "chat",
        EndpointPickerArgs(
            namespace="llm-serving",
            namespace_name="llm-serving",
            model_selector=SELECTOR,
            model_port=8000,
            proxies=AGENTGATEWAY.proxies,
            priority_class="llm-serving",
            after=[],
        ),
    )


@pytest.fixture(scope="module")
def agentgateway_picker() -> Registered:
    return record(agentgateway_build)


def test_agentgateways_proxy_pods_reach_the_pickers_ext_proc_port(agentgateway_picker: Registered) -> None:
    policy = Network([{**agentgateway_picker.inputs(POLICY), "kind": "NetworkPolicy"}])
    assert AGENTGATEWAY.proxies is not None
    proxy = Pod(namespace="agentgateway-system", labels={**AGENTGATEWAY.proxies.pod_labels, "pod-template-hash": "x"})
    picker = Pod(namespace="llm-serving", labels={**picker_selector("chat"), **MODE_LABEL})
    assert policy.ingress_allows(picker, proxy, EXT_PROC_PORT)
    controller = Pod(namespace="agentgateway-system", labels={"app.kubernetes.io/name": "agentgateway"})
    assert not policy.ingress_allows(picker, controller, EXT_PROC_PORT)


def test_the_picker_keeps_serving_tls_which_agentgateway_calls_it_with() -> None:
    # agentgateway v1.4.1 calls the picker over TLS (plugins/inference_plugin.go "inferencetls"); the picker serves
    # TLS unless --secure-serving=false (llm-d-router v0.10.0 pkg/epp/server/options.go: true by default).
    assert not any(arg.startswith("--secure-serving") for arg in picker_args("chat", "llm-serving"))


@pytest.fixture(scope="module")
def picker() -> Registered:
    return record(build)


@pytest.fixture(scope="module")
def unwatched_picker() -> Registered:
    return record(lambda: build(monitored=False))


def _pod(picker: Registered) -> dict[str, Any]:
    return picker.inputs(DEPLOYMENT)["spec"]["template"]["spec"]


def test_the_pool_holds_the_models_pods_on_its_serving_port(picker: Registered) -> None:
    spec = picker.inputs(POOL)["spec"]
    assert spec["selector"] == {"matchLabels": SELECTOR}
    assert spec["targetPorts"] == [{"number": 8000}]


def test_the_pool_asks_its_picker_and_fails_open_when_the_picker_does_not_answer(picker: Registered) -> None:
    assert picker.inputs(POOL)["spec"]["endpointPickerRef"] == {
        "kind": "Service",
        "name": "chat-epp",
        "port": {"number": EXT_PROC_PORT},
        "failureMode": "FailOpen",
    }
    service = picker.inputs(SERVICE)
    assert service["metadata"]["name"] == "chat-epp"
    assert service["spec"]["selector"] == picker_selector("chat")
    # routerlib _service.yaml: the ext-proc port speaks HTTP/2 in clear text to the Gateway's proxies.
    assert {
        "name": "grpc-ext-proc",
        "port": 9002,
        "targetPort": 9002,
        "protocol": "TCP",
        "appProtocol": "kubernetes.io/h2c",
    } in service["spec"]["ports"]


def test_the_picker_runs_llm_d_routers_released_image_for_its_pool(picker: Registered) -> None:
    [container] = _pod(picker)["containers"]
    assert container["image"] == versions.ENDPOINT_PICKER_IMAGE == "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0"
    args = container["args"]
    assert args[args.index("--pool-name") + 1] == "chat"
    assert args[args.index("--pool-namespace") + 1] == "llm-serving"
    assert args[args.index("--pool-group") + 1] == "inference.networking.k8s.io"
    assert args[args.index("--config-file") + 1] == "/config/default-plugins.yaml"
    assert args[args.index("--grpc-health-port") + 1] == str(HEALTH_PORT) == "9003"


# At v0.10.0, pkg/epp/server/options.go (AddFlags) and pkg/common/observability/logging/options.go (`v`, and
# controller-runtime zap's `zap-encoder`): every flag the picker is given exists there; an unknown one stops it.
PICKER_FLAGS = {
    "pool-name",
    "pool-namespace",
    "pool-group",
    "zap-encoder",
    "config-file",
    "ha-enable-leader-election",
    "grpc-health-port",
    "v",
    "tracing",
    "metrics-endpoint-auth",
}


def test_the_picker_is_given_only_flags_its_release_knows(picker: Registered) -> None:
    [container] = _pod(picker)["containers"]
    flags = {arg.removeprefix("--").split("=")[0] for arg in container["args"] if arg.startswith("--")}
    assert flags == PICKER_FLAGS


def test_the_picker_exposes_the_charts_ports(picker: Registered) -> None:
    [container] = _pod(picker)["containers"]
    assert {port["name"]: port["containerPort"] for port in container["ports"]} == {
        "grpc": EXT_PROC_PORT,
        "grpc-health": HEALTH_PORT,
        "metrics": METRICS_PORT,
    }
    assert (EXT_PROC_PORT, HEALTH_PORT, METRICS_PORT) == (9002, 9003, 9090)


def test_the_picker_and_its_pods_carry_llm_ds_mode_label(picker: Registered) -> None:
    deployment = picker.inputs(DEPLOYMENT)
    for labels in (deployment["metadata"]["labels"], deployment["spec"]["template"]["metadata"]["labels"]):
        assert labels["llm-d.ai/igw-mode"] == "llm-d-router-gateway"


def test_the_picker_pod_meets_pod_security_restricted(picker: Registered) -> None:
    pod = _pod(picker)
    [container] = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == 65532
    assert security["readOnlyRootFilesystem"] is True


def test_a_leader_and_a_standby_elected_and_probed_on_the_health_services_for_more_than_one(
    picker: Registered,
) -> None:
    spec = picker.inputs(DEPLOYMENT)["spec"]
    assert (spec["replicas"], spec["strategy"]) == (2, {"type": "Recreate"})
    [container] = spec["template"]["spec"]["containers"]
    assert "--ha-enable-leader-election" in container["args"]
    # cmd/epp/runner/health.go: `liveness` answers on every pod, `readiness` only on the synced leader.
    assert container["livenessProbe"]["grpc"] == {"port": HEALTH_PORT, "service": "liveness"}
    assert container["readinessProbe"]["grpc"] == {"port": HEALTH_PORT, "service": "readiness"}


def test_pulumi_waits_for_the_leader_alone_since_the_standby_is_never_ready(picker: Registered) -> None:
    assert picker.inputs(DEPLOYMENT)["metadata"]["annotations"]["pulumi.com/waitFor"] == (
        "jsonpath={.status.readyReplicas}=1"
    )
    assert picker.inputs(SERVICE)["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"


def test_no_disruption_budget_since_one_counting_the_single_ready_leader_would_block_its_nodes_drain(
    picker: Registered,
) -> None:
    assert picker.all(DISRUPTION_BUDGET) == []


def test_the_picker_reads_its_pods_pools_and_objectives_and_holds_its_lease(picker: Registered) -> None:
    rules = picker.inputs(ROLE)["rules"]
    writes = {
        resource for rule in rules if set(rule["verbs"]) - {"get", "watch", "list"} for resource in rule["resources"]
    }
    assert writes == {"leases", "events"}
    assert {(group, resource) for rule in rules for group in rule["apiGroups"] for resource in rule["resources"]} == {
        ("", "pods"),
        ("", "events"),
        ("inference.networking.k8s.io", "inferencepools"),
        ("inference.networking.x-k8s.io", "inferenceobjectives"),
        ("inference.networking.x-k8s.io", "inferencemodelrewrites"),
        ("llm-d.ai", "inferenceobjectives"),
        ("llm-d.ai", "inferencemodelrewrites"),
        ("coordination.k8s.io", "leases"),
    }


def test_the_picker_scores_queue_kv_cache_and_prefix_from_vllms_metrics(picker: Registered) -> None:
    config = yaml.safe_load(picker.inputs(CONFIG_MAP)["data"]["default-plugins.yaml"])
    # apix/config/v1alpha1 at v0.10.0: the config API moved to llm-d.ai.
    assert (config["apiVersion"], config["kind"]) == ("llm-d.ai/v1alpha1", "EndpointPickerConfig")
    [profile] = config["schedulingProfiles"]
    assert {ref["pluginRef"]: ref["weight"] for ref in profile["plugins"]} == {
        "queue-scorer": 2,
        "kv-cache-utilization-scorer": 2,
        "prefix-cache-scorer": 3,
    }
    [source] = [plugin for plugin in config["plugins"] if plugin["type"] == "metrics-data-source"]
    assert source["parameters"]["path"] == "/metrics"


def test_only_the_gateways_proxies_reach_the_picker_and_it_sends_only_to_its_model(picker: Registered) -> None:
    spec = picker.inputs(POLICY)["spec"]
    assert spec["podSelector"] == {"matchLabels": picker_selector("chat")}
    ingress, scrapers = spec["ingress"]
    assert GKE_GATEWAY.proxies is not None
    assert ingress["from"] == [GKE_GATEWAY.proxies.peer()]
    assert {port["port"] for port in ingress["ports"]} == {EXT_PROC_PORT, HEALTH_PORT}
    assert [port["port"] for port in scrapers["ports"]] == [METRICS_PORT]
    assert all("namespaceSelector" in peer and "podSelector" not in peer for peer in scrapers["from"])
    model_rule = spec["egress"][1]
    assert model_rule == {
        "to": [{"podSelector": {"matchLabels": SELECTOR}}],
        "ports": [{"protocol": "TCP", "port": 8000}],
    }


def test_a_pooled_backend_names_the_pool_without_a_port() -> None:
    backend = Backend(model="chat", service="chat", namespace=None, port=8000, weight=90, pool=True)
    assert backend_ref(backend, Implementation.AGENTGATEWAY) == {
        "group": "inference.networking.k8s.io",
        "kind": "InferencePool",
        "name": "chat",
        "weight": 90,
    }


def test_prometheus_scrapes_the_pickers_metrics_port(picker: Registered) -> None:
    monitor = picker.inputs(SERVICE_MONITOR)
    assert monitor["spec"]["selector"] == {"matchLabels": picker_selector("chat")}
    [endpoint] = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http-metrics", "/metrics")
    service_ports = {port["name"]: port["port"] for port in picker.inputs(SERVICE)["spec"]["ports"]}
    assert service_ports["http-metrics"] == METRICS_PORT
    assert "--metrics-endpoint-auth=false" in _pod(picker)["containers"][0]["args"]


def test_the_pickers_alerts_are_its_down_and_slow_rules(picker: Registered) -> None:
    [group] = picker.inputs(RULES)["spec"]["groups"]
    assert {rule["alert"] for rule in group["rules"]} == {"LlmEndpointPickerDown", "LlmEndpointPickerSlow"}


def test_an_unwatched_stack_has_no_scrape_or_alerts_for_the_picker(unwatched_picker: Registered) -> None:
    assert unwatched_picker.all(SERVICE_MONITOR) == unwatched_picker.all(RULES) == []


def objectives_build() -> None:
    EndpointPicker(
        "chat",
        EndpointPickerArgs(
            namespace="llm-serving",
            namespace_name="llm-serving",
            model_selector=SELECTOR,
            model_port=8000,
            proxies=GKE_GATEWAY.proxies,
            priority_class="llm-serving",
            after=[],
            objectives={"interactive": 10, "batch": -10},
        ),
    )


@pytest.fixture(scope="module")
def prioritised_picker() -> Registered:
    return record(objectives_build)


OBJECTIVE = "kubernetes:llm-d.ai/v1alpha2:InferenceObjective"


def test_each_objective_is_an_inference_objective_of_the_models_pool(prioritised_picker: Registered) -> None:
    objectives = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in prioritised_picker.all(OBJECTIVE)}
    pool = {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "chat"}
    assert objectives == {
        "interactive": {"poolRef": pool, "priority": 10},
        "batch": {"poolRef": pool, "priority": -10},
    }


def test_a_picker_with_objectives_turns_flow_control_on_and_one_without_does_not(
    prioritised_picker: Registered, picker: Registered
) -> None:
    prioritised = yaml.safe_load(prioritised_picker.inputs(CONFIG_MAP)["data"]["default-plugins.yaml"])
    plain = yaml.safe_load(picker.inputs(CONFIG_MAP)["data"]["default-plugins.yaml"])
    # cmd/epp/runner/runner.go at v0.10.0: the `flowControl` gate, off by default, is what orders by priority.
    assert prioritised["featureGates"] == ["flowControl"]
    assert "featureGates" not in plain
    assert picker.all(OBJECTIVE) == []
