"""The overview's cost panels: each GPU model's ready replicas times its replica price, the stack's idle and ceiling,
unknown prices shown as unknown. Queries are evaluated on synthetic kube-state-metrics series (promql_eval)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from components.observability.cost_panels import REPLICA_COST_TITLE, STACK_COST_TITLE, DashboardCost, Hourly
from components.observability.dashboards import overview_dashboard
from stacks.cost import stack_cost
from stacks.observability import dashboard_cost
from tests.observability.promql_eval import Evaluator, gauge
from tests.observability.test_dashboards import CHAT, EMBED
from tests.stacks.test_cost import example
from tools.offline import Mode
from tools.plan import dashboards

COST = DashboardCost(
    replica_usd={"chat": 0.8048},
    idle=Hourly(1.43),
    ceiling=Hourly(25.55, unknown=1),
    prices_as_of="2026-02-24",
    unknown_prices=("g6.2xlarge spot in us-east-1",),
)
UNKNOWN_PRICE = DashboardCost(
    replica_usd={"chat": None}, idle=Hourly(0.0, 1), ceiling=Hourly(0.0, 1), prices_as_of="2026-02-24"
)


def _panel(document: dict[str, Any], title: str) -> dict[str, Any]:
    [panel] = [panel for panel in document["panels"] if panel["title"] == title]
    return panel


def _ready(deployment: str, replicas: float) -> list:
    return [
        gauge("kube_deployment_status_replicas_available", replicas, namespace="llm-serving", deployment=deployment),
        gauge("kube_deployment_spec_replicas", replicas, namespace="llm-serving", deployment=deployment),
    ]


def _value(expr: str, series: list) -> float | None:
    result = Evaluator(series).instant(expr, 0)
    assert isinstance(result, list)
    return result[0][1] if result else None


def test_a_gpu_models_cost_now_is_its_ready_replicas_times_its_replica_price() -> None:
    panel = _panel(overview_dashboard([CHAT, EMBED], gpu_metrics=False, cost=COST), REPLICA_COST_TITLE)
    [target] = panel["targets"]
    assert target["legendFormat"] == "chat"
    assert _value(target["expr"], _ready("chat", 3)) == pytest.approx(3 * 0.8048)
    assert _value(target["expr"], _ready("chat", 0)) == 0
    # Another model's replicas cost chat nothing.
    assert _value(target["expr"], _ready("embed-predictor", 3)) is None
    assert panel["fieldConfig"]["defaults"]["unit"] == "currencyUSD"


def test_models_on_cpu_get_no_cost_series() -> None:
    # Their CPU is the system pools', counted in the stack's idle figure.
    panel = _panel(overview_dashboard([CHAT, EMBED], gpu_metrics=False, cost=COST), REPLICA_COST_TITLE)
    assert [t["legendFormat"] for t in panel["targets"]] == ["chat"]
    titles = {p["title"] for p in overview_dashboard([EMBED], gpu_metrics=False, cost=COST)["panels"]}
    assert REPLICA_COST_TITLE not in titles


def test_an_unknown_replica_price_is_shown_as_unknown_not_as_free() -> None:
    panel = _panel(overview_dashboard([CHAT], gpu_metrics=False, cost=UNKNOWN_PRICE), REPLICA_COST_TITLE)
    [target] = panel["targets"]
    assert target["legendFormat"] == "chat (price unknown)"
    value = _value(target["expr"], _ready("chat", 2))
    assert value is not None
    assert math.isnan(value)
    assert panel["fieldConfig"]["defaults"]["mappings"] == [
        {"type": "special", "options": {"match": "nan", "result": {"text": "unknown"}}}
    ]


def test_the_stack_stat_shows_idle_and_ceiling_with_lower_bounds_said() -> None:
    panel = _panel(overview_dashboard([CHAT, EMBED], gpu_metrics=False, cost=COST), STACK_COST_TITLE)
    assert panel["type"] == "stat"
    idle, ceiling = panel["targets"]
    assert (idle["legendFormat"], ceiling["legendFormat"]) == ("idle", "ceiling, at least (1 price unknown)")
    series = _ready("chat", 1)
    assert _value(idle["expr"], series) == pytest.approx(1.43)
    assert _value(ceiling["expr"], series) == pytest.approx(25.55)
    assert "g6.2xlarge spot in us-east-1" in panel["description"]


def test_the_stack_stat_is_empty_on_a_prometheus_that_knows_none_of_the_stacks_models() -> None:
    panel = _panel(overview_dashboard([CHAT], gpu_metrics=False, cost=COST), STACK_COST_TITLE)
    elsewhere = [gauge("kube_deployment_spec_replicas", 1, namespace="default", deployment="web")]
    assert [_value(target["expr"], elsewhere) for target in panel["targets"]] == [None, None]


def test_no_cost_panels_without_prices() -> None:
    # An existing cluster: the stack chooses no machines (stacks/cost.py).
    titles = {panel["title"] for panel in overview_dashboard([CHAT], gpu_metrics=False)["panels"]}
    assert not titles & {"Cost", STACK_COST_TITLE, REPLICA_COST_TITLE}
    assert dashboard_cost(stack_cost(example("dev"))) is None


def test_the_dashboards_prices_are_the_cost_models() -> None:
    cost = stack_cost(example("prod-aws"))
    shown = dashboard_cost(cost)
    assert cost is not None
    assert shown is not None
    assert shown.replica_usd == {
        name: None if model.replica.unknown else model.replica.usd
        for name, model in cost.models.items()
        if model.pool is not None
    }
    assert (shown.idle.usd, shown.ceiling.usd) == (cost.idle.usd, cost.ceiling.usd)


def test_the_prod_overview_prices_every_gpu_model_as_the_cost_output_does(plans: dict[Any, Any]) -> None:
    plan = plans[("prod-aws", Mode.UPDATE)]
    overview = dashboards(plan)["llm-overview.json"]
    targets = _panel(overview, REPLICA_COST_TITLE)["targets"]
    models = plan.document["outputs"]["cost"]["models"]
    priced = {name: model["replica"] for name, model in models.items() if model["pool"] is not None}
    assert len(targets) == len(priced)
    for target, (name, replica) in zip(targets, sorted(priced.items()), strict=True):
        if replica["complete"]:
            assert (target["legendFormat"], target["expr"].split(" * ")[-1]) == (name, str(replica["usdPerHour"]))
        else:
            assert (target["legendFormat"], target["expr"].split(" * ")[-1]) == (f"{name} (price unknown)", "NaN")
    stat = _panel(overview, STACK_COST_TITLE)
    idle = plan.document["outputs"]["cost"]["idle"]["usdPerHour"]
    assert stat["targets"][0]["expr"].startswith(f"vector({idle}) and on() count(")
