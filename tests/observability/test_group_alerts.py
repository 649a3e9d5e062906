"""A model past one node is watched through its LeaderWorkerSet's pods: a group one worker short alerts."""

from __future__ import annotations

import dataclasses

from components.observability.alerts import model_rules
from tests.observability.promql_eval import Series, fires, gauge
from tests.observability.test_alerts import MODEL, NS

GROUP = dataclasses.replace(
    MODEL, name="deepseek", deployment="deepseek", service="deepseek", max_replicas=1, group_nodes=2
)


def rule(alert: str) -> dict:
    return next(r for r in model_rules(GROUP)["rules"] if r["alert"] == alert)


def ready(pod: str, value: float) -> Series:
    return gauge("kube_pod_status_ready", value, namespace=NS, pod=pod, condition="true")


def test_a_group_missing_its_worker_alerts_after_the_startup_budget() -> None:
    assert fires(rule("LlmModelGroupIncomplete"), [ready("deepseek-0", 1)])


def test_a_group_with_no_pod_at_all_alerts() -> None:
    assert fires(rule("LlmModelGroupIncomplete"), [ready("other-0", 1)])


def test_a_whole_group_is_quiet() -> None:
    assert not fires(rule("LlmModelGroupIncomplete"), [ready("deepseek-0", 1), ready("deepseek-0-1", 1)])


def test_another_models_pods_do_not_complete_the_group() -> None:
    assert fires(rule("LlmModelGroupIncomplete"), [ready("deepseek-0", 1), ready("old-deepseek-0-1", 1)])


def test_a_group_has_no_deployment_rule_and_single_node_models_keep_theirs() -> None:
    group_alerts = {r["alert"] for r in model_rules(GROUP)["rules"]}
    single_alerts = {r["alert"] for r in model_rules(MODEL)["rules"]}
    assert "LlmModelNoReadyReplica" not in group_alerts
    assert "LlmModelGroupIncomplete" not in single_alerts
    assert "LlmModelNoReadyReplica" in single_alerts
