"""The authentication step of the walks (tools/route_access.py) on made-up objects: the modes of agentgateway v1.4.1's
key and token checks, the rate limit a client gets, and vLLM's key check by path."""

from __future__ import annotations

from typing import Any

import pytest

from tools.planned_cluster import Cluster
from tools.reachability import Pod
from tools.route_access import ANONYMOUS, Credential, RefusedError, check_at_gateway, check_at_server

ROUTE = {"kind": "HTTPRoute", "metadata": {"namespace": "llm-serving", "name": "chat"}, "spec": {}}
SECRET = {
    "kind": "Secret",
    "metadata": {"namespace": "llm-serving", "name": "chat-api-keys"},
    "stringData": {"app": "[secret]", "batch": "[secret]"},
}


def _policy(traffic: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "AgentgatewayPolicy",
        "metadata": {"namespace": "llm-serving", "name": "chat-auth"},
        "spec": {"targetRefs": [{"kind": "HTTPRoute", "name": "chat"}], "traffic": traffic},
    }


def _cluster(*bodies: dict[str, Any], secret_clients: dict[tuple[str, str], frozenset[str]] | None = None) -> Cluster:
    return Cluster(
        cloud=None,
        manifests=[ROUTE, SECRET, *bodies],
        nsg_rules=None,
        secret_clients=secret_clients,
    )


def _keys(mode: str | None) -> dict[str, Any]:
    check: dict[str, Any] = {"secretRef": {"name": "chat-api-keys"}}
    if mode is not None:
        check["mode"] = mode
    return {"apiKeyAuthentication": check}


@pytest.mark.parametrize("mode", ["Strict", None])
def test_a_strict_key_check_refuses_a_missing_or_unknown_key(mode: str | None) -> None:
    """None: the API server fills in the CRD's default, Strict."""
    cluster = _cluster(_policy(_keys(mode)))
    for credential in (ANONYMOUS, Credential(client="stranger")):
        with pytest.raises(RefusedError) as refused:
            check_at_gateway(cluster, ROUTE, credential)
        assert refused.value.status == 401
    assert check_at_gateway(cluster, ROUTE, Credential(client="app")).policy is not None


def test_an_optional_key_check_lets_a_request_without_a_key_through_but_not_a_wrong_key() -> None:
    cluster = _cluster(_policy(_keys("Optional")))
    check_at_gateway(cluster, ROUTE, ANONYMOUS)
    with pytest.raises(RefusedError):
        check_at_gateway(cluster, ROUTE, Credential(client="stranger"))


def test_a_permissive_key_check_lets_every_request_through() -> None:
    cluster = _cluster(_policy(_keys("Permissive")))
    check_at_gateway(cluster, ROUTE, ANONYMOUS)
    check_at_gateway(cluster, ROUTE, Credential(client="stranger"))


def test_a_token_must_come_from_the_issuer_for_one_of_its_audiences() -> None:
    provider = {"issuer": "https://login.example.com", "audiences": ["llm"]}
    cluster = _cluster(_policy({"jwtAuthentication": {"mode": "Strict", "providers": [provider]}}))
    check_at_gateway(cluster, ROUTE, Credential(issuer="https://login.example.com", audience="llm"))
    for credential in (
        ANONYMOUS,
        Credential(issuer="https://login.example.com", audience="other"),
        Credential(issuer="https://evil.example.com", audience="llm"),
    ):
        with pytest.raises(RefusedError):
            check_at_gateway(cluster, ROUTE, credential)


def test_each_client_gets_the_first_limit_whose_condition_names_it() -> None:
    limits = {
        "conditional": [
            {"condition": "apiKey.client == 'app'", "policy": {"local": [{"requests": 60, "unit": "Minutes"}]}},
            {"condition": "apiKey.client == 'batch'", "policy": {"local": [{"requests": 5, "unit": "Seconds"}]}},
        ]
    }
    cluster = _cluster(_policy({**_keys("Strict"), "rateLimit": limits}))
    assert check_at_gateway(cluster, ROUTE, Credential(client="app")).rate_limit == "60 requests per minute for app"
    assert check_at_gateway(cluster, ROUTE, Credential(client="batch")).rate_limit == "5 requests per second for batch"


def test_a_route_no_policy_targets_answers_anyone() -> None:
    check = check_at_gateway(_cluster(), ROUTE, ANONYMOUS)
    assert check.policy is None


def _server(args: list[str]) -> dict[str, Any]:
    spec = {
        "containers": [
            {
                "name": "vllm",
                "args": args,
                "volumeMounts": [{"name": "api-keys", "mountPath": "/etc/vllm-api-keys", "readOnly": True}],
            }
        ],
        "volumes": [
            {
                "name": "api-keys",
                "secret": {"secretName": "chat-vllm-keys", "items": [{"key": "keys.yaml", "path": "keys.yaml"}]},
            }
        ],
    }
    return {
        "kind": "Deployment",
        "metadata": {"namespace": "llm-serving", "name": "chat"},
        "spec": {"template": {"metadata": {}, "spec": spec}},
    }


VLLM_SECRET = {
    "kind": "Secret",
    "metadata": {"namespace": "llm-serving", "name": "chat-vllm-keys"},
    "stringData": {"keys.yaml": "[secret]"},
}
POD = Pod(namespace="llm-serving", name="chat")


def test_vllm_with_a_key_file_refuses_a_request_without_one_of_its_keys_on_the_api_only() -> None:
    cluster = _cluster(
        _server(["--model", "m", "--config", "/etc/vllm-api-keys/keys.yaml"]),
        VLLM_SECRET,
        secret_clients={("llm-serving", "chat-vllm-keys"): frozenset({"app"})},
    )
    for path in ("/v1/chat/completions", "/v1", "/inference/v1/generate"):
        with pytest.raises(RefusedError):
            check_at_server(cluster, POD, path, ANONYMOUS)
    check = check_at_server(cluster, POD, "/v1/models", Credential(client="app"))
    assert check is not None
    assert check.checked
    unguarded = check_at_server(cluster, POD, "/health", ANONYMOUS)
    assert unguarded is not None
    assert not unguarded.checked


def test_vllm_without_a_key_file_checks_nothing() -> None:
    cluster = _cluster(_server(["--model", "m"]), VLLM_SECRET)
    assert check_at_server(cluster, POD, "/v1/models", ANONYMOUS) is None
