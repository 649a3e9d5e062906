"""A served name's objects on agentgateway v1.4.1: one priority group per model in order, each provider reaching
its model's Service with the model rewritten, eviction on failure, retries that move a failed request on, and a
route to the backend; each admitted by its vendored CRD and CEL rules (tools/admission.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.catalog.instances import Cloud
from components.serving.gateway import gateway_ref
from components.serving.route_auth import RouteAccess, policy_spec
from components.serving.served_names import (
    API_VERSION,
    RETRY_CODES,
    UNHEALTHY_CONDITION,
    Candidate,
    backend_spec,
    ordered,
    proxy_monitor_spec,
    retry_traffic,
    served_names_refusal,
    served_route_spec,
)
from tools.admission import admission_errors

NS = "llm-serving"
GATEWAY = gateway_ref(existing=None, cloud=Cloud.AWS)
SMALL = Candidate(model="small", served_model_name="qwen-small", service="small", port=8000, usd_per_replica_hour=0.53)
LARGER = Candidate(model="larger", served_model_name="qwen-7b", service="larger", port=8000, usd_per_replica_hour=3.2)
UNPRICED = Candidate(model="unpriced", served_model_name="u", service="unpriced", port=8000)
POOLED = Candidate(model="pooled", served_model_name="p", service="pooled", port=8000, pool=True)


def body(kind: str, spec: dict[str, Any], api_version: str = API_VERSION) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "served-chat", "namespace": NS}, "spec": spec}


def providers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [group["providers"][0] for group in spec["ai"]["groups"]]


@pytest.mark.parametrize("embed", [False, True])
def test_the_backend_is_admitted_by_its_crd_and_cel_rules(embed: bool) -> None:
    spec = backend_spec((SMALL, LARGER, POOLED), NS, embed=embed)
    assert admission_errors(body("AgentgatewayBackend", spec)) == []


def test_a_provider_with_a_host_and_no_port_is_refused_by_the_crds_rule() -> None:
    spec = backend_spec((SMALL, LARGER), NS, embed=False)
    broken = copy.deepcopy(spec)
    del broken["ai"]["groups"][0]["providers"][0]["port"]
    assert any(
        "both host and port must be set together" in e for e in admission_errors(body("AgentgatewayBackend", broken))
    )


def test_nine_models_exceed_the_crds_eight_priority_groups() -> None:
    spec = backend_spec([SMALL] * 9, NS, embed=False)
    assert admission_errors(body("AgentgatewayBackend", spec)) != []


def test_one_priority_group_per_model_in_the_order_given() -> None:
    spec = backend_spec((LARGER, SMALL), NS, embed=False)
    assert [group["providers"][0]["name"] for group in spec["ai"]["groups"]] == ["larger", "small"]
    assert all(len(group["providers"]) == 1 for group in spec["ai"]["groups"])


def test_each_provider_reaches_its_models_service_over_plain_http_with_the_model_rewritten() -> None:
    [provider] = providers(backend_spec((SMALL,), NS, embed=False))
    assert provider["host"] == "small.llm-serving.svc.cluster.local"
    assert provider["port"] == 8000
    assert provider["openai"] == {"model": "qwen-small"}


def test_a_model_behind_its_inference_pool_is_a_custom_provider_naming_the_pool() -> None:
    [provider] = providers(backend_spec((POOLED,), NS, embed=True))
    assert provider["custom"] == {
        "backendRef": {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "pooled"},
        "formats": [{"type": "Embeddings"}],
        "model": "p",
    }
    assert "host" not in provider


def test_one_failure_evicts_a_model_so_the_retry_goes_to_the_next() -> None:
    # http/health.rs eviction_decision: with neither consecutiveFailures nor healthThreshold, one unhealthy response
    # evicts; with either, a retry could land on the same group again.
    for provider in providers(backend_spec((SMALL, LARGER), NS, embed=False)):
        eviction = provider["policies"]["health"]["eviction"]
        assert set(eviction) == {"duration"}
        assert provider["policies"]["health"]["unhealthyCondition"] == UNHEALTHY_CONDITION


def test_the_unhealthy_condition_counts_5xx_429_and_a_missing_response() -> None:
    # A connection failure has no response: `response.code` alone errors, which counts as healthy (cel/types.rs
    # eval_bool), hence default() (celx general.rs), which turns the missing key into 503.
    assert "default(response.code, 503) >= 500" in UNHEALTHY_CONDITION
    assert "default(response.code, 503) == 429" in UNHEALTHY_CONDITION
    assert "response.code" not in UNHEALTHY_CONDITION.replace("default(response.code, 503)", "")


@pytest.mark.parametrize(
    ("embed", "path", "kind"), [(False, "/v1/chat/completions", "Completions"), (True, "/v1/embeddings", "Embeddings")]
)
def test_the_apis_path_is_parsed_and_any_other_passes_through(embed: bool, path: str, kind: str) -> None:
    routes = backend_spec((SMALL, LARGER), NS, embed=embed)["policies"]["ai"]["routes"]
    assert routes == {path: kind, "*": "Passthrough"}


def test_the_retry_tries_every_model_once_on_429_and_5xx() -> None:
    retry = retry_traffic(3)["retry"]
    assert retry["attempts"] == 2  # retries after the first: httpproxy.rs attempts + 1 in all
    assert {429, 500, 502, 503, 504} <= set(retry["codes"])
    assert set(RETRY_CODES) == set(retry["codes"])


def test_the_retry_shares_the_routes_one_policy_with_its_authentication() -> None:
    spec = policy_spec("served-chat", RouteAccess(clients=("app",)), retry_traffic(2))
    assert spec["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "served-chat"}]
    assert set(spec["traffic"]) == {"apiKeyAuthentication", "retry"}
    assert admission_errors(body("AgentgatewayPolicy", spec)) == []


def test_a_public_names_policy_carries_only_its_retries() -> None:
    spec = policy_spec("served-chat", RouteAccess(public_reason="a public demo"), retry_traffic(2))
    assert set(spec["traffic"]) == {"retry"}
    assert admission_errors(body("AgentgatewayPolicy", spec)) == []


def test_the_route_sends_the_host_to_the_backend_without_a_port() -> None:
    spec = served_route_spec(
        gateway=GATEWAY, host="chat.example.com", path=None, backend="served-chat", timeout_seconds=600
    )
    [rule] = spec["rules"]
    assert rule["backendRefs"] == [{"group": "agentgateway.dev", "kind": "AgentgatewayBackend", "name": "served-chat"}]
    assert spec["hostnames"] == ["chat.example.com"]
    assert spec["parentRefs"][0]["sectionName"] == "https-chat-example-com"


def test_the_route_is_admitted_by_the_httproute_crd() -> None:
    spec = served_route_spec(
        gateway=GATEWAY, host="chat.example.com", path="/any", backend="served-chat", timeout_seconds=600
    )
    assert admission_errors(body("HTTPRoute", spec, "gateway.networking.k8s.io/v1")) == []


def test_listed_order_is_the_order_written() -> None:
    assert [c.model for c in ordered((LARGER, SMALL), cheapest=False)] == ["larger", "small"]


def test_cheapest_order_puts_the_cheaper_replica_hour_first() -> None:
    assert [c.model for c in ordered((LARGER, SMALL), cheapest=True)] == ["small", "larger"]


def test_cheapest_order_puts_an_unknown_price_last_and_keeps_ties_as_listed() -> None:
    twin = Candidate(model="twin", served_model_name="t", service="twin", port=8000, usd_per_replica_hour=0.53)
    assert [c.model for c in ordered((UNPRICED, twin, LARGER, SMALL), cheapest=True)] == [
        "twin",
        "small",
        "larger",
        "unpriced",
    ]


def test_the_stacks_own_gateway_serves_a_name_with_fallback_on_every_target_an_existing_one_does_not() -> None:
    assert served_names_refusal(gateway_ref(existing=None, cloud=Cloud.AWS)) is None
    assert served_names_refusal(gateway_ref(existing=None, cloud=Cloud.AZURE)) is None
    assert served_names_refusal(gateway_ref(existing=None, cloud=None)) is None
    assert served_names_refusal(gateway_ref(existing=None, cloud=Cloud.GCP)) is None
    assert served_names_refusal(gateway_ref(existing="edge/public", cloud=Cloud.AWS)) is not None


def test_the_proxies_are_scraped_on_their_metrics_port() -> None:
    monitor = proxy_monitor_spec(GATEWAY)
    assert monitor is not None
    assert monitor["podMetricsEndpoints"] == [{"port": "metrics", "path": "/metrics"}]
    assert monitor["namespaceSelector"] == {"matchNames": [GATEWAY.namespace]}
    assert GATEWAY.proxies is not None
    assert monitor["selector"]["matchLabels"] == dict(GATEWAY.proxies.pod_labels)
    assert admission_errors(body("PodMonitor", monitor, "monitoring.coreos.com/v1")) == []


def test_a_gateway_whose_proxies_the_stack_does_not_know_gets_no_monitor() -> None:
    existing = gateway_ref(existing="edge/public", cloud=None)
    assert proxy_monitor_spec(existing) is None
