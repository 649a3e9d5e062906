"""Who may call a model through the Gateway: API keys the stack generates (Pulumi secrets), checked by the Gateway
with per-client request limits where the stack runs its own Gateway (agentgateway, on every cloud: its
AgentgatewayPolicy on the model's HTTPRoute), and by vLLM's own `--api-key` behind an existing Gateway, which offers
the stack no authentication of its own.

agentgateway v1.4.1, as its source says:
- `apiKeyAuthentication` in mode Strict answers a missing or unknown key with 401 (crates/agentgateway/src/proxy/
  mod.rs:281). Strict is the CRD's default (agentgateway_policy_types.go:1294) but not the proxy's (src/http/
  apikey.rs:34-44: Optional, which lets keyless requests through), so the policy says it. The keys come from a Secret
  the controller reads in its krt context (controller/pkg/agentgateway/plugins/traffic_plugin.go:149-153, 924-926),
  so a rotated Secret reaches the proxies without a restart.
  Each entry is JSON `{"key", "metadata"}`; the metadata is flattened into CEL's `apiKey` (src/http/apikey.rs:53-58).
- the rate limit runs after authentication (src/proxy/httpproxy.rs:182-206) and picks the first `conditional` entry
  whose condition holds (src/store/policy.rs:240, 324-352): one entry per client, `apiKey.client == '<name>'`, each
  with its own token bucket (src/http/localratelimit.rs:57-66; `requests` per `unit`, plus `burst`: controller
  traffic_plugin.go:1696-1704). Local limits are counted by each proxy replica alone (agentgateway_policy_types.go:
  3054); a client over its limit gets 429 with x-ratelimit-limit/-remaining/-reset, not Retry-After (src/proxy/
  mod.rs:296, 341-354).
- a `tokens` limit counts only requests to an AI backend (src/proxy/httpproxy.rs:2245: `llm_provider`), which the
  stack's routes (to a Service or an InferencePool) are not: the stack sets request limits only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random

from components.serving.gateway import GatewayRef, Implementation
from components.serving.metadata import PART_OF

POLICY_API_VERSION = "agentgateway.dev/v1alpha1"
CLIENT_METADATA = "client"
"""The API key's metadata field that names its client, which the rate limit's conditions read."""
KEY_LENGTH = 48
"""Characters of each generated key (letters and digits: about 285 bits)."""
VLLM_KEYS_DIR = "/etc/vllm-api-keys"
VLLM_KEYS_FILE = "keys.yaml"
"""Behind a Gateway that checks no key: the Secret's one entry, a vLLM config file (`--config`) naming the keys."""


@dataclass(frozen=True, kw_only=True)
class Jwt:
    """Tokens of one issuer, checked against the keys it publishes at `jwks_url` (https)."""

    issuer: str
    audiences: tuple[str, ...]
    jwks_url: str

    @property
    def jwks_host(self) -> str:
        return urlsplit(self.jwks_url).hostname or ""

    @property
    def jwks_port(self) -> int:
        return urlsplit(self.jwks_url).port or 443

    @property
    def jwks_path(self) -> str:
        """Relative to the root, as `jwksPath` takes it (agentgateway's own tests: `org-one/keys`)."""
        return urlsplit(self.jwks_url).path.lstrip("/")


@dataclass(frozen=True, kw_only=True)
class RouteAccess:
    """Who may call one route: API-key clients with their limits, the holders of a JWT, or (neither) anyone, for
    `public_reason`."""

    clients: tuple[str, ...] = ()
    requests_per_minute: Mapping[str, int] = field(default_factory=dict)
    """Client → requests per minute (on each proxy replica); a client absent here is not limited."""
    tokens_per_minute: Mapping[str, int] = field(default_factory=dict)
    """Client → LLM tokens per minute (on each proxy replica; a served name's route only, the one agentgateway
    counts tokens on)."""
    jwt: Jwt | None = None
    public_reason: str | None = None

    @property
    def public(self) -> bool:
        return not self.clients and self.jwt is None


def enforces_policies(gateway: GatewayRef) -> bool:
    """The Gateway checks keys and limits itself: the stack's own Gateway (agentgateway, on every cloud). An existing
    Gateway leaves the key to vLLM (`--api-key`) and enforces no per-client limit."""
    return gateway.implementation is Implementation.AGENTGATEWAY


def gateway_label(gateway: GatewayRef) -> str:
    """What the plan and the messages call the Gateway."""
    if gateway.implementation is Implementation.EXISTING:
        return f"the existing Gateway {gateway.namespace}/{gateway.name}"
    return "the stack's Gateway"


def secret_name(route: str) -> str:
    return f"{route}-api-keys"


def policy_name(route: str) -> str:
    return f"{route}-auth"


def jwks_backend_name(route: str) -> str:
    return f"{route}-jwks"


def jwks_backend_spec(jwt: Jwt) -> dict[str, Any]:
    """The issuer's key server as agentgateway reaches it: a static host over TLS (verified against the proxy's
    system roots; the controller's jwks_url testdata gw-with-backend-default-tls.yaml)."""
    return {"static": {"host": jwt.jwks_host, "port": jwt.jwks_port}, "policies": {"tls": {}}}


def jwt_authentication(route: str, jwt: Jwt) -> dict[str, Any]:
    """Strict: a request without a valid token of the issuer (and one of the audiences) gets 401."""
    provider: dict[str, Any] = {
        "issuer": jwt.issuer,
        "jwks": {
            "remote": {
                "jwksPath": jwt.jwks_path,
                "backendRef": {
                    "group": "agentgateway.dev",
                    "kind": "AgentgatewayBackend",
                    "name": jwks_backend_name(route),
                    "port": jwt.jwks_port,
                },
            }
        },
    }
    if jwt.audiences:
        provider["audiences"] = list(jwt.audiences)
    return {"mode": "Strict", "providers": [provider]}


def key_entry(client: str, key: str) -> str:
    """One Secret entry as agentgateway reads it: the key and the client's name as metadata."""
    return json.dumps({"key": key, "metadata": {CLIENT_METADATA: client}}, separators=(",", ":"))


def rate_limit(access: RouteAccess) -> dict[str, Any] | None:
    """One conditional local limit per limited client, chosen by the client named in its key's metadata: its
    requests and its tokens per minute, each a bucket of its own (the CRD takes one of requests or tokens per entry).
    Tokens are counted once a response completes, so a token limit refuses the client's next requests."""
    entries = []
    for client in access.clients:
        local = [
            *(
                [{"requests": access.requests_per_minute[client], "unit": "Minutes"}]
                if client in access.requests_per_minute
                else []
            ),
            *(
                [{"tokens": access.tokens_per_minute[client], "unit": "Minutes"}]
                if client in access.tokens_per_minute
                else []
            ),
        ]
        if local:
            entries.append({"condition": f"apiKey.{CLIENT_METADATA} == '{client}'", "policy": {"local": local}})
    return {"conditional": entries} if entries else None


def policy_spec(route: str, access: RouteAccess, extra_traffic: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The AgentgatewayPolicy on the route: keys from its Secret (Strict: no key, no request), then the limits; or
    the issuer's tokens; or nothing of that on a public route. `extra_traffic`: the route's other traffic settings
    (a served name's retries), in the same policy, so that no second policy on the route competes for `traffic`."""
    traffic: dict[str, Any] = {}
    if access.jwt is not None:
        traffic["jwtAuthentication"] = jwt_authentication(route, access.jwt)
    elif access.clients:
        traffic["apiKeyAuthentication"] = {"mode": "Strict", "secretRef": {"name": secret_name(route)}}
    limits = rate_limit(access)
    if limits is not None:
        traffic["rateLimit"] = limits
    traffic.update(extra_traffic or {})
    return {
        "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": route}],
        "traffic": traffic,
    }


def vllm_keys_file(keys: list[str]) -> str:
    """vLLM's config file with the clients' keys: `api-key` takes a list (vLLM v0.31.0 entrypoints/launchers/
    cli_args.py:317), which its parser turns into `--api-key k1 k2` (utils/argparse_utils.py:564-620). JSON is YAML."""
    return json.dumps({"api-key": keys})


def vllm_key_flags() -> list[str]:
    """Read the keys from the mounted file, never from the pod spec, the environment or the command line. vLLM
    accepts any of them on /v1, /v2, /inference and /cohere only (entrypoints/serve/middleware/authenticate.py:12)
    and logs `api_key` as *** (entrypoints/serve/utils/api_utils.py:271-286)."""
    return ["--config", f"{VLLM_KEYS_DIR}/{VLLM_KEYS_FILE}"]


def vllm_key_volume(route: str) -> tuple[dict[str, object], dict[str, object]]:
    """The route's Secret as a read-only file, and where vLLM finds it."""
    volume = {
        "name": "api-keys",
        "secret": {
            "secretName": secret_name(route),
            "defaultMode": 0o440,
            "items": [{"key": VLLM_KEYS_FILE, "path": VLLM_KEYS_FILE}],
        },
    }
    return volume, {"name": "api-keys", "mountPath": VLLM_KEYS_DIR, "readOnly": True}


def generate_keys(
    clients: tuple[str, ...], opts: pulumi.ResourceOptions | None = None
) -> dict[str, pulumi.Output[str]]:
    """One key per client, for every model it may call: a RandomPassword, whose result Pulumi keeps secret. A new key:
    `pulumi up --replace <its URN>` (docs/manual.md, "Who can call a model")."""
    return {
        client: pulumi_random.RandomPassword(f"api-key-{client}", length=KEY_LENGTH, special=False, opts=opts).result
        for client in clients
    }


@dataclass(frozen=True, kw_only=True)
class RouteAuthArgs:
    namespace: pulumi.Input[str]
    route: str
    """The HTTPRoute's name (the primary model's)."""
    access: RouteAccess
    keys: Mapping[str, pulumi.Output[str]]
    """Every client's key (secret outputs); the route's clients are read from it."""
    gateway: GatewayRef
    after: list[pulumi.Resource]
    """The Gateway's CRDs."""
    extra_traffic: Mapping[str, Any] | None = None
    """The route's other traffic settings, merged into its one AgentgatewayPolicy (`policy_spec`)."""


class RouteAuth(pulumi.ComponentResource):
    """The Secret `<route>-api-keys` with the route's clients' keys and, where the Gateway enforces policies, the
    AgentgatewayPolicy `<route>-auth` on the route. Behind another Gateway the Secret is the config file vLLM reads
    its `--api-key` list from.

    Example::

        RouteAuth("chat", RouteAuthArgs(namespace=ns, route="chat", access=RouteAccess(clients=("app",)),
                  keys={"app": key}, gateway=ref, after=[]))
    """

    def __init__(self, name: str, args: RouteAuthArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:RouteAuth", name, None, opts)
        labels = {"app.kubernetes.io/part-of": PART_OF}
        enforced = enforces_policies(args.gateway)
        if args.access.jwt is not None:
            self._jwt(name, args, labels)
            return
        if args.access.public:
            if enforced and args.extra_traffic:
                self._policy(name, args, labels, depends_on=args.after)
            self.register_outputs({})
            return
        entries: dict[str, pulumi.Output[str]] = (
            {
                client: args.keys[client].apply(lambda key, client=client: key_entry(client, key))
                for client in args.access.clients
            }
            if enforced
            else {
                VLLM_KEYS_FILE: pulumi.Output.all(*(args.keys[client] for client in args.access.clients)).apply(
                    vllm_keys_file
                )
            }
        )
        self.secret = k8s.core.v1.Secret(
            f"{name}-api-keys",
            metadata={"name": secret_name(args.route), "namespace": args.namespace, "labels": labels},
            type="Opaque",
            string_data={item: pulumi.Output.secret(entry) for item, entry in entries.items()},
            opts=pulumi.ResourceOptions(parent=self),
        )
        if enforced:
            self._policy(name, args, labels, depends_on=args.after)
        self.register_outputs({})

    def _policy(
        self, name: str, args: RouteAuthArgs, labels: dict[str, str], *, depends_on: list[pulumi.Resource]
    ) -> None:
        k8s.apiextensions.CustomResource(
            f"{name}-auth",
            api_version=POLICY_API_VERSION,
            kind="AgentgatewayPolicy",
            metadata={"name": policy_name(args.route), "namespace": args.namespace, "labels": labels},
            spec=policy_spec(args.route, args.access, args.extra_traffic),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _jwt(self, name: str, args: RouteAuthArgs, labels: dict[str, str]) -> None:
        """The issuer's key server and the policy that checks tokens against it (the config checks that only the
        stack's own Gateway gets here)."""
        assert args.access.jwt is not None
        backend = k8s.apiextensions.CustomResource(
            f"{name}-jwks",
            api_version=POLICY_API_VERSION,
            kind="AgentgatewayBackend",
            metadata={"name": jwks_backend_name(args.route), "namespace": args.namespace, "labels": labels},
            spec=jwks_backend_spec(args.access.jwt),
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.after),
        )
        self._policy(name, args, labels, depends_on=[*args.after, backend])
        self.register_outputs({})
