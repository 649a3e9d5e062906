"""GPU enablement and autoscaler priorities (A1, A2, R1 of ../shared/SECURITY.md) on every example stack."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from stacks.config.schema import GpuPool
from tests.support import planned_stacks_for, stack_config, stacks_for
from tools.offline import Mode, mock_asg_name, planned_stack_names

RELEASE = "kubernetes:helm.sh/v3:Release"
DEFAULT_PRIORITY = GpuPool.model_fields["priority"].default


STACKS = planned_stack_names()
STACKS_BY_TARGET = {target: planned_stacks_for(target) for target in ("aws", "gcp", "azure", "existing")}


def _resources(plans: dict[Any, Any], stack: str, type_: str) -> list[dict[str, Any]]:
    return [r for r in plans[(stack, Mode.UPDATE)].document["resources"] if r["type"] == type_]


def _releases(plans: dict[Any, Any], stack: str) -> dict[str, dict[str, Any]]:
    return {r["inputs"]["name"]: r["inputs"] for r in _resources(plans, stack, RELEASE)}


def _priorities(plans: dict[Any, Any], stack: str) -> dict[int, list[str]]:
    config_map = plans[(stack, Mode.UPDATE)].manifests[
        "configmap-kube-system-cluster-autoscaler-priority-expander.yaml"
    ]
    return yaml.safe_load(config_map["data"]["priorities"])


def _gpu_pools(stack: str) -> dict[str, dict[str, Any]]:
    """The stack's GPU pools as written, with the schema's default `priority` where a pool leaves it out."""
    pools = stack_config(stack).get("llm-platform:gpuPools", {})
    return {name: {"priority": DEFAULT_PRIORITY, **pool} for name, pool in pools.items()}


@pytest.mark.parametrize("stack", STACKS)
def test_device_plugin_is_installed_exactly_where_the_cloud_has_none(plans: dict[Any, Any], stack: str) -> None:
    has_plugin = "nvidia-device-plugin" in _releases(plans, stack)
    expected = bool(_gpu_pools(stack)) and stack_config(stack)["llm-platform:target"] in {"aws", "azure", "existing"}
    assert has_plugin == expected


@pytest.mark.parametrize("stack", STACKS_BY_TARGET["aws"] + STACKS_BY_TARGET["azure"])
def test_device_plugin_has_a_config_for_every_pool(plans: dict[Any, Any], stack: str) -> None:
    config = _releases(plans, stack)["nvidia-device-plugin"]["values"]["config"]
    assert set(config["map"]) == {"default", *_gpu_pools(stack)}


@pytest.mark.parametrize("stack", STACKS_BY_TARGET["aws"])
def test_eks_priorities_match_each_auto_scaling_group_at_its_priority(plans: dict[Any, Any], stack: str) -> None:  # A1
    priorities = _priorities(plans, stack)
    assert all(isinstance(key, int) and key > 0 for key in priorities)
    groups = {
        r["inputs"]["labels"]["llm-platform/gpu-pool"]: r["inputs"]["nodeGroupName"]
        for r in _resources(plans, stack, "aws:eks/nodeGroup:NodeGroup")
        if "llm-platform/gpu-pool" in r["inputs"]["labels"]
    }
    for pool, settings in _gpu_pools(stack).items():
        asg = mock_asg_name(groups[pool])
        matches = [p for p, regexes in priorities.items() for regex in regexes if re.search(regex, asg)]
        assert matches == [settings["priority"]], pool
    autoscaler = _releases(plans, stack)["cluster-autoscaler"]
    assert autoscaler["values"]["extraArgs"]["expander"].startswith("priority")


@pytest.mark.parametrize("stack", STACKS_BY_TARGET["azure"])
def test_aks_priorities_match_each_scale_set_at_its_priority(plans: dict[Any, Any], stack: str) -> None:  # A1
    priorities = _priorities(plans, stack)
    for pool, settings in _gpu_pools(stack).items():
        scale_set = f"aks-{pool}-27324113-vmss"
        matches = [p for p, regexes in priorities.items() for regex in regexes if re.search(regex, scale_set)]
        assert matches == [settings["priority"]], pool
    [cluster] = _resources(plans, stack, "azure-native:containerservice:ManagedCluster")
    assert cluster["inputs"]["autoScalerProfile"]["expander"] == "priority"


@pytest.mark.parametrize("stack", STACKS_BY_TARGET["gcp"])
def test_gke_pools_serve_compute_classes_in_priority_order(plans: dict[Any, Any], stack: str) -> None:
    classes = {
        body["metadata"]["name"]: body["spec"]
        for body in plans[(stack, Mode.UPDATE)].manifests.values()
        if body["kind"] == "ComputeClass"
    }
    pools = {
        r["inputs"]["name"]: r["inputs"]["nodeConfig"]
        for r in _resources(plans, stack, "gcp:container/nodePool:NodePool")
        if "cloud.google.com/compute-class" in r["inputs"]["nodeConfig"]["labels"]
    }
    assert set(pools) == set(_gpu_pools(stack))
    for name, node_config in pools.items():
        compute_class = node_config["labels"]["cloud.google.com/compute-class"]
        rungs = [rung["nodepools"][0] for rung in classes[compute_class]["priorities"]]
        assert name in rungs
        assert {
            "key": "cloud.google.com/compute-class",
            "value": compute_class,
            "effect": "NO_SCHEDULE",
        } in node_config["taints"]
        priorities = [_gpu_pools(stack)[rung]["priority"] for rung in rungs]
        assert priorities == sorted(priorities, reverse=True)


@pytest.mark.parametrize("stack", [s for s in STACKS if _gpu_pools(s)])
def test_gpu_models_request_whole_gpus_select_their_group_and_tolerate_it(
    plans: dict[Any, Any], stack: str
) -> None:  # R1
    for body in plans[(stack, Mode.UPDATE)].manifests.values():
        if body["kind"] != "Deployment":
            continue
        pod = body["spec"]["template"]["spec"]
        [container] = pod["containers"]
        limits, requests = container["resources"]["limits"], container["resources"]["requests"]
        if "nvidia.com/gpu" not in limits:
            continue
        assert limits["nvidia.com/gpu"] == requests["nvidia.com/gpu"]
        selector = {k: v for k, v in pod["nodeSelector"].items() if k != "kubernetes.io/os"}
        assert list(selector) in (["llm-platform/gpu-group"], ["cloud.google.com/compute-class"])
        keys = {t["key"] for t in pod["tolerations"]}
        assert "nvidia.com/gpu" in keys


@pytest.mark.parametrize("stack", stacks_for("azure"))  # the root's azure stacks share a pool by time-slicing
def test_time_sliced_models_take_only_their_share_of_the_gpu(plans: dict[Any, Any], stack: str) -> None:
    pools = _gpu_pools(stack)
    for body in plans[(stack, Mode.UPDATE)].manifests.values():
        if body["kind"] != "Deployment":
            continue
        args = body["spec"]["template"]["spec"]["containers"][0]["args"]
        group = body["spec"]["template"]["spec"]["nodeSelector"].get("llm-platform/gpu-group", "")
        replicas = re.search(r"-ts(\d+)$", group)
        if replicas:
            share = float(args[args.index("--gpu-memory-utilization") + 1])
            assert share * int(replicas.group(1)) <= 0.9 + 1e-9
    assert any(p.get("sharing", {}).get("mode") == "time-slicing" for p in pools.values())


EXISTING_GPU_POOL = '{"l4": {"gpu": "L4", "sharing": {"mode": "time-slicing", "replicas": 2}}}'
NO_MONITORING = {"monitoring": "false"}
"""dev watches its model; without it the device plugin is the only release (monitoring adds DCGM and Prometheus)."""


def test_existing_cluster_with_gpu_pools_gets_the_device_plugin() -> None:
    from tools.offline import run_program
    from tools.plan import build_plan

    overrides = {"gpuPools": EXISTING_GPU_POOL, **NO_MONITORING}
    plan = build_plan(run_program("dev", Mode.PREVIEW, config_overrides=overrides))
    releases = [r["inputs"] for r in plan.document["resources"] if r["type"] == RELEASE]
    assert [r["name"] for r in releases] == ["nvidia-device-plugin"]
    assert (
        yaml.safe_load(releases[0]["values"]["config"]["map"]["l4"])["sharing"]["timeSlicing"]["resources"][0][
            "replicas"
        ]
        == 2
    )


def test_existing_cluster_can_keep_its_own_device_plugin() -> None:
    from tools.offline import run_program
    from tools.plan import build_plan

    overrides = {"gpuPools": EXISTING_GPU_POOL, "installDevicePlugin": "false", **NO_MONITORING}
    plan = build_plan(run_program("dev", Mode.PREVIEW, config_overrides=overrides))
    assert not [r for r in plan.document["resources"] if r["type"] == RELEASE]
    assert plan.document["outputs"]["devicePlugin"] == "the cluster's own (installDevicePlugin is false)"


def test_monitoring_on_gke_turns_on_its_managed_dcgm(plans: dict[Any, Any]) -> None:
    for stack in STACKS_BY_TARGET["gcp"]:
        config = stack_config(stack)
        [cluster] = _resources(plans, stack, "gcp:container/cluster:Cluster")
        components = cluster["inputs"]["monitoringConfig"]["enableComponents"]
        assert ("DCGM" in components) == bool(config.get("llm-platform:monitoring"))


def test_monitoring_elsewhere_adds_the_dcgm_exporter_and_a_valid_service_monitor() -> None:
    from tools.admission import admission_errors
    from tools.offline import run_program
    from tools.plan import build_plan

    plan = build_plan(run_program(STACKS_BY_TARGET["aws"][0], Mode.UPDATE, config_overrides={"monitoring": "true"}))
    releases = {r["inputs"]["name"]: r["inputs"] for r in plan.document["resources"] if r["type"] == RELEASE}
    assert releases["dcgm-exporter"]["namespace"] == "nvidia-gpu"
    monitor = plan.manifests["servicemonitor-nvidia-gpu-dcgm-exporter.yaml"]
    assert admission_errors(monitor) == []
