"""The code's layers, read from the source with the stdlib `ast` (no module is imported): tools -> stacks ->
stacks.config -> components, no import running back up, and no import cycle anywhere (a cycle works only as long
as its modules happen to be imported in one order)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tools.offline import ROOT

PACKAGES = ("components", "stacks", "tools")
CONFIG = "stacks.config"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


MODULES = project_modules()


def imported(name: str, path: Path) -> Iterator[str]:
    """The project modules `name` imports anywhere in its source (TYPE_CHECKING and function-level imports too):
    `from a.b import c` names the module a.b.c when there is one, else a.b."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        yield from (target for target in targets if target in MODULES)


def import_graph() -> dict[str, set[str]]:
    return {name: set(imported(name, path)) for name, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, or of one that imports itself (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def edges(graph: dict[str, set[str]]) -> Iterator[tuple[str, str]]:
    for source, targets in sorted(graph.items()):
        yield from ((source, target) for target in sorted(targets))


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


GRAPH = import_graph()


def test_the_graph_sees_the_imports_it_checks():
    # The test would pass vacuously if it found no module or no import.
    assert {"stacks.serving", "stacks.config", "components.serving.gateway", "tools.plan"} <= set(GRAPH)
    assert "stacks.config" in GRAPH["stacks.serving"]
    assert "components.serving.gateway" in GRAPH["stacks.serving"]


def test_a_cycle_is_found_when_two_modules_import_each_other():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_module_of_components_stacks_or_tools_is_in_an_import_cycle():
    assert cycles(GRAPH) == []


def test_components_import_neither_stacks_nor_tools():
    upward = [
        (source, target)
        for source, target in edges(GRAPH)
        if in_package(source, "components") and not in_package(target, "components")
    ]
    assert upward == []


def test_stacks_import_no_tools():
    upward = [(s, t) for s, t in edges(GRAPH) if in_package(s, "stacks") and in_package(t, "tools")]
    assert upward == []


def test_the_config_package_imports_no_composition_module():
    upward = [
        (source, target)
        for source, target in edges(GRAPH)
        if in_package(source, CONFIG) and in_package(target, "stacks") and not in_package(target, CONFIG)
    ]
    assert upward == []


def test_composition_modules_import_only_the_config_package_entry():
    # stacks.config's top level holds the entry (load_config), the resolved types and the errors; its modules and
    # rules are its own.
    reaching_in = [
        (source, target)
        for source, target in edges(GRAPH)
        if in_package(source, "stacks") and not in_package(source, CONFIG) and target.startswith(f"{CONFIG}.")
    ]
    assert reaching_in == []
