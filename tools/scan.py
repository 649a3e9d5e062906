"""Security scan: checkov (framework kubernetes) over the planned manifests of every example stack.

    python -m tools.scan [--checkov PATH]

Plans each stack in update mode into build/scan/<stack>/, runs checkov once over all of them, and
fails on any failed check, on a skipped check whose object carries no reason for it, and on a
workload for which one of the baseline checks produced no result at all (a check that crashes
inside checkov reports nothing, which would otherwise pass silently: ../shared/SECURITY.md §2.1).
Prints `checkov: N passed, N failed` last.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tools.offline import ROOT, Mode, run_program, stack_names
from tools.plan import build_plan, write_plan

DEFAULT_CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
# Checks that must give a result (passed, or skipped with a reason) for every workload.
BASELINE_WORKLOAD_CHECKS = {
    "CKV_K8S_8",  # liveness probe
    "CKV_K8S_9",  # readiness probe
    "CKV_K8S_10",  # CPU requests
    "CKV_K8S_11",  # CPU limits
    "CKV_K8S_12",  # memory requests
    "CKV_K8S_13",  # memory limits
    "CKV_K8S_14",  # image tag is not latest
    "CKV_K8S_20",  # no privilege escalation
    "CKV_K8S_21",  # not in the default namespace
    "CKV_K8S_22",  # read-only root filesystem
    "CKV_K8S_28",  # NET_RAW dropped
    "CKV_K8S_29",  # pod security context
    "CKV_K8S_30",  # container security context
    "CKV_K8S_31",  # seccomp profile
    "CKV_K8S_37",  # capabilities dropped
    "CKV_K8S_38",  # no service-account token unless needed
    "CKV_K8S_40",  # high UID
    "CKV_K8S_43",  # image pinned by digest
}


def plan_all(out: Path) -> list[Path]:
    directories = []
    for stack in stack_names():
        directory = out / stack
        write_plan(build_plan(run_program(stack, Mode.UPDATE)), directory)
        directories.append(directory / "manifests")
    return directories


def run_checkov(checkov: Path, directory: Path) -> list[dict[str, Any]]:
    command = [
        str(checkov),
        "--framework",
        "kubernetes",
        "--output",
        "json",
        "--compact",
        "--directory",
        str(directory),
    ]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if completed.returncode not in (0, 1) or not completed.stdout.strip():
        raise RuntimeError(f"checkov did not run (exit {completed.returncode}):\n{completed.stderr[-2000:]}")
    # One JSON document per scanned directory, one after the other.
    reports: list[dict[str, Any]] = []
    decoder, text, position = json.JSONDecoder(), completed.stdout, 0
    while position < len(text.rstrip()):
        document, end = decoder.raw_decode(text, position)
        reports.extend(document if isinstance(document, list) else [document])
        position = end + (len(text[end:]) - len(text[end:].lstrip()))
    return reports


def _object(check: dict[str, Any]) -> str:
    return f"{check['resource']} ({check['file_path'].lstrip('/')})"


def skip_reasons(manifest: Path) -> dict[str, str]:
    """The checks an object waives in its `checkov.io/skip<N>: <check>=<reason>` annotations."""
    annotations = (yaml.safe_load(manifest.read_text()).get("metadata") or {}).get("annotations") or {}
    reasons = {}
    for key, value in annotations.items():
        if key.startswith("checkov.io/skip") and "=" in str(value):
            check, reason = str(value).split("=", 1)
            reasons[check.strip()] = reason.strip()
    return reasons


def evaluate(reports: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """Return the number of passed checks and every problem found."""
    passed = 0
    problems: list[str] = []
    seen: dict[tuple[str, str], set[str]] = {}
    for report in reports:
        results = report.get("results", {})
        passed += len(results.get("passed_checks", []))
        for check in results.get("failed_checks", []):
            problems.append(f"FAILED {check['check_id']} {check['check_name']}: {_object(check)}")
        for check in results.get("skipped_checks", []):
            # checkov's report leaves out the reason of an annotation skip: read it from the object.
            if not skip_reasons(Path(check["file_abs_path"])).get(check["check_id"]):
                problems.append(f"SKIPPED WITHOUT REASON {check['check_id']}: {_object(check)}")
        for kind in ("passed_checks", "failed_checks", "skipped_checks"):
            for check in results.get(kind, []):
                seen.setdefault((check["file_path"], check["resource"]), set()).add(check["check_id"])
    for (file_path, resource), checks in sorted(seen.items()):
        if resource.split(".")[0] in WORKLOAD_KINDS:
            for missing in sorted(BASELINE_WORKLOAD_CHECKS - checks):
                problems.append(f"NO RESULT {missing} for {resource} ({file_path.lstrip('/')})")
    return passed, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkov", type=Path, default=Path(os.environ.get("CHECKOV", DEFAULT_CHECKOV)))
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "scan")
    options = parser.parse_args(argv)
    directories = plan_all(options.out)
    passed, problems = evaluate(run_checkov(options.checkov, options.out))
    for problem in problems:
        print(problem)
    print(f"scanned the manifests of {len(directories)} stacks: {', '.join(d.parent.name for d in directories)}")
    print(f"checkov: {passed} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
