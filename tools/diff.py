"""The offline plan diff: what a change does to every example stack, without credentials.

    python -m tools.diff --base <git ref> [--stacks prod-aws,dev] [--out build/diff] [--repo .]

Plans each stack (preview mode) twice: at BASE, from a temporary `git worktree` (the BASE's own code plans the
BASE's stacks; nothing is written into the checkout), and in the working tree. Writes `report.md` (bounded for a
pull request comment) and `report.json` (everything) into --out. A stack file that does not validate is reported
with its configuration errors. Exit status 0 whether or not something changed; 2 when BASE is not a git ref.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from tools.offline import ROOT, Mode
from tools.plan_diff import StackDiff, diff_plan_dirs, render_report
from tools.plan_headlines import provider_headline, requirement_pins

_PLAN_TIMEOUT_SECONDS = 600
REPORT_CODE = ("tools/", "Makefile", "requirements", "Pulumi.yaml")
"""What computes the report: a change to any of these changes what the report says about the change itself."""


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` and return its output; raises CalledProcessError (with stderr) when git fails."""
    executable = shutil.which("git")
    if executable is None:
        raise FileNotFoundError("git is not installed")
    return subprocess.run(
        [executable, "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def _stacks_in(tree: Path) -> set[str]:
    return {path.name[len("Pulumi.") : -len(".yaml")] for path in tree.glob("Pulumi.*.yaml")}


def plan_tree(tree: Path, stack: str, out: Path) -> str | None:
    """Plan `stack` with the code of `tree` (its own tools.plan, in a fresh interpreter); None when it planned,
    else the error it printed (a configuration error, or the last lines of a failure)."""
    process = subprocess.run(
        [sys.executable, "-m", "tools.plan", "--stack", stack, "--mode", Mode.PREVIEW, "--out", str(out)],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=_PLAN_TIMEOUT_SECONDS,
        check=False,
    )
    if process.returncode == 0:
        return None
    message = process.stderr.strip()
    if process.returncode == 2 and message.startswith("error: "):
        return message[len("error: ") :]
    return "planning failed:\n" + "\n".join(message.splitlines()[-15:])


def _secure_values(tree: Path, stack: str) -> dict[str, str]:
    path = tree / f"Pulumi.{stack}.yaml"
    try:
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    except (OSError, yaml.YAMLError):
        return {}
    return {
        key.split(":")[-1]: str(value["secure"])
        for key, value in config.items()
        if isinstance(value, dict) and set(value) == {"secure"}
    }


def secret_lines(base_tree: Path, head_tree: Path, stack: str) -> list[str]:
    """Stack-file secrets added, removed or rotated (their ciphertext changed); never a value."""
    old, new = _secure_values(base_tree, stack), _secure_values(head_tree, stack)
    lines = [f"Secret {key} added (value not shown)" for key in sorted(set(new) - set(old))]
    lines += [f"Secret {key} removed" for key in sorted(set(old) - set(new))]
    lines += [f"Secret {key} rotated (value not shown)" for key in sorted(set(old) & set(new)) if old[key] != new[key]]
    return lines


def diff_stack(base_tree: Path, head_tree: Path, stack: str, work: Path) -> StackDiff:
    base_out, head_out = work / "base" / stack, work / "head" / stack
    errors: dict[str, str] = {}
    if not (base_tree / f"Pulumi.{stack}.yaml").exists():
        base_error: str | None = "no such stack at the base"
    else:
        base_error = plan_tree(base_tree, stack, base_out)
    if not (head_tree / f"Pulumi.{stack}.yaml").exists():
        head_error: str | None = "stack file removed"
    else:
        head_error = plan_tree(head_tree, stack, head_out)
    if base_error and base_error != "no such stack at the base":
        errors["base"] = base_error
    if head_error:
        errors["head"] = head_error
    if head_error or base_error:
        result = StackDiff(stack=stack, errors=errors)
        if not head_error:
            new_stack = base_error == "no such stack at the base"
            result.highlights.append(
                "New stack: nothing to compare with" if new_stack else "Plans at this change, not at the base"
            )
        return result
    result = diff_plan_dirs(base_out, head_out, stack=stack)
    providers = provider_headline(_pins(base_tree), _pins(head_tree))
    result.highlights = (
        ([providers] if providers else []) + secret_lines(base_tree, head_tree, stack) + result.highlights
    )
    return result


def _pins(tree: Path) -> dict[str, str]:
    path = tree / "requirements.txt"
    return requirement_pins(path.read_text()) if path.exists() else {}


def report_code_changed(repo: Path, commit: str) -> list[str]:
    """Files that compute the report (REPORT_CODE) which differ between `commit` and the working tree."""
    changed = git(repo, "diff", "--name-only", commit, "--").splitlines()
    return sorted(path for path in changed if path.startswith(REPORT_CODE))


def preamble(repo: Path, commit: str, now: datetime.datetime, environ: dict[str, str]) -> list[str]:
    """What a reader must know before the report: what it was computed at (a stale comment is recognisable), and
    whether this change altered the code that computed it."""
    head = git(repo, "rev-parse", "HEAD")
    dirty = " plus uncommitted changes" if git(repo, "status", "--porcelain", "--untracked-files=no") else ""
    lines = []
    code = report_code_changed(repo, commit)
    if code:
        shown = ", ".join(f"`{path}`" for path in code[:6]) + (f" and {len(code) - 6} more" if len(code) > 6 else "")
        lines.append(
            f"> :warning: **This change modifies the code that computed this report** ({shown}): "
            "read the report with that in mind, and the code's diff first."
        )
    run = ""
    if environ.get("GITHUB_RUN_ID") and environ.get("GITHUB_REPOSITORY"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        run_id = environ["GITHUB_RUN_ID"]
        run = f", run [{run_id}]({server}/{environ['GITHUB_REPOSITORY']}/actions/runs/{run_id})"
    # On a pull request the checkout is GitHub's merge of the PR into its base; PR_HEAD_SHA names the PR's head.
    pr_head = environ.get("PR_HEAD_SHA", "")
    at = f"PR head `{pr_head[:12]}` (checked out as `{head[:12]}`)" if pr_head else f"Head `{head[:12]}`"
    lines.append(f"_{at}{dirty}{run}, computed {now.strftime('%Y-%m-%d %H:%M UTC')}._")
    lines.append("")
    return lines


def run_diff(repo: Path, base_ref: str, stacks: Iterable[str] | None, out: Path, jobs: int = 2) -> list[StackDiff]:
    """Plan BASE and the working tree of `repo`, diff each stack, write report.md and report.json into `out`."""
    commit = git(repo, "rev-parse", "--verify", f"{base_ref}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="plan-diff-") as temporary:
        work = Path(temporary)
        base_tree = work / "base-tree"
        git(repo, "worktree", "add", "--detach", str(base_tree), commit)
        try:
            names = sorted(stacks) if stacks else sorted(_stacks_in(base_tree) | _stacks_in(repo))
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                diffs = list(pool.map(lambda stack: diff_stack(base_tree, repo, stack, work), names))
        finally:
            git(repo, "worktree", "remove", "--force", str(base_tree))
    title = f"Offline plan diff: {base_ref} ({commit[:12]}) → this change"
    out.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    lines = preamble(repo, commit, now, dict(os.environ))
    (out / "report.md").write_text(render_report(diffs, title=title, preamble=lines))
    document: dict[str, Any] = {
        "base": base_ref,
        "baseCommit": commit,
        "headCommit": git(repo, "rev-parse", "HEAD"),
        "computedAt": now.isoformat(timespec="seconds"),
        "reportCodeChanged": report_code_changed(repo, commit),
        "stacks": [d.to_json() for d in diffs],
    }
    (out / "report.json").write_text(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the git ref to compare with (a branch, tag, HEAD~1, ...)")
    parser.add_argument("--stacks", help="comma-separated stacks (default: every Pulumi.<stack>.yaml at either side)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "diff")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the git working tree to compare (default: this one)")
    parser.add_argument("--jobs", type=int, default=2, help="stacks planned at once")
    options = parser.parse_args(argv)
    stacks = [s for s in options.stacks.split(",") if s] if options.stacks else None
    try:
        diffs = run_diff(options.repo.resolve(), options.base, stacks, options.out, jobs=options.jobs)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"error: git {' '.join(error.cmd[3:])}: {error.stderr.strip()}", file=sys.stderr)
        return 2
    for diff in diffs:
        state = "config errors" if diff.errors.get("head") else ("no change" if diff.empty else "changed")
        print(f"{diff.stack}: {state}")
    print(f"Wrote {options.out / 'report.md'} and {options.out / 'report.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
