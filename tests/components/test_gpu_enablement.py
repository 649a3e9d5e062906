"""Device plugin, sharing configs, DCGM exporter, sizing of shared GPUs."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.catalog.gpus import GpuType
from components.catalog.instances import Cloud, choose_instance
from components.catalog.mig import MIG_PROFILES, aks_instance_profile, mig_profile
from components.clusters.contract import GpuPoolArgs, Sharing, SharingMode
from components.clusters.gpu_nodes import device_plugin_needed, pool_info
from components.gpu.device_plugin import (
    NvidiaDevicePlugin,
    NvidiaDevicePluginArgs,
    device_plugin_values,
    sharing_config,
)
from components.observability.dcgm import DcgmExporter, DcgmExporterArgs
from components.sizing import gpu_memory_utilization, usable_memory_gib

RELEASE = "kubernetes:helm.sh/v3:Release"
TIME_SLICED = Sharing(mode=SharingMode.TIME_SLICING, replicas=4)
MIG = Sharing(mode=SharingMode.MIG, mig_profile="1g.10gb")


NO_SHARING = Sharing()


def pool(
    cloud: Cloud, name: str, gpu: GpuType = GpuType.L4, sharing: Sharing = NO_SHARING, *, spot: bool = False
) -> Any:
    instance = choose_instance(cloud, gpu, 1)
    args = GpuPoolArgs(instance=instance, spot=spot, min_nodes=0, max_nodes=2, priority=10, sharing=sharing)
    return pool_info(cloud, name, args)


def test_device_plugin_runs_where_the_cloud_has_none() -> None:
    assert device_plugin_needed(Cloud.AWS)
    assert device_plugin_needed(Cloud.AZURE)
    assert device_plugin_needed(None)  # an existing cluster
    assert not device_plugin_needed(Cloud.GCP)  # GKE runs its own: two would advertise every GPU twice


def test_plain_pool_config_shares_nothing() -> None:
    assert sharing_config(Sharing()) == {"version": "v1", "flags": {"migStrategy": "none"}}


def test_time_slicing_config_advertises_replicas_per_gpu_under_the_usual_name() -> None:
    config = sharing_config(TIME_SLICED)
    assert config["sharing"]["timeSlicing"]["resources"] == [{"name": "nvidia.com/gpu", "replicas": 4}]
    assert config["sharing"]["timeSlicing"]["renameByDefault"] is False


def test_mig_config_uses_the_single_strategy() -> None:
    assert sharing_config(MIG)["flags"] == {"migStrategy": "single"}


def test_every_pool_selects_its_own_config_through_its_node_label() -> None:
    pools = {"l4": pool(Cloud.AWS, "l4"), "t4": pool(Cloud.AZURE, "t4", GpuType.T4, TIME_SLICED)}
    values = device_plugin_values(pools)
    assert values["config"]["default"] == "default"
    assert set(values["config"]["map"]) == {"default", "l4", "t4"}
    for name, info in pools.items():
        assert info.labels["nvidia.com/device-plugin.config"] == name
    assert yaml.safe_load(values["config"]["map"]["t4"]) == sharing_config(TIME_SLICED)


def test_plugin_schedules_on_every_gpu_pool_whatever_its_taints() -> None:
    pools = {"spot": pool(Cloud.AZURE, "spot", GpuType.T4, spot=True)}
    values = device_plugin_values(pools)
    [term] = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    [expression] = term["matchExpressions"]
    assert pools["spot"].labels[expression["key"]] in expression["values"]
    # Every pool toleration (the GPU taint, AKS's spot taint) has a matching plugin toleration.
    for toleration in pools["spot"].tolerations:
        assert any(
            t.get("operator") == "Exists" and t.get("effect") == toleration.effect and "key" not in t
            for t in values["tolerations"]
        )


def test_plugin_lives_in_the_one_privileged_namespace(under_mocks: Any) -> None:
    registered = under_mocks(
        lambda: NvidiaDevicePlugin("gpu", NvidiaDevicePluginArgs(pools={"l4": pool(Cloud.AWS, "l4")})) and None
    )
    labels = registered.inputs("kubernetes:core/v1:Namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    release = registered.inputs(RELEASE)
    assert (release["chart"], release["version"], release["namespace"]) == (
        "nvidia-device-plugin",
        "0.20.0",
        "nvidia-gpu",
    )
    assert release["repositoryOpts"] == {"repo": "https://nvidia.github.io/k8s-device-plugin"}


def test_dcgm_exporter_is_pinned_and_scraped_by_our_service_monitor(under_mocks: Any) -> None:
    registered = under_mocks(lambda: DcgmExporter("metrics", DcgmExporterArgs(namespace="nvidia-gpu")) and None)
    release = registered.inputs(RELEASE)
    assert (release["chart"], release["version"]) == ("dcgm-exporter", "4.8.2")
    assert release["values"]["serviceMonitor"] == {"enabled": False}
    monitor = registered.inputs("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["nvidia-gpu"]}
    assert monitor["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "dcgm-exporter"}}


# --- shared GPUs: memory -----------------------------------------------------------------------------


def test_time_sliced_vllm_takes_only_its_part_of_the_gpu() -> None:
    assert gpu_memory_utilization(Sharing()) == 0.9
    assert gpu_memory_utilization(TIME_SLICED) == 0.225
    assert usable_memory_gib(GpuType.L4, TIME_SLICED) == pytest.approx((23034 - 605) / 1024 * 0.225)


def test_mig_instance_gives_its_own_memory() -> None:
    assert usable_memory_gib(GpuType.A100_80GB, MIG) == pytest.approx(10e9 / 1024**3 * 0.9)


def test_mig_profiles_name_their_slices_and_memory() -> None:
    profile = mig_profile(GpuType.H200, "3g.71gb")
    assert (profile.slices, profile.memory_gib, profile.per_gpu) == (3, 71, 2)
    assert all(p.per_gpu * p.slices <= 7 for profiles in MIG_PROFILES.values() for p in profiles)


def test_aks_names_only_the_smallest_profile_of_each_slice_count() -> None:
    assert aks_instance_profile(GpuType.A100_80GB, "1g.10gb") == "MIG1g"
    assert aks_instance_profile(GpuType.H100, "1g.10gb") == "MIG1g"
    assert aks_instance_profile(GpuType.H100, "1g.20gb") is None
    assert aks_instance_profile(GpuType.A100_80GB, "7g.80gb") == "MIG7g"


def test_pools_of_one_group_stand_in_for_each_other_only_with_the_same_sharing() -> None:
    plain, sliced = pool(Cloud.AWS, "a"), pool(Cloud.AWS, "b", sharing=TIME_SLICED)
    assert plain.group == "l4-x1"
    assert sliced.group == "l4-x1-ts4"
    assert plain.node_selector == {"llm-platform/gpu-group": "l4-x1"}
    assert sliced.slots_per_node == 4
