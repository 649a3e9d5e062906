"""`coldStart`: what each target offers a model's weights and image, the defaults (the fastest offered), and the
messages for a choice the target cannot make."""

from __future__ import annotations

from stacks.config import parse_config
from stacks.config.schema import ImageDelivery, WeightsSource
from tests.unit.test_config import existing, model, pool, problems
from tests.unit.test_config_clouds import aws, azure, gcp

ON_GPU = {"gpuPools": {"l4": pool()}}
ON_AZURE_GPU = {"gpuPools": {"l4": pool(gpu="A100-80GB")}}
AR_IMAGE = "us-central1-docker.pkg.dev/p/r/vllm-openai:v0.31.0@sha256:" + "a" * 64


def gpu_model(**keys: object) -> dict[str, object]:
    return model(pool="l4", **keys)


def test_a_vllm_model_on_a_cloud_target_streams_its_weights_by_default() -> None:
    for raw, pools in ((aws, ON_GPU), (gcp, ON_GPU), (azure, ON_AZURE_GPU)):
        config = parse_config(raw(**pools, models={"chat": gpu_model()}), stack="t")
        assert config.models["chat"].cold_start.weights is WeightsSource.STREAM, raw.__name__


def test_an_existing_cluster_downloads_weights_by_default() -> None:
    config = parse_config(existing(models={"chat": model()}), stack="t")
    assert config.models["chat"].cold_start.weights is WeightsSource.DOWNLOAD


def test_a_model_may_keep_downloading_into_the_shared_cache_on_a_cloud() -> None:
    config = parse_config(aws(**ON_GPU, models={"chat": gpu_model(coldStart={"weights": "download"})}), stack="t")
    assert config.models["chat"].cold_start.weights is WeightsSource.DOWNLOAD


def test_an_existing_cluster_cannot_stream_weights() -> None:
    assert problems(existing(models={"chat": model(coldStart={"weights": "stream"})})) == [
        "models.chat.coldStart.weights: 'stream' needs the stack's object storage, which only cloud targets create; "
        "use 'download', or remove the key"
    ]


def test_a_kserve_model_cannot_stream_weights() -> None:
    raw = aws(**ON_GPU, models={"chat": gpu_model(engine="kserve", coldStart={"weights": "stream"})})
    assert problems(raw) == [
        "models.chat.coldStart.weights: 'stream' is built for engine 'vllm' only: this stack does not pass the "
        "streamer's flags to KServe's runtime; use 'download', or remove the key"
    ]


def test_a_kserve_model_downloads_by_default() -> None:
    config = parse_config(aws(**ON_GPU, models={"chat": gpu_model(engine="kserve")}), stack="t")
    assert config.models["chat"].cold_start.weights is WeightsSource.DOWNLOAD


def test_gpu_images_stream_on_eks_by_default() -> None:
    config = parse_config(aws(**ON_GPU, models={"chat": gpu_model()}), stack="t")
    assert config.models["chat"].cold_start.images is ImageDelivery.STREAM


def test_gke_streams_only_an_artifact_registry_image() -> None:
    docker_hub = parse_config(gcp(**ON_GPU, models={"chat": gpu_model()}), stack="t")
    registry = parse_config(gcp(**ON_GPU, vllmImage=AR_IMAGE, models={"chat": gpu_model()}), stack="t")
    assert docker_hub.models["chat"].cold_start.images is ImageDelivery.PULL
    assert registry.models["chat"].cold_start.images is ImageDelivery.STREAM


def test_gke_refuses_to_stream_an_image_outside_artifact_registry() -> None:
    assert problems(gcp(**ON_GPU, models={"chat": gpu_model(coldStart={"images": "stream"})})) == [
        "models.chat.coldStart.images: 'stream' (GKE image streaming) streams Artifact Registry images only: set "
        "vllmImage to one; use 'pull', or remove the key"
    ]


def test_aks_only_pulls_images() -> None:
    assert problems(azure(**ON_AZURE_GPU, models={"chat": gpu_model(coldStart={"images": "stream"})})) == [
        "models.chat.coldStart.images: 'stream' (AKS artifact streaming) is not in the pinned azure-native API "
        "(3.29.0); use 'pull', or remove the key"
    ]


def test_a_cpu_model_only_pulls_its_image() -> None:
    assert problems(aws(models={"chat": model(cpuCores=1, memoryGiB=2, coldStart={"images": "stream"})})) == [
        "models.chat.coldStart.images: 'stream' applies to GPU pools only: a CPU model runs on the system pool, which "
        "is not tuned for one model; use 'pull', or remove the key"
    ]


def test_an_unknown_choice_names_the_allowed_ones() -> None:
    [message] = problems(aws(**ON_GPU, models={"chat": gpu_model(coldStart={"weights": "s3"})}))
    assert message.startswith("models.chat.coldStart.weights: ")
    assert "'stream'" in message
    assert "'download'" in message


def test_a_cpu_model_downloads_its_weights() -> None:
    assert problems(aws(models={"chat": model(cpuCores=1, memoryGiB=2, coldStart={"weights": "stream"})})) == [
        "models.chat.coldStart.weights: 'stream' is built for GPU models: whether vLLM's CPU image carries the "
        "streamer is not verified; use 'download', or remove the key"
    ]


def test_an_embedding_model_downloads_its_weights() -> None:
    raw = aws(
        **ON_GPU, models={"embed": model(huggingFaceId="BAAI/bge-m3", pool="l4", coldStart={"weights": "stream"})}
    )
    [message] = problems(raw)
    assert message.startswith("models.embed.coldStart.weights: 'stream' is built for generation models")
