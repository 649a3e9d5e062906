"""The sentence a plan diff states when a change moves a stack's cost, from the `cost` outputs before and after."""

from __future__ import annotations

from typing import Any

from tools.cost_report import change_sentence


def amount(usd: float, *unknown: str) -> dict[str, Any]:
    month = round(usd * 730, 2)
    return {"usdPerHour": usd, "usdPerMonth": month, "complete": not unknown, "unknownPrices": list(unknown)}


def pool(machine: str, capacity: str, nodes: tuple[int, int], price: float) -> dict[str, Any]:
    idle, most = nodes
    return {
        "instanceType": machine,
        "capacity": capacity,
        "nodeUsdPerHour": price,
        "nodes": {"idle": idle, "max": most, "idleBecause": "the pool's minimum"},
        "idle": amount(idle * price),
        "ceiling": amount(most * price),
    }


def cost(pools: dict[str, dict[str, Any]], fixed: float = 0.1) -> dict[str, Any]:
    fee = {"description": "GKE cluster fee", "idle": amount(fixed), "ceiling": amount(fixed)}
    parts = {"gke-cluster-management": fee}
    return {
        "estimated": True,
        "pools": pools,
        "systemPools": {},
        "fixed": parts,
        "idle": amount(sum(p["idle"]["usdPerHour"] for p in pools.values()) + fixed),
        "ceiling": amount(sum(p["ceiling"]["usdPerHour"] for p in pools.values()) + fixed),
        "models": {},
    }


BEFORE = cost({"l4": pool("g2-standard-8", "on-demand", (1, 4), 0.85)})


def test_adding_a_pool_raises_the_ceiling_by_what_its_nodes_cost() -> None:
    after = cost({**BEFORE["pools"], "h100": pool("a2-highgpu-1g", "on-demand", (0, 2), 3.67)})
    assert change_sentence("prod-gcp", BEFORE, after) == (
        "this change raises prod-gcp's ceiling from $3.50/h to $10.84/h and leaves its idle cost as it was "
        "($0.95/h), by adding pool h100 (0-2 x a2-highgpu-1g on-demand, +$7.34/h at the ceiling)"
    )


def test_changing_a_pool_names_what_changed_with_both_effects() -> None:
    after = cost({"l4": pool("g2-standard-8", "spot", (2, 6), 0.34)})
    assert change_sentence("prod-gcp", BEFORE, after) == (
        "this change lowers prod-gcp's ceiling from $3.50/h to $2.14/h and lowers its idle cost from $0.95/h to "
        "$0.78/h, by changing pool l4 (capacity on-demand -> spot, maxNodes 4 -> 6, idle nodes 1 -> 2; -$1.36/h at "
        "the ceiling, -$0.17/h idle)"
    )


def test_removing_a_pool_and_a_fixed_part_lists_both() -> None:
    before = cost({**BEFORE["pools"], "h100": pool("a2-highgpu-1g", "on-demand", (0, 2), 3.67)})
    after = cost(BEFORE["pools"], fixed=0.2)
    assert change_sentence("prod-gcp", before, after) == (
        "this change lowers prod-gcp's ceiling from $10.84/h to $3.60/h and raises its idle cost from $0.95/h to "
        "$1.05/h, by removing pool h100 (-$7.34/h at the ceiling); changing GKE cluster fee (+$0.10/h)"
    )


def test_a_pool_without_a_price_moves_the_ceiling_by_an_amount_the_diff_cannot_tell() -> None:
    unpriced = pool("a3-highgpu-8g", "on-demand", (0, 1), 0.0)
    unpriced["ceiling"] = amount(0.0, "a3-highgpu-8g on-demand in us-central1")
    after = cost({**BEFORE["pools"], "h100": unpriced})
    after["ceiling"] = amount(3.5, "a3-highgpu-8g on-demand in us-central1")
    assert change_sentence("prod-gcp", BEFORE, after) == (
        "this change moves prod-gcp's ceiling by an amount the diff cannot tell (unknown after it: a3-highgpu-8g "
        "on-demand in us-central1) and leaves its idle cost as it was ($0.95/h), by adding pool h100 (0-1 x "
        "a3-highgpu-8g on-demand, price unknown: a3-highgpu-8g on-demand in us-central1)"
    )


def test_totals_that_leave_out_different_prices_are_never_compared() -> None:
    # A region whose prices the catalogue lacks: the known part drops to $0.00/h, which is no "lowers".
    after = cost({"l4": pool("g2-standard-8", "on-demand", (1, 4), 0.0)})
    for part in ("idle", "ceiling"):
        after[part] = amount(0.0, "g2-standard-8 on-demand in asia-east2")
    sentence = change_sentence("prod-gcp", BEFORE, after)
    for misleading in ("lowers", "raises", "$0.00/h"):
        assert misleading not in sentence, sentence
    assert sentence.startswith("this change moves prod-gcp's ceiling by an amount the diff cannot tell")
    assert "unknown after it: g2-standard-8 on-demand in asia-east2" in sentence


def test_the_same_prices_unknown_on_both_sides_still_compare() -> None:
    before = cost(BEFORE["pools"])
    before["ceiling"] = amount(3.5, "a100 on-demand")
    after = cost({"l4": pool("g2-standard-8", "on-demand", (1, 6), 0.85)})
    after["ceiling"] = amount(5.2, "a100 on-demand")
    assert change_sentence("prod-gcp", before, after).startswith("this change raises prod-gcp's ceiling from ")


def test_a_new_stack_states_what_it_costs() -> None:
    assert change_sentence("prod-gcp", None, BEFORE) == "this change creates prod-gcp: idle $0.95/h, ceiling $3.50/h"


def test_a_removed_stack_states_what_it_cost() -> None:
    assert change_sentence("prod-gcp", BEFORE, None) == (
        "this change removes prod-gcp, whose idle cost was $0.95/h and ceiling $3.50/h"
    )


def test_an_existing_cluster_has_no_cost_to_compare() -> None:
    unestimated = {"estimated": False, "reason": "an existing cluster"}
    assert change_sentence("dev", unestimated, unestimated) == (
        "dev's cost is not estimated (an existing cluster, or no stack on either side)"
    )
