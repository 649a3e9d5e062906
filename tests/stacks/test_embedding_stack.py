"""prod-gcp's embedding model in its plan, in both modes: the pooling runner, the chat models' Gateway host, its own
alerts."""

from __future__ import annotations

from typing import Any

import pytest

from tools.offline import Mode

STACK = "prod-gcp"


def _one(plan: Any, kind: str, name: str) -> dict[str, Any]:
    [body] = [b for b in plan.manifests.values() if b["kind"] == kind and b["metadata"]["name"] == name]
    return body


def _args(plan: Any, name: str) -> list[str]:
    [container] = _one(plan, "Deployment", name)["spec"]["template"]["spec"]["containers"]
    return container["args"]


@pytest.mark.parametrize("mode", Mode.ALL)
def test_the_embedding_model_runs_on_vllms_pooling_runner(plans: dict[Any, Any], mode: str) -> None:
    args = _args(plans[(STACK, mode)], "embed")
    assert args[0] == "BAAI/bge-m3"
    runner = args.index("--runner")
    assert args[runner : runner + 4] == ["--runner", "pooling", "--convert", "embed"]
    assert args[args.index("--max-model-len") + 1] == "8192"


@pytest.mark.parametrize("mode", Mode.ALL)
def test_the_chat_models_keep_the_generate_runner(plans: dict[Any, Any], mode: str) -> None:
    for name in ("qwen-7b", "qwen-72b"):
        assert "--runner" not in _args(plans[(STACK, mode)], name)


@pytest.mark.parametrize("mode", Mode.ALL)
def test_the_embedding_model_shares_the_chat_models_gateway_host_on_its_own_path(
    plans: dict[Any, Any], mode: str
) -> None:
    plan = plans[(STACK, mode)]
    embed, chat = _one(plan, "HTTPRoute", "embed")["spec"], _one(plan, "HTTPRoute", "qwen-7b")["spec"]
    assert embed["hostnames"] == chat["hostnames"]
    assert embed["parentRefs"] == chat["parentRefs"]
    [rule] = embed["rules"]
    # agentgateway checks the key on the whole route, so its whole path is routed, its prefix removed.
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/embed"}}]
    assert [ref["name"] for ref in rule["backendRefs"]] == ["embed"]


@pytest.mark.parametrize("mode", Mode.ALL)
def test_the_stack_output_says_which_models_serve_embeddings(plans: dict[Any, Any], mode: str) -> None:
    models = plans[(STACK, mode)].document["outputs"]["models"]
    assert {name: model["task"] for name, model in models.items()} == {
        "qwen-7b": "generate",
        "embed": "embed",
        "qwen-72b": "generate",
    }


def test_the_embedding_models_alerts_watch_its_latency_and_no_kv_cache(plans: dict[Any, Any]) -> None:
    rules = _one(plans[(STACK, Mode.UPDATE)], "PrometheusRule", "embed-alerts")["spec"]["groups"][0]["rules"]
    alerts = {rule["alert"] for rule in rules}
    assert "LlmModelLatencyBudgetBurn" in alerts
    assert not {"LlmModelKvCacheNearFull", "LlmModelPreempting", "LlmModelTtftBudgetBurn"} & alerts
    burn = next(rule for rule in rules if rule["alert"] == "LlmModelLatencyBudgetBurn")
    assert "vllm:e2e_request_latency_seconds_bucket" in burn["expr"]
