"""Weights streamed from the stack's object storage into GPU memory: vLLM's flags and what the pod needs for them.

vLLM v0.31.0 (from its wheel):

- the model argument may be an `s3://`, `gs://` or `az://` URI (vllm/transformers_utils/runai_utils.py
  SUPPORTED_SCHEMES); `ModelConfig.maybe_pull_model_tokenizer_for_runai` copies its `*.json`, `*.model` and `*.py`
  (and, the tokenizer being the model, the tokenizer files) into a local directory under `~/.cache/vllm` (HOME is
  /tmp here), and the weights are streamed with `--load-format runai_streamer`;
- `--model-loader-extra-config` is JSON (arg_utils `union_dict_and_str`); `RunaiModelStreamerLoader` accepts the keys
  `distributed` (a bool: each tensor-parallel rank streams its share straight to its GPU, `cuda:<rank>` in
  weight_utils.runai_safetensors_weights_iterator), `concurrency` (a positive int, not a bool: it becomes
  RUNAI_STREAMER_CONCURRENCY) and `memory_limit`, and refuses any other key;
- `--revision` and `--download-dir` are for the Hub: the copy Job pins the revision when it fills the prefix.

runai-model-streamer (vllm's `runai` extra pins `runai-model-streamer[s3,gcs,azure]>=0.15.7`; 0.15.7 read) finds
credentials through each cloud's default chain: boto3's session (EKS Pod Identity's container credentials, region from
AWS_REGION), google.auth.default() (GKE's metadata server under Workload Identity), DefaultAzureCredential (the
workload identity webhook's federated token) with the account from AZURE_STORAGE_ACCOUNT_NAME.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi

from components.catalog.cold_start import STREAMER_CONCURRENCY

LOAD_FORMAT = "runai_streamer"
LOADER_KEYS = frozenset({"distributed", "concurrency", "memory_limit"})
"""The keys vLLM v0.31.0's RunaiModelStreamerLoader accepts (a ValueError names any other)."""


@dataclass(frozen=True, kw_only=True)
class StreamedWeights:
    """Where a model's weights are, and what its pods need to read them."""

    uri: pulumi.Input[str]
    """`s3://<bucket>/<prefix>/`, `gs://<bucket>/<prefix>/` or `az://<container>/<prefix>/`."""
    env: tuple[tuple[str, pulumi.Input[str]], ...] = ()
    """What the streamer's credential chain reads (AWS_REGION, AZURE_STORAGE_ACCOUNT_NAME)."""
    pod_labels: dict[str, str] = field(default_factory=dict)
    """Labels the cloud's identity webhook acts on (Azure: `azure.workload.identity/use`)."""
    account_annotations: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """The ServiceAccount's annotations that bind it to the cloud identity (Azure: its client id)."""
    credential_egress: tuple[dict[str, object], ...] = ()
    """NetworkPolicy egress rules to the node-local credential endpoint (EKS Pod Identity's agent, GKE's metadata
    server); object storage itself is HTTPS, which the model's policy already allows."""


def loader_config(tensor_parallel: int) -> dict[str, object]:
    """`--model-loader-extra-config`: the concurrency of the streamer's fastest published S3 load, and distributed
    streaming when several GPUs load shards of the same files."""
    config: dict[str, object] = {"concurrency": STREAMER_CONCURRENCY}
    if tensor_parallel > 1:
        config["distributed"] = True
    return config


def streaming_flags(tensor_parallel: int) -> list[str]:
    return [
        "--load-format",
        LOAD_FORMAT,
        "--model-loader-extra-config",
        json.dumps(loader_config(tensor_parallel), separators=(",", ":"), sort_keys=True),
    ]
