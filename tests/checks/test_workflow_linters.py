"""actionlint and zizmor over .github/workflows: zero findings, every ignore saying why.

Run here rather than from the Makefile so that `pytest` alone is the whole gate. Both binaries (and shellcheck,
which actionlint runs on every `run:` script) come from requirements-dev.txt as wheels that carry them: nothing is
downloaded at run time, and the same shellcheck checks on every machine (a runner has its own on PATH).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tools.offline import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
# The virtual environment's bin/, where pip put the linters next to the interpreter running the tests.
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    # No GitHub token reaches zizmor: offline is the only mode CI may use.
    env = {key: value for key, value in os.environ.items() if key not in {"GH_TOKEN", "GITHUB_TOKEN"}}
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, check=False)


def test_workflows_pass_actionlint() -> None:
    # -pyflakes= : no step runs Python inline; an empty command keeps actionlint from looking for one on PATH.
    result = _run(str(BIN / "actionlint"), "-shellcheck", str(BIN / "shellcheck"), "-pyflakes=", "-no-color")
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_workflows_pass_zizmor_offline_as_an_auditor() -> None:
    # --offline: no GitHub API (no token, no network in CI); auditor: the persona that reports the most;
    # --no-config: no ignore hidden in a config file, only the inline ones below.
    result = _run(
        str(BIN / "zizmor"), "--offline", "--persona=auditor", "--no-config", "--format=plain", "--color=never",
        str(WORKFLOWS),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report." in result.stdout, result.stdout


def test_every_zizmor_ignore_says_why() -> None:
    ignores = [
        (path.name, line.strip())
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for line in path.read_text().splitlines()
        if "zizmor: ignore" in line
    ]
    assert ignores, "the workflow_run trigger is ignored on purpose; this test must see it"
    for name, line in ignores:
        match = re.search(r"zizmor: ignore\[[\w-]+\] (.{20,})$", line)
        assert match, f"{name}: {line} (the reason follows the marker on its line)"
