"""`routing: inference` in prod-gcp's plan: the route goes to the pool, the pool and its picker sit under the model,
and the serving namespace's quota makes room for the picker's pods."""

from __future__ import annotations

from typing import Any

from components.serving.endpoint_picker import CPU_CORES, MEMORY_GIB, REPLICAS
from components.serving.weights_copy import COPY_CPU, COPY_MEMORY_GIB
from tools.offline import Mode, run_program
from tools.plan import build_plan

STACK = ("prod-gcp", Mode.UPDATE)


def _one(plan: Any, kind: str, name: str) -> dict[str, Any]:
    [body] = [b for b in plan.manifests.values() if b["kind"] == kind and b["metadata"]["name"] == name]
    return body


def test_the_pooled_models_route_goes_to_its_pool_and_the_others_to_its_service(plans: dict[Any, Any]) -> None:
    plan = plans[STACK]
    [[pooled]] = [rule["backendRefs"] for rule in _one(plan, "HTTPRoute", "qwen-7b")["spec"]["rules"]]
    assert pooled == {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "qwen-7b", "weight": 100}
    [[plain]] = [rule["backendRefs"] for rule in _one(plan, "HTTPRoute", "qwen-72b")["spec"]["rules"]]
    assert plain["kind"] == "Service"


def test_the_pool_selects_exactly_the_models_deployments_pods(plans: dict[Any, Any]) -> None:
    plan = plans[STACK]
    pool = _one(plan, "InferencePool", "qwen-7b")
    deployment = _one(plan, "Deployment", "qwen-7b")
    assert pool["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert pool["spec"]["targetPorts"] == [{"number": port["containerPort"]} for port in container["ports"]]


def test_the_pool_and_its_picker_are_children_of_the_model(plans: dict[Any, Any]) -> None:
    resources = plans[STACK].document["resources"]
    parents = {(r["type"], r["name"]): r["parent"] for r in resources}
    assert parents[("llm-platform:serving:EndpointPicker", "qwen-7b")] == "llm-platform:serving:Model::qwen-7b"
    pool = ("kubernetes:inference.networking.k8s.io/v1:InferencePool", "qwen-7b-pool")
    assert parents[pool] == "llm-platform:serving:EndpointPicker::qwen-7b"


def test_the_serving_quota_holds_the_pickers_leader_and_standby(plans: dict[Any, Any]) -> None:
    hard = _one(plans[STACK], "ResourceQuota", "serving")["spec"]["hard"]
    pickers = [
        b
        for b in plans[STACK].manifests.values()
        if b["kind"] == "Deployment" and b["metadata"]["name"].endswith("-epp")
    ]
    models = [
        b
        for b in plans[STACK].manifests.values()
        if b["kind"] == "Deployment" and not b["metadata"]["name"].endswith("-epp")
    ]
    assert len(pickers) == 1
    assert models
    [container] = pickers[0]["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["requests"] == {"cpu": str(CPU_CORES), "memory": f"{MEMORY_GIB}Gi"}
    # qwen-7b: 4 replicas and a surge pod of 6 cores, 24 GiB; embed: 2 replicas and a surge pod of 4 cores, 16 GiB;
    # qwen-72b: 2 replicas, no surge on its single H100 node, of 16 cores, 160 GiB, and its weight copy Job's pod (it
    # streams its weights); and the picker's two pods.
    assert REPLICAS == pickers[0]["spec"]["replicas"] == 2
    assert (hard["pods"], hard["requests.cpu"], hard["requests.memory"]) == (
        str(5 + 3 + 2 + 1 + 2),
        str(5 * 6 + 3 * 4 + 2 * 16 + COPY_CPU + 2 * CPU_CORES),
        f"{5 * 24 + 3 * 16 + 2 * 160 + COPY_MEMORY_GIB + 2 * MEMORY_GIB}Gi",
    )


# CPU models small enough for prod-gcp's system nodes (e2-standard-4).
CANARY = (
    '{"chat": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "host": "chat.example.com", "cpuCores": 2,'
    ' "memoryGiB": 8},'
    ' "next": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "canaryOf": "chat", "weight": 25,'
    ' "routing": "inference", "cpuCores": 2, "memoryGiB": 8}}'
)


def test_a_pooled_canary_shares_its_primarys_route_by_weight() -> None:
    plan = build_plan(run_program("prod-gcp", Mode.PREVIEW, config_overrides={"models": CANARY}))
    [rule] = _one(plan, "HTTPRoute", "chat")["spec"]["rules"]
    assert [(ref.get("kind"), ref["name"], ref["weight"]) for ref in rule["backendRefs"]] == [
        ("Service", "chat", 75),
        ("InferencePool", "next", 25),
    ]
    pickers = {b["metadata"]["name"] for b in plan.manifests.values() if b["kind"] == "Deployment"} - {"chat", "next"}
    assert pickers == {"next-epp"}


OFF_GKE = [("prod-aws", Mode.UPDATE), ("prod-azure", Mode.UPDATE)]


def test_off_gke_a_pooled_model_is_routed_through_agentgateway(plans: dict[Any, Any]) -> None:
    for stack in OFF_GKE:
        manifests = list(plans[stack].manifests.values())
        [pool] = [body for body in manifests if body["kind"] == "InferencePool"]
        routes = [
            body for body in manifests if body["kind"] == "HTTPRoute" and body["metadata"]["name"] != "https-redirect"
        ]
        refs = [ref for route in routes for rule in route["spec"]["rules"] for ref in rule["backendRefs"]]
        assert {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": pool["metadata"]["name"]} == {
            key: value for key, value in refs[0].items() if key != "weight"
        }, stack
        [gateway_class] = [body for body in manifests if body["kind"] == "GatewayClass"]
        assert gateway_class["spec"]["controllerName"] == "agentgateway.dev/agentgateway"


def test_off_gke_nothing_of_gkes_own_api_groups_is_planned(plans: dict[Any, Any]) -> None:
    # networking.gke.io is served by GKE alone: such an object fails elsewhere.
    for stack in OFF_GKE:
        groups = {body["apiVersion"].split("/")[0] for body in plans[stack].manifests.values()}
        assert not {group for group in groups if group.endswith("gke.io")}, stack
