"""GPU alerts on GKE: rules for Managed Prometheus's evaluator (a ClusterRules object) on the fields GKE's managed
DCGM collection exports, each fired and not fired on synthetic series with the evaluator in promql_eval.py."""

from __future__ import annotations

from typing import Any

import pytest

from components.observability.alerts import gke_gpu_rules, gpu_rules
from components.observability.gmp_rules import NAME, SCOPE_LABELS, cluster_rules_body
from components.observability.metric_names import GKE_MANAGED_DCGM
from tests.observability.promql_eval import fires, gauge
from tests.observability.test_promql import names
from tests.support import stack_config
from tools.admission import admission_errors
from tools.offline import Mode, stack_names

GCP_WATCHED = [
    s
    for s in stack_names()
    if stack_config(s).get("llm-platform:target") == "gcp" and stack_config(s).get("llm-platform:monitoring") is True
]
GPU = {"gpu": "0", "Hostname": "gke-prod-gpu-l4-1a2b", "UUID": "GPU-1", "modelName": "NVIDIA L4"}


def rule(alert: str) -> dict[str, Any]:
    return next(r for r in gke_gpu_rules()["rules"] if r["alert"] == alert)


def _cluster_rules(plans: dict[Any, Any], stack: str) -> list[dict[str, Any]]:
    return [b for b in plans[(stack, Mode.UPDATE)].manifests.values() if b["kind"] == "ClusterRules"]


def test_there_is_an_example_gcp_stack_with_monitoring() -> None:
    assert GCP_WATCHED


@pytest.mark.parametrize("alert", [r["alert"] for r in gke_gpu_rules()["rules"]])
def test_each_gke_rule_selects_only_fields_gkes_managed_dcgm_collection_exports(alert: str) -> None:
    used = names(rule(alert)["expr"])
    assert used
    assert used <= GKE_MANAGED_DCGM, used - GKE_MANAGED_DCGM


def test_gke_alerts_only_on_temperatures_the_rest_is_not_exported_there() -> None:
    assert [r["alert"] for r in gke_gpu_rules()["rules"]] == ["GpuTooHot", "GpuMemoryTooHot"]
    # The other clouds' XID and row-remapping rules read fields GKE's managed collection lacks.
    elsewhere = {n for r in gpu_rules()["rules"] if r["alert"] not in {"GpuTooHot", "GpuMemoryTooHot"}
                 for n in names(r["expr"])}  # fmt: skip
    assert elsewhere == {
        "DCGM_FI_DEV_XID_ERRORS",
        "DCGM_FI_DEV_ROW_REMAP_FAILURE",
        "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS",
    }
    assert not elsewhere & GKE_MANAGED_DCGM


def test_no_gke_rule_sets_a_label_the_evaluator_adds_to_cluster_rules() -> None:
    for r in gke_gpu_rules()["rules"]:
        assert not set(r["labels"]) & set(SCOPE_LABELS), r["alert"]


def test_gpu_too_hot_on_gke_fires_above_85_degrees() -> None:
    assert fires(rule("GpuTooHot"), [gauge("DCGM_FI_DEV_GPU_TEMP", 90, **GPU)])


def test_gpu_too_hot_on_gke_is_quiet_at_working_temperature_or_a_brief_peak() -> None:
    assert not fires(rule("GpuTooHot"), [gauge("DCGM_FI_DEV_GPU_TEMP", 80, **GPU)])
    assert not fires(rule("GpuTooHot"), [gauge("DCGM_FI_DEV_GPU_TEMP", 90, start=-300, **GPU)])


def test_gpu_memory_too_hot_fires_above_its_maximum_operating_temperature() -> None:
    assert fires(rule("GpuMemoryTooHot"), [gauge("DCGM_FI_DEV_MEMORY_TEMP", 98, **GPU)])


def test_gpu_memory_too_hot_is_quiet_at_working_temperature_or_a_brief_peak() -> None:
    assert not fires(rule("GpuMemoryTooHot"), [gauge("DCGM_FI_DEV_MEMORY_TEMP", 85, **GPU)])
    assert not fires(rule("GpuMemoryTooHot"), [gauge("DCGM_FI_DEV_MEMORY_TEMP", 98, start=-300, **GPU)])


def test_the_other_clouds_alert_on_hot_gpu_memory_too() -> None:
    memory = next(r for r in gpu_rules()["rules"] if r["alert"] == "GpuMemoryTooHot")
    assert fires(memory, [gauge("DCGM_FI_DEV_MEMORY_TEMP", 98, **GPU)])


def test_the_cluster_rules_object_is_cluster_scoped_and_valid_against_its_crd() -> None:
    body = cluster_rules_body()
    assert (body["apiVersion"], body["kind"]) == ("monitoring.googleapis.com/v1", "ClusterRules")
    assert "namespace" not in body["metadata"]
    assert admission_errors(body) == []


@pytest.mark.parametrize("stack", GCP_WATCHED)
def test_a_gcp_stack_with_monitoring_plans_the_gpu_cluster_rules(plans: dict[Any, Any], stack: str) -> None:
    (planned,) = _cluster_rules(plans, stack)
    assert planned["metadata"]["name"] == NAME
    assert [g["name"] for g in planned["spec"]["groups"]] == ["llm-platform.gpus.gke"]
    assert admission_errors(planned) == []


def test_no_gpu_cluster_rules_off_gke(plans: dict[Any, Any]) -> None:
    for stack in stack_names():
        if stack_config(stack).get("llm-platform:target") != "gcp":
            assert not _cluster_rules(plans, stack), stack


def test_no_gpu_cluster_rules_without_monitoring() -> None:
    from tools.offline import run_program
    from tools.plan import build_plan

    plan = build_plan(
        run_program(GCP_WATCHED[0], Mode.UPDATE, config_overrides={"monitoring": "false", "grafana": "false"})
    )
    assert not [b for b in plan.manifests.values() if b["kind"] == "ClusterRules"]
