"""The authentication step of a walk: what a request carries (an API key of a named client, a JWT, nothing) and who
checks it, read from the planned objects.

- At a Gateway that applies policies, the AgentgatewayPolicy whose `targetRefs` name the route (agentgateway v1.4.1):
  `apiKeyAuthentication` in mode Strict answers a missing or unknown key with 401, Optional checks a key only when
  one is sent, Permissive lets every request through (crates/agentgateway/src/http/apikey.rs `Mode`); the API server
  fills in Strict when the policy names no mode (the CRD's default). The keys are the Secret's entries, one per
  client (components/serving/route_auth.py). `jwtAuthentication` likewise, against its providers' issuer and
  audiences. Then the rate limit: the first `conditional` entry whose condition holds (src/store/policy.rs), else
  the unconditional `local` limits.
- At the model server: vLLM started with `--config <file>` whose file is an item of a mounted Secret (the api-key
  list route_auth writes there) refuses a request without one of those keys with 401, on paths starting with /v1,
  /v2, /inference or /cohere only (vLLM v0.31.0 entrypoints/serve/middleware/authenticate.py GUARDED_PREFIX). Which
  clients' keys the file holds is secret in the plan: the clients whose generated keys the Secret is built from
  (`Cluster.secret_clients`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tools.planned_cluster import BlockedError, Cluster, key
from tools.reachability import Pod

VLLM_GUARDED_PREFIXES = ("/v1", "/v2", "/inference", "/cohere")
_CLIENT_CONDITION = re.compile(r"^apiKey\.client == '([^']+)'$")


@dataclass(frozen=True, kw_only=True)
class Credential:
    """What a request carries: the key of `client`, a JWT of `issuer` for `audience`, or (neither) nothing."""

    client: str | None = None
    issuer: str | None = None
    audience: str | None = None

    def __str__(self) -> str:
        if self.client is not None:
            return f"the API key of {self.client}"
        if self.issuer is not None:
            return f"a JWT of {self.issuer}"
        return "no credential"


ANONYMOUS = Credential()


class RefusedError(BlockedError):
    """A hop that answers the request with an HTTP status (401: no valid credential)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status


@dataclass(frozen=True)
class GatewayCheck:
    """What the Gateway's policy on the route did with a request."""

    policy: dict[str, Any] | None
    hop: str
    rate_limit: str | None


def route_policies(cluster: Cluster, route: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The AgentgatewayPolicies whose targetRefs name the route (same namespace, kind HTTPRoute)."""
    namespace, name = key(route)
    return [
        policy
        for policy in cluster.kind("AgentgatewayPolicy")
        if policy["metadata"].get("namespace") == namespace
        and any(ref.get("kind") == "HTTPRoute" and ref["name"] == name for ref in policy["spec"]["targetRefs"])
    ]


def check_at_gateway(cluster: Cluster, route: Mapping[str, Any], credential: Credential) -> GatewayCheck:
    """The route's authentication and rate limit at a Gateway that applies AgentgatewayPolicies."""
    policies = [p for p in route_policies(cluster, route) if _authenticates(p) or "rateLimit" in _traffic(p)]
    if not policies:
        return GatewayCheck(None, "no policy authenticates the route: anyone may call it", None)
    if len(policies) > 1:
        raise BlockedError(f"{len(policies)} AgentgatewayPolicies compete for the traffic of route {key(route)[1]}")
    [policy] = policies
    traffic = _traffic(policy)
    name = policy["metadata"]["name"]
    if "apiKeyAuthentication" in traffic:
        check = traffic["apiKeyAuthentication"]
        mode = check.get("mode", "Strict")
        secret = cluster.find("Secret", policy["metadata"].get("namespace"), check["secretRef"]["name"])
        clients = _entries(secret)
        valid = credential.client is not None and credential.client in clients
        if mode != "Permissive" and not valid and (mode == "Strict" or credential.client is not None):
            raise RefusedError(401, f"AgentgatewayPolicy {name} ({mode}) refuses a request with {credential}")
        hop = f"AgentgatewayPolicy {name} accepts {credential} ({mode})"
    elif "jwtAuthentication" in traffic:
        check = traffic["jwtAuthentication"]
        mode = check.get("mode", "Strict")
        valid = any(_jwt_valid(provider, credential) for provider in check["providers"])
        if mode != "Permissive" and not valid and (mode == "Strict" or credential.issuer is not None):
            raise RefusedError(401, f"AgentgatewayPolicy {name} ({mode}) refuses a request with {credential}")
        hop = f"AgentgatewayPolicy {name} accepts {credential} ({mode})"
    else:
        hop = f"AgentgatewayPolicy {name} authenticates no one: anyone may call the route"
    return GatewayCheck(policy, hop, _rate_limit(traffic.get("rateLimit") or {}, credential))


def _traffic(policy: Mapping[str, Any]) -> dict[str, Any]:
    return dict(policy["spec"].get("traffic") or {})


def _authenticates(policy: Mapping[str, Any]) -> bool:
    return bool({"apiKeyAuthentication", "jwtAuthentication"} & set(_traffic(policy)))


def _entries(secret: Mapping[str, Any] | None) -> set[str]:
    """A Secret's item names (its values are secret in the plan)."""
    return {
        name
        for field in ("stringData", "data")
        if isinstance(data := (secret or {}).get(field), Mapping)
        for name in data
    }


def _jwt_valid(provider: Mapping[str, Any], credential: Credential) -> bool:
    audiences = provider.get("audiences") or []
    return credential.issuer == provider["issuer"] and (not audiences or credential.audience in audiences)


def _rate_limit(limits: Mapping[str, Any], credential: Credential) -> str | None:
    for entry in limits.get("conditional") or []:
        condition = _CLIENT_CONDITION.match(entry["condition"])
        if condition is None:
            raise BlockedError(f"the walk does not evaluate the rate-limit condition {entry['condition']!r}")
        if condition.group(1) == credential.client:
            return f"{_describe(entry['policy']['local'])} for {credential.client}"
    if limits.get("local"):
        return _describe(limits["local"])
    return None


def _describe(local: list[Mapping[str, Any]]) -> str:
    return ", ".join(
        f"{limit['requests']} requests per {limit['unit'].rstrip('s').lower()}"
        if "requests" in limit
        else f"{limit['tokens']} tokens per {limit['unit'].rstrip('s').lower()}"
        for limit in local
    )


@dataclass(frozen=True)
class ServerCheck:
    hop: str
    checked: bool
    """The server checked the request's credential (False: it has keys but does not guard the path)."""


def check_at_server(cluster: Cluster, pod: Pod, path: str, credential: Credential) -> ServerCheck | None:
    """vLLM's own key check on a model pod, or None when the pod checks no key."""
    keys = server_keys(cluster, pod)
    if keys is None:
        return None
    secret, clients = keys
    if not path.startswith(VLLM_GUARDED_PREFIXES):
        return ServerCheck(f"{pod} checks no key on {path} (vLLM guards /v1, /v2, /inference, /cohere only)", False)
    if credential.client is None or credential.client not in clients:
        raise RefusedError(401, f"vLLM on {pod} refuses a request with {credential} (keys from Secret {secret})")
    return ServerCheck(f"vLLM on {pod} accepts {credential} (keys from Secret {secret})", True)


def server_keys(cluster: Cluster, pod: Pod) -> tuple[str, frozenset[str]] | None:
    """The Secret a model server's `--config` file comes from and the clients whose keys it holds, when the server
    reads its keys from such a file."""
    found = cluster.workload(pod)
    if found is None:
        return None
    spec, container = found
    args = [str(arg) for arg in container.get("args") or []]
    if "--config" not in args:
        return None
    path = args[args.index("--config") + 1]
    directory, file = posixpath.split(path)
    mounts = {m["mountPath"].rstrip("/"): m["name"] for m in container.get("volumeMounts") or []}
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    volume = volumes.get(mounts.get(directory, ""), {})
    source = volume.get("secret")
    if source is None:
        return None
    items = {item["path"]: item["key"] for item in source.get("items") or []}
    entry = items.get(file, file)
    secret = cluster.find("Secret", pod.namespace, source["secretName"])
    if entry not in _entries(secret):
        raise BlockedError(f"{pod}'s --config {path}: no entry {entry} in Secret {source['secretName']}: it fails")
    return source["secretName"], cluster.secret_clients.get((pod.namespace, source["secretName"]), frozenset())
