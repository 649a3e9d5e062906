"""The inputs of every action the workflows pin, per commit: `.github/action-inputs.json`, which
tests/unit/test_workflows.py checks each step's `with:` keys against.

    python -m tools.action_inputs [--git-dirs DIR]

actionlint knows the inputs of popular actions by tag, not by commit, and zizmor's offline mode skips the audits that
read an action's source: a `with:` key the pinned commit does not declare would reach the runner unchecked, and the
action would ignore it (GitHub only warns). This script reads each pinned `action.yml` (or `action.yaml`) at its
commit: from bare git directories named `<owner>+<repo>` under --git-dirs when given (case-insensitive), else from
raw.githubusercontent.com. Run it after changing a pin; the test fails until the file covers every pin.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tools.offline import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
INPUTS_FILE = ROOT / ".github" / "action-inputs.json"
_USES = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40})\b", re.MULTILINE)


def pinned_actions(workflows: Path = WORKFLOWS) -> set[str]:
    """`owner/repo@commit` of every action the workflows use."""
    return {
        f"{action}@{commit}" for path in workflows.glob("*.yml") for action, commit in _USES.findall(path.read_text())
    }


def _from_git(git_dirs: Path, action: str, commit: str) -> str | None:
    wanted = action.replace("/", "+").lower()
    for candidate in git_dirs.iterdir():
        if candidate.name.lower() != wanted:
            continue
        git = shutil.which("git")
        assert git, "git is not installed"
        directory = candidate / "repo" if (candidate / "repo").exists() else candidate
        for name in ("action.yml", "action.yaml"):
            shown = subprocess.run(
                [git, f"--git-dir={directory}", "show", f"{commit}:{name}"], capture_output=True, text=True, check=False
            )
            if shown.returncode == 0:
                return shown.stdout
    return None


def _from_github(action: str, commit: str) -> str | None:
    for name in ("action.yml", "action.yaml"):
        url = f"https://raw.githubusercontent.com/{action}/{commit}/{name}"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.read().decode()
        except OSError:
            continue
    return None


def inputs_of(action_yml: str) -> dict[str, Any]:
    """The declared inputs, and those required without a default (the runner fails a step that omits them)."""
    inputs = (yaml.safe_load(action_yml) or {}).get("inputs") or {}
    required = sorted(
        name
        for name, spec in inputs.items()
        if isinstance(spec, dict) and spec.get("required") in (True, "true") and "default" not in spec
    )
    return {"inputs": sorted(inputs), "requiredWithoutDefault": required}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--git-dirs", type=Path, help="a directory of bare clones named <owner>+<repo>")
    options = parser.parse_args(argv)
    document: dict[str, Any] = {}
    for pin in sorted(pinned_actions()):
        action, commit = pin.split("@")
        text = _from_git(options.git_dirs, action, commit) if options.git_dirs else _from_github(action, commit)
        if text is None:
            print(f"error: no action.yml for {pin}", file=sys.stderr)
            return 1
        document[pin] = inputs_of(text)
    INPUTS_FILE.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    print(f"Wrote {INPUTS_FILE.relative_to(ROOT)} ({len(document)} pinned actions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
