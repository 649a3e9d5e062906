"""The difference between two offline plans of a stack (tools/plan.py's plan.json), as data and as Markdown.

Stable entry points: `diff_plan_dirs(base_dir, head_dir)` and `diff_documents(base, head)` return a `StackDiff`;
`render_report(diffs, ...)` writes the bounded Markdown a pull request comment shows. Later additions (a cost
line per stack) extend `StackDiff.highlights`.

Resources are matched by type and name (`type::name`); only where a plan has two resources of one type and name
does the parent join the key. A resource whose URN changes all the same (a parent of another type, a rename) is
reported as replaced, with the alias that keeps it (tools/plan_cascade.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tools.cost_report import change_sentence
from tools.offline import SECRET_SHOWN_AS
from tools.plan_cascade import URN_SOURCE, cascades, urn_changes
from tools.plan_facts import VALUE_WIDTH, as_text, highlights, short
from tools.plan_headlines import (
    destroys_data,
    kept_objects_headline,
    kubernetes_headline,
    namespace_headline,
    region_headline,
)
from tools.replacement_rules import REJECTED, REPLACE, matching_rules

GITHUB_COMMENT_LIMIT = 65_536
"""GitHub refuses a comment body longer than this many characters."""
REPORT_BUDGET = 60_000
"""What the report may use of it, leaving room for a header the workflow adds."""
HEADLINE_LINES = 40
"""Replacements and highlights shown per stack before the rest is left to the JSON."""
_CHANGED_SECRET = f"{SECRET_SHOWN_AS} (changed)"


@dataclass
class PropertyChange:
    path: str
    before: Any
    after: Any


HARMLESS = "harmless"
"""A replacement nothing notices: a Grafana dashboard's ConfigMap, which the sidecar reloads."""


@dataclass
class Replacement:
    resource: str
    path: str
    effect: str
    source: str
    cause: str = ""
    """Why, when it is not this resource's own input: the replaced resource it follows, or its URN change."""
    delete_first: bool = False
    """The new one cannot exist next to the old (a fixed name): Pulumi deletes before it creates."""
    harmless: bool = False


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
    """What matters to this project, in words: the big moves (region, Kubernetes, namespace, providers) first, then
    GPUs, models, sizing, exposure, versions."""
    destroys_data: list[str] = field(default_factory=list)
    """Resources deleted or replaced whose deletion deletes data (tools/plan_headlines.DATA_TYPES)."""
    errors: dict[str, str] = field(default_factory=dict)
    """"base"/"head" → why that side could not be planned (config errors)."""

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.replacements or self.highlights or self.errors)

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
    for move in urn_changes(base, head, old, new):
        cause = f"its URN changes: `{move.before}` → `{move.after}`; keep it with `{move.alias}`"
        result.replacements.append(Replacement(move.resource, "(URN)", REPLACE, URN_SOURCE, cause))
    direct = [r.resource for r in result.replacements if r.effect == REPLACE and r.resource in old]
    for cascade in cascades(old, new, dict.fromkeys(direct)):
        result.replacements.append(Replacement(cascade.resource, cascade.path, REPLACE, cascade.source, cascade.cause))
    _rate(result.replacements, old, new)
    replaced = {r.resource for r in result.replacements if r.effect == REPLACE}
    result.destroys_data = sorted(
        label for label in set(result.removed) | (replaced & set(old)) if destroys_data(old[label]["type"])
    )
    before_outputs, after_outputs = base.get("outputs") or {}, head.get("outputs") or {}
    moved = sum(1 for r in result.replacements if r.path == "metadata.namespace")
    big = [
        region_headline(base, head, len(replaced)),
        kept_objects_headline(base, head, replaced),
        kubernetes_headline(base, head),
        namespace_headline(before_outputs, after_outputs, moved),
    ]
    result.highlights = [line for line in big if line] + highlights(before_outputs, after_outputs, base, head)
    restarted = restarted_models(base, head)
    if restarted:
        result.highlights.append(
            f"restarts {len(restarted)} model{'s' if len(restarted) > 1 else ''}: {', '.join(restarted)} (its pod "
            "template changes: the rollout replaces every pod, each pays a cold start)"
        )
    cost = cost_highlight(stack, before_outputs, after_outputs)
    if cost:
        result.highlights.insert(len([line for line in big if line]), cost)
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


def _rate(replacements: list[Replacement], old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """Mark the replacements that delete first and those nothing notices.

    pulumi-kubernetes deletes before it creates when the object's name is fixed (not auto-named) and stays the
    same in the same namespace (provider/pkg/provider/provider.go, Diff: deleteBeforeReplace). A dashboard's
    ConfigMap is read by Grafana's sidecar, which picks the new one up: its replacement is harmless."""
    from components.observability.prometheus import DASHBOARD_LABEL

    by_resource: dict[str, list[Replacement]] = {}
    for item in replacements:
        by_resource.setdefault(item.resource, []).append(item)
    for label, items in by_resource.items():
        if label not in old or label not in new or not new[label]["type"].startswith("kubernetes:"):
            continue
        before = (old[label].get("inputs") or {}).get("metadata") or {}
        after = (new[label].get("inputs") or {}).get("metadata") or {}
        fixed = bool(after.get("name")) and before.get("name") == after.get("name")
        same_place = before.get("namespace") == after.get("namespace")
        dashboard = (after.get("labels") or {}).get(DASHBOARD_LABEL[0]) == DASHBOARD_LABEL[1]
        only_data = all(item.path.startswith(("data", "binaryData")) for item in items)
        for item in items:
            item.delete_first = item.effect == REPLACE and fixed and same_place
            item.harmless = item.effect == REPLACE and dashboard and only_data


def cost_highlight(stack: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
    """The stack's idle and ceiling cost before and after, in words; None when the change leaves the cost as it
    was (the report stays short for small changes). A stack file that does not plan has no plan here at all."""
    old, new = before.get("cost"), after.get("cost")
    if old == new:
        return None
    return "Cost: " + change_sentence(stack, old, new)


# Markdown


def _window(before: Any, after: Any, width: int = VALUE_WIDTH) -> tuple[str, str]:
    """Both values cut to `width` around where they first differ: two long values that differ late would
    otherwise print the same."""
    old, new = as_text(before), as_text(after)
    if len(old) <= width and len(new) <= width:
        return old, new
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    if start < width - 10:
        return short(before, width), short(after, width)
    begin = max(0, start - 20)

    def cut(text: str) -> str:
        piece = text[begin : begin + width - 2]
        return "…" + piece + ("…" if begin + width - 2 < len(text) else "")

    return cut(old), cut(new)


def _property_line(change: PropertyChange) -> str:
    before, after = _window(change.before, change.after)
    return f"  - `{change.path}`: `{before}` → `{after}`"


def _stack_summary(diff: StackDiff) -> str:
    parts = [f"{len(diff.added)} added", f"{len(diff.removed)} removed", f"{len(diff.changed)} changed"]
    replaced = {r.resource for r in diff.replacements if r.effect != REJECTED and not r.harmless}
    harmless = {r.resource for r in diff.replacements if r.harmless} - replaced
    if replaced:
        parts.append(f"**{len(replaced)} replaced**")
    if harmless:
        parts.append(f"{len(harmless)} replaced harmlessly")
    if diff.destroys_data:
        parts.append(f"**{len(diff.destroys_data)} destroying data**")
    rejected = {r.resource for r in diff.replacements if r.effect == REJECTED}
    if rejected:
        parts.append(f"**{len(rejected)} rejected by the API**")
    return ", ".join(parts)


def _replacement_lines(diff: StackDiff) -> list[str]:
    """One line per resource and rule source, its paths shortened: a replacement reads as one fact."""
    grouped: dict[tuple[str, str, str, str, bool, bool], list[str]] = {}
    for item in diff.replacements:
        key = (item.resource, item.effect, item.source, item.cause, item.delete_first, item.harmless)
        grouped.setdefault(key, []).append(item.path)
    serious, harmless = [], []
    # Resources replaced with their provider: one line per provider, not one per resource.
    with_provider: dict[tuple[str, str], list[str]] = {}
    for key, paths in list(grouped.items()):
        if paths == ["(provider)"]:
            with_provider.setdefault((key[3], key[2]), []).append(key[0])
            del grouped[key]
    for (cause, source), resources in with_provider.items():
        names = ", ".join(f"`{resource}`" for resource in resources[:3])
        more = f" and {len(resources) - 3} more" if len(resources) > 3 else ""
        serious.append(f"- :warning: {len(resources)} resources replaced because {cause}: {names}{more} ({source})")
    for (resource, effect, source, cause, delete_first, is_harmless), paths in grouped.items():
        verb = "refused as an update" if effect == REJECTED else "replaced"
        if delete_first:
            verb += ", deleted before the new one is created (its name is fixed): absent in between"
        shown = ", ".join(f"`{path}`" for path in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        why = cause or shown
        if is_harmless:
            harmless.append(f"- :information_source: `{resource}` {verb}, harmlessly (a dashboard): {why} ({source})")
        else:
            serious.append(f"- :warning: `{resource}` {verb}: {why} ({source})")
    return serious + harmless


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
    if diff.destroys_data:
        lines.append("")
        lines.append("**Destroys data**")
        lines.extend(
            _capped(
                [f"- :boom: `{label}` is deleted with what it holds" for label in diff.destroys_data], 20, "deletions"
            )
        )
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


def render_report(
    diffs: Iterable[StackDiff], *, title: str, budget: int = REPORT_BUDGET, preamble: Iterable[str] = ()
) -> str:
    """The Markdown report, never longer than `budget` characters: the preamble (what the reader must know first:
    the commit, the run, code of the change that computed the report), headline sections, then each stack's
    property details sharing what is left; past that, only the counts (the JSON has everything)."""
    diffs = list(diffs)
    header = [*preamble, f"## {title}", ""]
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
