"""The exposure keys: the Gateway, its TLS, routes by host and path, weighted canaries, and the retired Ingress keys."""

from __future__ import annotations

from typing import Any

from stacks.config import parse_config
from tests.unit.test_config import existing, model, problems


def aws(**keys: Any) -> dict[str, Any]:
    return {"target": "aws", "region": "us-east-1", **keys}


def test_the_ingress_class_key_is_retired_with_what_to_write_instead() -> None:
    assert problems(existing(ingressClassName="nginx")) == [
        "ingressClassName: is retired: models are exposed through a Gateway (Gateway API) that the stack installs "
        "(agentgateway), no longer through an Ingress. Remove the key; to use a Gateway the cluster already runs, set "
        "existingGateway: <namespace>/<name>"
    ]


def test_the_ingress_namespace_key_is_retired_with_what_to_write_instead() -> None:
    assert problems(existing(ingressNamespace="ingress-nginx")) == [
        "ingressNamespace: is retired: the Gateway's own pods are the only ones admitted to exposed models, wherever "
        "it runs. Remove the key; with existingGateway, the pods of that Gateway's namespace are admitted"
    ]


def test_an_acme_email_is_enough_tls_for_an_exposed_model() -> None:
    config = parse_config(
        existing(acmeEmail="ops@example.com", models={"chat": model(host="chat.example.com")}), stack="test"
    )
    assert config.acme_email == "ops@example.com"
    assert config.tls_cluster_issuer is None


def test_an_issuer_of_yours_and_the_stacks_acme_issuer_exclude_each_other() -> None:
    raw = existing(
        tlsClusterIssuer="corp-ca", acmeEmail="ops@example.com", models={"chat": model(host="c.example.com")}
    )
    assert problems(raw) == [
        "acmeEmail: only applies without tlsClusterIssuer (the issuer the stack would create); remove one"
    ]


def test_lets_encrypt_cannot_reach_an_internal_gateway() -> None:
    raw = aws(
        gatewayInternal=True,
        acmeEmail="ops@example.com",
        models={"chat": model(host="chat.example.com", cpuCores=1, memoryGiB=4)},
    )
    assert problems(raw) == [
        "acmeEmail: needs a public Gateway: Let's Encrypt checks HTTP-01 challenges from the internet, and "
        "gatewayInternal is true. Name a ClusterIssuer of yours (DNS-01, a private CA) in tlsClusterIssuer"
    ]


def test_an_internal_gateway_is_a_cloud_choice() -> None:
    assert problems(existing(gatewayInternal=True)) == [
        "gatewayInternal: only applies to cloud targets: on 'existing' the cluster's load balancer decides; remove "
        "the key"
    ]


def test_an_existing_gateway_needs_no_issuer_and_takes_none() -> None:
    exposed = {"chat": model(host="chat.example.com")}
    assert parse_config(existing(existingGateway="edge/public", models=exposed), stack="t").existing_gateway == (
        "edge/public"
    )
    assert problems(existing(existingGateway="edge/public", tlsClusterIssuer="corp-ca", models=exposed)) == [
        "tlsClusterIssuer: only applies to the Gateway the stack installs; existingGateway's certificates are its own"
    ]


def test_two_models_may_share_a_host_on_different_paths_but_not_a_route() -> None:
    shared = {"a": model(host="llm.example.com", path="/a"), "b": model(host="llm.example.com", path="/b")}
    parse_config(existing(tlsClusterIssuer="corp-ca", models=shared), stack="t")
    same = {"a": model(host="llm.example.com", path="/a"), "b": model(host="llm.example.com", path="/a")}
    assert problems(existing(tlsClusterIssuer="corp-ca", models=same)) == [
        "models.b.host: 'llm.example.com' with path '/a' is already the route of model 'a'; give each model a host "
        "or a path of its own, or make it a canaryOf that model to split the traffic by weight"
    ]


def test_a_path_is_a_prefix_of_path_segments() -> None:
    [message] = problems(existing(tlsClusterIssuer="corp-ca", models={"a": model(host="l.example.com", path="a/")}))
    assert message.startswith("models.a.path: 'a/' is not valid")


def canary_stack(**canary: Any) -> dict[str, Any]:
    return existing(
        tlsClusterIssuer="corp-ca",
        models={"chat": model(host="llm.example.com", servedModelName="chat"), "next": model(**canary)},
    )


def test_a_canary_answers_to_its_primarys_served_name() -> None:
    config = parse_config(canary_stack(canaryOf="chat", weight=10), stack="t")
    assert config.models["next"].served_model_name == "chat"


def test_a_canary_needs_a_weight_and_a_weight_needs_canary_of() -> None:
    assert problems(canary_stack(canaryOf="chat")) == [
        "models.next.weight: is required with canaryOf: the percent of requests it gets"
    ]
    assert problems(canary_stack(weight=10)) == ["models.next.weight: only applies with canaryOf; remove the key"]


def test_a_canary_names_another_exposed_primary() -> None:
    assert problems(canary_stack(canaryOf="nope", weight=10)) == [
        "models.next.canaryOf: 'nope' is not another model of this stack; use one of ['chat']"
    ]
    hidden = existing(models={"chat": model(), "next": model(canaryOf="chat", weight=10)})
    assert problems(hidden) == [
        "models.next.canaryOf: 'chat' sets no host: weights apply on its Gateway route, which it does not have"
    ]


def test_a_canary_keeps_its_primarys_route_and_name() -> None:
    assert problems(canary_stack(canaryOf="chat", weight=10, host="other.example.com")) == [
        "models.next.host: a canary serves the route of 'chat'; remove host and path"
    ]
    assert problems(canary_stack(canaryOf="chat", weight=10, servedModelName="next")) == [
        "models.next.servedModelName: 'next' differs from 'chat', the served name of 'chat': clients send one name "
        "to the route; remove the key"
    ]


def test_canaries_take_at_most_the_whole_route() -> None:
    raw = existing(
        tlsClusterIssuer="corp-ca",
        models={
            "chat": model(host="llm.example.com"),
            "b": model(canaryOf="chat", weight=60),
            "c": model(canaryOf="chat", weight=50),
        },
    )
    assert problems(raw) == ["models.chat: its canaries' weights add up to 110; they may take at most 100"]


LIMITED_EXPOSURE = {
    "tlsClusterIssuer": "corp-ca",
    "models": {"chat": model(host="chat.example.com", cpuCores=1, memoryGiB=4)},
}


def test_a_public_gateway_on_aws_takes_its_source_ranges() -> None:
    config = parse_config(aws(gatewaySourceRanges=["203.0.113.0/24", "2001:db8::/32"], **LIMITED_EXPOSURE), stack="t")
    assert config.gateway_source_ranges == ("203.0.113.0/24", "2001:db8::/32")


def test_gateway_source_ranges_are_cidr_blocks_without_host_bits() -> None:
    assert problems(aws(gatewaySourceRanges=["203.0.113.1/24"], **LIMITED_EXPOSURE)) == [
        "gatewaySourceRanges[0]: '203.0.113.1/24' has host bits set; use '203.0.113.0/24'"
    ]


def test_gateway_source_ranges_never_name_the_whole_internet() -> None:
    assert problems(aws(gatewaySourceRanges=["0.0.0.0/0"], **LIMITED_EXPOSURE)) == [
        "gatewaySourceRanges[0]: '0.0.0.0/0' would open the Gateway to the whole internet; list the ranges that need it"
    ]


def test_gateway_source_ranges_only_limit_a_public_gateway() -> None:
    assert problems(aws(gatewayInternal=True, gatewaySourceRanges=["203.0.113.0/24"], **LIMITED_EXPOSURE)) == [
        "gatewaySourceRanges: ['203.0.113.0/24'] only applies to a public Gateway, and gatewayInternal is true; "
        "remove one"
    ]


def test_gateway_source_ranges_fence_agentgateways_load_balancer_on_gcp_too() -> None:
    raw = {"target": "gcp", "region": "us-central1", "gcpProject": "my-project", **LIMITED_EXPOSURE}
    config = parse_config({**raw, "gatewaySourceRanges": ["203.0.113.0/24"]}, stack="t")
    assert tuple(config.gateway_source_ranges) == ("203.0.113.0/24",)


def test_gateway_source_ranges_are_refused_on_an_existing_cluster() -> None:
    assert problems(existing(gatewaySourceRanges=["203.0.113.0/24"], **LIMITED_EXPOSURE)) == [
        "gatewaySourceRanges: ['203.0.113.0/24'] only applies on aws, gcp and azure, not on 'existing' (the "
        "cluster's load balancer decides); remove the key"
    ]


def test_gateway_source_ranges_are_refused_with_an_existing_gateway() -> None:
    raw = aws(existingGateway="edge/public", gatewaySourceRanges=["203.0.113.0/24"], models=LIMITED_EXPOSURE["models"])
    assert problems(raw) == [
        "gatewaySourceRanges: ['203.0.113.0/24'] only applies to the Gateway the stack installs; existingGateway's "
        "load balancer is its owner's; remove the key"
    ]


def test_lets_encrypt_cannot_reach_a_gateway_limited_to_source_ranges() -> None:
    raw = aws(gatewaySourceRanges=["203.0.113.0/24"], acmeEmail="ops@example.com", models=LIMITED_EXPOSURE["models"])
    assert problems(raw) == [
        "acmeEmail: needs the Gateway open to the whole internet: Let's Encrypt checks HTTP-01 challenges from "
        "addresses it does not publish, and gatewaySourceRanges limits who reaches it. Name a ClusterIssuer of yours "
        "(DNS-01, a private CA) in tlsClusterIssuer"
    ]
