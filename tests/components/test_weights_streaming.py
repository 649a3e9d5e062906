"""A model that streams its weights: vLLM's flags as v0.31.0 reads them, and what its pod needs for them.

The rules below are vLLM v0.31.0's, read from its wheel: `RunaiModelStreamerLoader.__init__`
(vllm/model_executor/model_loader/runai_streamer_loader.py) accepts only the keys distributed, concurrency and
memory_limit, `distributed` a bool and `concurrency` a positive int that is not a bool; `--model-loader-extra-config`
is parsed with json.loads (vllm/engine/arg_utils.py, union_dict_and_str); an object-storage model is one whose name
starts with s3://, gs:// or az:// (vllm/transformers_utils/runai_utils.py, SUPPORTED_SCHEMES)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from components.serving import vllm
from components.serving.weights import LOADER_KEYS, StreamedWeights, loader_config, streaming_flags
from tests.components.test_vllm import CPU_ARGS, gpu_args

GPU_ARGS = gpu_args()

SUPPORTED_SCHEMES = ("s3://", "gs://", "az://")
WEIGHTS = StreamedWeights(
    uri="s3://bucket/chat/",
    env=(("AWS_REGION", "us-east-1"),),
    credential_egress=({"to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}], "ports": [{"port": 80}]},),
)


def extra_config(flags: list[Any]) -> dict[str, Any]:
    parsed = json.loads(flags[flags.index("--model-loader-extra-config") + 1])
    assert isinstance(parsed, dict)
    return parsed


def vllm_accepts(config: dict[str, Any]) -> bool:
    """RunaiModelStreamerLoader's checks in v0.31.0."""
    if set(config) - LOADER_KEYS:
        return False
    if "distributed" in config and not isinstance(config["distributed"], bool):
        return False
    concurrency = config.get("concurrency", 1)
    return not isinstance(concurrency, bool) and isinstance(concurrency, int) and concurrency > 0


def test_the_loader_keys_are_those_vllm_accepts() -> None:
    assert frozenset({"distributed", "concurrency", "memory_limit"}) == LOADER_KEYS


@pytest.mark.parametrize("tensor_parallel", [1, 2, 4, 8])
def test_the_extra_config_passes_vllms_checks(tensor_parallel: int) -> None:
    assert vllm_accepts(extra_config(streaming_flags(tensor_parallel)))


def test_one_gpu_streams_without_distributed_loading() -> None:
    assert "distributed" not in loader_config(1)


def test_tensor_parallel_ranks_stream_their_share_each() -> None:
    assert loader_config(2)["distributed"] is True


def test_the_concurrency_is_the_streamers_fastest_published_s3_load() -> None:
    assert loader_config(1)["concurrency"] == 32


def test_the_server_streams_from_its_prefix_with_the_runai_streamer() -> None:
    flags = vllm.vllm_args(dataclasses.replace(GPU_ARGS, weights=WEIGHTS))
    assert str(flags[0]).startswith(SUPPORTED_SCHEMES)
    assert flags[flags.index("--load-format") + 1] == "runai_streamer"


def test_a_streaming_server_passes_no_hub_flags() -> None:
    flags = vllm.vllm_args(dataclasses.replace(GPU_ARGS, weights=WEIGHTS, revision="abc123"))
    assert "--download-dir" not in flags
    assert "--revision" not in flags


def test_a_downloading_server_keeps_the_hub_flags() -> None:
    flags = vllm.vllm_args(dataclasses.replace(CPU_ARGS, revision="abc123"))
    assert flags[0] == CPU_ARGS.model_id
    assert "--load-format" not in flags
    assert flags[flags.index("--revision") + 1] == "abc123"


def test_the_streamers_credential_environment_reaches_the_container() -> None:
    env = vllm.environment(dataclasses.replace(GPU_ARGS, weights=WEIGHTS))
    assert {"name": "AWS_REGION", "value": "us-east-1"} in env


def test_the_startup_probe_follows_the_models_budget() -> None:
    probe = vllm.probes(600)["startupProbe"]
    assert probe["periodSeconds"] * probe["failureThreshold"] == 600  # type: ignore[index]


def test_the_progress_deadline_is_twice_the_models_budget() -> None:
    assert dataclasses.replace(GPU_ARGS, startup_budget_seconds=600).progress_deadline_seconds == 1200
