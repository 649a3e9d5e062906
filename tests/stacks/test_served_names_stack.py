"""examples/served-names/: a served name with two models plans on aws, azure and an existing cluster, its objects
in the plan, its order and prices in the plan summary and the plan diff, and the Gateway's proxies admitted to its
models."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import parse_config
from stacks.serving import stack_gateway_ref
from tools.offline import ROOT, Mode, load_stack_files, planned_stack_names
from tools.plan import Plan, served_name_lines, summary
from tools.plan_facts import served_name_changes
from tools.reachability import Network, Pod

EXAMPLES = ROOT / "examples" / "served-names"
STACKS = ("served-names-aws", "served-names-gcp", "served-names-azure", "served-names-existing")


@pytest.fixture(scope="module")
def served_plans(plans: dict[Any, Any]) -> dict[str, Plan]:
    return {stack: plans[(stack, Mode.UPDATE)] for stack in STACKS}


def one(plan: Plan, kind: str, name: str) -> dict[str, Any]:
    [found] = [b for b in plan.manifests.values() if b["kind"] == kind and b["metadata"]["name"] == name]
    return found


def test_the_examples_are_planned_with_every_per_stack_check() -> None:
    assert sorted(path.name for path in EXAMPLES.glob("Pulumi.*.yaml")) == sorted(f"Pulumi.{s}.yaml" for s in STACKS)
    assert set(STACKS) <= set(planned_stack_names())


@pytest.mark.parametrize("stack", STACKS)
def test_the_served_name_plans_with_its_backend_route_and_retries(served_plans: dict[str, Plan], stack: str) -> None:
    plan = served_plans[stack]
    backend = one(plan, "AgentgatewayBackend", "served-chat")
    assert len(backend["spec"]["ai"]["groups"]) == 2
    assert one(plan, "HTTPRoute", "served-chat")["spec"]["hostnames"] == ["chat.example.com"]
    traffic = one(plan, "AgentgatewayPolicy", "served-chat-auth")["spec"]["traffic"]
    assert traffic["retry"]["attempts"] == 1
    assert traffic["apiKeyAuthentication"]["secretRef"]["name"] == "served-chat-api-keys"


@pytest.mark.parametrize("stack", STACKS)
def test_the_gateway_has_a_listener_for_the_served_names_host(served_plans: dict[str, Plan], stack: str) -> None:
    gateway = one(served_plans[stack], "Gateway", "llm-platform")
    assert "chat.example.com" in [listener.get("hostname") for listener in gateway["spec"]["listeners"]]


@pytest.mark.parametrize("stack", STACKS)
def test_the_gateways_proxies_may_reach_models_without_a_host_of_their_own(
    served_plans: dict[str, Plan], stack: str
) -> None:
    plan = served_plans[stack]
    for group in one(plan, "AgentgatewayBackend", "served-chat")["spec"]["ai"]["groups"]:
        model = group["providers"][0]["name"]
        policy = one(plan, "NetworkPolicy", f"{model}-serving")
        peers = [peer for rule in policy["spec"]["ingress"] for peer in rule.get("from", [])]
        gateway = one(plan, "Gateway", "llm-platform")["metadata"]["namespace"]
        assert {"kubernetes.io/metadata.name": gateway} in [
            p.get("namespaceSelector", {}).get("matchLabels") for p in peers
        ]


def test_cheapest_order_puts_the_cheaper_replica_hour_first_on_aws(served_plans: dict[str, Plan]) -> None:
    served = served_plans["served-names-aws"].document["outputs"]["servedNames"]["chat"]
    prices = [model["usdPerReplicaHour"] for model in served["models"]]
    assert [model["model"] for model in served["models"]] == ["qwen-7b", "qwen3-8b"]
    assert prices == sorted(prices)
    assert prices[0] < prices[1]
    groups = one(served_plans["served-names-aws"], "AgentgatewayBackend", "served-chat")["spec"]["ai"]["groups"]
    assert [group["providers"][0]["name"] for group in groups] == ["qwen-7b", "qwen3-8b"]


def test_an_existing_cluster_has_no_price_and_keeps_the_listed_order(served_plans: dict[str, Plan]) -> None:
    served = served_plans["served-names-existing"].document["outputs"]["servedNames"]["chat"]
    assert served["order"] == "listed"
    assert [(model["model"], model["usdPerReplicaHour"]) for model in served["models"]] == [
        ("small", None),
        ("larger", None),
    ]


def test_a_model_the_name_falls_back_from_refuses_work_past_its_saturation_and_the_last_never(
    served_plans: dict[str, Plan],
) -> None:
    plan = served_plans["served-names-aws"]

    def args(name: str) -> list[str]:
        return one(plan, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]["args"]

    first = args("qwen-7b")
    limit = int(first[first.index("--max-num-queued-reqs") + 1])
    sizing = plan.document["outputs"]["models"]["qwen-7b"]["sizing"]["perGpu"]
    assert limit == sizing["maxNumSeqs"] + 4  # the batch, plus KEDA's default queue per replica
    assert "--max-num-queued-reqs" not in args("qwen3-8b")


def test_the_plan_summary_shows_the_order_and_each_price(served_plans: dict[str, Plan]) -> None:
    text = summary(served_plans["served-names-aws"])
    assert "Served name 'chat': https://chat.example.com/v1, models tried in order (cheapest):" in text
    assert "  1. qwen-7b (as 'Qwen/Qwen2.5-7B-Instruct'), $0.98 per replica-hour" in text


def test_the_plan_summary_says_when_a_price_is_unknown() -> None:
    served = {
        "publicUrl": "u",
        "order": "listed",
        "models": [{"model": "a", "servedModelName": "a", "usdPerReplicaHour": None}],
    }
    assert served_name_lines("chat", served)[1] == "  1. a (as 'a'), price per replica-hour unknown"


def _served(*models: tuple[str, float | None], order: str = "cheapest") -> dict[str, Any]:
    return {
        "publicUrl": "https://chat.example.com/v1",
        "order": order,
        "models": [{"model": m, "servedModelName": m, "usdPerReplicaHour": usd} for m, usd in models],
    }


def test_the_plan_diff_shows_a_new_served_names_order_and_prices() -> None:
    assert served_name_changes({}, {"chat": _served(("a", 0.5), ("b", 2.0))}) == [
        "Served name chat added (cheapest): a ($0.50/h) > b ($2.00/h)"
    ]


def test_the_plan_diff_shows_a_price_that_reorders_the_models() -> None:
    before = {"chat": _served(("a", 0.5), ("b", 2.0))}
    after = {"chat": _served(("b", 0.4), ("a", 0.5))}
    assert served_name_changes(before, after) == [
        "Served name chat (cheapest): a ($0.50/h) > b ($2.00/h) → b ($0.40/h) > a ($0.50/h)"
    ]


def test_the_plan_diff_is_silent_when_a_served_name_does_not_change() -> None:
    same = {"chat": _served(("a", 0.5), ("b", None))}
    assert served_name_changes(same, same) == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_gateways_proxies_reach_every_model_of_the_name_and_a_stranger_none(
    served_plans: dict[str, Plan], stack: str
) -> None:
    plan = served_plans[stack]
    files = load_stack_files(stack)
    raw = {key.split(":", 1)[1]: value for key, value in files.config.items() if key.startswith("llm-platform:")}
    config = parse_config(raw, stack=stack)
    gateway = stack_gateway_ref(config)
    assert gateway is not None
    assert gateway.proxies is not None
    network = Network([body for body in plan.manifests.values() if body["kind"] == "NetworkPolicy"])
    proxy = Pod(namespace=gateway.proxies.namespace, name="proxy", labels={**gateway.proxies.pod_labels, "x": "y"})
    strangers = [
        Pod(namespace=gateway.proxies.namespace, name="other", labels={"app": "other"}),
        Pod(namespace=config.namespace, name="stranger", labels={"app": "stranger"}),
    ]
    for model in config.served_names["chat"].models:
        template = one(plan, "Deployment", model)["spec"]["template"]
        [container] = template["spec"]["containers"]
        ports = {port["name"]: int(port["containerPort"]) for port in container["ports"]}
        pod = Pod(namespace=config.namespace, name=model, labels=template["metadata"]["labels"], ports=ports)
        assert network.ingress_allows(pod, proxy, ports["http"]), model
        for stranger in strangers:
            assert not network.ingress_allows(pod, stranger, ports["http"]), f"{stranger} -> {model}"


def test_on_gcp_the_stacks_prometheus_scrapes_the_proxies_as_it_scrapes_the_models(
    served_plans: dict[str, Plan],
) -> None:
    # On GKE the stack's own Prometheus (the Operator's) scrapes the models (ServiceMonitors) and evaluates their
    # alerts; only GKE's DCGM series go to Managed Prometheus. So the proxies' PodMonitor is the same one.
    plan = served_plans["served-names-gcp"]
    monitor = one(plan, "PodMonitor", "gateway-proxies")["spec"]
    assert monitor["namespaceSelector"] == {"matchNames": ["agentgateway-system"]}
    assert monitor["selector"]["matchLabels"]["gateway.networking.k8s.io/gateway-name"] == "llm-platform"
    assert one(plan, "ServiceMonitor", "qwen-7b-vllm")["apiVersion"] == "monitoring.coreos.com/v1"
    rules = one(plan, "PrometheusRule", "served-chat-alerts")["spec"]["groups"]
    assert any(
        "agentgateway_gen_ai_server_request_duration_count" in rule["expr"] for g in rules for rule in g["rules"]
    )
