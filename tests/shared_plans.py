"""The offline plan of every example stack, computed once per test run and shared by every pytest-xdist worker.

Each plan takes about a second of CPU; computed in every worker that asks for it, the example stacks' plans were
the largest cost the workers repeated. The first worker to need a (stack, mode) plans it under a file lock and
pickles it into a directory of the run (pytest's base temporary directory, which the workers share); the others
wait on the lock and read it. Each worker unpickles its own copy, so no test can change another's plan. The file
name carries a digest of the repository's source, so a plan is only ever read by a run of the same source.
"""

from __future__ import annotations

import fcntl
import hashlib
import pickle
from collections.abc import Iterator, Mapping
from pathlib import Path

from tools.offline import ROOT, Mode, planned_stack_names, run_program
from tools.plan import Plan, build_plan

# What the plan cannot depend on: caches, environments, outputs, version control and the tests themselves.
_NOT_SOURCE = {".git", ".venv", ".venv-checkov", "build", "tests", "__pycache__", ".pytest_cache", ".ruff_cache"}


def source_digest(root: Path = ROOT) -> str:
    """SHA-256 over the path and content of every file a plan may read."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not _NOT_SOURCE.intersection(relative.parts) and not relative.parts[0].startswith("."):
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class SharedPlans(Mapping[tuple[str, str], Plan]):
    """(stack, mode) → Plan of every example stack in both modes, each planned on first use by one worker."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._digest = source_digest()
        self._keys = [(stack, mode) for stack in planned_stack_names() for mode in Mode.ALL]
        self._loaded: dict[tuple[str, str], Plan] = {}

    def __getitem__(self, key: tuple[str, str]) -> Plan:
        if key not in self._keys:
            raise KeyError(key)
        if key not in self._loaded:
            self._loaded[key] = self._load_or_plan(*key)
        return self._loaded[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def _load_or_plan(self, stack: str, mode: str) -> Plan:
        path = self._directory / f"{stack}-{mode}-{self._digest}.pickle"
        with (self._directory / f"{path.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if path.exists():
                return pickle.loads(path.read_bytes())  # noqa: S301 (written by this run, in this run's directory)
            plan = build_plan(run_program(stack, mode))
            partial = path.with_suffix(".partial")
            partial.write_bytes(pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL))
            partial.rename(path)
            return plan
