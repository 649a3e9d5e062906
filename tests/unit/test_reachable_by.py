"""The plan's "reachable by" line of a model: every way in, with its authentication and limits, or no one."""

from __future__ import annotations

from components.catalog.instances import Cloud
from components.serving.gateway import gateway_ref
from stacks.config import parse_config
from stacks.reachability import NO_ONE, reachable_by
from tests.unit.test_config import existing, model

TLS = {"tlsClusterIssuer": "corp-ca"}
OWN = gateway_ref(existing=None, cloud=None)
EXISTING = gateway_ref(existing="edge/public", cloud=Cloud.GCP)


def test_a_model_with_no_way_in_is_reached_by_no_one_but_prometheus() -> None:
    config = parse_config(existing(models={"chat": model()}), stack="t")
    assert reachable_by(config, "chat", None) == NO_ONE


def test_keys_and_limits_on_the_stacks_own_gateway_are_named_with_the_network_fence() -> None:
    auth = {"apiKeyClients": ["app", "ci"], "clientRequestsPerMinute": {"app": 100}}
    raw = existing(**TLS, models={"chat": model(host="chat.example.com", path="/chat", auth=auth)})
    config = parse_config(raw, stack="t")
    assert reachable_by(config, "chat", OWN) == (
        "https://chat.example.com/chat/v1 through the stack's Gateway: API keys of app, ci, checked by the Gateway; "
        "requests per client per proxy replica: app 100/min (ci unlimited)"
    )


def test_behind_an_existing_gateway_the_line_says_vllm_checks_the_key_on_every_way_in() -> None:
    raw = existing(
        **TLS,
        models={
            "chat": model(host="chat.example.com", clients=[{"namespace": "apps"}], auth={"apiKeyClients": ["app"]})
        },
    )
    assert reachable_by(parse_config(raw, stack="t"), "chat", EXISTING) == (
        "https://chat.example.com/v1 through the existing Gateway edge/public: API keys of app, checked by vLLM's "
        "--api-key (the Gateway checks none), no per-client limit; pods of namespace apps, each with an API key "
        "(vLLM checks it)"
    )


def test_a_public_route_says_so_with_its_reason() -> None:
    public = model(host="chat.example.com", public=True, publicReason="the docs site's public demo")
    config = parse_config(existing(**TLS, models={"chat": public}), stack="t")
    assert reachable_by(config, "chat", OWN) == (
        "https://chat.example.com/v1 through the stack's Gateway: anyone, without authentication (public: the docs "
        "site's public demo)"
    )


def test_a_load_balancer_is_named_with_its_source_ranges() -> None:
    lb = model(loadBalancer={"sourceRanges": ["10.20.0.0/16"]})
    config = parse_config(existing(models={"chat": lb}), stack="t")
    assert reachable_by(config, "chat", None) == "its load balancer from 10.20.0.0/16, no authentication"
