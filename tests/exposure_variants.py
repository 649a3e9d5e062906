"""The example stacks and their exposure variants, each as its parsed configuration and its planned cluster: a public
and an internal Gateway per cloud and a sleeping model behind the Gateway per cloud, for the whole-path and
timeout-chain tests (tests/checks/test_exposure_paths.py, test_timeout_chain.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from stacks.config import StackConfig, parse_config
from tests.support import stack_config
from tools.offline import Mode, load_stack_files, planned_stack_names, run_program
from tools.plan import build_plan
from tools.planned_cluster import INTERNET, Cluster
from tools.reachability import Address
from tools.route_access import ANONYMOUS, Credential
from tools.route_matching import select

NETWORK_ADDRESS = Address("10.0.5.9")
"""An address of every example stack's network (10.0.0.0/16)."""
GATEWAY_SOURCE_RANGE = "203.0.113.0/24"
"""The variants' `gatewaySourceRanges` (TEST-NET-3): the Internet's address (TEST-NET-2) is outside it."""
GATEWAY_CLIENT = Address("203.0.113.9")
"""A client inside GATEWAY_SOURCE_RANGE."""


def _models(stack: str) -> dict[str, Any]:
    return dict(stack_config(stack)["llm-platform:models"])


def _exposed(stack: str, name: str, host: str, **changes: Any) -> str:
    models = _models(stack)
    models[name] = {**models[name], "host": host, **changes}
    return json.dumps(models)


def _without_keys(model: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in model.items() if key not in keys}


CLIENT = json.dumps({"apiKeyClients": ["app"]})
"""dev exposes no model: the variants that expose one give it a client with an API key (issue 23)."""
JWT = {"issuer": "https://login.example.com", "audiences": ["llm"], "jwksUrl": "https://login.example.com/keys"}
PUBLIC = {"gatewayInternal": "false", "acmeEmail": "ops@example.com", "tlsClusterIssuer": ""}
INTERNAL = {"gatewayInternal": "true", "tlsClusterIssuer": "internal-ca", "acmeEmail": ""}
LIMITED = {
    "gatewayInternal": "false",
    "gatewaySourceRanges": json.dumps([GATEWAY_SOURCE_RANGE]),
    "tlsClusterIssuer": "own-ca",
    "acmeEmail": "",
}
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "aws-internal": ("prod-aws", INTERNAL),
    "aws-sleeper": ("prod-aws", {"models": _exposed("prod-aws", "qwen-32b", "big.example.com")}),
    "gcp-public": ("prod-gcp", PUBLIC),
    "gcp-sleeper": (
        "prod-gcp",
        {"models": _exposed("prod-gcp", "qwen-72b", "llm.internal.example.com", minReplicas=0)},
    ),
    "azure-public": ("prod-azure", {**PUBLIC, "models": _exposed("prod-azure", "qwen-32b", "big.example.com")}),
    "aws-limited": ("prod-aws", LIMITED),
    "gcp-limited": ("prod-gcp", LIMITED),
    "azure-limited": ("prod-azure", {**LIMITED, "models": _exposed("prod-azure", "qwen-32b", "big.example.com")}),
    "azure-internal": ("prod-azure", {**INTERNAL, "models": _exposed("prod-azure", "qwen-32b", "big.example.com")}),
    "azure-sleeper": (
        "prod-azure",
        {
            **PUBLIC,
            "models": json.dumps(
                {
                    **_models("prod-azure"),
                    # Asleep, it is reached through the interceptor, not an InferencePool.
                    "qwen-small": {
                        **_without_keys(_models("prod-azure")["qwen-small"], "loadBalancer", "routing"),
                        "host": "small.example.com",
                        "minReplicas": 0,
                    },
                }
            ),
        },
    ),
    # Tokens of one OIDC issuer instead of API keys, on the stack's own Gateway.
    "aws-jwt": ("prod-aws", {"auth": json.dumps({"jwt": JWT})}),
    # An existing cluster: the stack's agentgateway on the cluster's own load balancer, or a Gateway it runs.
    "existing-sleeper": (
        "dev",
        {
            "acmeEmail": "ops@example.com",
            "auth": CLIENT,
            "models": _exposed("dev", "qwen", "chat.example.com", minReplicas=0),
        },
    ),
    "existing-pool": (
        "dev",
        {
            "acmeEmail": "ops@example.com",
            "auth": CLIENT,
            "models": _exposed("dev", "qwen", "chat.example.com", routing="inference", minReplicas=1),
        },
    ),
    "existing-gateway": (
        "dev",
        {"existingGateway": "edge/public", "auth": CLIENT, "models": _exposed("dev", "qwen", "chat.example.com")},
    ),
}
CASES = [*planned_stack_names(), *VARIANTS]


@dataclass(frozen=True)
class Case:
    config: StackConfig
    cluster: Cluster


def _config(stack: str, overrides: dict[str, str]) -> StackConfig:
    files = load_stack_files(stack)
    raw = {key.split(":", 1)[1]: value for key, value in files.config.items() if key.startswith("llm-platform:")}
    raw.update(overrides)
    raw = {key: value for key, value in raw.items() if value != ""}
    return parse_config(raw, stack=stack, secret_keys={"hfToken": True})


def build_cases(plans: dict[Any, Any]) -> dict[str, Case]:
    built = {
        stack: Case(_config(stack, {}), Cluster.from_plan(plans[(stack, Mode.UPDATE)]))
        for stack in planned_stack_names()
    }
    for name, (stack, overrides) in VARIANTS.items():
        kept = {key: value for key, value in overrides.items() if value != ""}
        removed = [key for key, value in overrides.items() if value == ""]
        run = run_program(stack, Mode.UPDATE, config_overrides=kept, removed_keys=removed)
        built[name] = Case(_config(stack, overrides), Cluster.from_plan(build_plan(run)))
    return built


def gateway_sources(case: Case) -> tuple[list[Address], list[Address]]:
    """Who reaches the stack's Gateway, and who does not."""
    if case.config.gateway_internal:
        return [NETWORK_ADDRESS], [INTERNET]
    if case.config.gateway_source_ranges:
        return [GATEWAY_CLIENT], [INTERNET]
    return [INTERNET], []


def credential(case: Case, host: str, path: str) -> Credential:
    """What a caller the configuration admits sends to host and path: the key of the route's first API-key client,
    a token of its issuer for its first audience, or nothing on a `public: true` route."""
    route = select(case.cluster, host, path).route["metadata"]["name"]
    access = case.config.route_access[route]
    if access.jwt is not None:
        return Credential(issuer=access.jwt.issuer, audience=next(iter(access.jwt.audiences), None))
    if access.clients:
        return Credential(client=access.clients[0])
    return ANONYMOUS
