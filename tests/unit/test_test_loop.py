"""The test loop's own machinery: plans shared by the xdist workers (tests/shared_plans.py), the mock runtime's
isolation, and the list of modules `make bench` imports as the plan's reference (tools/bench.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pulumi.runtime import resource as runtime_resource

from tests.shared_plans import SharedPlans, source_digest
from tools.bench import loaded_modules
from tools.offline import Mode, planned_stack_names, run_under_mocks

SDK_STACK_TRACE = runtime_resource._get_stack_trace


def test_the_shared_plans_hold_every_example_stack_in_both_modes(tmp_path: Path) -> None:
    assert set(SharedPlans(tmp_path)) == {(stack, mode) for stack in planned_stack_names() for mode in Mode.ALL}


def test_a_plan_one_worker_made_is_read_by_another_as_its_own_copy(tmp_path: Path) -> None:
    first, second = SharedPlans(tmp_path), SharedPlans(tmp_path)  # two workers of one run
    made = first["dev", Mode.PREVIEW]
    read = second["dev", Mode.PREVIEW]
    assert [path.name.split("-")[:2] for path in tmp_path.glob("*.pickle")] == [["dev", "preview"]]
    assert read.document == made.document
    assert read.manifests == made.manifests
    assert read is not made


def test_a_stack_outside_the_examples_is_no_key(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        SharedPlans(tmp_path)["staging", Mode.PREVIEW]


def test_the_source_digest_follows_the_program_and_ignores_tests_and_environments(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / ".venv").mkdir()
    (tmp_path / "stacks" / "aws.py").write_text("A = 1\n")
    before = source_digest(tmp_path)
    (tmp_path / "tests" / "test_aws.py").write_text("B = 2\n")
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    assert source_digest(tmp_path) == before
    (tmp_path / "stacks" / "aws.py").write_text("A = 2\n")
    assert source_digest(tmp_path) != before


def test_a_run_under_mocks_gives_the_sdk_back_its_stack_walk() -> None:
    seen = []
    run_under_mocks(lambda: seen.append(runtime_resource._get_stack_trace), preview=True)
    assert len(seen) == 1
    assert seen[0] is not SDK_STACK_TRACE
    assert runtime_resource._get_stack_trace is SDK_STACK_TRACE


def test_the_bench_imports_the_third_party_modules_a_plan_loads_and_nothing_else(tmp_path: Path) -> None:
    modules = loaded_modules("dev", str(tmp_path))
    assert {"pulumi", "pulumi_kubernetes", "pydantic", "yaml"} <= set(modules)
    assert not {name for name in modules if name.split(".")[0] in {"tools", "stacks", "components", "json"}}
    assert not {name for name in modules if name.split(".")[0] in sys.stdlib_module_names}
