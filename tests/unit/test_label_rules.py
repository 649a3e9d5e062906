"""GPU pool labels stay out of the prefixes the platform, NVIDIA's components, Kubernetes and the cloud own."""

from __future__ import annotations

import pytest

from stacks.config import parse_config
from tests.unit.test_config import existing
from tests.unit.test_config import problems as existing_problems
from tests.unit.test_config_clouds import aws, azure, gcp, problems


def labelled(keys: object, labels: dict[str, str], gpu: str = "L4") -> dict[str, object]:
    return keys(gpuPools={"gpus": {"gpu": gpu, "labels": labels}})  # type: ignore[operator,no-any-return]


def test_a_label_under_the_platforms_prefix_is_refused_not_dropped() -> None:
    assert existing_problems(labelled(existing, {"llm-platform/gpu-pool": "other"})) == [
        "gpuPools.gpus.labels: 'llm-platform/gpu-pool' is under llm-platform/, which the platform sets itself (it "
        "would overwrite the value); remove it or choose a key of your own"
    ]


@pytest.mark.parametrize("key", ["nvidia.com/gpu.present", "nvidia.com/device-plugin.config"])
def test_the_labels_the_platform_sets_on_every_gpu_pool_are_refused(key: str) -> None:
    assert problems(labelled(aws, {key: "false"})) == [
        f"gpuPools.gpus.labels: '{key}' is one the platform sets (or, on existing clusters, requires) on every GPU "
        "pool's nodes; remove it or choose a key of your own"
    ]


@pytest.mark.parametrize("key", ["kubernetes.io/role", "node-role.kubernetes.io/gpu", "k8s.io/x", "node.k8s.io/y"])
@pytest.mark.parametrize("keys", [aws, gcp, azure])
def test_kubernetes_reserved_prefixes_are_refused_on_every_cloud(key: str, keys: object) -> None:
    gpu = "A100-80GB" if keys is azure else "L4"
    assert problems(labelled(keys, {key: "yes"}, gpu)) == [
        f"gpuPools.gpus.labels: '{key}' is under a prefix Kubernetes reserves (kubernetes.io, k8s.io); node pools "
        "refuse such labels; remove it or choose a key of your own"
    ]


def test_nvidia_labels_are_gpu_feature_discoverys_on_cloud_pools() -> None:
    assert problems(labelled(aws, {"nvidia.com/gpu.product": "L4"})) == [
        "gpuPools.gpus.labels: 'nvidia.com/gpu.product' is under nvidia.com/, which NVIDIA's device plugin and GPU "
        "feature discovery set; remove it or choose a key of your own"
    ]


def test_eks_refuses_its_own_prefix() -> None:
    assert problems(labelled(aws, {"eks.amazonaws.com/capacityType": "SPOT"})) == [
        "gpuPools.gpus.labels: 'eks.amazonaws.com/capacityType' is under eks.amazonaws.com/: EKS reserves it (its "
        "node group API refuses such labels); remove it or choose a key of your own"
    ]


def test_the_autoscalers_accelerator_label_is_the_platforms_on_eks() -> None:
    assert problems(labelled(aws, {"k8s.amazonaws.com/accelerator": "nvidia-l4"})) == [
        "gpuPools.gpus.labels: 'k8s.amazonaws.com/accelerator' is reserved: the platform sets it for the "
        "cluster-autoscaler; remove it or choose a key of your own"
    ]


def test_gke_owns_the_cloud_google_com_prefix() -> None:
    assert problems(labelled(gcp, {"cloud.google.com/gke-spot": "true"})) == [
        "gpuPools.gpus.labels: 'cloud.google.com/gke-spot' is under cloud.google.com/: GKE and the platform set node "
        "labels under it; remove it or choose a key of your own"
    ]


def test_labels_of_ones_own_plan_on_every_cloud() -> None:
    for keys, gpu in ((aws, "L4"), (gcp, "L4"), (azure, "A100-80GB")):
        config = parse_config(labelled(keys, {"example.com/team": "ml", "tier": "gpu"}, gpu), stack="t")
        assert config.gpu_pools["gpus"].labels == {"example.com/team": "ml", "tier": "gpu"}


def test_existing_nodes_may_be_described_by_the_labels_kubernetes_and_nvidia_gave_them() -> None:
    labels = {"node.kubernetes.io/instance-type": "g6.xlarge", "nvidia.com/gpu.product": "NVIDIA-L4"}
    assert parse_config(labelled(existing, labels), stack="t").gpu_pools["gpus"].labels == labels
