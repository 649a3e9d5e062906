"""The report beside a translated stack (Markdown): per model its GPUs, tensor parallelism and context on each side;
per pool the GPU and machine type on each side and why; idle and ceiling cost on each side with the difference; what
could not be carried over, and the secrets to set."""

from __future__ import annotations

from components.catalog.prices import catalogue
from stacks.config import ModelPlan, StackConfig
from stacks.cost import HOURS_PER_MONTH, Amount, StackCost, stack_cost
from tools.translation import Translation


def _model_cell(config: StackConfig, model: ModelPlan) -> str:
    if model.sizing is None or model.pool is None:
        return "CPU"
    sizing = model.sizing
    gpus = f"{sizing.tensor_parallel} x {model.pool.gpu.value}"
    return f"{gpus}, TP {sizing.tensor_parallel}, context {sizing.context_tokens}"


def _machine(config: StackConfig, cost: StackCost | None, pool: str) -> str:
    """`g6.xlarge, $0.80/h a node (spot)`."""
    instance = config.pool_instances.get(pool)
    priced = cost.gpu_pools.get(pool) if cost is not None else None
    if instance is None or priced is None:
        return "?"
    price = priced.node_price.usd
    capacity = "spot" if priced.spot else "on-demand"
    # A spot price the catalogue lacks counts at the on-demand price, which spot never exceeds (stacks/cost.py).
    bound = "at most " if priced.node_price.upper_bound else ""
    return f"{instance.name}, {f'{bound}${price:,.2f}/h' if price is not None else 'price unknown'} a node ({capacity})"


def _money(amount: Amount) -> str:
    text = f"${amount.usd:,.2f}/h (${amount.usd * HOURS_PER_MONTH:,.0f}/month)"
    return f"at least {text}" if amount.unknown else f"at most {text}" if amount.bounded else text


def _difference(before: Amount, after: Amount) -> str:
    delta = after.usd - before.usd
    sign = "+" if delta >= 0 else "-"
    text = f"{sign}${abs(delta):,.2f}/h ({sign}${abs(delta) * HOURS_PER_MONTH:,.0f}/month)"
    if before.unknown or after.unknown:
        return f"{text}, not comparable: prices unknown"
    return f"{text}, not comparable: spot prices counted at on-demand" if before.bounded or after.bounded else text


def _cost_lines(source: StackCost | None, target: StackCost | None) -> list[str]:
    if source is None or target is None:
        return ["No cost: one side is an existing cluster."]
    lines = [
        f"| | {source.cloud.value} {source.region} | {target.cloud.value} {target.region} | difference |",
        "|---|---|---|---|",
        f"| idle | {_money(source.idle)} | {_money(target.idle)} | {_difference(source.idle, target.idle)} |",
        f"| ceiling | {_money(source.ceiling)} | {_money(target.ceiling)} | "
        f"{_difference(source.ceiling, target.ceiling)} |",
        "",
        f"List prices from components/catalog/prices.json (assembled {target.assembled}); a {HOURS_PER_MONTH}-hour "
        "month. Idle: every pool at its minimum; ceiling: every pool at its maximum (stacks/cost.py).",
    ]
    unknown = [
        *(f"{source.cloud.value}: {u}" for u in dict.fromkeys(source.ceiling.unknown)),
        *(f"{target.cloud.value}: {u}" for u in dict.fromkeys(target.ceiling.unknown)),
    ]
    if unknown:
        lines += ["", "Prices the catalogue does not know (the sums above leave them out):", ""]
        lines += [f"- {item}" for item in unknown]
    bounded = [
        *(f"{source.cloud.value}: {u}" for u in dict.fromkeys(source.ceiling.bounded)),
        *(f"{target.cloud.value}: {u}" for u in dict.fromkeys(target.ceiling.bounded)),
    ]
    if bounded:
        lines += [
            "",
            "Spot prices the catalogue does not know, counted at the on-demand price (spot never costs more):",
            "",
        ]
        lines += [f"- {item}" for item in bounded]
    priced = sorted({region for cloud, region, _ in catalogue().instances if cloud is target.cloud})
    if target.region not in priced:
        lines += [
            "",
            f"prices.json prices {target.cloud.value} machines in {', '.join(priced)} only: REGION={priced[0]} "
            "compares both sides at list prices.",
        ]
    return lines


def render_report(translation: Translation) -> str:
    t = translation
    source, target = t.source_resolved, t.resolved
    if source is None or target is None:
        raise ValueError("render_report needs a translation the config step has resolved (tools.translate.translate)")
    lines = [
        f"# {t.source_stack} ({t.source_cloud.value} {t.source_region}) on {t.cloud.value} {t.region}: "
        f"Pulumi.{t.stack}.yaml",
        "",
        f"Region {t.region}: {t.region_reason}.",
        "",
        "## Models",
        "",
        f"| model | {t.source_cloud.value}: GPUs per replica, tensor parallelism, context | {t.cloud.value} |",
        "|---|---|---|",
    ]
    for name, model in source.models.items():
        after = target.models[name]
        lines.append(f"| {name} | {_model_cell(source, model)} | {_model_cell(target, after)} |")
    source_cost, target_cost = stack_cost(source), stack_cost(target)
    lines += [
        "",
        "## GPU pools",
        "",
        f"| pool | {t.source_cloud.value} | {t.cloud.value} | why | offer in {t.region} |",
    ]
    lines.append("|---|---|---|---|---|")
    for choice in t.pools:
        before = _machine(source, source_cost, choice.source_name)
        after = _machine(target, target_cost, choice.name)
        name = choice.source_name if choice.name == choice.source_name else f"{choice.source_name} -> {choice.name}"
        lines.append(
            f"| {name} | {choice.source_gpus} x {choice.source_gpu.value} on {before} | "
            f"{choice.gpus} x {choice.gpu.value} on {after} | {choice.reason} | {choice.offer} |"
        )
    lines += [
        "",
        "Capacity (spot, on-demand), node counts and priorities are kept; machine types are chosen by the",
        'fit rules (docs/manual.md, "Machine types: room for the pods").',
        "",
        "## Cost",
        "",
    ]
    lines += _cost_lines(source_cost, target_cost)
    lines += ["", "## Not carried over as it was", ""]
    lines += [f"- {note}" for note in t.notes] or ["- nothing"]
    if t.secrets:
        lines += ["", "## Secrets to set", ""]
        lines += [f"- `pulumi config set --secret {key} --stack {t.stack}`" for key in t.secrets]
    lines += [
        "",
        "## Compare the plans",
        "",
        f"`make plan STACK={t.source_stack} MODE=preview` and `make plan STACK={t.stack} MODE=preview` write both "
        "offline plans under build/plan/.",
        "",
    ]
    return "\n".join(lines)
