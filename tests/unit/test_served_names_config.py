"""`servedNames`: one OpenAI model name in front of several models, checked once at the edge: what each model
behind it must be, where a Gateway can serve it, and its host."""

from __future__ import annotations

from typing import Any

from stacks.config import parse_config
from stacks.config.schema import ServedOrder
from tests.unit.test_config import existing, model, problems

TLS = {"tlsClusterIssuer": "corp-ca"}


def two_models(**extra: dict[str, Any]) -> dict[str, Any]:
    return {"small": model(servedModelName="small"), "larger": model(servedModelName="larger"), **extra}


APP = {"apiKeyClients": ["app"]}


def served(**keys: Any) -> dict[str, Any]:
    return {"chat": {"host": "chat.example.com", "models": ["small", "larger"], "auth": APP, **keys}}


def unauthenticated(**keys: Any) -> dict[str, Any]:
    body = served(**keys)
    del body["chat"]["auth"]
    return body


def test_a_served_name_without_auth_is_refused_naming_both_ways_out() -> None:
    assert problems(existing(**TLS, models=two_models(), servedNames=unauthenticated())) == [
        "servedNames.chat.host: would let anyone who learns the name call its models: set auth (stack-wide, or "
        "servedNames.chat.auth: apiKeyClients and their limits), or public: true with a publicReason"
    ]


def test_a_served_name_takes_the_stacks_auth() -> None:
    config = parse_config(existing(**TLS, auth=APP, models=two_models(), servedNames=unauthenticated()), stack="test")
    assert config.route_access["served-chat"].clients == ("app",)


def test_a_public_served_name_needs_its_reason() -> None:
    assert problems(existing(**TLS, models=two_models(), servedNames=unauthenticated(public=True))) == [
        "servedNames.chat.publicReason: is required with public: true: say why anyone may call the name"
    ]
    raw = existing(**TLS, models=two_models(), servedNames=unauthenticated(public=True, publicReason="an open demo"))
    assert parse_config(raw, stack="test").route_access["served-chat"].public


def test_a_served_name_keeps_its_models_in_the_order_written() -> None:
    config = parse_config(existing(**TLS, models=two_models(), servedNames=served()), stack="test")
    assert config.served_names["chat"].models == ["small", "larger"]
    assert config.served_names["chat"].order is ServedOrder.LISTED


def test_a_model_that_is_not_in_the_stack_is_named_with_the_models_there_are() -> None:
    raw = existing(**TLS, models=two_models(), servedNames=served(models=["small", "large"]))
    assert problems(raw) == ["servedNames.chat.models[1]: 'large' is not a model of this stack (models: larger, small)"]


def test_one_model_is_not_a_fallback() -> None:
    [problem] = problems(existing(**TLS, models=two_models(), servedNames=served(models=["small"])))
    assert problem.startswith("servedNames.chat.models: ")
    assert "at least 2" in problem


def test_more_models_than_agentgateway_has_priority_groups_are_refused() -> None:
    names = [f"m{i}" for i in range(9)]
    models = {name: model(servedModelName=name) for name in names}
    [problem] = problems(existing(**TLS, models=models, servedNames=served(models=names)))
    assert problem.startswith("servedNames.chat.models: ")
    assert "at most 8" in problem


def test_a_model_listed_twice_is_refused() -> None:
    raw = existing(**TLS, models=two_models(), servedNames=served(models=["small", "larger", "small"]))
    assert problems(raw) == ["servedNames.chat.models[2]: 'small' is listed twice; each model is one fallback step"]


def test_a_canary_is_refused_with_what_to_list_instead() -> None:
    models = two_models(nextgen=model(servedModelName="x", canaryOf="small", weight=10))
    raw = existing(
        **TLS, models={**models, "small": model(host="s.example.com")}, servedNames=served(models=["nextgen", "larger"])
    )
    found = problems(raw)
    assert (
        "servedNames.chat.models[0]: 'nextgen' is a canary of 'small': it takes a share of its primary's route; "
        "list the primary, or make this one a model of its own"
    ) in found


def test_a_model_with_a_canary_is_refused_because_priority_groups_split_by_health_not_weight() -> None:
    models = {
        **two_models(),
        "small": model(host="s.example.com", servedModelName="small"),
        "nextgen": model(canaryOf="small", weight=10),
    }
    [problem] = problems(existing(**TLS, models=models, servedNames=served()))
    assert problem.startswith("servedNames.chat.models[0]: 'small' has a canary: ")
    assert "not by weight" in problem


def test_a_sleeping_model_is_refused_because_its_interceptor_is_in_another_namespace() -> None:
    models = two_models(larger=model(servedModelName="larger", minReplicas=0, maxReplicas=1))
    [problem] = problems(existing(**TLS, models=models, servedNames=served()))
    assert problem.startswith("servedNames.chat.models[1]: 'larger' sleeps (minReplicas 0)")


def test_embedding_and_chat_models_do_not_share_a_name() -> None:
    models = two_models(larger=model(huggingFaceId="BAAI/bge-m3", servedModelName="larger", task="embed"))
    found = problems(existing(**TLS, models=models, servedNames=served()))
    assert (
        "servedNames.chat.models: mixes tasks: small (generate), larger (embed); one name answers one API "
        "(embeddings or chat), so its models share a task"
    ) in found


def test_two_models_answering_as_one_name_are_refused_for_the_alerts_sake() -> None:
    models = {"small": model(), "larger": model()}
    [problem] = problems(existing(**TLS, models=models, servedNames=served()))
    assert problem.startswith("servedNames.chat.models[1]: 'larger' answers as ")
    assert "give one a servedModelName of its own" in problem


def test_the_cheapest_order_needs_the_prices_an_existing_cluster_has_none_of() -> None:
    [problem] = problems(existing(**TLS, models=two_models(), servedNames=served(order="cheapest")))
    assert problem.startswith("servedNames.chat.order: 'cheapest' orders by the plan's price of a replica-hour")


def test_an_unknown_order_lists_the_orders_there_are() -> None:
    [problem] = problems(existing(**TLS, models=two_models(), servedNames=served(order="fastest")))
    assert problem.startswith("servedNames.chat.order: ")
    assert "'listed'" in problem
    assert "'cheapest'" in problem


def test_on_gcp_a_served_name_is_agentgateways_too() -> None:
    raw = {
        "target": "gcp",
        "region": "us-central1",
        "gcpProject": "my-project-123",
        "systemInstanceType": "e2-standard-8",
        **TLS,
        "models": two_models(),
        "servedNames": served(),
    }
    assert list(parse_config(raw, stack="t").served_names) == ["chat"]


def test_an_existing_gateway_is_refused_with_the_reason() -> None:
    raw = existing(existingGateway="gateways/shared", models=two_models(), servedNames=served())
    assert problems(raw) == [
        "servedNames: needs the stack's own Gateway (agentgateway's priority groups): existingGateway's "
        "implementation is unknown to the stack, and Gateway API's HTTPRoute has weights but no priority between "
        "backends"
    ]


def test_the_gateway_needs_a_certificate_issuer_for_the_served_names_host() -> None:
    [problem] = problems(existing(models=two_models(), servedNames=served()))
    assert problem.startswith("tlsClusterIssuer: is required with servedNames (chat)")


def test_a_host_and_path_a_model_already_routes_are_refused() -> None:
    models = two_models(small=model(servedModelName="small", host="chat.example.com"))
    assert problems(existing(**TLS, models=models, servedNames=served())) == [
        "servedNames.chat.host: 'chat.example.com' is model 'small's route already; give the served name its own "
        "host or path"
    ]


def test_a_served_name_may_share_a_models_host_on_a_path_of_its_own() -> None:
    models = two_models(small=model(servedModelName="small", host="chat.example.com"))
    config = parse_config(existing(**TLS, models=models, servedNames=served(path="/any")), stack="test")
    assert config.served_names["chat"].path == "/any"


def test_a_name_that_is_no_kubernetes_name_is_refused() -> None:
    raw = existing(**TLS, models=two_models(), servedNames={"Chat_1": served()["chat"]})
    [problem] = problems(raw)
    assert problem.startswith("servedNames.Chat_1: the name clients send as `model`, and its Kubernetes objects' name")


def test_a_served_name_whose_objects_take_a_models_route_name_is_refused() -> None:
    models = {**two_models(), "served-chat": model(servedModelName="other")}
    [problem] = problems(existing(**TLS, models=models, servedNames=served()))
    assert problem.startswith("servedNames.chat: its route and backend are named 'served-chat'")


def test_token_limits_reach_a_served_names_route_and_no_models_own() -> None:
    auth = {"apiKeyClients": ["app", "evals"], "tokensPerMinute": 100_000, "clientTokensPerMinute": {"evals": 10_000}}
    models = {**two_models(), "small": model(servedModelName="small", host="s.example.com")}
    config = parse_config(existing(**TLS, auth=auth, models=models, servedNames=unauthenticated()), stack="test")
    assert config.route_access["served-chat"].tokens_per_minute == {"app": 100_000, "evals": 10_000}
    assert config.route_access["small"].tokens_per_minute == {}


def test_a_token_limit_on_a_models_own_route_is_refused_naming_where_it_applies() -> None:
    own = {"apiKeyClients": ["app"], "tokensPerMinute": 1000}
    [problem] = problems(existing(**TLS, models={**two_models(), "small": model(host="s.example.com", auth=own)}))
    assert problem.startswith("models.small.auth: tokensPerMinute applies to served names only")
    assert "servedNames.<name>.auth" in problem


def test_a_token_limit_for_a_client_without_a_key_is_refused() -> None:
    auth = {"apiKeyClients": ["app"], "clientTokensPerMinute": {"bot": 10}}
    assert problems(existing(**TLS, models=two_models(), servedNames=served(auth=auth))) == [
        "servedNames.chat.auth.clientTokensPerMinute.bot: 'bot' is no client of apiKeyClients; use one of ['app']"
    ]
