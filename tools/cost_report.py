"""The stack output `cost` (stacks/cost.py) in words: the plan summary's lines, and the sentence a plan diff states
when a change moves what a stack costs ("this change raises prod-gcp's ceiling from $X/h to $Y/h, by adding ...").

Both read only the output, plain data, so a diff can compare two plans without running either program.
"""

from __future__ import annotations

from typing import Any

from stacks.cost import amount_text

Cost = dict[str, Any]
_CENTS = 0.005
"""Amounts closer than half a cent per hour are the same amount."""


def _money(amount: dict[str, Any], *, monthly: bool = False) -> str:
    value = amount["usdPerMonth"] if monthly else amount["usdPerHour"]
    return _noted(f"${value:,.2f}/{'month' if monthly else 'h'}", amount, nothing_known=not value)


def _both(amount: dict[str, Any]) -> str:
    """`$1.00/h, $730.00/month`, with `at least` and the unknown prices named once."""
    text = f"${amount['usdPerHour']:,.2f}/h, ${amount['usdPerMonth']:,.2f}/month"
    return _noted(text, amount, nothing_known=not amount["usdPerHour"])


def _noted(text: str, amount: dict[str, Any], *, nothing_known: bool = False) -> str:
    # Outputs of older plans (a diff's base) have no spotAtOnDemand.
    unknown, bounded = list(amount["unknownPrices"]), list(amount.get("spotAtOnDemand", []))
    return amount_text(text, unknown, bounded, nothing_known=nothing_known)


def summary_lines(cost: Cost) -> list[str]:
    """The cost part of the plan summary (tools/plan.py)."""
    if not cost.get("estimated"):
        return [f"Cost: not estimated, {cost.get('reason', 'no cloud resources')}"]
    catalogue = cost["catalogue"]
    lines = [
        f"Cost at list prices (catalogue of {catalogue['assembled']}, oldest price used from "
        f"{catalogue['pricesAsOf']}; no discounts, data transfer, logs or storage beyond the minimums; "
        "spot prices are snapshots and move):",
        f"  idle (minimum scale): {_both(cost['idle'])}",
        f"  ceiling (maximum scale): {_both(cost['ceiling'])}",
    ]
    if catalogue.get("regionPriced") is False:
        priced = ", ".join(catalogue["regionsPriced"])
        lines.append(
            f"  the catalogue has no machine prices for {cost['region']} (it has {priced}): give them with "
            f"priceOverrides, or read them with `python -m tools.prices --region {cost['region']}` and the clouds' "
            "price files"
        )
    for group, label in (("systemPools", "pool"), ("pools", "gpuPools.")):
        for name, pool in cost[group].items():
            key = f"{label} {name}" if label == "pool" else f"{label}{name}"
            nodes = pool["nodes"]
            lines.append(
                f"  {key}: {pool['instanceType']} {pool['capacity']}, {nodes['idle']}-{nodes['max']} nodes "
                f"(idle: {nodes['idleBecause']}): idle {_money(pool['idle'])}, ceiling {_money(pool['ceiling'])}"
            )
    for part in cost["fixed"].values():
        lines.append(f"  {part['description']}: {_money(part['ceiling'])}")
    for name, model in cost["models"].items():
        lines.append(
            f"  model {name}: one replica {_money(model['replica'])} ({model['share']}), "
            f"{model['maxReplicas']} replicas {_money(model['atMaxReplicas'])}"
        )
    unknown = sorted(set(cost["idle"]["unknownPrices"]) | set(cost["ceiling"]["unknownPrices"]))
    if unknown:
        lines.append(f"  prices unknown (not counted; give them with priceOverrides): {', '.join(unknown)}")
    bounded = sorted(set(cost["ceiling"].get("spotAtOnDemand", [])))
    if bounded:
        lines.append(
            f"  spot prices unknown, counted at the on-demand price (spot never costs more): {', '.join(bounded)}"
        )
    return lines


CANNOT_TELL = "cannot tell"


def _moves(before: dict[str, Any], after: dict[str, Any]) -> str:
    # Totals that leave out different prices are not comparable: neither the direction nor the amount is known.
    if set(before["unknownPrices"]) != set(after["unknownPrices"]):
        return CANNOT_TELL
    if after["usdPerHour"] > before["usdPerHour"] + _CENTS:
        return "raises"
    if after["usdPerHour"] < before["usdPerHour"] - _CENTS:
        return "lowers"
    return "keeps"


def _unknowns(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Which prices are unknown on one side only: what makes the two totals incomparable."""
    gained = sorted(set(after["unknownPrices"]) - set(before["unknownPrices"]))
    lost = sorted(set(before["unknownPrices"]) - set(after["unknownPrices"]))
    parts = []
    if gained:
        parts.append(f"unknown after it: {', '.join(gained)}")
    if lost:
        parts.append(f"unknown before it: {', '.join(lost)}")
    return "; ".join(parts)


def _delta(before: dict[str, Any] | None, after: dict[str, Any] | None) -> float:
    return (after["usdPerHour"] if after else 0.0) - (before["usdPerHour"] if before else 0.0)


def _signed(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}${abs(value):,.2f}/h"


def _pool_change(name: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> str | None:
    ceiling = _delta(before and before["ceiling"], after and after["ceiling"])
    idle = _delta(before and before["idle"], after and after["idle"])
    unknown = [side["ceiling"]["unknownPrices"] if side else [] for side in (before, after)]
    if abs(ceiling) < _CENTS and abs(idle) < _CENTS and unknown[0] == unknown[1]:
        return None
    effect = f"{_signed(ceiling)} at the ceiling" + (f", {_signed(idle)} idle" if abs(idle) >= _CENTS else "")
    if unknown[0] != unknown[1]:
        # An amount that leaves out a price it did not leave out before (or the reverse) says nothing.
        effect = f"price unknown: {', '.join(sorted(set(unknown[0]) ^ set(unknown[1])))}"
    if before is None:
        assert after is not None
        nodes = after["nodes"]
        return (
            f"adding pool {name} ({nodes['idle']}-{nodes['max']} x {after['instanceType']} {after['capacity']}, "
            f"{effect})"
        )
    if after is None:
        return f"removing pool {name} ({effect})"
    what = []
    if before["instanceType"] != after["instanceType"]:
        what.append(f"machine {before['instanceType']} -> {after['instanceType']}")
    if before["capacity"] != after["capacity"]:
        what.append(f"capacity {before['capacity']} -> {after['capacity']}")
    for bound, label in (("max", "maxNodes"), ("idle", "idle nodes")):
        if before["nodes"][bound] != after["nodes"][bound]:
            what.append(f"{label} {before['nodes'][bound]} -> {after['nodes'][bound]}")
    return f"changing pool {name} ({', '.join(what) or 'its price'}; {effect})"


def _fixed_change(item: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> str | None:
    ceiling = _delta(before and before["ceiling"], after and after["ceiling"])
    unknown = [set(side["ceiling"]["unknownPrices"]) if side else set() for side in (before, after)]
    if abs(ceiling) < _CENTS and unknown[0] == unknown[1]:
        return None
    description = (after or before or {}).get("description", item)
    verb = "adding" if before is None else "removing" if after is None else "changing"
    if unknown[0] != unknown[1]:
        return f"{verb} {description} (price unknown)"
    return f"{verb} {description} ({_signed(ceiling)})"


def _changes(before: Cost, after: Cost) -> list[str]:
    changes = []
    for group in ("pools", "systemPools"):
        old, new = before[group], after[group]
        for name in [*old, *(n for n in new if n not in old)]:
            change = _pool_change(name, old.get(name), new.get(name))
            if change:
                changes.append(change)
    old, new = before["fixed"], after["fixed"]
    for item in [*old, *(i for i in new if i not in old)]:
        change = _fixed_change(item, old.get(item), new.get(item))
        if change:
            changes.append(change)
    return changes


def change_sentence(stack: str, before: Cost | None, after: Cost | None) -> str:
    """What a change does to the stack's cost, for the plan diff; `None` is a stack that does not exist on that
    side (created or destroyed by the change)."""
    old = before if before and before.get("estimated") else None
    new = after if after and after.get("estimated") else None
    if old is None and new is None:
        return f"{stack}'s cost is not estimated (an existing cluster, or no stack on either side)"
    if old is None:
        assert new is not None
        return f"this change creates {stack}: idle {_money(new['idle'])}, ceiling {_money(new['ceiling'])}"
    if new is None:
        return (
            f"this change removes {stack}, whose idle cost was {_money(old['idle'])} and ceiling "
            f"{_money(old['ceiling'])}"
        )
    ceiling, idle = _moves(old["ceiling"], new["ceiling"]), _moves(old["idle"], new["idle"])
    if ceiling == idle == "keeps":
        return f"this change keeps {stack}'s cost: idle {_money(new['idle'])}, ceiling {_money(new['ceiling'])}"
    parts = []
    for moves, owner, label, key in ((ceiling, f"{stack}'s", "ceiling", "ceiling"), (idle, "its", "idle cost", "idle")):
        if moves == CANNOT_TELL:
            parts.append(f"moves {owner} {label} by an amount the diff cannot tell ({_unknowns(old[key], new[key])})")
        elif moves == "keeps":
            parts.append(f"leaves {owner} {label} as it was ({_money(new[key])})")
        else:
            parts.append(f"{moves} {owner} {label} from {_money(old[key])} to {_money(new[key])}")
    sentence = f"this change {parts[0]} and {parts[1]}"
    changes = _changes(old, new)
    return sentence + (f", by {'; '.join(changes)}" if changes else "")
