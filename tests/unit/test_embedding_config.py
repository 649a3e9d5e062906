"""`task: embed` in the stack file: what it resolves to, and every rule on it with the exact message."""

from __future__ import annotations

from typing import Any

from stacks.config import parse_config
from stacks.config.schema import Task
from tests.unit.test_config import existing, model, pool, problems

BGE_M3 = "BAAI/bge-m3"


def plan(models: dict[str, Any], **keys: Any) -> Any:
    return parse_config(existing(gpuPools={"l4": pool()}, models=models, **keys), stack="test")


def test_a_catalogue_embedding_model_is_served_for_embeddings_without_the_key() -> None:
    config = plan({"embed": model(huggingFaceId=BGE_M3, pool="l4")})
    assert config.models["embed"].task is Task.EMBED
    assert config.models["embed"].embeds


def test_a_chat_model_is_served_for_generation_without_the_key() -> None:
    assert plan({"chat": model()}).models["chat"].task is Task.GENERATE


def test_a_chat_model_may_be_served_as_an_embedding_model() -> None:
    config = plan({"chat": model(task="embed")})
    assert config.models["chat"].task is Task.EMBED
    assert config.models["chat"].architecture is not None
    assert config.models["chat"].architecture.task == "embed"


def test_an_encoder_keeps_no_kv_cache_and_a_decoder_does() -> None:
    config = plan(
        {
            "bge": model(huggingFaceId=BGE_M3, pool="l4"),
            "qwen": model(huggingFaceId="Qwen/Qwen3-Embedding-0.6B", pool="l4"),
        }
    )
    assert not config.models["bge"].keeps_kv_cache
    assert config.models["qwen"].keeps_kv_cache


def test_an_architecture_given_in_the_stack_file_may_be_an_encoder() -> None:
    architecture = {
        "parametersBillion": 0.11,
        "layers": 12,
        "kvHeads": 12,
        "attentionHeads": 12,
        "headDim": 64,
        "defaultContext": 512,
        "hiddenSize": 768,
        "intermediateSize": 3072,
        "vocabSize": 30522,
        "encoderOnly": True,
    }
    config = plan({"e": model(huggingFaceId="org/my-bert", pool="l4", task="embed", architecture=architecture)})
    assert config.models["e"].sizing is not None
    assert config.models["e"].sizing.kv_bytes == 0


def test_an_embedding_model_is_sized_on_its_pool_without_a_kv_cache() -> None:
    sizing = plan({"embed": model(huggingFaceId=BGE_M3, pool="l4")}).models["embed"].sizing
    assert sizing is not None
    assert (sizing.tensor_parallel, sizing.context_tokens, sizing.kv_bytes) == (1, 8192, 0)


def test_generate_on_a_catalogue_embedding_model_is_refused() -> None:
    assert problems(existing(models={"embed": model(huggingFaceId=BGE_M3, task="generate")})) == [
        "models.embed.task: 'generate', but BAAI/bge-m3 is an embedding model (vLLM refuses it with 'Embedding "
        "models do not support `--runner generate`'); use 'embed' or remove the key"
    ]


def test_an_unknown_task_names_the_allowed_ones() -> None:
    [message] = problems(existing(models={"m": model(task="rerank")}))
    assert message.startswith("models.m.task: ")
    assert "'generate'" in message
    assert "'embed'" in message


def test_an_embedding_model_is_not_held_to_token_latencies() -> None:
    slo = {"ttftSeconds": 0.5, "timePerOutputTokenSeconds": 0.05}
    assert problems(existing(models={"embed": model(huggingFaceId=BGE_M3, slo=slo)})) == [
        f"models.embed.slo.{key}: an embedding model produces no tokens; hold it to slo.requestLatencySeconds "
        "(whole requests)"
        for key in ("ttftSeconds", "timePerOutputTokenSeconds")
    ]


def test_an_embedding_model_is_held_to_its_request_latency() -> None:
    config = plan({"embed": model(huggingFaceId=BGE_M3, slo={"requestLatencySeconds": 0.5})})
    [objective] = config.models["embed"].objectives
    assert (objective.key, objective.names, objective.seconds) == (
        "requestLatencySeconds",
        ("vllm:e2e_request_latency_seconds",),
        0.5,
    )


def test_a_request_latency_below_vllms_smallest_bucket_is_refused() -> None:
    [message] = problems(existing(models={"embed": model(huggingFaceId=BGE_M3, slo={"requestLatencySeconds": 0.1})}))
    assert message.startswith(
        "models.embed.slo.requestLatencySeconds: 0.1, must be a bound of vLLM's histogram buckets (a share of "
        "requests is known only there): 0.3, 0.5, 0.8, 1,"
    )


def test_a_canary_serves_its_primarys_task() -> None:
    models = {
        "chat": model(host="llm.example.com"),
        "embed": model(huggingFaceId=BGE_M3, canaryOf="chat", weight=10),
    }
    issues = problems(existing(models=models, acmeEmail="ops@example.com"))
    assert (
        "models.embed.canaryOf: 'chat' serves task 'generate' and this model 'embed': a canary answers its primary's "
        "requests on the same API"
    ) in issues
