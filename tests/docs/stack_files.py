"""The stack files the documentation shows: the root's and those under examples/ (each in a folder of its own)."""

from __future__ import annotations

from pathlib import Path

from tools.offline import ROOT

EXAMPLES = ROOT / "examples"


def root_stack_files() -> list[Path]:
    return sorted(ROOT.glob("Pulumi.*.yaml"))


def example_stack_files() -> list[Path]:
    """Every stack file under examples/, the multi-node ones included."""
    return sorted(EXAMPLES.glob("**/Pulumi.*.yaml"))


def stack_name(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")
