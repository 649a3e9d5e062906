"""The resource tree of an offline plan, as `pulumi preview` shows it: each resource under its parent, indented.

    python -m tools.tree build/plan/dev/plan.json

Reads the `plan.json` that `tools.plan` writes: each resource's `parent` is the `type::name` of its parent, or
`pulumi:pulumi:Stack` at the top. Children are listed after their parent, components first, each group by type then
name, so that a model's component is followed by everything that exists for it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = "pulumi:pulumi:Stack"
INDENT = "  "


def label(resource: Mapping[str, Any]) -> str:
    return f"{resource['type']}::{resource['name']}"


def tree_lines(resources: Sequence[Mapping[str, Any]]) -> list[tuple[int, str]]:
    """(depth, `type::name`) in display order. A resource whose parent is not in the plan shows at the top."""
    labels = {label(resource) for resource in resources}
    children: dict[str, list[Mapping[str, Any]]] = {}
    for resource in resources:
        parent = resource["parent"] if resource["parent"] in labels else ROOT
        children.setdefault(parent, []).append(resource)
    lines: list[tuple[int, str]] = []

    def visit(parent: str, depth: int) -> None:
        # Components (which have children) read as headings: plain resources of a level first, then each group.
        for resource in sorted(children.get(parent, []), key=lambda r: (label(r) in children, r["type"], r["name"])):
            lines.append((depth, label(resource)))
            visit(label(resource), depth + 1)

    visit(ROOT, 0)
    return lines


def render(document: Mapping[str, Any]) -> str:
    """The tree of a plan document, one resource per line."""
    return "\n".join(f"{INDENT * depth}{text}" for depth, text in tree_lines(document["resources"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("plan", type=Path, help="a plan.json written by `python -m tools.plan`")
    options = parser.parse_args(argv)
    print(render(json.loads(options.plan.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
