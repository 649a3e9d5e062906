"""The authentication step of every way in through the Gateway, on every planned stack: no HTTPRoute of a host
answers an unauthenticated request unless its model says `public: true`. On the stack's own Gateway each route is
the target of an AgentgatewayPolicy (valid under its CRD and CEL rules) that checks keys from the route's Secret;
behind GKE's or an existing Gateway, every model behind the route runs vLLM with `--api-key` from that Secret. The
keys themselves appear in no plan output, manifest or chart value."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest

from components.serving.agentgateway import RETRY_AFTER
from components.serving.route_auth import KEY_LENGTH, enforces_policies, policy_name, secret_name
from stacks.serving import stack_gateway_ref
from tests.exposure_variants import CASES, Case, credential, gateway_sources
from tools.admission import admission_errors
from tools.exposure_paths import walk_route
from tools.offline import ROOT, Mode, planned_stack_names
from tools.plan import Plan, summary
from tools.route_access import ANONYMOUS, Credential

STACKS = planned_stack_names()
PROD = ("prod-aws", "prod-gcp", "prod-azure")


def _objects(plan: Plan, kind: str) -> list[dict[str, Any]]:
    return [body for body in plan.manifests.values() if body.get("kind") == kind]


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


# --- the authentication step of the whole-path walk (tools/exposure_paths.py, tools/route_access.py) -----------


@pytest.fixture(scope="module")
def cases(exposure_cases: dict[str, Case]) -> dict[str, Case]:
    return exposure_cases


def _probes(case: Case) -> list[tuple[str, str, str]]:
    """(route, host, path) a caller may try: each match's own path and, under a prefix, a path beside the API (vLLM
    checks keys on /v1 only: a route exposing more lets such a path through)."""
    found = []
    for route in case.cluster.kind("HTTPRoute"):
        for host in route["spec"].get("hostnames") or []:
            for rule in route["spec"]["rules"]:
                for match in rule.get("matches") or []:
                    value = match["path"]["value"]
                    found.append((route["metadata"]["name"], host, value))
                    if match["path"]["type"] == "PathPrefix":
                        found.append((route["metadata"]["name"], host, f"{value.rstrip('/')}/health"))
    return found


def _checked_at_gateway(case: Case) -> bool:
    gateway = stack_gateway_ref(case.config)
    assert gateway is not None
    return enforces_policies(gateway)


@pytest.mark.parametrize("case", CASES)
def test_no_route_answers_a_request_without_a_valid_credential_unless_it_is_public(
    cases: dict[str, Case], case: str
) -> None:
    """Refused (401) at the first step that checks: the route's AgentgatewayPolicy on the stack's own Gateway, else
    vLLM's key file from the route's Secret, on every path the route exposes; a `public: true` route answers
    anyone, and nothing on its way checks a credential."""
    world = cases[case]
    [source, *_], _ = gateway_sources(world)
    for route, host, path in _probes(world):
        if world.config.route_access[route].public:
            anonymous = walk_route(world.cluster, source, host, path)
            assert anonymous.reaches, f"{host}{path}: {anonymous.blocked}"
            assert not anonymous.guarded_by, f"{host}{path} is public yet checked"
            continue
        first = f"401: AgentgatewayPolicy {policy_name(route)} " if _checked_at_gateway(world) else "401: vLLM on "
        for stranger in (ANONYMOUS, Credential(client="stranger")):
            walk = walk_route(world.cluster, source, host, path, credential=stranger)
            assert walk.refused_with == 401, f"{host}{path} with {stranger}: {walk.blocked}"
            assert (walk.blocked or "").startswith(first), walk.blocked
            if not _checked_at_gateway(world):
                assert f"(keys from Secret {secret_name(route)})" in (walk.blocked or ""), walk.blocked


@pytest.mark.parametrize("case", CASES)
def test_an_authenticated_request_reaches_a_ready_model_pod_under_its_clients_limit(
    cases: dict[str, Case], case: str
) -> None:
    world = cases[case]
    [source, *_], _ = gateway_sources(world)
    for route, host, path in _probes(world):
        key = credential(world, host, path)
        walk = walk_route(world.cluster, source, host, path, credential=key)
        assert walk.reaches, f"{host}{path} with {key}: {walk.blocked}"
        assert walk.reached
        for served in walk.reached:
            assert served.pod.labels.get("app.kubernetes.io/component") == "model-server", served.pod
            assert served.ready is not None, f"{served.pod} has no readiness probe"
        access = world.config.route_access[route]
        described = [
            *([f"{access.requests_per_minute[key.client]} requests per minute"] if key.client in
              access.requests_per_minute else []),
            *([f"{access.tokens_per_minute[key.client]} tokens per minute"] if key.client in
              access.tokens_per_minute else []),
        ]  # fmt: skip
        expected = f"{', '.join(described)} for {key.client}" if _checked_at_gateway(world) and described else None
        assert walk.rate_limit == expected, f"{host}{path}"


@pytest.mark.parametrize("case", CASES)
def test_without_its_credential_checks_an_authenticated_route_would_answer_anyone(
    cases: dict[str, Case], case: str
) -> None:
    """The check can fail: the planned objects less the route's policy (or vLLM's key file) let a request without a
    credential through."""
    world = cases[case]
    [source, *_], _ = gateway_sources(world)
    for route, host, path in _probes(world):
        if world.config.route_access[route].public:
            continue
        walk = walk_route(world.cluster, source, host, path, credential=credential(world, host, path))
        assert walk.guarded_by, f"{host}{path}: nothing checks the credential"
        if _checked_at_gateway(world):
            assert walk.guarded_by == [("object", "AgentgatewayPolicy", world.config.namespace, policy_name(route))]
        unguarded = world.cluster
        for check in walk.guarded_by:
            unguarded = unguarded.without(check)
        anonymous = walk_route(unguarded, source, host, path)
        assert anonymous.reaches, f"{host}{path} without {walk.guarded_by}: {anonymous.blocked}"


def test_the_walks_cover_a_key_checked_at_the_gateway_and_at_the_model_and_a_limited_client(
    cases: dict[str, Case],
) -> None:
    where = {_checked_at_gateway(case) for case in cases.values() if case.cluster.kind("HTTPRoute")}
    assert where == {True, False}
    assert any(access.requests_per_minute for case in cases.values() for access in case.config.route_access.values())


@pytest.mark.parametrize("stack", STACKS)
def test_every_auth_policy_targets_a_route_of_its_namespace_and_passes_admission(
    plans: dict[Any, Any], stack: str
) -> None:
    plan = plans[(stack, Mode.UPDATE)]
    routes = {(r["metadata"]["namespace"], r["metadata"]["name"]) for r in _objects(plan, "HTTPRoute")}
    secrets = {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in _objects(plan, "Secret")}
    for policy in _objects(plan, "AgentgatewayPolicy"):
        if policy not in _route_policies(plan):
            # The Gateway's own: its listeners' connections, or the Retry-After it adds to responses; neither lets a
            # request through.
            assert admission_errors(policy) == [], policy["metadata"]["name"]
            assert set(policy["spec"]) in ({"targetRefs", "frontend"}, {"targetRefs", "traffic"})
            assert set(policy["spec"].get("traffic", {})) <= {"phase", "transformation"}, policy["metadata"]["name"]
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


def test_behind_a_gateway_that_checks_no_key_a_route_wider_than_v1_would_answer_without_one(
    cases: dict[str, Case],
) -> None:
    """vLLM checks keys on /v1 only: the route narrowed to /v1 is what keeps /health and the rest unexposed."""
    world = cases["existing-gateway"]
    assert not _checked_at_gateway(world)
    [source, *_], _ = gateway_sources(world)
    manifests = copy.deepcopy(world.cluster.manifests)
    [route] = [body for body in manifests if body["kind"] == "HTTPRoute" and body["metadata"]["name"] == "qwen"]
    [rule] = route["spec"]["rules"]
    [match] = rule["matches"]
    assert match["path"] == {"type": "PathPrefix", "value": "/v1"}
    assert not walk_route(world.cluster, source, "chat.example.com", "/health").reaches
    match["path"]["value"] = "/"
    widened = walk_route(world.cluster.with_manifests(manifests), source, "chat.example.com", "/health")
    assert widened.reaches, widened.blocked


@pytest.mark.parametrize("stack", STACKS)
def test_a_client_over_its_limit_is_told_when_to_retry(plans: dict[Any, Any], stack: str) -> None:
    """Every stack whose routes limit clients sets Retry-After on the Gateway's responses from the limiter's reset."""
    plan = plans[(stack, Mode.UPDATE)]
    limited = [p for p in _route_policies(plan) if "rateLimit" in p["spec"]["traffic"]]
    if not limited:
        return
    gateway = plan.document["outputs"]["gateway"]
    [policy] = [
        p
        for p in _objects(plan, "AgentgatewayPolicy")
        if p["spec"]["targetRefs"]
        == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway["name"]}]
        and "traffic" in p["spec"]
    ]
    assert policy["metadata"]["namespace"] == gateway["namespace"]
    assert policy["spec"]["traffic"]["phase"] == "PreRouting"  # set before a route's limit can refuse the request
    [header] = policy["spec"]["traffic"]["transformation"]["response"]["set"]
    assert header == {"name": "retry-after", "value": RETRY_AFTER}
