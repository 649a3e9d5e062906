"""The overview's cost panels: what each model's ready replicas cost now, and what the stack costs idle and at its
ceiling, at the list prices the plan used (stacks/cost.py), written into the queries as numbers.

A price the catalogue does not know is `NaN` in the query and shown as `unknown`, never as 0; an amount that lacks
some prices is a lower bound and its legend says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.builders.dashboard import DashboardSpecialValueMapOptions
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    SpecialValueMap,
    SpecialValueMatch,
    ValueMapping,
    ValueMappingResult,
)

from components.observability.alerts import ModelWatch

UNKNOWN = "unknown"
REPLICA_COST_TITLE = "GPU cost of ready replicas, $/hour"
STACK_COST_TITLE = "Stack at list prices, $/hour"
USD = "currencyUSD"
"""Grafana's unit for US dollars."""


@dataclass(frozen=True)
class Hourly:
    """USD per hour, and how many prices it lacks (then it is a lower bound)."""

    usd: float
    unknown: int = 0


@dataclass(frozen=True)
class DashboardCost:
    """What the plan's cost model says, as the overview shows it."""

    replica_usd: Mapping[str, float | None]
    """Per model on a GPU pool: one replica's share of its node, USD per hour; None when the price is unknown.
    Models on CPU are not listed: the system pools they run on are counted in `idle` and `ceiling`."""
    idle: Hourly
    ceiling: Hourly
    prices_as_of: str
    unknown_prices: tuple[str, ...] = field(default=())
    """What could not be priced, for the panels' descriptions."""


def number(usd: float | None) -> str:
    """A price as a PromQL number literal: `NaN` when unknown, so that it never reads as free."""
    if usd is None or math.isnan(usd):
        return "NaN"
    return repr(round(usd, 4))


def _unknown_as_text() -> list[ValueMapping]:
    options = DashboardSpecialValueMapOptions().match(SpecialValueMatch.NA_N).result(ValueMappingResult(text=UNKNOWN))
    return [SpecialValueMap(options=options.build())]


def _target(expr: str, legend: str, index: int, datasource: DataSourceRef) -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(chr(ord("A") + index)).datasource(datasource)


def replica_cost_query(model: ModelWatch, usd: float | None) -> str:
    """What the model's ready replicas cost now: kube-state-metrics' available replicas (as the overview's replica
    panel reads them) times one replica's price."""
    match = f'namespace="{model.namespace}",deployment="{model.deployment}"'
    ready = f"kube_deployment_status_replicas_available{{{match}}}"
    return f"sum({ready}) * {number(usd)}"


def replica_cost_panel(
    models: Sequence[ModelWatch], cost: DashboardCost, datasource: DataSourceRef
) -> timeseries.Panel | None:
    """One series per model on a GPU pool; None when no model is."""
    priced = [model for model in models if model.name in cost.replica_usd]
    if not priced:
        return None
    panel = (
        timeseries.Panel()
        .title(REPLICA_COST_TITLE)
        .description(
            "Ready replicas x one replica's share of its node at list prices (catalogue prices as of "
            f"{cost.prices_as_of}): no discounts; idle nodes and models on CPU are in the stack's idle figure."
            + _unknown_note(cost)
        )
        .unit(USD)
        .decimals(2)
        .mappings(_unknown_as_text())
        .datasource(datasource)
        .height(8)
        .span(16)
    )
    for index, model in enumerate(sorted(priced, key=lambda m: m.name)):
        usd = cost.replica_usd[model.name]
        legend = model.name if usd is not None else f"{model.name} (price {UNKNOWN})"
        panel = panel.with_target(_target(replica_cost_query(model, usd), legend, index, datasource))
    return panel


def _legend(scale: str, amount: Hourly) -> str:
    if not amount.unknown:
        return scale
    return f"{scale}, at least ({amount.unknown} price{'s' if amount.unknown > 1 else ''} {UNKNOWN})"


def stack_cost_queries(models: Sequence[ModelWatch], cost: DashboardCost) -> list[tuple[str, str]]:
    """The stack's idle and ceiling $/hour, constants of the plan, shown while the stack's models exist in the chosen
    Prometheus (kube-state-metrics knows their Deployments): another cluster's Prometheus shows no figure."""
    namespaces = "|".join(sorted({model.namespace for model in models}))
    deployments = "|".join(sorted(model.deployment for model in models))
    exists = f'count(kube_deployment_spec_replicas{{namespace=~"{namespaces}",deployment=~"{deployments}"}})'
    return [
        (f"vector({number(amount.usd)}) and on() {exists}", _legend(scale, amount))
        for scale, amount in (("idle", cost.idle), ("ceiling", cost.ceiling))
    ]


def stack_cost_panel(models: Sequence[ModelWatch], cost: DashboardCost, datasource: DataSourceRef) -> stat.Panel:
    panel = (
        stat.Panel()
        .title(STACK_COST_TITLE)
        .description(
            "Idle: the system pools, each GPU pool at its minimum (or what its models' minReplicas need) and the "
            "fixed parts; ceiling: every pool at its maximum. From the plan's cost model (the stack output `cost`), "
            f"catalogue prices as of {cost.prices_as_of}." + _unknown_note(cost)
        )
        .unit(USD)
        .decimals(2)
        .mappings(_unknown_as_text())
        .datasource(datasource)
        .height(8)
        .span(8)
    )
    for index, (expr, legend) in enumerate(stack_cost_queries(models, cost)):
        panel = panel.with_target(_target(expr, legend, index, datasource))
    return panel


def _unknown_note(cost: DashboardCost) -> str:
    if not cost.unknown_prices:
        return ""
    return " Prices unknown (not counted): " + "; ".join(cost.unknown_prices) + "."
