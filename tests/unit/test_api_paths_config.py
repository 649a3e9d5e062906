"""`apiPaths`: an embedding model and a chat model on one host by OpenAI path, and the overlaps refused."""

from __future__ import annotations

from typing import Any

from stacks.config import parse_config
from tests.unit.test_config import existing, model, problems

HOST = "llm.example.com"
BGE_M3 = "BAAI/bge-m3"


def _stack(**models: dict[str, Any]) -> dict[str, Any]:
    return existing(tlsClusterIssuer="corp-ca", models=models)


def _embed(**keys: Any) -> dict[str, Any]:
    return model(**{"huggingFaceId": BGE_M3, "host": HOST, "apiPaths": ["/v1/embeddings"], **keys})


def _chat(**keys: Any) -> dict[str, Any]:
    return model(**{"host": HOST, "apiPaths": ["/v1/chat/completions"], **keys})


def test_an_embedding_and_a_chat_model_share_a_host_and_its_base_url() -> None:
    config = parse_config(_stack(embed=_embed(), chat=_chat()), stack="t")
    embed, chat = config.models["embed"], config.models["chat"]
    assert embed.route is not None
    assert chat.route is not None
    assert (embed.route.api_paths, chat.route.api_paths) == (("/v1/embeddings",), ("/v1/chat/completions",))
    assert embed.route.url == chat.route.url == f"https://{HOST}/v1"


def test_a_path_no_model_of_its_task_serves_is_refused_naming_what_it_serves() -> None:
    assert problems(_stack(embed=_embed(apiPaths=["/v1/chat/completions"]))) == [
        "models.embed.apiPaths: ['/v1/chat/completions'] is not served by a model of task 'embed', which answers "
        "only ['/v1/embeddings']"
    ]


def test_a_path_outside_the_openai_ones_is_refused_by_the_schema() -> None:
    assert problems(_stack(chat=_chat(apiPaths=["/v1/models"]))) == [
        "models.chat.apiPaths[0]: '/v1/models' is not allowed; use one of '/v1/embeddings', '/v1/chat/completions', "
        "'/v1/completions'"
    ]


def test_api_paths_need_a_host() -> None:
    assert problems(existing(models={"chat": model(apiPaths=["/v1/chat/completions"])})) == [
        "models.chat.apiPaths: only applies with host: the paths are matched on the Gateway's route"
    ]


def test_api_paths_and_a_path_prefix_exclude_each_other() -> None:
    assert problems(_stack(chat=_chat(path="/small"))) == [
        "models.chat.apiPaths: and path '/small' both choose what of the host reaches the model; keep one: path (a "
        "prefix, removed on the way) or apiPaths (OpenAI paths, passed on unchanged)"
    ]


def test_a_path_listed_twice_is_refused() -> None:
    assert problems(_stack(chat=_chat(apiPaths=["/v1/completions", "/v1/completions"]))) == [
        "models.chat.apiPaths: lists ['/v1/completions'] more than once; name each path once"
    ]


def test_two_models_on_one_api_path_of_one_host_are_refused() -> None:
    assert problems(_stack(chat=_chat(), other=_chat())) == [
        "models.other.apiPaths: '/v1/chat/completions' on 'llm.example.com' is already the route of model 'chat'; "
        "one model per path, or make this model a canaryOf that model to split the traffic by weight"
    ]


def test_a_catch_all_route_next_to_api_paths_on_one_host_is_refused_as_ambiguous() -> None:
    assert problems(_stack(embed=_embed(), chat=model(host=HOST))) == [
        "models.chat.host: 'llm.example.com': this model takes every path of the host, which covers /v1/embeddings "
        "(model 'embed'); which model answers would depend on the Gateway's precedence. On a host with apiPaths, "
        "give every model apiPaths (e.g. ['/v1/chat/completions', '/v1/completions']), or use another host"
    ]


def test_a_prefix_covering_an_api_path_of_the_same_host_is_refused() -> None:
    [message] = problems(_stack(embed=_embed(), chat=model(host=HOST, path="/v1")))
    assert message.startswith("models.chat.host: 'llm.example.com': this model takes the prefix '/v1', which covers")


def test_a_prefix_beside_api_paths_that_covers_none_of_them_is_allowed() -> None:
    config = parse_config(_stack(embed=_embed(), chat=model(host=HOST, path="/v1e")), stack="t")
    assert config.models["chat"].route is not None
    assert config.models["chat"].route.path == "/v1e"


def test_a_canary_takes_its_primarys_api_paths_and_sets_none() -> None:
    canary = model(canaryOf="chat", weight=10)
    config = parse_config(_stack(chat=_chat(), next=canary), stack="t")
    assert config.models["next"].route is not None
    assert config.models["next"].route.api_paths == ("/v1/chat/completions",)
    assert problems(_stack(chat=_chat(), next={**canary, "apiPaths": ["/v1/chat/completions"]})) == [
        "models.next.apiPaths: a canary serves the route of 'chat'; remove apiPaths"
    ]
