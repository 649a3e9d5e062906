"""Shared helpers: run code under a fresh mock runtime and look up what it registered."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from tests.support import Registered, record
from tools import heap

heap.collect_less_often()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Every test module and SDK is imported: the collector need not rescan them after each test."""
    heap.keep_what_is_alive()


@pytest.fixture
def under_mocks() -> Callable[..., Registered]:
    """Run a program (a callable creating resources) under mocks: `under_mocks(fn, preview=False)`."""

    return record


@pytest.fixture(scope="session")
def plans(tmp_path_factory: pytest.TempPathFactory) -> Mapping[tuple[str, str], Any]:
    """The offline plan of every example stack in both modes, computed once per test run (tests/shared_plans.py)."""
    from tests.shared_plans import SharedPlans

    run_directory = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_directory = run_directory.parent  # each worker's base is a directory of the run's
    directory = run_directory / "shared-plans"
    directory.mkdir(exist_ok=True)
    return SharedPlans(directory)


@pytest.fixture(scope="session")
def exposure_cases(plans: Mapping[tuple[str, str], Any]) -> dict[str, Any]:
    """Every example stack and its exposure variants (tests/exposure_variants.py), planned once per session."""
    from tests.exposure_variants import build_cases

    return build_cases(plans)
