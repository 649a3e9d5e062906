"""The endpoint picker's alerts fire on synthetic series that show its trouble and stay quiet on healthy ones
(promql_eval.py's evaluator)."""

from __future__ import annotations

from components.observability.picker_alerts import DECISION_SECONDS, DECISIONS, picker_rules
from tests.observability.promql_eval import Series, counter, fires, gauge

NS = "llm-serving"
RULES = picker_rules(model="chat", namespace=NS, deployment="chat-epp", service="chat-epp")
SCRAPE = {"namespace": NS, "job": "chat-epp", "pod": "chat-epp-6b7c9d-x1"}


def rule(alert: str) -> dict:
    return next(r for r in RULES["rules"] if r["alert"] == alert)


def pickers(spec: float, available: float) -> list[Series]:
    workload = {"namespace": NS, "deployment": "chat-epp"}
    return [
        gauge("kube_deployment_spec_replicas", spec, **workload),
        gauge("kube_deployment_status_replicas_available", available, **workload),
    ]


def decisions(within_per_second: float, total_per_second: float) -> list[Series]:
    return [
        counter(f"{DECISIONS}_bucket", within_per_second, le=f"{DECISION_SECONDS:g}", **SCRAPE),
        counter(f"{DECISIONS}_bucket", total_per_second, le="+Inf", **SCRAPE),
        counter(f"{DECISIONS}_count", total_per_second, **SCRAPE),
    ]


def test_both_alerts_are_warnings_that_name_their_model() -> None:
    assert RULES["name"] == "llm-platform.picker.chat"
    assert {(r["labels"]["severity"], r["labels"]["model"]) for r in RULES["rules"]} == {("warning", "chat")}


def test_picker_down_fires_when_no_picker_leads() -> None:
    assert fires(rule("LlmEndpointPickerDown"), pickers(2, 0))


def test_picker_down_is_quiet_with_a_leader_and_no_ready_standby() -> None:
    # Only the leader is Ready: one available of two is the healthy state.
    assert not fires(rule("LlmEndpointPickerDown"), pickers(2, 1))


def test_picker_down_says_requests_still_flow() -> None:
    assert "fails open" in rule("LlmEndpointPickerDown")["annotations"]["description"]


def test_picker_slow_fires_when_more_than_one_decision_in_a_hundred_is_slow() -> None:
    assert fires(rule("LlmEndpointPickerSlow"), decisions(95, 100))


def test_picker_slow_is_quiet_when_decisions_are_fast() -> None:
    assert not fires(rule("LlmEndpointPickerSlow"), decisions(99.5, 100))
