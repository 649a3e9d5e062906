"""`imageCache` and `coldStart.images: cache`: the disk a GPU node starts with holding the images, where the target
offers one (stacks/config/rules/cold_start.py), the default once it is named, and the messages otherwise."""

from __future__ import annotations

from stacks.cloud import gpu_pool_args
from stacks.config import parse_config
from stacks.config.schema import ImageDelivery
from tests.unit.test_config import existing, model, pool, problems
from tests.unit.test_config_clouds import aws, azure, gcp

ON_GPU = {"gpuPools": {"l4": pool()}}
SNAPSHOT = "snap-0123456789abcdef0"
DISK_IMAGE = "global/images/vllm-cache"


def gpu_model(**keys: object) -> dict[str, object]:
    return model(pool="l4", **keys)


def test_a_named_cache_is_the_default_on_eks_and_gke() -> None:
    for raw, cache in ((aws, SNAPSHOT), (gcp, DISK_IMAGE)):
        config = parse_config(raw(**ON_GPU, imageCache=cache, models={"chat": gpu_model()}), stack="t")
        assert config.models["chat"].cold_start.images is ImageDelivery.CACHE, raw.__name__
        assert config.image_cache == cache


def test_without_image_cache_nothing_caches_and_the_error_names_the_key() -> None:
    assert problems(aws(**ON_GPU, models={"chat": gpu_model(coldStart={"images": "cache"})})) == [
        "models.chat.coldStart.images: 'cache' needs imageCache: an EBS snapshot ID (snap-0123456789abcdef0) "
        "holding the image (docs/manual.md, 'Images cached on the node'); use 'stream' or 'pull', or remove the key"
    ]


def test_a_gke_cache_needs_a_disk_image() -> None:
    assert problems(gcp(**ON_GPU, models={"chat": gpu_model(coldStart={"images": "cache"})})) == [
        "models.chat.coldStart.images: 'cache' needs imageCache: a disk image (global/images/NAME, or "
        "projects/PROJECT/global/images/NAME) holding the image (docs/manual.md, 'Images cached on the node'); use "
        "'pull', or remove the key"
    ]


def test_an_image_cache_in_another_targets_form_is_refused() -> None:
    assert problems(aws(**ON_GPU, imageCache=DISK_IMAGE, models={"chat": gpu_model()})) == [
        "imageCache: 'global/images/vllm-cache' is not an EBS snapshot ID (snap-0123456789abcdef0)"
    ]
    assert problems(gcp(**ON_GPU, imageCache=SNAPSHOT, models={"chat": gpu_model()})) == [
        "imageCache: 'snap-0123456789abcdef0' is not a disk image (global/images/NAME, or "
        "projects/PROJECT/global/images/NAME)"
    ]


def test_a_disk_image_of_another_project_is_taken() -> None:
    cache = "projects/images-project/global/images/vllm-cache"
    config = parse_config(gcp(**ON_GPU, imageCache=cache, models={"chat": gpu_model()}), stack="t")
    assert config.models["chat"].cold_start.images is ImageDelivery.CACHE


def test_aks_has_no_image_cache_and_says_why() -> None:
    gpu = {"gpuPools": {"l4": pool(gpu="A100-80GB")}}
    assert problems(azure(**gpu, models={"chat": gpu_model(coldStart={"images": "cache"})})) == [
        "models.chat.coldStart.images: 'cache' (an image cache disk) is not offered on AKS: an AKS agent pool takes "
        "no data disk of yours, and a node pool snapshot keeps the node image's version, not containerd's content; "
        "use 'pull', or remove the key"
    ]
    [message] = problems(azure(**gpu, imageCache=SNAPSHOT, models={"chat": gpu_model()}))
    assert message.startswith("imageCache: 'snap-0123456789abcdef0': no image cache on this target (an AKS agent pool")


def test_an_existing_cluster_has_no_image_cache() -> None:
    assert problems(existing(imageCache=SNAPSHOT, models={"chat": model()})) == [
        "imageCache: 'snap-0123456789abcdef0': no image cache on this target (an existing cluster's nodes are not "
        "the stack's); remove the key"
    ]


def test_a_cpu_model_does_not_cache_its_image() -> None:
    config = parse_config(aws(imageCache=SNAPSHOT, models={"chat": model(cpuCores=1, memoryGiB=2)}), stack="t")
    assert config.models["chat"].cold_start.images is ImageDelivery.PULL


def test_one_eks_pool_cannot_both_cache_and_stream() -> None:
    raw = aws(
        **ON_GPU,
        imageCache=SNAPSHOT,
        models={"chat": gpu_model(), "code": gpu_model(coldStart={"images": "stream"})},
    )
    assert problems(raw) == [
        "models.code.coldStart.images: 'stream' on gpuPools.l4, whose nodes cache images for chat: an EKS node "
        "either mounts the cache at /var/lib/containerd or pulls through FastImagePull's snapshotter; use 'cache' "
        "for code too, or give them another pool"
    ]


def test_a_gke_pool_may_cache_for_one_model_and_stream_for_another() -> None:
    ar_image = "us-central1-docker.pkg.dev/p/r/vllm-openai:v0.31.0@sha256:" + "a" * 64
    raw = gcp(
        **ON_GPU,
        imageCache=DISK_IMAGE,
        vllmImage=ar_image,
        models={"chat": gpu_model(), "code": gpu_model(coldStart={"images": "stream"})},
    )
    config = parse_config(raw, stack="t")
    assert config.models["chat"].cold_start.images is ImageDelivery.CACHE
    assert config.models["code"].cold_start.images is ImageDelivery.STREAM


def test_the_pools_of_caching_models_and_their_stand_ins_start_with_the_cache_and_do_not_stream() -> None:
    raw = aws(
        gpuPools={"l4": pool(), "l4-spot": pool(capacity="spot"), "other": pool(gpu="A10G")},
        imageCache=SNAPSHOT,
        models={"chat": gpu_model(), "code": model(pool="other", coldStart={"images": "stream"})},
    )
    pools = gpu_pool_args(parse_config(raw, stack="t"))
    assert (pools["l4"].image_cache, pools["l4"].stream_images) == (SNAPSHOT, False)
    assert pools["l4-spot"].image_cache == SNAPSHOT
    assert (pools["other"].image_cache, pools["other"].stream_images) == (None, True)
