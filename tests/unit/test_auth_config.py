"""`auth`, `public` and `publicReason`: every exposed model is authenticated or public with a reason, with the exact
messages a user sees, and what a valid configuration resolves to."""

from __future__ import annotations

from typing import Any

from stacks.config import parse_config
from tests.unit.test_config import existing, model, problems
from tests.unit.test_config_clouds import gcp

TLS = {"tlsClusterIssuer": "corp-ca"}
CLIENTS = {"apiKeyClients": ["chat-app", "evals"]}


def exposed(**keys: Any) -> dict[str, Any]:
    """A model on a host with nothing said about who may call it."""
    return {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "host": "chat.example.com", **keys}


def test_a_host_without_auth_or_public_is_refused_naming_both_ways_out() -> None:
    assert problems(existing(**TLS, models={"chat": exposed()})) == [
        "models.chat.host: 'chat.example.com' would let anyone who learns the name call the model: set auth "
        "(stack-wide, or models.chat.auth: apiKeyClients and their limits), or public: true with a publicReason"
    ]


def test_stack_wide_auth_covers_every_exposed_model_with_its_limits() -> None:
    config = parse_config(
        existing(
            **TLS,
            auth={**CLIENTS, "requestsPerMinute": 60, "clientRequestsPerMinute": {"chat-app": 600}},
            models={"chat": exposed(), "code": exposed(host="code.example.com")},
        ),
        stack="t",
    )
    for name in ("chat", "code"):
        access = config.route_access[name]
        assert access.clients == ("chat-app", "evals")
        assert dict(access.requests_per_minute) == {"chat-app": 600, "evals": 60}
    assert config.api_key_clients == ("chat-app", "evals")


def test_a_models_auth_replaces_the_stack_wide_one() -> None:
    config = parse_config(
        existing(**TLS, auth=CLIENTS, models={"chat": exposed(auth={"apiKeyClients": ["ops"]})}), stack="t"
    )
    assert config.route_access["chat"].clients == ("ops",)
    assert dict(config.route_access["chat"].requests_per_minute) == {}


def test_a_public_model_needs_a_reason_and_then_answers_anyone() -> None:
    assert problems(existing(**TLS, models={"chat": exposed(public=True)})) == [
        "models.chat.publicReason: is required with public: true: say why anyone may call the model"
    ]
    config = parse_config(
        existing(**TLS, models={"chat": exposed(public=True, publicReason="the docs site's public demo")}),
        stack="t",
    )
    assert config.route_access["chat"].public
    assert config.route_access["chat"].public_reason == "the docs site's public demo"


def test_public_and_a_models_auth_exclude_each_other() -> None:
    raw = existing(**TLS, models={"chat": exposed(public=True, publicReason="a public demo", auth=CLIENTS)})
    assert problems(raw) == ["models.chat.public: true serves the route without authentication: remove it or auth"]


def test_a_reason_without_public_is_refused() -> None:
    raw = existing(**TLS, auth=CLIENTS, models={"chat": exposed(publicReason="a public demo")})
    assert problems(raw) == ["models.chat.publicReason: only applies with public: true; remove the key"]


def test_auth_and_public_only_apply_to_a_model_with_a_host() -> None:
    raw = existing(models={"chat": model(auth=CLIENTS), "embed": model(public=True, publicReason="a public demo")})
    assert problems(raw) == [
        "models.chat.auth: only applies to the Gateway route of a model with models.chat.host (a canary takes its "
        "primary's); remove the key",
        "models.embed.public: only applies to the Gateway route of a model with models.embed.host (a canary takes "
        "its primary's); remove the key",
    ]


def test_a_limit_names_a_client_of_the_auth() -> None:
    raw = existing(**TLS, auth={**CLIENTS, "clientRequestsPerMinute": {"batch": 10}}, models={"chat": exposed()})
    assert problems(raw) == [
        "auth.clientRequestsPerMinute.batch: 'batch' is no client of apiKeyClients; use one of ['chat-app', 'evals']"
    ]


def test_a_client_limit_is_at_least_one_request_a_minute() -> None:
    raw = existing(**TLS, auth={**CLIENTS, "clientRequestsPerMinute": {"evals": 0}}, models={"chat": exposed()})
    assert problems(raw) == ["auth.clientRequestsPerMinute.evals: 0 is no limit; use at least 1 per minute"]


def test_a_client_is_named_once() -> None:
    raw = existing(**TLS, auth={"apiKeyClients": ["app", "app"]}, models={"chat": exposed()})
    assert problems(raw) == ["auth.apiKeyClients: names 'app' twice; name each client once"]


def test_a_client_name_is_a_kubernetes_name() -> None:
    [message] = problems(existing(**TLS, auth={"apiKeyClients": ["Chat App"]}, models={"chat": exposed()}))
    assert message.startswith("auth.apiKeyClients[0]: 'Chat App'")


def test_on_gcp_the_stacks_gateway_takes_keys_and_enforces_their_limits() -> None:
    small = {"cpuCores": 1, "memoryGiB": 4}
    raw = gcp(**TLS, auth={**CLIENTS, "requestsPerMinute": 60}, models={"chat": exposed(**small)})
    access = parse_config(raw, stack="t").route_access["chat"]
    assert access.requests_per_minute
    assert set(access.requests_per_minute.values()) == {60}


def test_an_existing_gateway_refuses_limits_too() -> None:
    raw = existing(existingGateway="edge/public", auth={**CLIENTS, "requestsPerMinute": 60}, models={"chat": exposed()})
    assert problems(raw) == [
        "auth: the existing Gateway edge/public enforces no per-client limit the stack can set (the API key is "
        "checked by vLLM's own --api-key there): remove requestsPerMinute and clientRequestsPerMinute"
    ]


def test_a_kserve_model_behind_gkes_gateway_cannot_fall_back_to_vllms_key() -> None:
    raw = existing(
        existingGateway="edge/public",
        auth=CLIENTS,
        gpuPools={"l4": {"gpu": "L4"}},
        models={"chat": exposed(engine="kserve", pool="l4")},
    )
    assert problems(raw) == [
        "models.chat.engine: 'kserve' behind the existing Gateway edge/public: the API key falls back to vLLM's own "
        "--api-key, which KServe's runtime does not run; use engine 'vllm', or public: true with a publicReason"
    ]


def test_the_test_helper_gives_an_exposed_model_a_client() -> None:
    # tests/unit/test_config.py's `model` keeps the other rules' tests free of the auth rule.
    assert model(host="chat.example.com")["auth"] == {"apiKeyClients": ["app"]}
    assert "auth" not in model(host="chat.example.com", public=True)


JWT = {
    "issuer": "https://login.example.com/realms/llm",
    "audiences": ["llm"],
    "jwksUrl": "https://login.example.com/realms/llm/protocol/openid-connect/certs",
}


def test_a_jwt_issuer_authenticates_the_routes_on_the_stacks_own_gateway() -> None:
    config = parse_config(existing(**TLS, auth={"jwt": JWT}, models={"chat": exposed()}), stack="t")
    jwt = config.route_access["chat"].jwt
    assert jwt is not None
    assert (jwt.issuer, jwt.audiences, jwt.jwks_host, jwt.jwks_port, jwt.jwks_path) == (
        "https://login.example.com/realms/llm",
        ("llm",),
        "login.example.com",
        443,
        "realms/llm/protocol/openid-connect/certs",
    )
    assert not config.route_access["chat"].public
    assert config.api_key_clients == ()


def test_auth_names_api_key_clients_or_a_jwt_issuer_not_both_nor_neither() -> None:
    assert problems(existing(**TLS, auth={}, models={"chat": exposed()})) == [
        "auth: names no caller: set apiKeyClients, or jwt (issuer, jwksUrl)"
    ]
    assert problems(existing(**TLS, auth={**CLIENTS, "jwt": JWT}, models={"chat": exposed()})) == [
        "auth.jwt: and apiKeyClients exclude each other (both are read from the Authorization header); keep one"
    ]


def test_jwt_callers_get_no_limits_the_gateway_cannot_key_by_subject() -> None:
    raw = existing(**TLS, auth={"jwt": JWT, "requestsPerMinute": 60}, models={"chat": exposed()})
    assert problems(raw) == [
        "auth: limits apply to API-key clients only: the Gateway's local limits cannot tell one JWT subject from "
        "another; remove requestsPerMinute, clientRequestsPerMinute, tokensPerMinute and clientTokensPerMinute"
    ]


def test_on_gcp_the_stacks_gateway_checks_a_jwt_issuer() -> None:
    raw = gcp(**TLS, auth={"jwt": JWT}, models={"chat": exposed(cpuCores=1, memoryGiB=4)})
    assert parse_config(raw, stack="t").route_access["chat"].jwt is not None


def test_the_jwks_url_is_https() -> None:
    [message] = problems(
        existing(**TLS, auth={"jwt": {**JWT, "jwksUrl": "http://login.example.com/keys"}}, models={"chat": exposed()})
    )
    assert message.startswith("auth.jwt.jwksUrl: 'http://login.example.com/keys' is not valid; use the https URL")
