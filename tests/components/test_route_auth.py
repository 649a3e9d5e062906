"""A route's authentication: the AgentgatewayPolicy on the stack's own Gateway, vLLM's `--api-key` behind another,
and the Secret of keys, whose values stay Pulumi secrets."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pulumi
import yaml

from components.catalog.instances import Cloud
from components.serving.gateway import GatewayRef, Implementation, gateway_ref
from components.serving.route_auth import (
    Jwt,
    RouteAccess,
    RouteAuth,
    RouteAuthArgs,
    enforces_policies,
    jwks_backend_spec,
    key_entry,
    policy_spec,
    rate_limit,
    vllm_key_flags,
    vllm_keys_file,
)
from components.serving.routes import Backend, route_spec
from components.serving.vllm import environment, pod_volumes, vllm_args
from tests.components.test_vllm import CPU_ARGS as VLLM_ARGS
from tools.admission import admission_errors
from tools.offline import reveal

OWN = GatewayRef(implementation=Implementation.AGENTGATEWAY, namespace="gateway", name="llm-platform")
EXISTING = GatewayRef(implementation=Implementation.EXISTING, namespace="edge", name="public")
LIMITED = RouteAccess(clients=("chat-app", "evals", "ops"), requests_per_minute={"chat-app": 600, "evals": 60})
POLICY = "kubernetes:agentgateway.dev/v1alpha1:AgentgatewayPolicy"
SECRET = "kubernetes:core/v1:Secret"


def _policy(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "agentgateway.dev/v1alpha1",
        "kind": "AgentgatewayPolicy",
        "metadata": {"name": "chat-auth", "namespace": "llm-serving"},
        "spec": spec,
    }


def test_the_stacks_own_gateway_enforces_the_policies_on_every_cloud_an_existing_one_does_not() -> None:
    on_gke = gateway_ref(existing=None, cloud=Cloud.GCP)
    assert [enforces_policies(gateway) for gateway in (OWN, on_gke, EXISTING)] == [True, True, False]


def test_the_policy_targets_the_route_by_name_and_checks_keys_from_its_secret() -> None:
    spec = policy_spec("chat", RouteAccess(clients=("app",)))
    assert spec["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "chat"}]
    assert spec["traffic"] == {"apiKeyAuthentication": {"mode": "Strict", "secretRef": {"name": "chat-api-keys"}}}


def test_each_limited_client_gets_its_own_bucket_chosen_by_its_keys_metadata() -> None:
    assert rate_limit(LIMITED) == {
        "conditional": [
            {"condition": "apiKey.client == 'chat-app'", "policy": {"local": [{"requests": 600, "unit": "Minutes"}]}},
            {"condition": "apiKey.client == 'evals'", "policy": {"local": [{"requests": 60, "unit": "Minutes"}]}},
        ]
    }
    assert rate_limit(RouteAccess(clients=("app",))) is None


def test_the_policy_with_and_without_limits_is_admitted_by_its_crd_and_cel_rules() -> None:
    assert admission_errors(_policy(policy_spec("chat", LIMITED))) == []
    assert admission_errors(_policy(policy_spec("chat", RouteAccess(clients=("app",))))) == []


def test_admission_would_refuse_a_limit_of_no_requests() -> None:
    broken = copy.deepcopy(policy_spec("chat", LIMITED))
    broken["traffic"]["rateLimit"]["conditional"][0]["policy"]["local"][0]["requests"] = 0
    assert admission_errors(_policy(broken)) != []


def test_a_key_entry_carries_the_client_name_the_limits_read() -> None:
    assert json.loads(key_entry("evals", "k-123")) == {"key": "k-123", "metadata": {"client": "evals"}}


def test_vllms_config_file_lists_every_clients_key_under_api_key() -> None:
    # vLLM's --config reads YAML (utils/argparse_utils.py load_config_file); JSON is YAML.
    assert yaml.safe_load(vllm_keys_file(["k-1", "k-2"])) == {"api-key": ["k-1", "k-2"]}


def test_the_server_reads_its_keys_from_the_routes_secret_as_a_file_only() -> None:
    assert "--config" not in vllm_args(VLLM_ARGS)
    checked = dataclasses.replace(VLLM_ARGS, api_key_route="chat")
    assert vllm_args(checked)[-2:] == vllm_key_flags() == ["--config", "/etc/vllm-api-keys/keys.yaml"]
    volumes, mounts = pod_volumes(checked)
    assert volumes[-1]["secret"] == {
        "secretName": "chat-api-keys",
        "defaultMode": 0o440,
        "items": [{"key": "keys.yaml", "path": "keys.yaml"}],
    }
    assert mounts[-1] == {"name": "api-keys", "mountPath": "/etc/vllm-api-keys", "readOnly": True}
    assert not [env for env in environment(checked) if "valueFrom" in env]


def _route_auth(gateway: GatewayRef, key: str) -> Any:
    def program() -> None:
        RouteAuth(
            "chat",
            RouteAuthArgs(
                namespace="llm-serving",
                route="chat",
                access=LIMITED,
                keys={client: pulumi.Output.secret(f"{key}-{client}") for client in LIMITED.clients},
                gateway=gateway,
                after=[],
            ),
        )

    return program


def test_on_the_stacks_own_gateway_the_secret_stays_secret_and_the_policy_follows(under_mocks: Any) -> None:
    registered = under_mocks(_route_auth(OWN, "s3cret-value"))
    secret = registered.inputs(SECRET)
    assert secret["stringData"] == {"chat-app": "[secret]", "evals": "[secret]", "ops": "[secret]"}
    assert registered.inputs(POLICY)["spec"] == policy_spec("chat", LIMITED)
    # What the plan shows of every input: secrets as such.
    assert "s3cret-value" not in json.dumps([reveal(r.inputs) for r in registered.registrations])


def test_behind_an_existing_gateway_only_the_secret_vllm_reads_is_made(under_mocks: Any) -> None:
    registered = under_mocks(_route_auth(EXISTING, "s3cret-value"))
    assert registered.all(POLICY) == []
    assert registered.inputs(SECRET)["stringData"] == {"keys.yaml": "[secret]"}


def test_where_vllm_checks_the_keys_only_its_checked_paths_are_routed() -> None:
    backend = Backend(model="chat", service="chat", namespace=None, port=8000, weight=100)
    spec = route_spec(
        gateway=EXISTING, host="llm.example.com", path="/small", backends=[backend], timeout_seconds=600, api_only=True
    )
    [rule] = spec["rules"]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/small/v1"}}]
    assert rule["filters"][0]["urlRewrite"]["path"] == {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/v1"}
    whole = route_spec(
        gateway=EXISTING, host="llm.example.com", path=None, backends=[backend], timeout_seconds=600, api_only=True
    )
    assert whole["rules"][0]["matches"] == [{"path": {"type": "PathPrefix", "value": "/v1"}}]
    assert "filters" not in whole["rules"][0]


JWT = Jwt(
    issuer="https://login.example.com/realms/llm", audiences=("llm",), jwks_url="https://login.example.com:8443/k/keys"
)
AGENTGATEWAY = "agentgateway.dev/v1alpha1"


def test_a_jwt_route_checks_tokens_against_the_issuers_keys_through_its_backend() -> None:
    spec = policy_spec("chat", RouteAccess(jwt=JWT))
    [provider] = spec["traffic"]["jwtAuthentication"]["providers"]
    assert spec["traffic"]["jwtAuthentication"]["mode"] == "Strict"
    assert (provider["issuer"], provider["audiences"]) == ("https://login.example.com/realms/llm", ["llm"])
    assert provider["jwks"]["remote"] == {
        "jwksPath": "k/keys",
        "backendRef": {"group": "agentgateway.dev", "kind": "AgentgatewayBackend", "name": "chat-jwks", "port": 8443},
    }
    assert jwks_backend_spec(JWT) == {"static": {"host": "login.example.com", "port": 8443}, "policies": {"tls": {}}}
    assert admission_errors(_policy(spec)) == []
    backend = {"apiVersion": AGENTGATEWAY, "kind": "AgentgatewayBackend", "metadata": {"name": "chat-jwks"}}
    assert admission_errors({**backend, "spec": jwks_backend_spec(JWT)}) == []


def test_a_jwt_route_makes_no_secret(under_mocks: Any) -> None:
    def program() -> None:
        RouteAuth(
            "chat",
            RouteAuthArgs(
                namespace="llm-serving", route="chat", access=RouteAccess(jwt=JWT), keys={}, gateway=OWN, after=[]
            ),
        )

    registered = under_mocks(program)
    assert registered.all(SECRET) == []
    assert (
        registered.inputs("kubernetes:agentgateway.dev/v1alpha1:AgentgatewayBackend")["metadata"]["name"] == "chat-jwks"
    )
    assert "jwtAuthentication" in registered.inputs(POLICY)["spec"]["traffic"]


def test_a_clients_token_limit_is_a_bucket_of_its_own_beside_its_request_limit() -> None:
    access = RouteAccess(clients=("app",), requests_per_minute={"app": 60}, tokens_per_minute={"app": 50_000})
    [entry] = rate_limit(access)["conditional"]
    assert entry["condition"] == "apiKey.client == 'app'"
    # The CRD takes exactly one of requests or tokens per entry.
    assert entry["policy"]["local"] == [{"requests": 60, "unit": "Minutes"}, {"tokens": 50_000, "unit": "Minutes"}]
    body = {
        "apiVersion": "agentgateway.dev/v1alpha1",
        "kind": "AgentgatewayPolicy",
        "metadata": {"name": "served-chat-auth", "namespace": "llm-serving"},
        "spec": policy_spec("served-chat", access),
    }
    assert admission_errors(body) == []
    body["spec"]["traffic"]["rateLimit"]["conditional"][0]["policy"]["local"][1]["requests"] = 1
    assert any("exactly one of the fields in [requests tokens]" in error for error in admission_errors(body))
