"""Shared helpers: run code under a fresh mock runtime and look up what it registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support import Registered, record


@pytest.fixture
def under_mocks() -> Callable[..., Registered]:
    """Run a program (a callable creating resources) under mocks: `under_mocks(fn, preview=False)`."""

    return record


@pytest.fixture(scope="session")
def plans() -> dict[tuple[str, str], Any]:
    """The offline plan of every example stack in both modes, computed once per test session."""
    from tools.offline import Mode, run_program, stack_names
    from tools.plan import build_plan

    return {(stack, mode): build_plan(run_program(stack, mode)) for stack in stack_names() for mode in Mode.ALL}


@pytest.fixture(scope="session")
def exposure_cases(plans: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """Every example stack and its exposure variants (tests/exposure_variants.py), planned once per session."""
    from tests.exposure_variants import build_cases

    return build_cases(plans)
