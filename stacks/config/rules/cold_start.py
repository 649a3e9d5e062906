"""`coldStart`: where a model's weights and image come from when a replica starts, as far as its target offers.

Weights stream from the stack's own object storage (S3, GCS, Azure Blob) on cloud targets, for vLLM models on GPU
pools: an existing cluster has no bucket of the stack's, KServe's Hugging Face runtime is not given vLLM's loader flags
by this stack (refused rather than guessed), and whether vLLM's CPU image carries the streamer is not verified. Images:

- aws: `stream` is EKS's FastImagePull (nodeadm's feature gate: SOCI's parallel pull and unpack of ordinary OCI
  images, from any registry) on the nodes of the model's pool;
- gcp: `stream` is GKE image streaming (`gcfsConfig`), which streams only images stored in Artifact Registry
  (GKE docs, "Use Image streaming to pull container images": other registries are pulled as usual);
- azure: only `pull`: AKS artifact streaming is not in azure-native 3.29.0's agent pool (API 2025-09-01 has no
  `artifactStreamingProfile`), and it streams only from Azure Container Registry; an agent pool takes no data disk
  of yours either (a node pool snapshot keeps the node image's version, not containerd's content), so no `cache`;
- `cache` is the image on a disk each new node of the model's pool starts with, which `imageCache` names and the
  user builds once: aws, an EBS snapshot of a containerd data volume mounted at /var/lib/containerd (the
  terraform-aws-eks-blueprints ml-container-cache pattern on AL2023); gcp, a disk image attached as a secondary boot
  disk in CONTAINER_IMAGE_CACHE mode. Offered (and the default) only where `imageCache` is set. On aws a pool's
  nodes either cache or stream (FastImagePull's SOCI snapshotter keeps its layers elsewhere), so two models of one
  pool that ask for both are refused.

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
IMAGE_CACHES = {
    Cloud.AWS: (re.compile(r"^snap-([0-9a-f]{8}|[0-9a-f]{17})$"), "an EBS snapshot ID (snap-0123456789abcdef0)"),
    Cloud.GCP: (
        re.compile(r"^(projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/)?global/images/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"),
        "a disk image (global/images/NAME, or projects/PROJECT/global/images/NAME)",
    ),
}
"""What `imageCache` names per target: the snapshot or disk image holding the images (EC2 snapshot IDs are `snap-`
and 8 or 17 hex digits; GKE takes `global/images/NAME` or a project's image, docs "Use secondary boot disks")."""


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


def valid_image_cache(cloud: Cloud | None, image_cache: str | None) -> bool:
    """Whether `imageCache` names something the target's nodes can start with."""
    return image_cache is not None and cloud in IMAGE_CACHES and bool(IMAGE_CACHES[cloud][0].match(image_cache))


def image_cache_findings(cloud: Cloud | None, image_cache: str | None) -> list[Finding]:
    """`imageCache` on a target without one, or not in the form the target takes."""
    if image_cache is None or valid_image_cache(cloud, image_cache):
        return []
    if cloud not in IMAGE_CACHES:
        where = "an existing cluster's nodes are not the stack's" if cloud is None else _AKS_NO_CACHE
        return [Finding("imageCache", f"{image_cache!r}: no image cache on this target ({where}); remove the key")]
    return [Finding("imageCache", f"{image_cache!r} is not {IMAGE_CACHES[cloud][1]}")]


_AKS_NO_CACHE = (
    "an AKS agent pool takes no data disk of yours, and a node pool snapshot keeps the node image's version, "
    "not containerd's content"
)


def offered_images(
    cloud: Cloud | None, *, on_gpu: bool, gpu_image: str, image_cache: str | None = None
) -> tuple[ImageDelivery, ...]:
    """What the target offers a model's image, fastest first (`image_cache`: the stack's `imageCache`)."""
    if not on_gpu or cloud is None:
        return (ImageDelivery.PULL,)
    cache = (ImageDelivery.CACHE,) if valid_image_cache(cloud, image_cache) else ()
    if cloud is Cloud.AWS or (cloud is Cloud.GCP and ARTIFACT_REGISTRY.match(gpu_image)):
        return (*cache, ImageDelivery.STREAM, ImageDelivery.PULL)
    return (*cache, ImageDelivery.PULL)


def resolve_cold_start(
    model: ModelServing, cloud: Cloud | None, gpu_image: str, *, nodes: int = 1, image_cache: str | None = None
) -> ColdStart:
    """The configured choices, unset ones the fastest offered (call after `cold_start_findings` found nothing)."""
    weights = offered_weights(
        cloud, model.engine, on_gpu=model.pool is not None, nodes=nodes, embeds=model_task(model) is Task.EMBED
    )
    images = offered_images(cloud, on_gpu=model.pool is not None, gpu_image=gpu_image, image_cache=image_cache)
    return ColdStart(weights=model.cold_start.weights or weights[0], images=model.cold_start.images or images[0])


def cold_start_findings(
    models: Mapping[str, ModelServing],
    *,
    cloud: Cloud | None,
    gpu_image: str,
    nodes: Mapping[str, int] | None = None,
    image_cache: str | None = None,
) -> list[Finding]:
    """A choice the target cannot make, with what it can (`nodes`: the nodes each model's replica spans)."""
    findings: list[Finding] = image_cache_findings(cloud, image_cache)
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
        images = offered_images(cloud, on_gpu=model.pool is not None, gpu_image=gpu_image, image_cache=image_cache)
        if chosen.images is not None and chosen.images not in images:
            findings.append(
                Finding(
                    f"models.{name}.coldStart.images",
                    f"{chosen.images.value!r} {_images_reason(chosen.images, cloud, on_gpu=model.pool is not None)}; "
                    f"use {' or '.join(repr(i.value) for i in images)}, or remove the key",
                )
            )
    if cloud is Cloud.AWS and not findings:
        findings.extend(_pool_image_findings(models, gpu_image=gpu_image, image_cache=image_cache))
    return findings


def _pool_image_findings(
    models: Mapping[str, ModelServing], *, gpu_image: str, image_cache: str | None
) -> list[Finding]:
    """EKS: the models of one pool that ask for both a cache and a stream (a pool's nodes do one)."""
    by_pool: dict[str, dict[ImageDelivery, list[str]]] = {}
    for name, model in models.items():
        if model.pool is None:
            continue
        offered = offered_images(Cloud.AWS, on_gpu=True, gpu_image=gpu_image, image_cache=image_cache)
        chosen = model.cold_start.images or offered[0]
        by_pool.setdefault(model.pool, {}).setdefault(chosen, []).append(name)
    findings = []
    for pool, chosen in sorted(by_pool.items()):
        if ImageDelivery.CACHE in chosen and ImageDelivery.STREAM in chosen:
            streaming, caching = chosen[ImageDelivery.STREAM], ", ".join(chosen[ImageDelivery.CACHE])
            findings.append(
                Finding(
                    f"models.{streaming[0]}.coldStart.images",
                    f"'stream' on gpuPools.{pool}, whose nodes cache images for {caching}: an EKS node either "
                    "mounts the cache at /var/lib/containerd or pulls through FastImagePull's snapshotter; use "
                    f"'cache' for {', '.join(streaming)} too, or give them another pool",
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
    if chosen is ImageDelivery.CACHE and on_gpu and cloud in IMAGE_CACHES:
        where = "docs/manual.md, 'Images cached on the node'"
        return f"needs imageCache: {IMAGE_CACHES[cloud][1]} holding the image ({where})"
    if chosen is ImageDelivery.CACHE and cloud is Cloud.AZURE:
        return f"(an image cache disk) is not offered on AKS: {_AKS_NO_CACHE}"
    if not on_gpu:
        return "applies to GPU pools only: a CPU model runs on the system pool, which is not tuned for one model"
    if cloud is Cloud.GCP:
        return "(GKE image streaming) streams Artifact Registry images only: set vllmImage to one"
    if cloud is Cloud.AZURE:
        return "(AKS artifact streaming) is not in the pinned azure-native API (3.29.0)"
    return "needs nodes the stack creates (a cloud target)"
