"""The authentication step of every way in through the Gateway, on every planned stack: no HTTPRoute of a host
answers an unauthenticated request unless its model says `public: true`. On the stack's own Gateway each route is
the target of an AgentgatewayPolicy (valid under its CRD and CEL rules) that checks keys from the route's Secret;
behind GKE's or an existing Gateway, every model behind the route runs vLLM with `--api-key` from that Secret. The
keys themselves appear in no plan output, manifest or chart value."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from components.serving.gateway import GatewayRef, Implementation
from components.serving.route_auth import KEY_LENGTH, enforces_policies, policy_name, secret_name, vllm_key_flags
from tools.admission import admission_errors
from tools.offline import ROOT, Mode, planned_stack_names
from tools.plan import Plan, summary

STACKS = planned_stack_names()
PROD = ("prod-aws", "prod-gcp", "prod-azure")


def _objects(plan: Plan, kind: str) -> list[dict[str, Any]]:
    return [body for body in plan.manifests.values() if body.get("kind") == kind]


def _gateway(plan: Plan) -> GatewayRef | None:
    output = plan.document["outputs"].get("gateway")
    if output is None:
        return None
    return GatewayRef(
        implementation=Implementation(output["implementation"]), namespace=output["namespace"], name=output["name"]
    )


def _routes(plan: Plan) -> list[dict[str, Any]]:
    return [route for route in _objects(plan, "HTTPRoute") if route["spec"].get("hostnames")]


def _route_policies(plan: Plan) -> list[dict[str, Any]]:
    """The AgentgatewayPolicies on routes (the Gateway's own, on its listeners' connections, are not a route's)."""
    return [
        policy
        for policy in _objects(plan, "AgentgatewayPolicy")
        if all(ref["kind"] == "HTTPRoute" for ref in policy["spec"]["targetRefs"])
    ]


def _public_models(plan: Plan) -> set[str]:
    models = plan.run.files.config.get("llm-platform:models") or "{}"
    models = json.loads(models) if isinstance(models, str) else models
    return {name for name, model in models.items() if model.get("public")}


def _policies_on(plan: Plan, route: dict[str, Any]) -> list[dict[str, Any]]:
    namespace, name = route["metadata"]["namespace"], route["metadata"]["name"]
    return [
        policy
        for policy in _objects(plan, "AgentgatewayPolicy")
        if policy["metadata"]["namespace"] == namespace
        and any(ref["kind"] == "HTTPRoute" and ref["name"] == name for ref in policy["spec"]["targetRefs"])
    ]


def _servers_behind(plan: Plan, route: dict[str, Any]) -> list[dict[str, Any]]:
    """The pod specs of the models the route's backends lead to (by model name: Service, pool or wake host)."""
    names = set()
    for rule in route["spec"]["rules"]:
        for backend in rule["backendRefs"]:
            host = next(
                (f["urlRewrite"]["hostname"] for f in backend.get("filters", []) if f["type"] == "URLRewrite"), None
            )
            names.add(host.split("-wake.")[0] if host else backend["name"])
    return [
        deployment["spec"]["template"]["spec"]
        for deployment in _objects(plan, "Deployment")
        if deployment["metadata"]["name"] in names
        and deployment["metadata"]["namespace"] == route["metadata"]["namespace"]
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_no_route_of_a_host_answers_without_a_key_unless_its_model_is_public(plans: dict[Any, Any], stack: str) -> None:
    plan = plans[(stack, Mode.UPDATE)]
    gateway = _gateway(plan)
    public = _public_models(plan)
    for route in _routes(plan):
        name = route["metadata"]["name"]
        if name in public:
            assert not _policies_on(plan, route), name
            continue
        assert gateway is not None
        if enforces_policies(gateway):
            [policy] = _policies_on(plan, route)
            traffic = policy["spec"]["traffic"]
            if "jwtAuthentication" in traffic:
                assert traffic["jwtAuthentication"]["mode"] == "Strict"
            else:
                check = traffic["apiKeyAuthentication"]
                assert (check["mode"], check["secretRef"]["name"]) == ("Strict", secret_name(name))
        else:
            pods = _servers_behind(plan, route)
            assert pods, name
            # vLLM checks keys on /v1 only: nothing else of the model is routed (a prefix ending in /v1, or the
            # exact OpenAI paths of `apiPaths`).
            for rule in route["spec"]["rules"]:
                for match in rule["matches"]:
                    kind, value = match["path"]["type"], match["path"]["value"]
                    assert value.endswith("/v1") if kind == "PathPrefix" else value.startswith("/v1/"), (name, value)
            for pod in pods:
                [container] = pod["containers"]
                assert container["args"][-2:] == vllm_key_flags(), name
                volumes = {v["name"]: v for v in pod["volumes"]}
                assert volumes["api-keys"]["secret"]["secretName"] == secret_name(name)


@pytest.mark.parametrize("stack", STACKS)
def test_every_auth_policy_targets_a_route_of_its_namespace_and_passes_admission(
    plans: dict[Any, Any], stack: str
) -> None:
    plan = plans[(stack, Mode.UPDATE)]
    routes = {(r["metadata"]["namespace"], r["metadata"]["name"]) for r in _objects(plan, "HTTPRoute")}
    secrets = {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in _objects(plan, "Secret")}
    for policy in _objects(plan, "AgentgatewayPolicy"):
        if policy not in _route_policies(plan):
            # The Gateway's own policy: its listeners' connections, nothing a route's request passes.
            assert set(policy["spec"]) == {"targetRefs", "frontend"}, policy["metadata"]["name"]
            assert admission_errors(policy) == [], policy["metadata"]["name"]
            continue
        namespace = policy["metadata"]["namespace"]
        assert admission_errors(policy) == [], policy["metadata"]["name"]
        for ref in policy["spec"]["targetRefs"]:
            assert (ref["group"], ref["kind"]) == ("gateway.networking.k8s.io", "HTTPRoute")
            assert (namespace, ref["name"]) in routes
            assert policy["metadata"]["name"] == policy_name(ref["name"])
        traffic = policy["spec"]["traffic"]
        if "apiKeyAuthentication" in traffic:
            assert (namespace, traffic["apiKeyAuthentication"]["secretRef"]["name"]) in secrets


@pytest.mark.parametrize("stack", ["prod-aws"])
def test_a_prod_stack_on_the_stacks_own_gateway_limits_each_client(plans: dict[Any, Any], stack: str) -> None:
    plan = plans[(stack, Mode.UPDATE)]
    limited = [
        entry["condition"]
        for policy in _route_policies(plan)
        for entry in policy["spec"]["traffic"].get("rateLimit", {}).get("conditional", [])
    ]
    assert limited
    assert all(condition.startswith("apiKey.client == ") for condition in limited)


@pytest.mark.parametrize("stack", PROD)
def test_prod_stacks_give_every_exposed_model_a_key(plans: dict[Any, Any], stack: str) -> None:
    plan = plans[(stack, Mode.UPDATE)]
    assert not _public_models(plan)
    assert plan.run.files.config.get("llm-platform:auth")


@pytest.mark.parametrize("mode", Mode.ALL)
@pytest.mark.parametrize("stack", STACKS)
def test_no_key_appears_in_the_plan_its_manifests_or_chart_values(plans: dict[Any, Any], stack: str, mode: str) -> None:
    plan = plans[(stack, mode)]
    clients = [
        resource["name"].removeprefix("api-key-")
        for resource in plan.document["resources"]
        if resource["type"] == "random:index/randomPassword:RandomPassword" and resource["name"].startswith("api-key-")
    ]
    # What the mock runtime answers for each RandomPassword (tools/offline.py): the values a leak would show.
    keys = [hashlib.sha256(f"api-key-{client}".encode()).hexdigest()[:KEY_LENGTH] for client in clients]
    text = json.dumps(plan.document) + json.dumps(plan.manifests) + summary(plan)
    for key in keys:
        assert key not in text
    if clients:
        assert plan.document["outputs"]["apiKeys"] == "[secret]"
        for secret in _objects(plan, "Secret"):
            if secret["metadata"]["name"].endswith("-api-keys"):
                # In a preview the keys are not generated yet: the whole map is unknown, and secret.
                data = secret["stringData"]
                assert data == "[secret]" if mode == Mode.PREVIEW else set(data.values()) == {"[secret]"}


@pytest.mark.parametrize("stack", STACKS)
def test_the_plan_says_who_can_reach_every_model(plans: dict[Any, Any], stack: str) -> None:
    plan = plans[(stack, Mode.UPDATE)]
    models = plan.document["outputs"]["models"]
    lines = [line for line in summary(plan).splitlines() if line.startswith("    reachable by: ")]
    assert lines == [f"    reachable by: {model['reachableBy']}" for model in models.values()]
    for model in models.values():
        if model.get("publicUrl"):
            assert model["reachableBy"].startswith(model["publicUrl"])


def test_each_key_is_a_stack_level_resource_the_manuals_rotation_command_names(plans: dict[Any, Any]) -> None:
    plan = plans[("prod-aws", Mode.UPDATE)]
    keys = [r for r in plan.document["resources"] if r["type"] == "random:index/randomPassword:RandomPassword"]
    clients = {r["name"]: r["parent"] for r in keys if r["name"].startswith("api-key-")}
    assert clients == {"api-key-chat-app": "pulumi:pulumi:Stack", "api-key-evals": "pulumi:pulumi:Stack"}
    manual = (ROOT / "docs" / "manual.md").read_text()
    assert "::llm-platform::random:index/randomPassword:RandomPassword::api-key-chat-app" in manual
