"""Every PromQL expression the stack writes (alerts, dashboards, the KEDA queue query) parses with promql-parser
and selects only metric names the pinned exporters emit (components/observability/metric_names.py)."""

from __future__ import annotations

from collections.abc import Iterator

import promql_parser as p
import pytest

from components.autoscaling.keda import queue_query
from components.observability.alerts import ModelWatch, gpu_rules, model_rules, tpot_objective, ttft_objective
from components.observability.cost_panels import DashboardCost, Hourly
from components.observability.dashboards import model_dashboard, overview_dashboard, queries
from components.observability.metric_names import METRICS, series_names, vllm_series

WATCH = ModelWatch(
    name="chat",
    namespace="llm-serving",
    deployment="chat-predictor",
    service="chat-predictor",
    max_replicas=3,
    queue_per_replica=2,
    startup_budget_seconds=1800,
    on_gpu=True,
    gpu_metrics=True,
    objectives=(ttft_objective(0.5), tpot_objective(0.05)),
)

PRICES = DashboardCost(
    replica_usd={"chat": 0.8048}, idle=Hourly(1.43), ceiling=Hourly(25.55), prices_as_of="2026-02-24"
)


def selectors(node: object) -> Iterator[p.VectorSelector]:
    """Every vector selector of an expression, however deep."""
    if isinstance(node, p.VectorSelector):
        yield node
    elif isinstance(node, p.MatrixSelector):
        yield node.vector_selector
    elif isinstance(node, p.BinaryExpr):
        yield from selectors(node.lhs)
        yield from selectors(node.rhs)
    elif isinstance(node, p.AggregateExpr):
        yield from selectors(node.expr)
    elif isinstance(node, p.Call):
        for arg in node.args:
            yield from selectors(arg)
    elif isinstance(node, p.ParenExpr | p.UnaryExpr | p.SubqueryExpr):
        yield from selectors(node.expr)
    elif not isinstance(node, p.NumberLiteral | p.StringLiteral):
        raise AssertionError(f"unknown node {type(node).__name__}")


def names(expr: str) -> set[str]:
    return {selector.name for selector in selectors(p.parse(expr))}


def expressions() -> dict[str, str]:
    found = {f"alert {r['alert']} {r['labels'].get('window', '')}": r["expr"] for r in model_rules(WATCH)["rules"]}
    found |= {f"alert {r['alert']}": r["expr"] for r in gpu_rules()["rules"]}
    found |= {f"model dashboard #{i}": q for i, q in enumerate(queries(model_dashboard(WATCH)))}
    overview = overview_dashboard([WATCH], gpu_metrics=True, cost=PRICES)
    found |= {f"overview #{i}": q for i, q in enumerate(queries(overview))}
    found["KEDA queue"] = queue_query("llm-serving", "chat-predictor")
    return found


@pytest.mark.parametrize(("where", "expr"), sorted(expressions().items()))
def test_expression_parses_and_uses_only_listed_metric_names(where: str, expr: str) -> None:
    used = names(expr)
    assert used, where
    assert used <= series_names(), (where, used - series_names())


def test_the_checker_catches_a_name_no_exporter_emits() -> None:
    assert names("sum(vllm:num_requests_queued{a='b'}) or vector(0)") - series_names() == {"vllm:num_requests_queued"}


def test_the_parser_rejects_a_broken_expression() -> None:
    with pytest.raises(ValueError, match="unclosed left parenthesis"):
        p.parse("sum(rate(vllm:num_preemptions_total[5m])")


def test_every_vllm_metric_is_selected_in_both_spellings_wherever_it_is_used() -> None:
    for where, expr in expressions().items():
        used = names(expr)
        for name in {n for n in used if n.startswith("vllm:")}:
            assert "vllm_" + name.removeprefix("vllm:") in used, (where, name)


def test_catalogue_lists_the_alerts_own_metrics_with_a_source() -> None:
    for name, (_, source) in METRICS.items():
        assert source.where, name
    assert vllm_series("vllm:num_requests_waiting") == ("vllm:num_requests_waiting", "vllm_num_requests_waiting")
    # Histograms as Prometheus stores them; counters with prometheus_client's `_total`.
    assert "vllm:time_to_first_token_seconds_bucket" in series_names()
    assert "vllm:num_preemptions_total" in series_names()
    assert "vllm:time_to_first_token_seconds" not in series_names()
