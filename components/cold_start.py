"""A new replica's cold start, predicted: a node, the image on it, the weights in GPU memory, vLLM's engine start,
each term from a figure of components/catalog/cold_start.py. The startup probe's budget and the wake path's timers
are derived from it (`startup_budget_seconds`, `wake_budget_seconds`)."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from components.catalog import cold_start as figures
from components.catalog.cold_start import Figure
from components.catalog.instances import Cloud

SAFETY_FACTOR = 2
"""The budgets allow twice the prediction: each figure is one measurement, on other hardware."""
MIN_STARTUP_BUDGET_SECONDS = 600
MAX_STARTUP_BUDGET_SECONDS = 1800
"""The fixed budget the stack had before predictions: the least a Hub download gets, and the longest the interceptor
holds a waking request."""


class WeightsSource(enum.StrEnum):
    """Where a replica's weights come from (`coldStart.weights`)."""

    STREAM = "stream"
    """The stack's object storage, streamed into GPU memory (vLLM `--load-format runai_streamer`)."""
    DOWNLOAD = "download"
    """The Hugging Face Hub, downloaded into the model's shared cache (`modelCacheStorageClass`) or an emptyDir."""


class ImageDelivery(enum.StrEnum):
    """How the vLLM image reaches a GPU node (`coldStart.images`)."""

    PULL = "pull"
    """The container runtime's ordinary pull."""
    STREAM = "stream"
    """Layers fetched in parallel (EKS FastImagePull) or on demand (GKE image streaming)."""
    CACHE = "cache"
    """The image on a disk the node starts with (EBS snapshot, GKE secondary boot disk), named by `imageCache`."""


class CacheKind(enum.StrEnum):
    """The shared weight cache a `download` model reads from."""

    EFS = "efs"
    FILESTORE = "filestore"
    AZURE_FILES = "azure-files"
    OTHER = "other"
    """A class of the cluster's whose throughput the stack does not know."""
    NONE = "none"
    """No cache: every pod downloads from the Hub into an emptyDir."""


@dataclass(frozen=True, kw_only=True)
class Term:
    name: str
    seconds: float | None
    """None: not predicted (no figure applies)."""
    basis: str
    figures: tuple[Figure, ...] = ()

    @property
    def measured(self) -> bool:
        return all(figure.measured for figure in self.figures)


@dataclass(frozen=True, kw_only=True)
class Prediction:
    terms: tuple[Term, ...]
    first_pod_downloads: bool = False
    """The model's first pod downloads its weights from the Hub (`download`), which a later replica reads from the
    cache: the probe must allow that download, whose throughput is not the stack's to predict."""

    @property
    def total_seconds(self) -> float | None:
        if any(term.seconds is None for term in self.terms):
            return None
        return sum(term.seconds or 0 for term in self.terms)

    def term(self, name: str) -> Term:
        return next(term for term in self.terms if term.name == name)

    @property
    def assumed(self) -> tuple[str, ...]:
        """The terms whose figures no measurement gives for this case."""
        return tuple(term.name for term in self.terms if not term.measured)

    def describe(self) -> str:
        parts = " + ".join(f"{term.name} {_seconds(term.seconds)}" for term in self.terms)
        total = self.total_seconds
        return f"{parts} = {_seconds(total)}" + (f" ({total / 60:.1f} min)" if total is not None else "")

    def as_output(self) -> dict[str, object]:
        total = self.total_seconds
        return {
            "seconds": round(total) if total is not None else None,
            "terms": {term.name: round(term.seconds) if term.seconds is not None else None for term in self.terms},
            "basis": {term.name: term.basis for term in self.terms},
            "assumed": list(self.assumed),
        }


def _seconds(value: float | None) -> str:
    return "not predicted" if value is None else f"{value:.0f} s"


def predict(
    cloud: Cloud | None,
    *,
    weights: WeightsSource,
    images: ImageDelivery,
    checkpoint_bytes: float | None,
    cache: CacheKind,
    cache_gib: int,
) -> Prediction:
    """A replica that starts on a new node: `checkpoint_bytes` is the size of its weights (None: unknown)."""
    return Prediction(
        terms=(
            (
                Term(name="node", seconds=figures.NODE_READY.value, basis="a new node", figures=(figures.NODE_READY,))
                if cloud is not None
                else Term(name="node", seconds=0, basis="the existing cluster's nodes (the stack adds none)")
            ),
            _image(cloud, images),
            _weights(cloud, weights, checkpoint_bytes, cache, cache_gib),
            Term(
                name="engine",
                seconds=figures.ENGINE_START.value,
                basis="vLLM's profile, KV cache and warm-up",
                figures=(figures.ENGINE_START,),
            ),
        ),
        first_pod_downloads=weights is WeightsSource.DOWNLOAD or cloud is None,
    )


def _image(cloud: Cloud | None, images: ImageDelivery) -> Term:
    if images is ImageDelivery.CACHE and cloud in figures.IMAGE_CACHE:
        figure = figures.IMAGE_CACHE[cloud]
        return Term(name="image", seconds=figure.value, basis="cached on the node's disk", figures=(figure,))
    if images is ImageDelivery.STREAM and cloud in figures.IMAGE_STREAM:
        figure = figures.IMAGE_STREAM[cloud]
        return Term(name="image", seconds=figure.value, basis="streamed", figures=(figure,))
    return Term(name="image", seconds=figures.IMAGE_PULL.value, basis="pulled", figures=(figures.IMAGE_PULL,))


def _weights(
    cloud: Cloud | None, weights: WeightsSource, checkpoint_bytes: float | None, cache: CacheKind, cache_gib: int
) -> Term:
    if checkpoint_bytes is None:
        return Term(name="weights", seconds=None, basis="size unknown (no architecture in the catalogue)")
    if weights is WeightsSource.STREAM and cloud is not None:
        figure = figures.STREAMER_BYTES_PER_SECOND[cloud]
        return Term(
            name="weights",
            seconds=checkpoint_bytes / figure.value,
            basis=f"{checkpoint_bytes / 1e9:.1f} GB streamed from object storage",
            figures=(figure,),
        )
    read = _cache_read(cache, cache_gib)
    if read is None:
        return Term(
            name="weights",
            seconds=None,
            basis=f"{checkpoint_bytes / 1e9:.1f} GB downloaded from the Hugging Face Hub (its throughput is not the "
            "stack's to predict)",
        )
    bytes_per_second, figure = read
    return Term(
        name="weights",
        seconds=checkpoint_bytes / bytes_per_second,
        basis=f"{checkpoint_bytes / 1e9:.1f} GB read from the shared cache ({cache.value}), filled by the first pod",
        figures=(figure,),
    )


def _cache_read(cache: CacheKind, cache_gib: int) -> tuple[float, Figure] | None:
    if cache is CacheKind.EFS:
        return figures.EFS_CLIENT_READ.value, figures.EFS_CLIENT_READ
    if cache is CacheKind.FILESTORE:
        return figures.FILESTORE_BASIC_HDD_READ.value, figures.FILESTORE_BASIC_HDD_READ
    if cache is CacheKind.AZURE_FILES:
        base = figures.AZURE_FILES_PREMIUM_BASE
        return base.value + figures.AZURE_FILES_PREMIUM_PER_GIB * cache_gib, base
    return None


def startup_budget_seconds(prediction: Prediction) -> int:
    """The startup probe's budget: its clock starts once the container does (after the node and the image), so it
    covers the weights and the engine, twice over, and at least MIN; the fixed MAX when they are not predicted. A pod
    that downloads from the Hub gets at least MAX (the Hub's bandwidth is the least certain figure), and more when
    the prediction needs it: a probe shorter than the download kills the container mid-way, again and again (a
    LeaderWorkerSet recreates its whole group each time)."""
    weights, engine = prediction.term("weights").seconds, prediction.term("engine").seconds
    if weights is None or engine is None:
        return MAX_STARTUP_BUDGET_SECONDS
    wanted = math.ceil(SAFETY_FACTOR * (weights + engine) / 60) * 60
    return max(MAX_STARTUP_BUDGET_SECONDS if prediction.first_pod_downloads else MIN_STARTUP_BUDGET_SECONDS, wanted)


def wake_budget_seconds(prediction: Prediction) -> int:
    """From a request that wakes the model to a ready replica: the node and the image (twice their prediction) and
    the startup budget. KEDA keeps a woken replica at least this long (it scales to zero `cooldownPeriod` after the
    last activity whether or not a pod is ready), and the no-ready-replica alert waits this long."""
    node, image = prediction.term("node").seconds or 0, prediction.term("image").seconds or 0
    before_probe = math.ceil(SAFETY_FACTOR * (node + image) / 60) * 60
    return before_probe + startup_budget_seconds(prediction)


def request_hold_seconds(prediction: Prediction) -> int:
    """How long the interceptor holds a request that woke the model: the wake budget, at most the fixed 30 minutes the
    stack allowed before (no client waits longer for an answer); a longer wake still finishes, for the requests
    after."""
    return min(MAX_STARTUP_BUDGET_SECONDS, wake_budget_seconds(prediction))
