"""Every custom resource of every example stack is admitted as the API server admits it on create: defaults, strict
schema, then the CRD's CEL rules (tools/admission.py). Each CRD whose rules run on create shows one rule firing on a
bad object, so a check that stopped evaluating would fail here."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tools.admission import admission_errors, rule_errors, with_defaults
from tools.crd_sources import CRD_SCHEMA_DIR, schema_path
from tools.offline import Mode, planned_stack_names
from tools.validation import is_builtin

CASES = [(stack, mode) for stack in planned_stack_names() for mode in Mode.ALL]


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_every_custom_resource_is_admitted_on_create(plans: dict[Any, Any], stack: str, mode: str) -> None:
    errors = {
        name: admission_errors(body) for name, body in plans[(stack, mode)].manifests.items() if not is_builtin(body)
    }
    assert {name: found for name, found in errors.items() if found} == {}


def _planned(plans: dict[Any, Any], kind: str, name: str | None = None) -> dict[str, Any]:
    """A planned object of this kind (the first in stack order, or the one named), to break one rule of."""
    for stack in planned_stack_names():
        for body in plans[(stack, Mode.UPDATE)].manifests.values():
            if body["kind"] == kind and name in (None, body["metadata"]["name"]):
                return copy.deepcopy(body)
    raise AssertionError(f"no stack plans a {kind}")


def _route_with_a_redirect_beside_its_backends(route: dict[str, Any]) -> None:
    route["spec"]["rules"][0]["filters"] = [
        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
    ]


def _gateway_with_two_listeners_of_one_name(gateway: dict[str, Any]) -> None:
    listeners = gateway["spec"]["listeners"]
    listeners.append({**listeners[0], "port": 8080})


def _interceptor_route_target_with_port_and_port_name(route: dict[str, Any]) -> None:
    route["spec"]["target"]["portName"] = "http"


def _inference_pool_with_a_port_twice(pool: dict[str, Any]) -> None:
    pool["spec"]["targetPorts"] = pool["spec"]["targetPorts"] * 2


def _scaled_object_with_min_above_max(scaled: dict[str, Any]) -> None:
    scaled["spec"]["minReplicaCount"] = scaled["spec"]["maxReplicaCount"] + 1


def _cluster_rule_both_alert_and_record(rules: dict[str, Any]) -> None:
    rules["spec"]["groups"][0]["rules"][0]["record"] = "gpu:too_hot"


def _issuer_with_an_empty_venafi(issuer: dict[str, Any]) -> None:
    issuer["spec"] = {"venafi": {"zone": "z"}}


def _compute_class_with_node_pools_under_autopilot(compute_class: dict[str, Any]) -> None:
    compute_class["spec"]["autopilot"] = {"enabled": True}


AGENTGATEWAY = "agentgateway.dev/v1alpha1"


def _agentgateway(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": AGENTGATEWAY,
        "kind": kind,
        "metadata": {"name": "llm-platform", "namespace": "agentgateway-system"},
        "spec": spec,
    }


def _backend_both_static_and_dynamic(backend: dict[str, Any]) -> None:
    backend["spec"]["dynamicForwardProxy"] = {}


def _parameters_with_a_shutdown_window_upside_down(parameters: dict[str, Any]) -> None:
    parameters["spec"]["shutdown"] = {"min": 30, "max": 10}


def _policy_with_nothing_to_apply(policy: dict[str, Any]) -> None:
    del policy["spec"]["frontend"]


def _parameters_with_a_deployment_overlay_on_a_daemon_set(parameters: dict[str, Any]) -> None:
    parameters["spec"]["workload"] = {"kind": "DaemonSet"}


def _keepalive_on_a_listener(policy: dict[str, Any]) -> None:
    policy["spec"]["targetRefs"][0]["sectionName"] = "https-llm-example-com"


def _postgres_cluster_with_an_image_and_a_catalog(cluster: dict[str, Any]) -> None:
    cluster["spec"]["imageCatalogRef"] = {
        "apiGroup": "postgresql.cnpg.io",
        "kind": "ClusterImageCatalog",
        "name": "postgresql",
        "major": 18,
    }


# kind → (the object to break: a planned one, or a minimal valid one for kinds no example stack plans yet; how it is
# broken; the message of the rule that must fire)
BROKEN: dict[str, tuple[str | dict[str, Any], Callable[[dict[str, Any]], None], str]] = {
    "HTTPRoute": ("qwen-7b", _route_with_a_redirect_beside_its_backends,
                  "RequestRedirect filter must not be used together with backendRefs"),
    "Gateway": ("llm-platform", _gateway_with_two_listeners_of_one_name,
                "Listener name must be unique within the Gateway"),
    "InterceptorRoute": ("", _interceptor_route_target_with_port_and_port_name,
                         "exactly one of 'port' or 'portName' must be set"),
    "InferencePool": ("", _inference_pool_with_a_port_twice, "port number must be unique"),
    "ScaledObject": ("", _scaled_object_with_min_above_max,
                     "minReplicaCount must be less than or equal to maxReplicaCount"),
    "ClusterRules": ("", _cluster_rule_both_alert_and_record, "Must set exactly one of Record or Alert"),
    "ClusterIssuer": ("", _issuer_with_an_empty_venafi, "exactly one of tpp, cloud, or ngts must be configured"),
    "ComputeClass": ("", _compute_class_with_node_pools_under_autopilot,
                     "Nodepools priority cannot be used when Autopilot is enabled"),
    "AgentgatewayBackend": (_agentgateway("AgentgatewayBackend", {"static": {"host": "example.com", "port": 443}}),
                            _backend_both_static_and_dynamic, "exactly one of the fields in [ai static"),
    "AgentgatewayParameters": ("llm-platform", _parameters_with_a_deployment_overlay_on_a_daemon_set,
                               "deployment overlays are only valid when workload.kind is Deployment or unset"),
    "AgentgatewayPolicy": ("client-keepalive", _policy_with_nothing_to_apply,
                           "At least one of traffic, frontend, or backend must be provided."),
    "Cluster": ("vectors", _postgres_cluster_with_an_image_and_a_catalog,
                "imageName and imageCatalogRef are mutually exclusive"),
}  # fmt: skip


def _create_rules(schema: Any) -> int:
    """How many CEL rules of a schema run on create (transition rules, reading oldSelf, do not)."""
    if isinstance(schema, dict):
        own = sum("oldSelf" not in rule["rule"] for rule in schema.get("x-kubernetes-validations", []))
        return own + sum(_create_rules(value) for value in schema.values())
    if isinstance(schema, list):
        return sum(_create_rules(value) for value in schema)
    return 0


def test_each_vendored_crd_with_rules_on_create_has_a_broken_object_here() -> None:
    with_rules = set()
    for path in CRD_SCHEMA_DIR.rglob("*.json"):
        if _create_rules(json.loads(path.read_text())):
            with_rules.add(path.name.split("-")[0])
    assert with_rules == {kind.lower() for kind in BROKEN}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_the_object_is_admitted_and_breaking_one_rule_is_refused(plans: dict[Any, Any], kind: str) -> None:
    source, breaks, message = BROKEN[kind]
    good = copy.deepcopy(source) if isinstance(source, dict) else _planned(plans, kind, source or None)
    assert admission_errors(good) == []
    bad = copy.deepcopy(good)
    breaks(bad)
    errors = admission_errors(bad)
    assert [error for error in errors if message in error], errors


def test_the_redirect_route_passes_only_once_defaulted(plans: dict[Any, Any]) -> None:
    """Gateway API counts `self[0].matches` of every rule: a rule with no matches has them only from the CRD's
    default (PathPrefix /), as the API server applies it before the rules run."""
    route = _planned(plans, "HTTPRoute", "https-redirect")
    assert "matches" not in route["spec"]["rules"][0]
    schema = json.loads(schema_path(route["apiVersion"], route["kind"]).read_text())
    assert rule_errors(route, schema) != []
    defaulted = with_defaults(route, schema)
    assert defaulted["spec"]["rules"][0]["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert rule_errors(defaulted, schema) == []


def test_the_planned_parameters_also_pass_the_shutdown_rule(plans: dict[Any, Any]) -> None:
    parameters = _planned(plans, "AgentgatewayParameters")
    parameters["spec"]["shutdown"] = {"min": 10, "max": 30}
    assert admission_errors(parameters) == []
    _parameters_with_a_shutdown_window_upside_down(parameters)
    assert any(
        "The 'min' value must be less than or equal to the 'max' value." in e for e in admission_errors(parameters)
    )


def test_the_keepalive_policy_may_not_target_one_listener(plans: dict[Any, Any]) -> None:
    policy = _planned(plans, "AgentgatewayPolicy", "client-keepalive")
    _keepalive_on_a_listener(policy)
    assert any("may only target a Gateway or port, not a listener" in e for e in admission_errors(policy))


def test_a_wake_route_setting_the_host_header_is_admitted(exposure_cases: dict[str, Any]) -> None:
    """The agentgateway wake path: a backendRef's RequestHeaderModifier that sets Host (tests/exposure_variants.py
    aws-sleeper), under both channels' CEL rules."""
    cluster = exposure_cases["aws-sleeper"].cluster
    wake_routes = [
        route
        for route in cluster.kind("HTTPRoute")
        if any(
            f.get("type") == "RequestHeaderModifier"
            for rule in route["spec"]["rules"]
            for ref in rule.get("backendRefs") or []
            for f in ref.get("filters") or []
        )
    ]
    assert wake_routes
    for route in wake_routes:
        assert admission_errors(route) == []


def test_an_http_route_is_admitted_under_the_experimental_channel_an_existing_cluster_may_run(
    plans: dict[Any, Any],
) -> None:
    """Rule names unique within a route: a CEL rule of the experimental channel only (Gateway API v1.6.1)."""
    route = _planned(plans, "HTTPRoute", "qwen-7b")
    route["spec"]["rules"] = [rule | {"name": "chat"} for rule in route["spec"]["rules"] * 2]
    errors = admission_errors(route)
    assert errors
    assert all(error.startswith("[experimental] spec.rules: Rule name must be unique") for error in errors), errors
