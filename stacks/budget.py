"""The budget guard: `maxHourlyCost` bounds the autoscalers' ceiling, `maxIdleHourlyCost` what runs at minimum scale.

Both compare list prices (stacks/cost.py) with the limit before anything is created. Over the limit, the message
names the pools and models that make the cost and what would bring it under; with a price unknown, the guard
cannot confirm the limit holds and refuses rather than guess (the stack can give it: `priceOverrides`). A spot
price the catalogue lacks counts at the on-demand price, which spot never exceeds: the limit holds at it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from stacks.config import ConfigIssue, StackConfig
from stacks.cost import Amount, NodePoolCost, StackCost, money

# Amounts are sums of floats; a cut that brings the cost exactly to the limit counts as under it.
_EPSILON = 1e-9


def budget_issues(config: StackConfig, cost: StackCost | None) -> list[ConfigIssue]:
    """The budget limits the stack's cost breaks, or cannot be shown to keep."""
    issues = []
    checks: list[tuple[str, float | None, str, Callable[[StackCost, float, StackConfig], str]]] = [
        ("maxHourlyCost", config.max_hourly_cost, "the ceiling", _ceiling_advice),
        ("maxIdleHourlyCost", config.max_idle_hourly_cost, "what runs at minimum scale", _idle_advice),
    ]
    for key, limit, scale, advice in checks:
        if limit is None:
            continue
        if cost is None:
            issues.append(
                ConfigIssue(
                    key,
                    f"{limit:g}, but on an existing cluster the stack chooses no machines and has no cost to bound; "
                    f"remove {key}",
                )
            )
            continue
        amount = cost.ceiling if key == "maxHourlyCost" else cost.idle
        if not amount.complete:
            issues.append(ConfigIssue(key, _cannot_confirm(key, limit, scale, amount)))
        elif amount.usd > limit + _EPSILON:
            issues.append(
                ConfigIssue(
                    key,
                    f"{limit:g}, but {scale} costs {money(amount)} ({money(amount, 'month')}) at the list prices of "
                    f"the catalogue ({cost.assembled}); {advice(cost, limit, config)}",
                )
            )
    return issues


def _cannot_confirm(key: str, limit: float, scale: str, amount: Amount) -> str:
    unknown = ", ".join(amount.unknown)
    return (
        f"{limit:g}, but {scale} costs {money(amount)}: the guard cannot confirm it stays under the limit without "
        f"the price of {unknown}; give it in priceOverrides (a machine type's onDemand or spot, a fixed item's usd: "
        f'docs/manual.md, "Cost"), add it to components/catalog/prices.json (tools/prices.py), or remove {key}'
    )


def _models_on(cost: StackCost, pool: str, *, idle: bool) -> str:
    names = [
        f"{model.name} ({money(model.at_max_replicas)} at {model.max_replicas} replicas)" if not idle else model.name
        for model in cost.models.values()
        if model.pool == pool
    ]
    return f"models {', '.join(names)}" if names else "no models of its own"


def _drivers(cost: StackCost, *, idle: bool) -> str:
    pools = sorted(cost.gpu_pools.items(), key=lambda item: -(item[1].idle if idle else item[1].ceiling).usd)
    parts = []
    for name, pool in pools:
        amount = pool.idle if idle else pool.ceiling
        if amount.usd == 0:
            continue
        nodes = pool.idle_nodes if idle else pool.max_nodes
        capacity = "spot" if pool.spot else "on-demand"
        parts.append(
            f"gpuPools.{name} {money(amount)} ({nodes} x {pool.instance_type} {capacity}, "
            f"{_models_on(cost, name, idle=idle)})"
        )
    rest = _rest(cost, idle=idle)
    parts.append(f"system pools and fixed parts {money(rest)}")
    return "; ".join(parts)


def _rest(cost: StackCost, *, idle: bool) -> Amount:
    parts = [*cost.system_pools, *cost.fixed]
    total = Amount()
    for part in parts:
        total = total + (part.idle if idle else part.ceiling)
    return total


def _cut(pool: NodePoolCost, excess: float) -> int:
    """Nodes of `pool` to give up to save `excess` per hour."""
    assert pool.node_price.usd
    return math.ceil(excess / pool.node_price.usd - _EPSILON)


def _with_replicas(config: StackConfig, max_nodes: dict[str, int]) -> str:
    """` and models.<m>.maxReplicas to <k>` for each model the lowered maxNodes would no longer hold: advice that
    left them above it would be refused as an overcommit (stacks/config/rules/capacity.py)."""
    cuts = []
    for name, model in config.models.items():
        if model.spec.pool not in config.gpu_pools or model.sizing is None:
            continue
        held = config.replicas_held(model.spec.pool, model.gpus_per_replica, max_nodes)
        if model.max_replicas > held:
            cuts.append(f" and models.{name}.maxReplicas to {held}")
    return "".join(cuts)


def _ceiling_advice(cost: StackCost, limit: float, config: StackConfig) -> str:
    excess = cost.ceiling.usd - limit
    priced = [(name, pool) for name, pool in cost.gpu_pools.items() if pool.node_price.usd]
    options = []
    for name, pool in sorted(priced, key=lambda item: -item[1].ceiling.usd):
        price = pool.node_price.usd or 0.0
        cut = _cut(pool, excess)
        if pool.max_nodes - cut >= _floor(pool):
            replicas = _with_replicas(config, {name: pool.max_nodes - cut})
            options.append(
                f"lower gpuPools.{name}.maxNodes to {pool.max_nodes - cut}{replicas} "
                f"(saves {money(Amount(cut * price))})"
            )
        spot = pool.spot_price
        if spot is not None and spot.usd is not None and pool.max_nodes * (price - spot.usd) >= excess - _EPSILON:
            saves = money(Amount(pool.max_nodes * (price - spot.usd)))
            options.append(
                f"set gpuPools.{name}.capacity to spot (saves {saves} at the spot prices of {spot.date}, which move)"
            )
    if not options:
        options.append(_together(priced, excess, config))
    return f"it comes from {_drivers(cost, idle=False)}; to bring it under ${limit:g}/h: {' or '.join(options)}"


def _floor(pool: NodePoolCost) -> int:
    """The fewest nodes a pool's maxNodes can offer: what runs idle, and at least one."""
    return max(pool.idle_nodes, 1)


def _together(priced: list[tuple[str, NodePoolCost]], excess: float, config: StackConfig) -> str:
    """Cuts across pools, the dearest nodes first, when no single pool's cut is enough."""
    cuts, saved, lowered = [], 0.0, {}
    for name, pool in sorted(priced, key=lambda item: -(item[1].node_price.usd or 0.0)):
        price = pool.node_price.usd or 0.0
        room = pool.max_nodes - _floor(pool)
        cut = min(room, _cut(pool, excess - saved)) if saved < excess - _EPSILON else 0
        if cut > 0:
            cuts.append(f"gpuPools.{name}.maxNodes to {pool.max_nodes - cut}")
            lowered[name] = pool.max_nodes - cut
            saved += cut * price
    if cuts and saved >= excess - _EPSILON:
        return f"lower {' and '.join(cuts)}{_with_replicas(config, lowered)} (saves {money(Amount(saved))})"
    return "even every GPU pool at the nodes it runs idle stays above it: lower what runs idle first, or raise it"


def _idle_advice(cost: StackCost, limit: float, config: StackConfig) -> str:
    excess = cost.idle.usd - limit
    options = []
    for name, pool in sorted(cost.gpu_pools.items(), key=lambda item: -item[1].idle.usd):
        price = pool.node_price.usd
        if not price or pool.idle_nodes == 0:
            continue
        cut = _cut(pool, excess)
        if cut > pool.idle_nodes:
            continue
        left = pool.idle_nodes - cut
        steps = []
        if pool.min_nodes > left:
            steps.append(f"lower gpuPools.{name}.minNodes to {left}")
        if pool.needed_nodes > left:
            models = ", ".join(f"models.{m.name}" for m in cost.models.values() if m.pool == name)
            steps.append(
                f"let {models} scale to zero (minReplicas 0)"
                if left == 0
                else f"lower the minReplicas of {models} to what {left} nodes hold"
            )
        options.append(f"{' and '.join(steps)} (saves {money(Amount(cut * price))})")
    advice = " or ".join(options) if options else "no single pool does it: lower several, or raise it"
    return f"it comes from {_drivers(cost, idle=True)}; to bring it under ${limit:g}/h: {advice}"
