"""`coldStart`: where a model's weights and image come from when a replica starts, as far as its target offers.

Weights stream from the stack's own object storage (S3, GCS, Azure Blob) on cloud targets, for vLLM models on GPU
pools: an existing cluster has no bucket of the stack's, KServe's Hugging Face runtime is not given vLLM's loader flags
by this stack (refused rather than guessed), and whether vLLM's CPU image carries the streamer is not verified. Images:

- aws: `stream` is EKS's FastImagePull (nodeadm's feature gate: SOCI's parallel pull and unpack of ordinary OCI
  images, from any registry) on the nodes of the model's pool;
- gcp: `stream` is GKE image streaming (`gcfsConfig`), which streams only images stored in Artifact Registry
  (GKE docs, "Use Image streaming to pull container images": other registries are pulled as usual);
- azure: only `pull`: AKS artifact streaming is not in azure-native 3.29.0's agent pool (API 2025-09-01 has no
  `artifactStreamingProfile`), and it streams only from Azure Container Registry;
- `cache` (an EBS snapshot or a GKE secondary boot disk holding the image) is not built yet, on any target.

CPU models run on the system pool, whose nodes the stack does not tune for one model: images `pull` only.
Unset keys take the fastest choice the target offers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from components.catalog.instances import Cloud
from stacks.config.rules import Finding
from stacks.config.rules.embedding import model_task
from stacks.config.schema import Engine, ImageDelivery, ModelServing, Task, WeightsSource

ARTIFACT_REGISTRY = re.compile(r"^[a-z0-9-]+-docker\.pkg\.dev/")
"""An Artifact Registry image (`<location>-docker.pkg.dev/...`): the only ones GKE image streaming streams."""


@dataclass(frozen=True, kw_only=True)
class ColdStart:
    """A model's resolved choices."""

    weights: WeightsSource
    images: ImageDelivery

    @property
    def streams_weights(self) -> bool:
        return self.weights is WeightsSource.STREAM


def offered_weights(
    cloud: Cloud | None, engine: Engine, *, on_gpu: bool = True, nodes: int = 1, embeds: bool = False
) -> tuple[WeightsSource, ...]:
    """What the target offers a model, fastest first (`nodes`: the nodes one replica spans; `embeds`: task embed)."""
    if cloud is not None and engine is Engine.VLLM and on_gpu and nodes == 1 and not embeds:
        return (WeightsSource.STREAM, WeightsSource.DOWNLOAD)
    return (WeightsSource.DOWNLOAD,)


def offered_images(cloud: Cloud | None, *, on_gpu: bool, gpu_image: str) -> tuple[ImageDelivery, ...]:
    """What the target offers a model's image, fastest first."""
    if on_gpu and cloud is Cloud.AWS:
        return (ImageDelivery.STREAM, ImageDelivery.PULL)
    if on_gpu and cloud is Cloud.GCP and ARTIFACT_REGISTRY.match(gpu_image):
        return (ImageDelivery.STREAM, ImageDelivery.PULL)
    return (ImageDelivery.PULL,)


def resolve_cold_start(model: ModelServing, cloud: Cloud | None, gpu_image: str, *, nodes: int = 1) -> ColdStart:
    """The configured choices, unset ones the fastest offered (call after `cold_start_findings` found nothing)."""
    weights = offered_weights(
        cloud, model.engine, on_gpu=model.pool is not None, nodes=nodes, embeds=model_task(model) is Task.EMBED
    )
    images = offered_images(cloud, on_gpu=model.pool is not None, gpu_image=gpu_image)
    return ColdStart(weights=model.cold_start.weights or weights[0], images=model.cold_start.images or images[0])


def cold_start_findings(
    models: Mapping[str, ModelServing], *, cloud: Cloud | None, gpu_image: str, nodes: Mapping[str, int] | None = None
) -> list[Finding]:
    """A choice the target cannot make, with what it can (`nodes`: the nodes each model's replica spans)."""
    findings: list[Finding] = []
    for name, model in models.items():
        chosen = model.cold_start
        spans = (nodes or {}).get(name, 1)
        embeds = model_task(model) is Task.EMBED
        weights = offered_weights(cloud, model.engine, on_gpu=model.pool is not None, nodes=spans, embeds=embeds)
        if chosen.weights is not None and chosen.weights not in weights:
            findings.append(
                Finding(
                    f"models.{name}.coldStart.weights",
                    _weights_refusal(chosen.weights, cloud, model.engine, nodes=spans, embeds=embeds),
                )
            )
        images = offered_images(cloud, on_gpu=model.pool is not None, gpu_image=gpu_image)
        if chosen.images is not None and chosen.images not in images:
            findings.append(
                Finding(
                    f"models.{name}.coldStart.images",
                    f"{chosen.images.value!r} {_images_reason(chosen.images, cloud, on_gpu=model.pool is not None)}; "
                    f"use {' or '.join(repr(i.value) for i in images)}, or remove the key",
                )
            )
    return findings


def _weights_refusal(chosen: WeightsSource, cloud: Cloud | None, engine: Engine, *, nodes: int, embeds: bool) -> str:
    if embeds:
        reason = (
            "is built for generation models: the streamer reads safetensors only, and embedding checkpoints "
            "(BAAI/bge-m3's pytorch_model.bin) often ship other formats"
        )
    elif nodes > 1:
        reason = (
            f"is built for replicas on one node: this one spans {nodes} (LeaderWorkerSet), whose streaming across "
            "nodes is not verified"
        )
    elif cloud is None:
        reason = "needs the stack's object storage, which only cloud targets create"
    elif engine is not Engine.VLLM:
        reason = "is built for engine 'vllm' only: this stack does not pass the streamer's flags to KServe's runtime"
    else:
        reason = "is built for GPU models: whether vLLM's CPU image carries the streamer is not verified"
    return f"{chosen.value!r} {reason}; use 'download', or remove the key"


def _images_reason(chosen: ImageDelivery, cloud: Cloud | None, *, on_gpu: bool) -> str:
    if chosen is ImageDelivery.CACHE:
        return "(an image cache disk on the nodes) is not built yet on any target"
    if not on_gpu:
        return "applies to GPU pools only: a CPU model runs on the system pool, which is not tuned for one model"
    if cloud is Cloud.GCP:
        return "(GKE image streaming) streams Artifact Registry images only: set vllmImage to one"
    if cloud is Cloud.AZURE:
        return "(AKS artifact streaming) is not in the pinned azure-native API (3.29.0)"
    return "needs nodes the stack creates (a cloud target)"
