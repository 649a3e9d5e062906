"""The shell commands of the documentation: every block marked to run offline (```bash title="offline") runs, as
written, in a copy of the repository; every `make` target and `python -m` module any block names exists; and no
block calls a bare `python` that would miss the virtual environment."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tools.offline import ROOT

DOCS = ROOT / "docs"
BLOCK = re.compile(r'^```(bash|sh)( title="offline")?\n(.*?)^```', re.M | re.S)
MAKE_TARGET = re.compile(r"(?:^|&&|;)\s*make ([a-z][-a-z]*)", re.M)
MODULE = re.compile(r"python -m ([\w.]+)")


def _blocks() -> list[tuple[str, bool, str]]:
    """(page, offline, text) of every shell block of the documentation."""
    return [
        (str(page.relative_to(DOCS)), bool(match.group(2)), match.group(3))
        for page in sorted(DOCS.glob("**/*.md"))
        for match in BLOCK.finditer(page.read_text())
    ]


OFFLINE = [(page, text) for page, offline, text in _blocks() if offline]


def _makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][-a-z]*):", (ROOT / "Makefile").read_text(), re.M))


def test_the_guides_have_offline_blocks() -> None:
    pages = {page for page, _ in OFFLINE}
    assert {"index.md", "examples.md", "getting-started/aws.md", "getting-started/gcp.md"} <= pages


@pytest.mark.parametrize(("page", "text"), [(p, t) for p, _, t in _blocks()], ids=lambda v: v if "/" in v else None)
def test_every_make_target_and_module_a_block_names_exists(page: str, text: str) -> None:
    missing_targets = set(MAKE_TARGET.findall(text)) - _makefile_targets()
    missing_modules = [m for m in MODULE.findall(text) if not (ROOT / f"{m.replace('.', '/')}.py").exists()]
    assert (missing_targets, missing_modules) == (set(), [])


@pytest.mark.parametrize(("page", "text"), [(p, t) for p, _, t in _blocks()], ids=lambda v: v if "/" in v else None)
def test_no_block_runs_a_python_outside_the_virtual_environment(page: str, text: str) -> None:
    assert re.findall(r"(?<![/\w.])python3? ", text) == []


def _executable(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, f"{name} is not on PATH"
    return path


@pytest.fixture(scope="module")
def repository_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's files as a reader's clone has them, with the virtual environments of this checkout."""
    copy = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(
        [_executable("git"), "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    # This checkout's environment, entry by entry, with a stamp of its own: make would otherwise reinstall it, the
    # copied requirements files being newer than the shared environment's stamp.
    venv = (ROOT / ".venv").resolve()
    (copy / ".venv").mkdir()
    for entry in venv.iterdir():
        if entry.name != ".installed":
            (copy / ".venv" / entry.name).symlink_to(entry)
    # The installer's environment is only an order-only prerequisite of .venv's stamp: its stamp alone is enough.
    (copy / ".venv-uv").mkdir()
    (copy / ".venv-uv" / ".installed").touch()
    (copy / ".venv" / ".installed").touch()
    return copy


@pytest.mark.parametrize(("page", "text"), OFFLINE, ids=lambda v: v if "/" in v or v.endswith(".md") else None)
def test_the_offline_block_runs_as_written(repository_copy: Path, page: str, text: str) -> None:
    result = subprocess.run(
        [_executable("bash"), "-euo", "pipefail", "-c", text],
        cwd=repository_copy,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{page}:\n{text}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert not [p.name for p in repository_copy.glob("Pulumi.*.yaml") if not (ROOT / p.name).exists()]
