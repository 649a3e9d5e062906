"""What a change replaces beyond the inputs it changes: replacements that cascade, and resources whose URN changes.

A plan diff compares each resource's inputs; two things replace resources whose inputs compare equal:

- **Cascades.** In a preview, what a resource takes from another (a subnet's `vpcId`) is unknown on both sides, so
  it compares equal; when the other is replaced, Pulumi plans a replacement of the dependent wherever that input is
  one its provider replaces on. A replaced provider (an AWS provider whose region changes) replaces every resource
  it manages (pulumi/pulumi `pkg/resource/deploy/step_generator.go`: a resource whose provider is replaced is).
- **URN changes.** A resource's URN is its stack, project, the types of its parents, its own type and its name
  (pulumi/pulumi `sdk/go/common/resource/urn.go`, NewURN); the parent's *name* is not part of it. A resource whose
  URN changes is deleted and created again unless it names its old URN in an alias.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tools.offline import UNKNOWN_SHOWN_AS
from tools.replacement_rules import REPLACE, matching_rules

STACK_TYPE = "pulumi:pulumi:Stack"
URN_SOURCE = "pulumi/pulumi sdk/go/common/resource/urn.go (the URN is the parents' types, the type and the name)"
PROVIDER_SOURCE = "pulumi/pulumi pkg/resource/deploy/step_generator.go (a replaced provider replaces its resources)"


@dataclass(frozen=True)
class Cascade:
    resource: str
    path: str
    source: str
    cause: str
    """The replaced resource it follows, in words."""


@dataclass(frozen=True)
class UrnChange:
    resource: str
    before: str
    after: str
    alias: str
    """The Python resource option that keeps the old resource: `aliases=[pulumi.Alias(...)]`."""


def _base_label(label: str) -> str:
    return label.split(" (under ")[0]


def unknown_paths(value: Any, path: str = "") -> list[str]:
    """Paths of the inputs that are unknown in a preview (`vpcId`, `subnetIds[0]`)."""
    if value == UNKNOWN_SHOWN_AS:
        return [path]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in unknown_paths(item, f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in unknown_paths(item, f"{path}[{index}]")]
    return []


def cascades(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]], replaced: Iterable[str]
) -> list[Cascade]:
    """Resources replaced because a resource in `replaced` is (labels as `tools.plan_diff._keyed` makes them):
    those its provider is, and those taking an input from it that their provider replaces on, unknown on both
    sides. Transitive; each resource once, after what replaces it."""
    by_base = {_base_label(label): label for label in new}
    dependents: dict[str, list[str]] = {}
    managed: dict[str, list[str]] = {}
    for label, resource in new.items():
        for dependency in resource.get("dependencies") or []:
            dependents.setdefault(dependency, []).append(label)
        if resource.get("provider"):
            managed.setdefault(resource["provider"], []).append(label)
    found: list[Cascade] = []
    done = set(replaced)
    queue = list(replaced)
    while queue:
        cause = queue.pop(0)
        base_cause = _base_label(cause)
        for label in managed.get(base_cause, []):
            if label not in done and label in old:
                done.add(label)
                queue.append(label)
                found.append(Cascade(label, "(provider)", PROVIDER_SOURCE, f"its provider `{cause}` is replaced"))
        for label in dependents.get(base_cause, []):
            if label in done or label not in old or by_base.get(_base_label(label)) != label:
                continue
            resource = new[label]
            unknown_before = set(unknown_paths(old[label].get("inputs") or {}))
            forcing: dict[str, str] = {}
            for path in unknown_paths(resource.get("inputs") or {}):
                inputs = resource.get("inputs") or {}
                rules = [r for r in matching_rules(resource["type"], path, inputs) if r.effect == REPLACE]
                if path in unknown_before and rules:
                    forcing[path] = rules[0].source
            if forcing:
                done.add(label)
                queue.append(label)
                # Which unknown comes from which dependency, a plan does not say: name the replaced one and the
                # inputs that would replace this one.
                paths = ", ".join(f"`{path}`" for path in list(forcing)[:3])
                why = f"depends on `{cause}`, replaced, and takes {paths} unknown in a preview, which replace it"
                found.append(Cascade(label, next(iter(forcing)), next(iter(forcing.values())), why))
    return found


def _qualified_type(document_index: Mapping[str, Mapping[str, Any]], resource: Mapping[str, Any]) -> str:
    """The type part of the URN: the parents' types, outermost first, then the resource's, joined by `$`."""
    types = [resource["type"]]
    parent = resource.get("parent")
    seen: set[str] = set()
    while parent and parent != STACK_TYPE and parent not in seen:
        seen.add(parent)
        types.append(parent.split("::")[0])
        parent = (document_index.get(parent) or {}).get("parent")
    return "$".join(reversed(types))


def _index(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {f"{r['type']}::{r['name']}": r for r in document.get("resources") or []}


def _alias(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    parts = []
    if before["name"] != after["name"]:
        parts.append(f'name="{before["name"]}"')
    if before["type"] != after["type"]:
        parts.append(f'type_="{before["type"]}"')
    if (before.get("parent") or None) != (after.get("parent") or None):
        old_parent = before.get("parent")
        parts.append(f"parent=<the `{old_parent}` resource>" if old_parent else "parent=pulumi.ROOT_STACK_RESOURCE")
    return f"aliases=[pulumi.Alias({', '.join(parts)})]"


def urn_changes(
    base: Mapping[str, Any],
    head: Mapping[str, Any],
    old: Mapping[str, Mapping[str, Any]],
    new: Mapping[str, Mapping[str, Any]],
) -> list[UrnChange]:
    """Resources matched by type and name whose URN differs (a parent of another type), and renames: one removed
    and one added resource of a type under the same parent, whose inputs are otherwise alike."""
    base_index, head_index = _index(base), _index(head)
    changes = []
    for label in sorted(set(old) & set(new)):
        before, after = _qualified_type(base_index, old[label]), _qualified_type(head_index, new[label])
        if before != after:
            changes.append(UrnChange(label, before, after, _alias(old[label], new[label])))
    removed = [label for label in old if label not in new]
    added = [label for label in new if label not in old]
    for kind in {(old[label]["type"], old[label].get("parent")) for label in removed}:
        gone = [label for label in removed if (old[label]["type"], old[label].get("parent")) == kind]
        came = [label for label in added if (new[label]["type"], new[label].get("parent")) == kind]
        if len(gone) == 1 and len(came) == 1 and _alike(old[gone[0]], new[came[0]]):
            before_resource, after_resource = old[gone[0]], new[came[0]]
            changes.append(
                UrnChange(
                    came[0],
                    f"{_qualified_type(base_index, before_resource)}::{before_resource['name']}",
                    f"{_qualified_type(head_index, after_resource)}::{after_resource['name']}",
                    _alias(before_resource, after_resource),
                )
            )
    return changes


def _alike(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Equal inputs once each side's own name is taken out of them (a name often reappears in them)."""
    old_text = str(before.get("inputs")).replace(before["name"], "<name>")
    new_text = str(after.get("inputs")).replace(after["name"], "<name>")
    return old_text == new_text
