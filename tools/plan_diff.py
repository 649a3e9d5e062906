"""The difference between two offline plans of a stack (tools/plan.py's plan.json), as data and as Markdown.

Stable entry points: `diff_plan_dirs(base_dir, head_dir)` and `diff_documents(base, head)` return a `StackDiff`;
`render_report(diffs, ...)` writes the bounded Markdown a pull request comment shows. Later additions (a cost
line per stack) extend `StackDiff.highlights`.

Resources are matched by type and name (`type::name`), which survive a change of parent (a component tree
regrouped); only where a plan has two resources of one type and name does the parent join the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tools.cost_report import change_sentence
from tools.offline import SECRET_SHOWN_AS, UNKNOWN_SHOWN_AS
from tools.replacement_rules import REJECTED, matching_rules

GITHUB_COMMENT_LIMIT = 65_536
"""GitHub refuses a comment body longer than this many characters."""
REPORT_BUDGET = 60_000
"""What the report may use of it, leaving room for a header the workflow adds."""
VALUE_WIDTH = 80
HEADLINE_LINES = 40
"""Replacements and highlights shown per stack before the rest is left to the JSON."""
_CHANGED_SECRET = f"{SECRET_SHOWN_AS} (changed)"


@dataclass
class PropertyChange:
    path: str
    before: Any
    after: Any


@dataclass
class Replacement:
    resource: str
    path: str
    effect: str
    source: str


@dataclass
class ResourceChange:
    resource: str
    properties: list[PropertyChange]


@dataclass
class StackDiff:
    stack: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[ResourceChange] = field(default_factory=list)
    replacements: list[Replacement] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)
    """What matters to this project, in words: GPUs, models, sizing, exposure, versions."""
    errors: dict[str, str] = field(default_factory=dict)
    """"base"/"head" → why that side could not be planned (config errors)."""

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.highlights or self.errors)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_plan(plan_dir: Path) -> dict[str, Any]:
    return json.loads((plan_dir / "plan.json").read_text())


def diff_plan_dirs(base_dir: Path, head_dir: Path, stack: str | None = None) -> StackDiff:
    """The diff of two directories written by `python -m tools.plan --out`."""
    base, head = load_plan(base_dir), load_plan(head_dir)
    return diff_documents(base, head, stack=stack or head.get("stack") or base.get("stack") or "?")


def _keyed(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    resources = document.get("resources") or []
    counts: dict[str, int] = {}
    for resource in resources:
        label = f"{resource['type']}::{resource['name']}"
        counts[label] = counts.get(label, 0) + 1
    keyed = {}
    for resource in resources:
        label = f"{resource['type']}::{resource['name']}"
        if counts[label] > 1:
            label = f"{label} (under {resource.get('parent') or 'the stack'})"
        keyed[label] = resource
    return keyed


def _list_key(items: list[Any]) -> str | None:
    """The field naming each item of a list of objects (containers, env, ports, volumes), if every item has one."""
    for candidate in ("name", "key", "mountPath"):
        if items and all(isinstance(item, dict) and candidate in item for item in items):
            names = [item[candidate] for item in items]
            if len(set(map(str, names))) == len(names):
                return candidate
    return None


def diff_values(before: Any, after: Any, path: str = "") -> list[PropertyChange]:
    """Property changes from `before` to `after`, with nested paths (`spec.template.spec.containers[vllm].image`)."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[PropertyChange] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            changes.extend(diff_values(before.get(key), after.get(key), sub))
        return changes
    if isinstance(before, list) and isinstance(after, list):
        key = _list_key(before)
        if key is not None and key == _list_key(after):
            old = {str(item[key]): item for item in before}
            new = {str(item[key]): item for item in after}
            changes = []
            for name in list(old) + [name for name in new if name not in old]:
                changes.extend(diff_values(old.get(name), new.get(name), f"{path}[{name}]"))
            return changes
        if len(before) == len(after):
            changes = []
            for index, (old_item, new_item) in enumerate(zip(before, after, strict=True)):
                changes.extend(diff_values(old_item, new_item, f"{path}[{index}]"))
            return changes
    return [PropertyChange(path, before, after)]


def _secret_changes(label: str, base: Mapping[str, Any], head: Mapping[str, Any]) -> list[PropertyChange]:
    """Secret inputs whose digest differs: shown as changed, never with a value."""
    old = (base.get("secretDigests") or {}).get(label.split(" (under ")[0]) or {}
    new = (head.get("secretDigests") or {}).get(label.split(" (under ")[0]) or {}
    return [
        PropertyChange(path, SECRET_SHOWN_AS, _CHANGED_SECRET)
        for path in sorted(set(old) & set(new))
        if old[path] != new[path]
    ]


def _kubernetes_provider_inputs(document: Mapping[str, Any], resource: Mapping[str, Any]) -> dict[str, Any]:
    provider = resource.get("provider") or ""
    for candidate in document.get("resources") or []:
        if f"{candidate['type']}::{candidate['name']}" == provider:
            return dict(candidate.get("inputs") or {})
    return {}


def diff_documents(base: Mapping[str, Any], head: Mapping[str, Any], stack: str = "?") -> StackDiff:
    """The diff of two plan.json documents of one stack."""
    result = StackDiff(stack=stack)
    old, new = _keyed(base), _keyed(head)
    result.added = sorted(set(new) - set(old))
    result.removed = sorted(set(old) - set(new))
    for label in sorted(set(old) & set(new)):
        before, after = old[label], new[label]
        changes = diff_values(before.get("inputs") or {}, after.get("inputs") or {})
        known = {change.path for change in changes}
        changes += [change for change in _secret_changes(label, base, head) if change.path not in known]
        if not changes:
            continue
        result.changed.append(ResourceChange(label, changes))
        provider = _kubernetes_provider_inputs(head, after)
        for change in changes:
            for rule in matching_rules(after["type"], change.path, after.get("inputs") or {}, provider):
                result.replacements.append(Replacement(label, change.path, rule.effect, rule.source))
    result.highlights = highlights(base.get("outputs") or {}, head.get("outputs") or {}, base, head)
    restarted = restarted_models(base, head)
    if restarted:
        result.highlights.append(
            f"restarts {len(restarted)} model{'s' if len(restarted) > 1 else ''}: {', '.join(restarted)} (its pod "
            "template changes: the rollout replaces every pod, each pays a cold start)"
        )
    cost = cost_highlight(stack, base.get("outputs") or {}, head.get("outputs") or {})
    if cost:
        result.highlights.insert(0, cost)
    return result


_MODEL_WORKLOADS = {
    "kubernetes:apps/v1:Deployment": "template",
    "kubernetes:serving.kserve.io/v1beta1:InferenceService": "predictor",
}
"""Workload types a model runs as, and the part of their spec whose change rolls its pods."""


def restarted_models(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[str]:
    """The models present on both sides whose pods a change rolls: their Deployment's pod template (or KServe
    predictor) differs. A rotated Secret's value does not roll them (mounted files update in place)."""
    models = set((base.get("outputs") or {}).get("models") or {}) & set((head.get("outputs") or {}).get("models") or {})
    old, new = _keyed(base), _keyed(head)
    restarted = set()
    for label in set(old) & set(new):
        part = _MODEL_WORKLOADS.get(new[label]["type"])
        name = ((new[label].get("inputs") or {}).get("metadata") or {}).get("name")
        if part is None or name not in models:
            continue
        before = ((old[label].get("inputs") or {}).get("spec") or {}).get(part)
        after = ((new[label].get("inputs") or {}).get("spec") or {}).get(part)
        if diff_values(before, after):
            restarted.add(name)
    return sorted(restarted)


def cost_highlight(stack: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
    """The stack's idle and ceiling cost before and after, in words; None when the change leaves the cost as it
    was (the report stays short for small changes). A stack file that does not plan has no plan here at all."""
    old, new = before.get("cost"), after.get("cost")
    if old == new:
        return None
    return "Cost: " + change_sentence(stack, old, new)


# What matters to this project, from the stack outputs (tools/plan.py's summary reads the same).


def _gpus(count: Any, factor: Any) -> Any:
    if isinstance(count, int | float) and isinstance(factor, int | float):
        return int(count * factor)
    return UNKNOWN_SHOWN_AS


def _model_facts(model: Mapping[str, Any]) -> dict[str, Any]:
    replicas = model.get("replicas") or {}
    per = model.get("gpusPerReplica") or 0
    sizing = model.get("sizing") or {}
    return {
        "Hugging Face id": model.get("huggingFaceId"),
        "engine": model.get("engine"),
        "pool": model.get("pool"),
        "accelerator": model.get("accelerator"),
        "GPUs per replica": per,
        "replicas": f"{replicas.get('min')}-{replicas.get('max')}",
        "GPUs at min scale": _gpus(replicas.get("min"), per),
        "GPUs at max scale": _gpus(replicas.get("max"), per),
        "tensor parallel": sizing.get("tensorParallel"),
        "context": model.get("contextLength"),
        "public URL": model.get("publicUrl"),
        # A rollout's step: the share of its Gateway route's requests.
        "route weight": f"{model['routeWeight']}%" if model.get("routeWeight") is not None else None,
        "load balancer URL": model.get("loadBalancerUrl"),
    }


def _pool_facts(pool: Mapping[str, Any], machine: Mapping[str, Any] | None) -> dict[str, Any]:
    nodes = pool.get("nodes") or {}
    per = pool.get("gpusPerNode")
    return {
        "GPU": pool.get("gpu"),
        "GPUs per node": per,
        "machine": (machine or {}).get("instanceType"),
        "capacity": "spot" if pool.get("spot") else "on-demand",
        "nodes": f"{nodes.get('min')}-{nodes.get('max')}",
        "GPUs at min scale": _gpus(nodes.get("min"), per),
        "GPUs at max scale": _gpus(nodes.get("max"), per),
    }


def _fact_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    return "; ".join(
        f"{name} {_short(before.get(name))} → {_short(after.get(name))}"
        for name in after
        if before.get(name) != after.get(name)
    )


def _pool_ceiling(outputs: Mapping[str, Any]) -> tuple[int, int]:
    low = high = 0
    for pool in (outputs.get("gpuPools") or {}).values():
        nodes, per = pool.get("nodes") or {}, pool.get("gpusPerNode") or 0
        low += int((nodes.get("min") or 0) * per)
        high += int((nodes.get("max") or 0) * per)
    return low, high


def _walk_images(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "image" and isinstance(item, str):
                found.add(item)
            else:
                _walk_images(item, found)
    elif isinstance(value, list):
        for item in value:
            _walk_images(item, found)


def _versions(document: Mapping[str, Any]) -> tuple[set[str], dict[str, str]]:
    images: set[str] = set()
    charts: dict[str, str] = {}
    for resource in document.get("resources") or []:
        inputs = resource.get("inputs") or {}
        if resource["type"].startswith("kubernetes:helm.sh/"):
            charts[str(inputs.get("name") or resource["name"])] = f"{inputs.get('chart')} {inputs.get('version')}"
        if resource["type"].startswith("kubernetes:") and not resource["type"].startswith("kubernetes:helm.sh/"):
            _walk_images(inputs, images)
    return images, charts


def highlights(
    before: Mapping[str, Any], after: Mapping[str, Any], base: Mapping[str, Any], head: Mapping[str, Any]
) -> list[str]:
    lines: list[str] = []
    old_low, old_high = _pool_ceiling(before)
    new_low, new_high = _pool_ceiling(after)
    if (old_low, old_high) != (new_low, new_high):
        lines.append(f"GPU nodes' GPUs, all pools: {old_low}-{old_high} → {new_low}-{new_high} (min-max scale)")
    old_pools, new_pools = before.get("gpuPools") or {}, after.get("gpuPools") or {}
    old_machines, new_machines = before.get("gpuPoolMachines") or {}, after.get("gpuPoolMachines") or {}
    for name in sorted(set(old_pools) | set(new_pools)):
        if name not in old_pools:
            facts = _pool_facts(new_pools[name], new_machines.get(name))
            lines.append(f"GPU pool {name} added: " + ", ".join(f"{k} {_short(v)}" for k, v in facts.items()))
        elif name not in new_pools:
            lines.append(f"GPU pool {name} removed")
        else:
            change = _fact_changes(
                _pool_facts(old_pools[name], old_machines.get(name)),
                _pool_facts(new_pools[name], new_machines.get(name)),
            )
            if change:
                lines.append(f"GPU pool {name}: {change}")
    old_models, new_models = before.get("models") or {}, after.get("models") or {}
    for name in sorted(set(old_models) | set(new_models)):
        if name not in old_models:
            facts = _model_facts(new_models[name])
            shown = ", ".join(f"{k} {_short(v)}" for k, v in facts.items() if v not in (None, ""))
            lines.append(f"Model {name} added: {shown}")
        elif name not in new_models:
            lines.append(f"Model {name} removed ({old_models[name].get('huggingFaceId')})")
        else:
            change = _fact_changes(_model_facts(old_models[name]), _model_facts(new_models[name]))
            if change:
                lines.append(f"Model {name}: {change}")
    old_images, old_charts = _versions(base)
    new_images, new_charts = _versions(head)
    for image in sorted(new_images - old_images):
        lines.append(f"Image added: {image}")
    for image in sorted(old_images - new_images):
        lines.append(f"Image no longer used: {image}")
    for release in sorted(set(old_charts) | set(new_charts)):
        if old_charts.get(release) != new_charts.get(release):
            lines.append(f"Helm release {release}: {old_charts.get(release)} → {new_charts.get(release)}")
    return lines


# Markdown


def _short(value: Any, width: int = VALUE_WIDTH) -> str:
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    text = text.replace("\n", "\\n").replace("`", "'")
    return text if len(text) <= width else text[: width - 1] + "…"


def _property_line(change: PropertyChange) -> str:
    return f"  - `{change.path}`: `{_short(change.before)}` → `{_short(change.after)}`"


def _stack_summary(diff: StackDiff) -> str:
    parts = [f"{len(diff.added)} added", f"{len(diff.removed)} removed", f"{len(diff.changed)} changed"]
    replaced = {r.resource for r in diff.replacements if r.effect != REJECTED}
    if replaced:
        parts.append(f"**{len(replaced)} replaced**")
    rejected = {r.resource for r in diff.replacements if r.effect == REJECTED}
    if rejected:
        parts.append(f"**{len(rejected)} rejected by the API**")
    return ", ".join(parts)


def _replacement_lines(diff: StackDiff) -> list[str]:
    """One line per resource and rule source, its paths shortened: a replacement reads as one fact."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for item in diff.replacements:
        grouped.setdefault((item.resource, item.effect, item.source), []).append(item.path)
    lines = []
    for (resource, effect, source), paths in grouped.items():
        verb = "refused as an update" if effect == REJECTED else "replaced"
        shown = ", ".join(f"`{path}`" for path in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        lines.append(f"- :warning: `{resource}` {verb}: {shown} ({source})")
    return lines


def _capped(lines: list[str], limit: int, what: str) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"- … {len(lines) - limit} more {what} in report.json"]


def render_stack(diff: StackDiff, *, detail_budget: int) -> str:
    """One stack's section: errors, replacements, highlights, then per-resource properties within `detail_budget`
    characters (what does not fit is counted and left to the JSON)."""
    lines = [f"### {diff.stack}"]
    for side, message in diff.errors.items():
        where = "the base" if side == "base" else "this change"
        lines.append(f"Stack file does not validate at {where}:\n```\n{message.strip()[:4000]}\n```")
    if diff.errors.get("head"):
        return "\n".join(lines)
    if diff.empty:
        lines.append("No change.")
        return "\n".join(lines)
    lines.append(_stack_summary(diff))
    if diff.replacements:
        lines.append("")
        lines.append("**Replacements**")
        lines.extend(_capped(_replacement_lines(diff), HEADLINE_LINES, "replacements"))
    if diff.highlights:
        lines.append("")
        lines.append("**What changes**")
        lines.extend(_capped([f"- {line}" for line in diff.highlights], HEADLINE_LINES, "changes"))
    details: list[str] = []
    details.extend(f"- added `{label}`" for label in diff.added)
    details.extend(f"- removed `{label}`" for label in diff.removed)
    for change in diff.changed:
        details.append(f"- changed `{change.resource}`")
        details.extend(_property_line(prop) for prop in change.properties)
    used, shown = 0, []
    for line in details:
        if used + len(line) + 1 > detail_budget:
            break
        shown.append(line)
        used += len(line) + 1
    if details:
        lines.append("")
        lines.append(f"<details><summary>Resources ({len(details)} lines)</summary>\n")
        lines.extend(shown)
        if len(shown) < len(details):
            lines.append(f"- … {len(details) - len(shown)} more lines in report.json")
        lines.append("\n</details>")
    return "\n".join(lines)


def render_report(diffs: Iterable[StackDiff], *, title: str, budget: int = REPORT_BUDGET) -> str:
    """The Markdown report, never longer than `budget` characters: headline sections first, then each stack's
    property details sharing what is left; past that, only the counts (the JSON has everything)."""
    diffs = list(diffs)
    header = [f"## {title}", ""]
    header.append("| stack | resources |")
    header.append("| --- | --- |")
    for diff in diffs:
        status = "config errors" if diff.errors.get("head") else ("no change" if diff.empty else _stack_summary(diff))
        header.append(f"| {diff.stack} | {status} |")
    header.append("")
    head_text = "\n".join(header)
    sections = [render_stack(diff, detail_budget=0) for diff in diffs]
    room = budget - len(head_text) - sum(len(section) + 2 for section in sections) - 200
    if room > 0 and diffs:
        share = room // len(diffs)
        sections = [render_stack(diff, detail_budget=share) for diff in diffs]
    text = head_text + "\n" + "\n\n".join(sections) + "\n"
    if len(text) > budget:
        cut = text[: budget - 200].rsplit("\n", 1)[0]
        text = cut + "\n\n… the report is cut here: every change is in report.json.\n"
    return text
