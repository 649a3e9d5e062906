"""Every exposed model's whole path, on every example stack and on variants of them (a public and an internal Gateway
per cloud, a sleeping model behind the Gateway per cloud), walked over each plan by tools/exposure_paths.py: from the
Internet, from an address of the network and from the configured client pods, through the cloud's rules, the load
balancer, the Gateway's proxies, listener and route, to the model's pods; and the health checks of each load balancer.

Each walk names the rules it relied on; taking any one of them away breaks the walk."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from components.serving.served_names import resource_name as served_route
from tests.exposure_variants import (
    CASES,
    GATEWAY_CLIENT,
    GATEWAY_SOURCE_RANGE,
    NETWORK_ADDRESS,
    Case,
    credential,
    gateway_sources,
)
from tools.admission import admission_errors
from tools.exposure_paths import (
    Walk,
    health_checks,
    load_balancers,
    routes,
    walk_in_cluster,
    walk_load_balancer,
    walk_route,
)
from tools.offline import Mode, planned_stack_names
from tools.planned_cluster import INTERNET
from tools.reachability import Address, Pod


@pytest.fixture(scope="module")
def cases(exposure_cases: dict[str, Case]) -> dict[str, Case]:
    return exposure_cases


def _assert_each_rule_is_needed(walk: Walk, rewalk: Any) -> None:
    assert walk.relied_on, "a path relies on at least one rule"
    for rule in walk.relied_on:
        assert not rewalk(rule).reaches, f"still reaches without {rule}"


def test_the_variants_expose_a_public_and_an_internal_gateway_and_a_sleeping_model_on_each_cloud(
    cases: dict[str, Case],
) -> None:
    seen = set()
    for case in cases.values():
        config = case.config
        if not routes(case.cluster) or config.cloud is None:
            continue
        seen.add((config.cloud.value, "internal" if config.gateway_internal else "public"))
        if any(model.sleeps and model.spec.host for model in config.models.values()):
            seen.add((config.cloud.value, "sleeper"))
    assert seen == {(cloud, kind) for cloud in ("aws", "gcp", "azure") for kind in ("public", "internal", "sleeper")}


def _pooled_routes(case: Case) -> list[tuple[str, str]]:
    """The (host, path) of routes whose backends include an InferencePool."""
    return [
        (host, match["path"]["value"])
        for route in case.cluster.kind("HTTPRoute")
        for host in route["spec"].get("hostnames") or []
        for rule in route["spec"]["rules"]
        if any(ref.get("kind") == "InferencePool" for ref in rule["backendRefs"])
        for match in rule.get("matches") or []
    ]


@pytest.mark.parametrize("case", CASES)
def test_with_the_picker_down_a_pools_requests_still_reach_its_pods(cases: dict[str, Case], case: str) -> None:
    world = cases[case]
    reaching, _ = gateway_sources(world)
    for host, path in _pooled_routes(world):
        for source in reaching:
            key = credential(world, host, path)
            walk = walk_route(world.cluster, source, host, path, credential=key, picker_down=True)
            assert walk.reaches, f"{source} -> {host}{path} with the picker down: {walk.blocked}"
            assert any("fails open" in hop for hop in walk.hops)
            _assert_each_rule_is_needed(
                walk,
                lambda rule, s=source, h=host, p=path, k=key: walk_route(
                    world.cluster.without(rule), s, h, p, credential=k, picker_down=True
                ),
            )


def test_the_variants_route_through_a_pool_on_every_cloud(cases: dict[str, Case]) -> None:
    clouds = {case.config.cloud.value for case in cases.values() if case.config.cloud and _pooled_routes(case)}
    assert {"aws", "gcp", "azure"} <= clouds


def test_a_pool_that_fails_closed_blocks_its_requests_when_the_picker_is_down(cases: dict[str, Case]) -> None:
    world = next(case for case in cases.values() if case.config.cloud and _pooled_routes(case))
    manifests = copy.deepcopy(world.cluster.manifests)
    for body in manifests:
        if body["kind"] == "InferencePool":
            body["spec"]["endpointPickerRef"]["failureMode"] = "FailClose"
    closed = world.cluster.with_manifests(manifests)
    host, path = _pooled_routes(world)[0]
    source = gateway_sources(world)[0][0]
    key = credential(world, host, path)
    assert not walk_route(closed, source, host, path, credential=key, picker_down=True).reaches
    assert walk_route(closed, source, host, path, credential=key).reaches


@pytest.mark.parametrize("case", CASES)
def test_every_route_reaches_its_models_pods_from_its_gateways_clients_and_from_no_one_else(
    cases: dict[str, Case], case: str
) -> None:
    world = cases[case]
    reaching, refused = gateway_sources(world)
    for host, path in routes(world.cluster):
        for source in reaching:
            key = credential(world, host, path)
            walk = walk_route(world.cluster, source, host, path, credential=key)
            assert walk.reaches, f"{source} -> {host}{path}: {walk.blocked}"
            _assert_each_rule_is_needed(
                walk,
                lambda rule, s=source, h=host, p=path, k=key: walk_route(
                    world.cluster.without(rule), s, h, p, credential=k
                ),
            )
        for source in refused:
            walk = walk_route(world.cluster, source, host, path, credential=credential(world, host, path))
            assert not walk.reaches, f"{source} -> {host}{path}"


@pytest.mark.parametrize("case", CASES)
def test_every_load_balancer_in_front_of_a_route_finds_its_backends_healthy(cases: dict[str, Case], case: str) -> None:
    world = cases[case]
    for host, path in routes(world.cluster):
        walk = health_checks(world.cluster, host, path)
        assert walk.reaches, f"{host}{path}: {walk.blocked}"
        for rule in walk.relied_on:
            assert not health_checks(world.cluster.without(rule), host, path).reaches, f"healthy without {rule}"


@pytest.mark.parametrize("case", CASES)
def test_a_models_own_load_balancer_admits_its_source_ranges_and_no_other_address(
    cases: dict[str, Case], case: str
) -> None:
    world = cases[case]
    for service in load_balancers(world.cluster):
        inside = Address(service["spec"]["loadBalancerSourceRanges"][0].split("/")[0].rsplit(".", 1)[0] + ".9")
        walk = walk_load_balancer(world.cluster, inside, service)
        assert walk.reaches, f"{inside} -> {service['metadata']['name']}: {walk.blocked}"
        _assert_each_rule_is_needed(
            walk, lambda rule, a=inside, s=service: walk_load_balancer(world.cluster.without(rule), a, s)
        )
        assert not walk_load_balancer(world.cluster, Address("203.0.113.77"), service).reaches


@pytest.mark.parametrize("case", CASES)
def test_configured_client_pods_reach_their_model_by_its_base_url(cases: dict[str, Case], case: str) -> None:
    world = cases[case]
    namespace = world.config.namespace
    for name, model in world.config.models.items():
        service, port = (f"{name}-wake", 8080) if model.sleeps else _service(world, name)
        for client in model.spec.clients:
            pod = Pod(namespace=client.namespace or namespace, name="client", labels=dict(client.pod_labels))
            walk = walk_in_cluster(world.cluster, pod, namespace, service, port)
            assert walk.reaches, f"{pod} -> {name}: {walk.blocked}"
            _assert_each_rule_is_needed(
                walk,
                lambda rule, c=pod, s=service, p=port: walk_in_cluster(world.cluster.without(rule), c, namespace, s, p),
            )


def _service(world: Case, name: str) -> tuple[str, int]:
    if world.cluster.find("InferenceService", world.config.namespace, name) is not None:
        return f"{name}-predictor", 80
    return name, 8000


# --- the defects these walks found (issue 20), each on the variant that shows it ---------------------------------


def test_a_public_gateway_on_aks_is_reached_through_the_node_subnets_nsg(cases: dict[str, Case]) -> None:
    world = cases["azure-public"]
    walk = walk_route(
        world.cluster, INTERNET, "big.example.com", "/", credential=credential(world, "big.example.com", "/")
    )
    assert ("nsg", "public-gateway") in walk.relied_on


def test_on_gke_the_gateway_is_agentgateways_proxies_behind_gkes_internal_l4_load_balancer(
    cases: dict[str, Case],
) -> None:
    host, path = "llm.internal.example.com", "/large/v1/models"
    key = credential(cases["prod-gcp"], host, path)
    walk = walk_route(cases["prod-gcp"].cluster, NETWORK_ADDRESS, host, path, credential=key)
    assert walk.reaches, walk.blocked
    assert "agentgateway's load balancer (internal)" in walk.hops
    assert not walk_route(cases["prod-gcp"].cluster, INTERNET, host, path, credential=key).reaches


def test_a_sleeping_model_on_gke_is_woken_through_its_interceptor_from_agentgateways_proxies(
    cases: dict[str, Case],
) -> None:
    cluster = cases["gcp-sleeper"].cluster
    host, path = "llm.internal.example.com", "/large/v1/models"
    walk = walk_route(cluster, NETWORK_ADDRESS, host, path, credential=credential(cases["gcp-sleeper"], host, path))
    assert ("object", "InterceptorRoute", "llm-serving", "qwen-72b") in walk.relied_on
    assert ("policy-rule", "keda", "allow-http-interceptor-callers", 0) in walk.relied_on


# --- gatewaySourceRanges: the Gateway's load balancer (and on AKS the node subnet's NSG) admit only them ----------


@pytest.mark.parametrize("case", ["aws-limited", "gcp-limited", "azure-limited"])
def test_a_gateway_limited_to_source_ranges_is_reached_from_inside_them_and_not_from_the_internet(
    cases: dict[str, Case], case: str
) -> None:
    world = cases[case]
    [(host, path), *_] = routes(world.cluster)
    key = credential(world, host, path)
    assert walk_route(world.cluster, GATEWAY_CLIENT, host, path, credential=key).reaches
    assert not walk_route(world.cluster, INTERNET, host, path, credential=key).reaches


@pytest.mark.parametrize("case", ["aws-limited", "gcp-limited", "azure-limited"])
def test_the_gateways_proxy_service_admits_only_the_gateway_source_ranges(cases: dict[str, Case], case: str) -> None:
    [parameters] = cases[case].cluster.kind("AgentgatewayParameters")
    assert parameters["spec"]["service"]["spec"]["loadBalancerSourceRanges"] == [GATEWAY_SOURCE_RANGE]
    assert admission_errors(parameters) == []


def test_aks_opens_its_node_subnet_to_the_gateway_source_ranges_instead_of_the_internet(
    cases: dict[str, Case],
) -> None:
    [rule] = [rule for rule in cases["azure-limited"].cluster.nsg_rules or [] if rule["name"] == "public-gateway"]
    assert rule.get("sourceAddressPrefixes") == [GATEWAY_SOURCE_RANGE]
    assert "sourceAddressPrefix" not in rule


# --- served names: route → AgentgatewayBackend → each model in priority order --------------------------------------


def test_a_served_names_walk_tries_its_models_in_the_plans_order_and_reaches_each(
    plans: Mapping[tuple[str, str], Any], cases: dict[str, Case]
) -> None:
    walked = 0
    for stack in planned_stack_names():
        outputs = plans[(stack, Mode.UPDATE)].document["outputs"].get("servedNames") or {}
        world = cases[stack]
        for name, served_name in outputs.items():
            route = world.cluster.find("HTTPRoute", world.config.namespace, served_route(name))
            assert route is not None, name
            [host] = route["spec"]["hostnames"]
            path = route["spec"]["rules"][0]["matches"][0]["path"]["value"]
            source = gateway_sources(world)[0][0]
            walk = walk_route(world.cluster, source, host, path, credential=credential(world, host, path))
            assert walk.reaches, f"{name}: {walk.blocked}"
            order = [model["model"] for model in served_name["models"]]
            assert walk.order == order, name
            assert [served.pod.name for served in walk.reached] == order, name
            walked += 1
    assert walked >= 2
