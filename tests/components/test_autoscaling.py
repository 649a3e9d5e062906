"""Autoscaler priorities: the expander ConfigMap (golden), the EKS cluster-autoscaler, GKE ComputeClasses."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

from components.autoscaling.cluster_autoscaler import (
    SERVICE_ACCOUNT,
    ClusterAutoscaler,
    ClusterAutoscalerArgs,
    autoscaler_policy,
    autoscaler_values,
)
from components.autoscaling.compute_class import GpuComputeClasses, GpuComputeClassesArgs, compute_class_spec
from components.autoscaling.keda import queue_query, scaled_object_spec
from components.autoscaling.priority_expander import (
    CONFIG_MAP_NAME,
    PoolPriority,
    PriorityExpander,
    PriorityExpanderArgs,
    asg_regex,
    priorities_text,
    vmss_regex,
)
from components.catalog.gpus import GpuType
from components.catalog.instances import Cloud, choose_instance
from components.clusters.contract import GpuPoolArgs
from components.clusters.gpu_nodes import pool_info

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
AKS_POOLS = [
    PoolPriority("a100spot", 50, vmss_regex("a100spot")),
    PoolPriority("a100", 10, vmss_regex("a100")),
    PoolPriority("t4", 10, vmss_regex("t4")),
    PoolPriority("h100", 5, vmss_regex("h100")),
]


def golden(name: str, text: str) -> str:
    """The expected text; `UPDATE_GOLDEN=1 pytest` rewrites the file after a deliberate change."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text)
    return path.read_text()


def test_priority_text_matches_the_golden_file() -> None:
    text = priorities_text(AKS_POOLS)
    assert text == golden("priority-expander-aks.yaml", text)


def test_priority_text_does_not_depend_on_pool_order() -> None:
    assert priorities_text(list(reversed(AKS_POOLS))) == priorities_text(AKS_POOLS)


def test_priorities_are_positive_unique_keys_highest_first() -> None:
    parsed = yaml.safe_load(priorities_text(AKS_POOLS))
    assert list(parsed) == [50, 10, 5]
    assert parsed[10] == ["^aks-a100-[0-9]+-vmss$", "^aks-t4-[0-9]+-vmss$"]  # a tie shares its list


def test_each_scale_set_matches_only_its_own_pool() -> None:
    parsed = yaml.safe_load(priorities_text(AKS_POOLS))
    scale_sets = {
        "a100spot": "aks-a100spot-27324113-vmss",
        "a100": "aks-a100-27324113-vmss",
        "t4": "aks-t4-1-vmss",
        "h100": "aks-h100-9-vmss",
    }
    for pool in AKS_POOLS:
        matching = [p for p, regexes in parsed.items() for r in regexes if re.search(r, scale_sets[pool.pool])]
        assert matching == [pool.priority], pool.pool


def test_asg_regex_matches_the_asg_name_exactly() -> None:
    regex = asg_regex("eks-llm-l4-spot-0ac9f2b4")
    assert re.search(regex, "eks-llm-l4-spot-0ac9f2b4")
    assert not re.search(regex, "eks-llm-l4-spot-0ac9f2b4-extra")


def test_config_map_has_the_name_and_namespace_the_autoscaler_reads(under_mocks: Any) -> None:
    registered = under_mocks(
        lambda: PriorityExpander("p", PriorityExpanderArgs({"l4": (50, vmss_regex("l4"))})) and None
    )
    config_map = registered.inputs("kubernetes:core/v1:ConfigMap")
    assert (config_map["metadata"]["name"], config_map["metadata"]["namespace"]) == (CONFIG_MAP_NAME, "kube-system")
    assert config_map["data"]["priorities"] == "50:\n  - '^aks-l4-[0-9]+-vmss$'\n"


# --- EKS cluster-autoscaler -------------------------------------------------------------------------


def test_autoscaler_expands_by_priority_then_least_waste() -> None:
    values = autoscaler_values("llm", "us-east-1", "1.34", {"role": "system"})
    assert values["extraArgs"]["expander"] == "priority,least-waste"
    assert values["autoDiscovery"] == {"clusterName": "llm"}
    assert values["image"]["tag"] == "v1.34.2"
    assert values["expanderPriorities"] == {}  # the ConfigMap is ours, not the chart's


def test_autoscaler_may_scale_only_this_clusters_groups() -> None:
    statements = json.loads(autoscaler_policy("llm", "aws"))["Statement"]
    scale = next(s for s in statements if "autoscaling:SetDesiredCapacity" in s["Action"])
    assert scale["Condition"] == {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/llm": "owned"}}


def test_autoscaler_may_describe_only_this_clusters_node_groups() -> None:
    statements = json.loads(autoscaler_policy("llm", "aws"))["Statement"]
    describe = [s for s in statements if "eks:DescribeNodegroup" in s["Action"]]
    assert [s["Resource"] for s in describe] == ["arn:aws:eks:*:*:nodegroup/llm/*"]


def test_autoscaler_gets_its_role_through_pod_identity_on_its_service_account(under_mocks: Any) -> None:
    args = ClusterAutoscalerArgs(
        cluster_name="llm", cluster_name_plain="llm", region="us-east-1", kubernetes_version="1.34", system_selector={}
    )
    registered = under_mocks(lambda: ClusterAutoscaler("ca", args) and None)
    association = registered.inputs("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (association["namespace"], association["serviceAccount"]) == ("kube-system", SERVICE_ACCOUNT)
    release = registered.inputs("kubernetes:helm.sh/v3:Release")
    assert release["values"]["rbac"]["serviceAccount"]["name"] == SERVICE_ACCOUNT
    trust = json.loads(registered.inputs("aws:iam/role:Role")["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}


# --- GKE ComputeClass --------------------------------------------------------------------------------


def gke_pool(name: str, priority: int, *, spot: bool) -> Any:
    instance = choose_instance(Cloud.GCP, GpuType.L4, 1)
    return pool_info(
        Cloud.GCP, name, GpuPoolArgs(instance=instance, spot=spot, min_nodes=0, max_nodes=2, priority=priority)
    )


def test_compute_class_rungs_follow_priority_and_never_fall_back_to_other_machines() -> None:
    spec = compute_class_spec([gke_pool("ondemand", 10, spot=False), gke_pool("spot", 50, spot=True)])
    assert spec["priorities"] == [{"nodepools": ["spot"]}, {"nodepools": ["ondemand"]}]
    assert spec["whenUnsatisfiable"] == "DoNotScaleUp"
    assert spec["nodePoolAutoCreation"] == {"enabled": False}


def test_compute_class_ties_are_ordered_by_name() -> None:
    spec = compute_class_spec([gke_pool("b", 10, spot=False), gke_pool("a", 10, spot=False)])
    assert spec["priorities"] == [{"nodepools": ["a"]}, {"nodepools": ["b"]}]


def test_one_class_per_group_named_after_it(under_mocks: Any) -> None:
    pools = {"spot": gke_pool("spot", 50, spot=True), "ondemand": gke_pool("ondemand", 10, spot=False)}
    registered = under_mocks(lambda: GpuComputeClasses("c", GpuComputeClassesArgs(pools=pools)) and None)
    [compute_class] = registered.all("kubernetes:cloud.google.com/v1:ComputeClass")
    assert compute_class.inputs["metadata"]["name"] == "l4-x1"
    assert all(p.labels["cloud.google.com/compute-class"] == "l4-x1" for p in pools.values())
    assert all(p.node_selector == {"cloud.google.com/compute-class": "l4-x1"} for p in pools.values())


# --- KEDA on vLLM's queue -----------------------------------------------------------------------------


def test_queue_query_reads_waiting_requests_under_either_metric_name() -> None:
    assert queue_query("llm-serving", "chat") == (
        'sum(vllm:num_requests_waiting{namespace="llm-serving",service="chat"} or '
        'vllm_num_requests_waiting{namespace="llm-serving",service="chat"}) or vector(0)'
    )


def test_scaled_object_keeps_the_configured_bounds_and_target() -> None:
    spec = scaled_object_spec(
        deployment="chat",
        namespace="llm-serving",
        service="chat",
        min_replicas=1,
        max_replicas=6,
        queue_per_replica=4,
        prometheus_url="http://prometheus:9090",
    )
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (1, 6)
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "chat"}
    [trigger] = spec["triggers"]
    assert trigger["type"] == "prometheus"
    assert trigger["metricType"] == "AverageValue"
    assert trigger["metadata"]["threshold"] == "4"
    assert trigger["metadata"]["serverAddress"] == "http://prometheus:9090"
    # A GPU replica is expensive to start: scale down one pod at a time, slowly.
    assert spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]["policies"][0]["value"] == 1
