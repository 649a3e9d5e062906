"""A model's InferencePool and endpoint picker under mocks: the pool, the picker's pod, its RBAC, plugins and
policies, and GKE's policies on the pool."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components import versions
from components.serving.endpoint_picker import (
    EXT_PROC_PORT,
    HEALTH_PORT,
    EndpointPicker,
    EndpointPickerArgs,
    picker_selector,
)
from components.serving.routes import Backend, backend_ref
from tests.support import Registered, record

SELECTOR = {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": "chat"}
PROXY_CIDRS = ("10.0.64.0/19", "35.191.0.0/16", "130.211.0.0/22")
POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE = "kubernetes:core/v1:Service"
HEALTH_CHECK = "kubernetes:networking.gke.io/v1:HealthCheckPolicy"
BACKEND_POLICY = "kubernetes:networking.gke.io/v1:GCPBackendPolicy"


def build() -> None:
    EndpointPicker(
        "chat",
        EndpointPickerArgs(
            namespace="llm-serving",
            namespace_name="llm-serving",
            model_selector=SELECTOR,
            model_port=8000,
            proxy_cidrs=PROXY_CIDRS,
            timeout_seconds=600,
            priority_class="llm-serving",
            after=[],
        ),
    )


@pytest.fixture(scope="module")
def picker() -> Registered:
    return record(build)


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
    assert {"name": "grpc-ext-proc", "port": 9002, "targetPort": 9002, "protocol": "TCP"} in service["spec"]["ports"]


def test_the_picker_runs_the_pinned_image_for_its_pool(picker: Registered) -> None:
    [container] = _pod(picker)["containers"]
    assert (
        container["image"]
        == versions.ENDPOINT_PICKER_IMAGE
        == ("registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0")
    )
    args = container["args"]
    assert args[args.index("--pool-name") + 1] == "chat"
    assert args[args.index("--pool-namespace") + 1] == "llm-serving"
    assert args[args.index("--pool-group") + 1] == "inference.networking.k8s.io"
    assert args[args.index("--config-file") + 1] == "/config/default-plugins.yaml"


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


def test_one_picker_at_a_time_probed_on_its_grpc_health_service(picker: Registered) -> None:
    spec = picker.inputs(DEPLOYMENT)["spec"]
    assert (spec["replicas"], spec["strategy"]) == (1, {"type": "Recreate"})
    [container] = spec["template"]["spec"]["containers"]
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["grpc"] == {"port": HEALTH_PORT, "service": "inference-extension"}


def test_the_picker_only_reads_its_pods_and_pools(picker: Registered) -> None:
    rules = picker.inputs(ROLE)["rules"]
    assert {verb for rule in rules for verb in rule["verbs"]} == {"get", "watch", "list"}
    assert {resource for rule in rules for resource in rule["resources"]} == {
        "pods",
        "inferencepools",
        "inferenceobjectives",
        "inferencemodelrewrites",
    }


def test_the_picker_scores_queue_kv_cache_and_prefix_from_vllms_metrics(picker: Registered) -> None:
    config = yaml.safe_load(picker.inputs(CONFIG_MAP)["data"]["default-plugins.yaml"])
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
    [ingress] = spec["ingress"]
    assert ingress["from"] == [{"ipBlock": {"cidr": cidr}} for cidr in PROXY_CIDRS]
    assert {port["port"] for port in ingress["ports"]} == {EXT_PROC_PORT, HEALTH_PORT}
    model_rule = spec["egress"][1]
    assert model_rule == {
        "to": [{"podSelector": {"matchLabels": SELECTOR}}],
        "ports": [{"protocol": "TCP", "port": 8000}],
    }


# GoogleCloudPlatform/gke-gateway-api config/crd/networking.gke.io_healthcheckpolicies.yaml and
# networking.gke.io_gcpbackendpolicies.yaml (v1): the fields ours may use, level by level.
TARGET_REF_FIELDS = {"group", "kind", "name", "namespace"}
HEALTH_CHECK_DEFAULT_FIELDS = {
    "checkIntervalSec",
    "config",
    "healthyThreshold",
    "logConfig",
    "timeoutSec",
    "unhealthyThreshold",
}
HTTP_HEALTH_CHECK_FIELDS = {"host", "port", "portName", "portSpecification", "proxyHeader", "requestPath", "response"}
BACKEND_POLICY_DEFAULT_FIELDS = {
    "backendPreference",
    "connectionDraining",
    "iap",
    "logging",
    "maxRatePerEndpoint",
    "securityPolicy",
    "sessionAffinity",
    "timeoutSec",
}


def test_gke_health_checks_the_pools_pods_on_vllms_health_endpoint(picker: Registered) -> None:
    spec = picker.inputs(HEALTH_CHECK)["spec"]
    assert spec["targetRef"] == {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "chat"}
    assert set(spec["default"]) <= HEALTH_CHECK_DEFAULT_FIELDS
    assert 1 <= spec["default"]["timeoutSec"] <= spec["default"]["checkIntervalSec"] <= 300
    config = spec["default"]["config"]
    assert config["type"] == "HTTP"
    assert set(config["httpHealthCheck"]) <= HTTP_HEALTH_CHECK_FIELDS
    assert config["httpHealthCheck"] == {"requestPath": "/health", "portSpecification": "USE_FIXED_PORT", "port": 8000}


def test_gkes_backend_timeout_for_the_pool_is_the_routes(picker: Registered) -> None:
    spec = picker.inputs(BACKEND_POLICY)["spec"]
    assert set(spec["targetRef"]) <= TARGET_REF_FIELDS
    assert set(spec["default"]) <= BACKEND_POLICY_DEFAULT_FIELDS
    assert spec["default"] == {"timeoutSec": 600}


def test_a_pooled_backend_names_the_pool_without_a_port() -> None:
    backend = Backend(model="chat", service="chat", namespace=None, port=8000, weight=90, pool=True)
    assert backend_ref(backend) == {
        "group": "inference.networking.k8s.io",
        "kind": "InferencePool",
        "name": "chat",
        "weight": 90,
    }
