"""An embedding model's server on either engine: vLLM v0.31.0's pooling runner, named by its flags."""

from __future__ import annotations

import dataclasses

from components.serving import vllm
from components.serving.kserve import runtime_args
from components.serving.pooling import pooling_flags
from tests.components.test_vllm import CPU_ARGS, gpu_args

EMBED_CPU = dataclasses.replace(CPU_ARGS, model_id="intfloat/e5-large-v2", context_length=512, task="embed")


def test_an_embedding_model_runs_on_the_pooling_runner_converted_for_embeddings() -> None:
    flags = vllm.vllm_args(EMBED_CPU)
    runner = flags.index("--runner")
    assert flags[runner : runner + 4] == ["--runner", "pooling", "--convert", "embed"]


def test_a_chat_model_leaves_the_runner_to_vllm() -> None:
    flags = vllm.vllm_args(CPU_ARGS)
    assert "--runner" not in flags
    assert "--convert" not in flags


def test_an_embedding_model_on_a_gpu_keeps_its_sizing_flags() -> None:
    flags = vllm.vllm_args(gpu_args(task="embed", context_length=8192))
    assert {"--runner", "--tensor-parallel-size", "--gpu-memory-utilization"} <= set(flags)
    assert flags[flags.index("--max-model-len") + 1] == "8192"


def test_kserve_passes_the_pooling_flags_through_to_its_vllm_backend() -> None:
    flags = runtime_args(gpu_args(task="embed"))
    assert {"--backend=vllm", "--runner=pooling", "--convert=embed"} <= set(flags)
    assert not any(flag.startswith("--runner") for flag in runtime_args(gpu_args()))


def test_only_the_embed_task_has_pooling_flags() -> None:
    assert pooling_flags("generate") == []
    assert pooling_flags("embed") == ["--runner", "pooling", "--convert", "embed"]


def test_an_embedding_model_is_probed_on_vllms_health_route() -> None:
    probes = vllm.probes()
    assert {probe["httpGet"]["path"] for probe in probes.values()} == {"/health"}  # type: ignore[index]
