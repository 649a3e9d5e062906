"""Security scan: checkov over every stack (the root's, examples/multinode/ and examples/rag/), as Terraform users do.

    python -m tools.scan [--checkov PATH]

Plans each stack in update mode into build/scan/<stack>/: the Kubernetes manifests (framework
kubernetes) and the cloud resources as a Terraform plan, `<stack>.tfplan.json` (framework
terraform_plan, tools/tfplan.py). Runs checkov once over all of them, and fails on any failed check
(unless tools/cloud_skips.py skips it for a cloud resource, with its reason), on a skipped check whose
object carries no reason for it, on a skip that matched nothing, and on a workload or cloud resource for
which one of the baseline checks produced no result at all (a check that crashes inside checkov reports
nothing, which would otherwise pass silently: ../shared/SECURITY.md §2.1).
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

from tools import heap
from tools.cloud_skips import CLOUD_SKIPS, Skips, skip_reason
from tools.offline import ROOT, Mode, planned_stack_names, run_program, stack_file
from tools.plan import build_plan, write_plan
from tools.tfplan import terraform_plan

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

PROBE_CHECKS = {"CKV_K8S_8", "CKV_K8S_9"}
RUN_TO_COMPLETION_KINDS = {"Job", "CronJob"}


# Checks that must give a result for every cloud resource of these types: the ones the stack was fixed for.
BASELINE_CLOUD_CHECKS = {
    "aws_vpc": {"CKV2_AWS_11", "CKV2_AWS_12"},  # flow logs; default security group without rules
    "aws_kms_key": {"CKV_AWS_7", "CKV2_AWS_64"},  # rotation; a key policy
    "aws_cloudwatch_log_group": {"CKV_AWS_158"},  # KMS-encrypted
    "aws_eks_cluster": {"CKV_AWS_37", "CKV_AWS_38", "CKV_AWS_58"},  # logs; public CIDRs; secrets encryption
    "google_compute_subnetwork": {"CKV_GCP_26"},  # flow logs
    "google_container_cluster": {"CKV_GCP_20", "CKV_GCP_25"},  # authorized networks; private nodes
    "azurerm_subnet": {"CKV2_AZURE_31"},  # an NSG
    "azurerm_kubernetes_cluster": {"CKV_AZURE_5", "CKV_AZURE_6", "CKV_AZURE_7"},  # RBAC; authorized IPs; policy
}
TFPLAN_SUFFIX = ".tfplan.json"


def plan_all(out: Path) -> list[Path]:
    """Plan every stack; returns its directory, which holds `manifests/` and `<stack>.tfplan.json`."""
    directories = []
    for stack in planned_stack_names():
        directory = out / stack
        run = run_program(stack, Mode.UPDATE)
        write_plan(build_plan(run), directory)
        (directory / f"{stack}{TFPLAN_SUFFIX}").write_text(json.dumps(terraform_plan(run), indent=1) + "\n")
        directories.append(directory)
    return directories


def public_api_reasons(stacks: list[str]) -> dict[str, str | None]:
    """Each stack's `publicApiReason`: the reason its public API endpoint checks are skipped, if any."""
    reasons: dict[str, str | None] = {}
    for stack in stacks:
        config = yaml.safe_load(stack_file(stack).read_text()).get("config") or {}
        reasons[stack] = config.get("llm-platform:publicApiReason")
    return reasons


def run_checkov(checkov: Path, directory: Path) -> list[dict[str, Any]]:
    command = [
        str(checkov),
        "--framework",
        "kubernetes",
        "terraform_plan",
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


def evaluate_cloud(
    reports: list[dict[str, Any]], public_api_reason: dict[str, str | None], skips: Skips = CLOUD_SKIPS
) -> tuple[int, list[str]]:
    """The terraform_plan reports: passed and skipped (with the reason) count, anything else is a problem.
    `public_api_reason`: stack → its publicApiReason; a report's file is `<stack>.tfplan.json`."""
    passed = 0
    problems: list[str] = []
    used: set[str] = set()
    seen: dict[tuple[str, str], set[str]] = {}
    for report in reports:
        if report.get("check_type") != "terraform_plan":
            continue
        results = report.get("results", {})
        passed += len(results.get("passed_checks", []))
        for check in results.get("failed_checks", []):
            stack = Path(check["file_path"]).name.removesuffix(TFPLAN_SUFFIX)
            resource_type = check["resource"].split(".")[0]
            reason = skip_reason(check["check_id"], resource_type, public_api_reason.get(stack), skips)
            if reason:
                used.add(check["check_id"])
                print(f"skipped {check['check_id']} on {check['resource']} ({stack}): {reason}")
            else:
                problems.append(f"FAILED {check['check_id']} {check['check_name']}: {check['resource']} ({stack})")
        for check in results.get("skipped_checks", []):
            problems.append(f"SKIPPED WITHOUT REASON {check['check_id']}: {check['resource']}")
        for kind in ("passed_checks", "failed_checks", "skipped_checks"):
            for check in results.get(kind, []):
                seen.setdefault((check["file_path"], check["resource"]), set()).add(check["check_id"])
    for (file_path, resource), checks in sorted(seen.items()):
        for missing in sorted(BASELINE_CLOUD_CHECKS.get(resource.split(".")[0], set()) - checks):
            problems.append(f"NO RESULT {missing} for {resource} ({file_path.lstrip('/')})")
    problems.extend(f"UNUSED SKIP {check_id}: nothing fails it any more" for check_id in sorted(set(skips) - used))
    return passed, problems


def evaluate(reports: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """The kubernetes reports: return the number of passed checks and every problem found."""
    passed = 0
    problems: list[str] = []
    seen: dict[tuple[str, str], set[str]] = {}
    for report in reports:
        if report.get("check_type", "kubernetes") != "kubernetes":
            continue
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
        kind = resource.split(".")[0]
        if kind in WORKLOAD_KINDS:
            # A Job's pod runs to completion: checkov checks no liveness or readiness probe on it.
            expected = BASELINE_WORKLOAD_CHECKS - (PROBE_CHECKS if kind in RUN_TO_COMPLETION_KINDS else set())
            for missing in sorted(expected - checks):
                problems.append(f"NO RESULT {missing} for {resource} ({file_path.lstrip('/')})")
    return passed, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkov", type=Path, default=Path(os.environ.get("CHECKOV", DEFAULT_CHECKOV)))
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "scan")
    options = parser.parse_args(argv)
    heap.collect_less_often()
    heap.keep_what_is_alive()
    directories = plan_all(options.out)
    reports = run_checkov(options.checkov, options.out)
    passed, problems = evaluate(reports)
    cloud_passed, cloud_problems = evaluate_cloud(reports, public_api_reasons([d.name for d in directories]))
    passed, problems = passed + cloud_passed, problems + cloud_problems
    for problem in problems:
        print(problem)
    stacks = ", ".join(d.name for d in directories)
    print(f"scanned the manifests and cloud resources (as Terraform plans) of {len(directories)} stacks: {stacks}")
    print(f"checkov: {passed} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
