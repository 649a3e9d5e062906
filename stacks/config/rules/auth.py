"""Who may call an exposed model: every model with `host` is authenticated (the stack-wide `auth` or its own), or
is `public: true` with a reason; per-client limits only where the Gateway enforces them (components/serving/
route_auth.py `enforces_policies`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from stacks.config.rules import Finding


class _Auth(Protocol):
    api_key_clients: list[str]
    jwt: object | None
    requests_per_minute: int | None
    client_requests_per_minute: dict[str, int]
    tokens_per_minute: int | None
    client_tokens_per_minute: dict[str, int]


class _Model(Protocol):
    host: str | None
    engine: object
    auth: _Auth | None
    public: bool
    public_reason: str | None


def auth_findings(
    models: Mapping[str, _Model],
    stack_auth: _Auth | None,
    *,
    gateway_enforces: bool,
    gateway_name: str,
) -> list[Finding]:
    """Each exposed model authenticated or public with a reason; auth keys only where they apply; limits only where
    `gateway_name` (what the plan calls the stack's Gateway) enforces them."""
    findings: list[Finding] = []
    if stack_auth is not None:
        findings.extend(
            _auth_shape("auth", stack_auth, gateway_enforces=gateway_enforces, gateway_name=gateway_name, tokens=True)
        )
    for name, model in models.items():
        path = f"models.{name}"
        if not model.host:
            findings.extend(
                _own_keys(path, model, gateway_enforces=gateway_enforces, gateway_name=gateway_name, tokens=False)
            )
            for key, set_ in (("auth", model.auth is not None), ("public", model.public)):
                if set_:
                    findings.append(
                        Finding(
                            f"{path}.{key}",
                            f"only applies to the Gateway route of a model with {path}.host (a canary takes its "
                            "primary's); remove the key",
                        )
                    )
            continue
        findings.extend(
            _route_findings(
                path,
                model,
                stack_auth,
                gateway_enforces=gateway_enforces,
                gateway_name=gateway_name,
                exposed=f"{model.host!r} would let anyone who learns the name call the model",
                whom="the model",
                tokens=False,
            )
        )
        authenticated = not model.public and (model.auth or stack_auth) is not None
        if authenticated and not gateway_enforces and str(getattr(model.engine, "value", model.engine)) != "vllm":
            findings.append(
                Finding(
                    f"{path}.engine",
                    f"'kserve' behind {gateway_name}: the API key falls back to vLLM's own --api-key, which KServe's "
                    "runtime does not run; use engine 'vllm', or public: true with a publicReason",
                )
            )
    return findings


class _Routed(Protocol):
    auth: _Auth | None
    public: bool
    public_reason: str | None


def served_name_auth_findings(
    served: Mapping[str, _Routed], stack_auth: _Auth | None, *, gateway_enforces: bool, gateway_name: str
) -> list[Finding]:
    """A served name's route is authenticated like a model's: its own auth, else the stack's, or public: true with a
    reason."""
    findings: list[Finding] = []
    for name, entry in served.items():
        findings.extend(
            _route_findings(
                f"servedNames.{name}",
                entry,
                stack_auth,
                gateway_enforces=gateway_enforces,
                gateway_name=gateway_name,
                exposed="would let anyone who learns the name call its models",
                whom="the name",
                tokens=True,
            )
        )
    return findings


def _own_keys(path: str, route: _Routed, *, gateway_enforces: bool, gateway_name: str, tokens: bool) -> list[Finding]:
    """A route's own `auth` in its shape (`tokens`: whether it may carry token limits, a served name's route), and
    `publicReason` only beside `public: true`."""
    findings: list[Finding] = []
    if route.auth is not None:
        findings.extend(
            _auth_shape(
                f"{path}.auth",
                route.auth,
                gateway_enforces=gateway_enforces,
                gateway_name=gateway_name,
                tokens=tokens,
            )
        )
    if route.public_reason is not None and not route.public:
        findings.append(Finding(f"{path}.publicReason", "only applies with public: true; remove the key"))
    return findings


def _route_findings(
    path: str,
    route: _Routed,
    stack_auth: _Auth | None,
    *,
    gateway_enforces: bool,
    gateway_name: str,
    exposed: str,
    whom: str,
    tokens: bool,
) -> list[Finding]:
    """One Gateway route (a model's or a served name's at `path`): authenticated by its own or the stack's auth, or
    public with a reason. `exposed`: what the route without either would do; `whom`: who a public route serves;
    `tokens`: whether its own auth may carry token limits."""
    findings = _own_keys(path, route, gateway_enforces=gateway_enforces, gateway_name=gateway_name, tokens=tokens)
    if route.public:
        if route.auth is not None:
            findings.append(
                Finding(f"{path}.public", "true serves the route without authentication: remove it or auth")
            )
        if route.public_reason is None:
            findings.append(
                Finding(f"{path}.publicReason", f"is required with public: true: say why anyone may call {whom}")
            )
    elif route.auth is None and stack_auth is None:
        findings.append(
            Finding(
                f"{path}.host",
                f"{exposed}: set auth (stack-wide, or {path}.auth: apiKeyClients and their limits), or public: true "
                "with a publicReason",
            )
        )
    return findings


def _auth_shape(
    path: str, auth: _Auth, *, gateway_enforces: bool, gateway_name: str, tokens: bool = False
) -> list[Finding]:
    """`tokens`: whether token limits may be set here (the stack-wide auth and a served name's, whose routes go to
    agentgateway's AI backend, the only place it counts tokens)."""
    findings: list[Finding] = []
    token_limited = auth.tokens_per_minute is not None or bool(auth.client_tokens_per_minute)
    if token_limited and not tokens:
        findings.append(
            Finding(
                path,
                "tokensPerMinute applies to served names only: agentgateway counts LLM tokens on a served name's "
                "route (its AI backend), not on a model's own route; set it on servedNames.<name>.auth or the "
                "stack-wide auth, or remove tokensPerMinute and clientTokensPerMinute",
            )
        )
    if not auth.api_key_clients and auth.jwt is None:
        findings.append(Finding(path, "names no caller: set apiKeyClients, or jwt (issuer, jwksUrl)"))
    if auth.api_key_clients and auth.jwt is not None:
        findings.append(
            Finding(
                f"{path}.jwt",
                "and apiKeyClients exclude each other (both are read from the Authorization header); keep one",
            )
        )
    if auth.jwt is not None and not gateway_enforces:
        findings.append(
            Finding(
                f"{path}.jwt",
                f"{gateway_name} checks no JWT the stack can set, and vLLM checks none: use apiKeyClients there",
            )
        )
    if auth.jwt is not None and (
        auth.requests_per_minute is not None or auth.client_requests_per_minute or token_limited
    ):
        findings.append(
            Finding(
                path,
                "limits apply to API-key clients only: the Gateway's local limits cannot tell one JWT subject from "
                "another; remove requestsPerMinute, clientRequestsPerMinute, tokensPerMinute and "
                "clientTokensPerMinute",
            )
        )
        return findings
    seen: set[str] = set()
    for client in auth.api_key_clients:
        if client in seen:
            findings.append(Finding(f"{path}.apiKeyClients", f"names {client!r} twice; name each client once"))
        seen.add(client)
    for client, limit in auth.client_requests_per_minute.items():
        if client not in seen:
            findings.append(
                Finding(
                    f"{path}.clientRequestsPerMinute.{client}",
                    f"{client!r} is no client of apiKeyClients; use one of {sorted(seen)}",
                )
            )
        if limit < 1:
            findings.append(
                Finding(f"{path}.clientRequestsPerMinute.{client}", f"{limit} is no limit; use at least 1 per minute")
            )
    for client, limit in auth.client_tokens_per_minute.items():
        if client not in seen:
            findings.append(
                Finding(
                    f"{path}.clientTokensPerMinute.{client}",
                    f"{client!r} is no client of apiKeyClients; use one of {sorted(seen)}",
                )
            )
        if limit < 1:
            findings.append(
                Finding(f"{path}.clientTokensPerMinute.{client}", f"{limit} is no limit; use at least 1 per minute")
            )
    limited = auth.requests_per_minute is not None or bool(auth.client_requests_per_minute) or token_limited
    if limited and not gateway_enforces:
        findings.append(
            Finding(
                path,
                f"{gateway_name} enforces no per-client limit the stack can set (the API key is checked by vLLM's "
                "own --api-key there): remove requestsPerMinute and clientRequestsPerMinute",
            )
        )
    return findings
