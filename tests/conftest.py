"""Shared helpers: run code under a fresh mock runtime and look up what it registered."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from tools.offline import Registration, reveal, run_under_mocks


class Registered:
    """What one mock run registered, with lookups by type and name."""

    def __init__(self, registrations: list[Registration], outputs: dict[str, Any]) -> None:
        self.registrations = registrations
        self.outputs = outputs

    def all(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Registration:
        matches = [r for r in self.all(type_) if name is None or r.name == name]
        assert len(matches) == 1, f"expected one {type_} {name or ''}, got {[r.name for r in matches]}"
        return matches[0]

    def inputs(self, type_: str, name: str | None = None) -> dict[str, Any]:
        """The resource's inputs with secrets shown as "[secret]" and unknowns as "[unknown]"."""
        return reveal(self.one(type_, name).inputs)


@pytest.fixture
def under_mocks() -> Callable[..., Registered]:
    """Run a program (a callable creating resources) under mocks: `under_mocks(fn, preview=False)`."""

    def run(program: Callable[[], Mapping[str, Any] | None], *, preview: bool = False, **kwargs: Any) -> Registered:
        return Registered(*run_under_mocks(program, preview=preview, **kwargs))

    return run


@pytest.fixture(scope="session")
def plans() -> dict[tuple[str, str], Any]:
    """The offline plan of every example stack in both modes, computed once per test session."""
    from tools.offline import Mode, run_program, stack_names
    from tools.plan import build_plan

    return {(stack, mode): build_plan(run_program(stack, mode)) for stack in stack_names() for mode in Mode.ALL}
