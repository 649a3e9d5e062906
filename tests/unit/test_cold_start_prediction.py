"""The predicted cold start: each term from its figure (components/catalog/cold_start.py), and the budgets derived
from it."""

from __future__ import annotations

import pytest

from components import cold_start
from components.autoscaling.keda import sleep_after_seconds
from components.catalog import cold_start as figures
from components.catalog.instances import Cloud
from components.cold_start import CacheKind, ImageDelivery, WeightsSource, predict
from stacks.config import parse_config
from tests.unit.test_config import model, pool
from tests.unit.test_config_clouds import aws

QWEN_7B_BYTES = 15.23e9


def streamed(cloud: Cloud = Cloud.AWS, images: ImageDelivery = ImageDelivery.STREAM) -> cold_start.Prediction:
    return predict(
        cloud,
        weights=WeightsSource.STREAM,
        images=images,
        checkpoint_bytes=QWEN_7B_BYTES,
        cache=CacheKind.EFS,
        cache_gib=200,
    )


def downloaded(
    cloud: Cloud | None,
    cache: CacheKind = CacheKind.EFS,
    *,
    checkpoint_bytes: float = QWEN_7B_BYTES,
    cache_gib: int = 200,
) -> cold_start.Prediction:
    return predict(
        cloud,
        weights=WeightsSource.DOWNLOAD,
        images=ImageDelivery.PULL,
        checkpoint_bytes=checkpoint_bytes,
        cache=cache,
        cache_gib=cache_gib,
    )


def test_streamed_weights_take_their_size_over_the_streamers_measured_throughput() -> None:
    # run-ai/runai-model-streamer docs/src/benchmarks.md: 15 GB from S3 in 4.88 s at concurrency 32.
    assert streamed().term("weights").seconds == pytest.approx(QWEN_7B_BYTES / (15e9 / 4.88))
    assert streamed().term("weights").seconds == pytest.approx(4.95, abs=0.01)


def test_the_total_adds_node_image_weights_and_engine() -> None:
    prediction = streamed()
    expected = figures.NODE_READY.value + 47 + QWEN_7B_BYTES / (15e9 / 4.88) + figures.ENGINE_START.value
    assert prediction.total_seconds == pytest.approx(expected)


def test_eks_fast_image_pull_takes_47_seconds_and_a_pull_three_minutes() -> None:
    # awslabs/ai-on-eks#190.
    assert streamed().term("image").seconds == 47
    assert streamed(images=ImageDelivery.PULL).term("image").seconds == 180


def test_downloaded_weights_are_read_from_efs_at_its_per_client_throughput() -> None:
    prediction = downloaded(Cloud.AWS)
    assert prediction.term("weights").seconds == pytest.approx(QWEN_7B_BYTES / (1500 * 1024**2))


def test_azure_files_reads_at_its_provisioned_throughput() -> None:
    prediction = downloaded(Cloud.AZURE, CacheKind.AZURE_FILES)
    # 100 MiB/s + (0.04 + 0.06) MiB/s per provisioned GiB: 120 MiB/s for 200 GiB.
    assert prediction.term("weights").seconds == pytest.approx(QWEN_7B_BYTES / (120 * 1024**2))


def test_weights_downloaded_into_an_empty_dir_are_not_predicted() -> None:
    prediction = downloaded(None, CacheKind.NONE)
    assert prediction.total_seconds is None
    assert "not predicted" in prediction.describe()


def test_figures_without_a_measurement_for_the_case_are_named() -> None:
    assert streamed(Cloud.GCP).assumed == ("node", "image", "weights")
    assert streamed(Cloud.AWS).assumed == ("node",)


def test_the_startup_probe_allows_twice_the_weights_and_engine_in_whole_minutes() -> None:
    prediction = streamed()
    weights_and_engine = prediction.term("weights").seconds + prediction.term("engine").seconds  # type: ignore[operator]
    budget = cold_start.startup_budget_seconds(prediction)
    assert budget % 60 == 0
    assert budget >= 2 * weights_and_engine
    assert budget < 2 * weights_and_engine + 60 or budget == cold_start.MIN_STARTUP_BUDGET_SECONDS


def test_a_model_that_downloads_keeps_the_whole_fixed_budget() -> None:
    prediction = downloaded(Cloud.AWS)
    assert cold_start.startup_budget_seconds(prediction) == cold_start.MAX_STARTUP_BUDGET_SECONDS == 1800


def test_a_download_longer_than_the_fixed_budget_gets_a_probe_that_outlasts_it() -> None:
    # DeepSeek-V3.1's ~690 GB from the Hub: a 30-minute probe would kill vLLM mid-download, again and again.
    prediction = downloaded(Cloud.GCP, CacheKind.FILESTORE, checkpoint_bytes=690 * 10**9, cache_gib=1000)
    weights_and_engine = prediction.term("weights").seconds + prediction.term("engine").seconds  # type: ignore[operator]
    assert weights_and_engine > cold_start.MAX_STARTUP_BUDGET_SECONDS
    assert cold_start.startup_budget_seconds(prediction) >= 2 * weights_and_engine


def test_the_wake_budget_covers_node_image_and_probe() -> None:
    prediction = streamed()
    wake = cold_start.wake_budget_seconds(prediction)
    assert wake >= cold_start.startup_budget_seconds(prediction) + 2 * (300 + 47)


def test_the_interceptor_holds_a_waking_request_thirty_minutes_at_most_while_keda_waits_out_the_whole_wake() -> None:
    slow = downloaded(Cloud.AWS, checkpoint_bytes=150 * 10**9)
    assert cold_start.wake_budget_seconds(slow) > cold_start.MAX_STARTUP_BUDGET_SECONDS
    assert cold_start.request_hold_seconds(slow) == cold_start.MAX_STARTUP_BUDGET_SECONDS
    # KEDA scales to zero `cooldownPeriod` after the last activity, ready or not: it must outlast the whole wake.
    assert sleep_after_seconds(600, cold_start.wake_budget_seconds(slow)) >= cold_start.wake_budget_seconds(slow)
    fast = streamed()
    assert cold_start.request_hold_seconds(fast) == cold_start.wake_budget_seconds(fast)


def test_every_model_plan_carries_its_prediction_and_budgets() -> None:
    config = parse_config(aws(gpuPools={"l4": pool()}, models={"chat": model(pool="l4")}), stack="t")
    plan = config.models["chat"]
    assert plan.prediction.total_seconds is not None
    assert plan.startup_budget_seconds == cold_start.startup_budget_seconds(plan.prediction)
    assert plan.wake_budget_seconds >= plan.startup_budget_seconds


def test_an_existing_cluster_adds_no_node() -> None:
    prediction = downloaded(None, CacheKind.OTHER)
    assert prediction.term("node").seconds == 0


def test_an_eks_image_cache_starts_the_image_in_five_seconds() -> None:
    # terraform-aws-eks-blueprints patterns/ml-container-cache README: a 9.5 GB image's pod in under 5 s.
    assert streamed(images=ImageDelivery.CACHE).term("image").seconds == 5
    assert streamed(images=ImageDelivery.CACHE).term("image").measured
    assert "image" in streamed(Cloud.GCP, images=ImageDelivery.CACHE).assumed


def test_a_cache_shortens_the_wake_budget_to_twice_node_and_cache_in_whole_minutes() -> None:
    cached, pulled = streamed(images=ImageDelivery.CACHE), streamed(images=ImageDelivery.PULL)
    startup = cold_start.startup_budget_seconds(cached)
    # 2 x (300 s node + 5 s image) = 610 s, 11 whole minutes.
    assert cold_start.wake_budget_seconds(cached) == 660 + startup
    assert cold_start.wake_budget_seconds(pulled) > cold_start.wake_budget_seconds(cached)
    assert startup == cold_start.startup_budget_seconds(pulled)


def test_naming_an_image_cache_changes_the_models_predicted_image_term() -> None:
    raw = {"gpuPools": {"l4": pool()}, "models": {"chat": model(pool="l4")}}
    streaming = parse_config(aws(**raw), stack="t").models["chat"].prediction
    caching = parse_config(aws(**raw, imageCache="snap-0123456789abcdef0"), stack="t").models["chat"].prediction
    assert (streaming.term("image").seconds, caching.term("image").seconds) == (47, 5)
    assert streaming.total_seconds - caching.total_seconds == pytest.approx(42)  # type: ignore[operator]
