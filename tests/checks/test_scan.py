"""The checkov gate's own rules (tools/scan.py), on reports shaped like checkov's JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from components.serving.metadata import scanner_skips
from tools.cloud_skips import CLOUD_SKIPS
from tools.scan import BASELINE_WORKLOAD_CHECKS, PROBE_CHECKS, evaluate, evaluate_cloud, skip_reasons

RESOURCE = "Deployment.ns.m"


def _manifest(tmp_path: Path, annotations: dict[str, str]) -> Path:
    path = tmp_path / "deployment.yaml"
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "m", "annotations": annotations}}
    path.write_text(yaml.safe_dump(body))
    return path


def _check(check_id: str, path: Path) -> dict[str, Any]:
    return {
        "check_id": check_id,
        "check_name": check_id,
        "resource": RESOURCE,
        "file_path": f"/{path.name}",
        "file_abs_path": str(path),
    }


def _report(path: Path, *, passed: set[str], failed: set[str] = frozenset(), skipped: set[str] = frozenset()) -> Any:
    return [
        {
            "results": {
                "passed_checks": [_check(c, path) for c in sorted(passed)],
                "failed_checks": [_check(c, path) for c in sorted(failed)],
                "skipped_checks": [_check(c, path) for c in sorted(skipped)],
            }
        }
    ]


def test_all_baseline_checks_passing_is_clean(tmp_path: Path) -> None:
    path = _manifest(tmp_path, {})
    assert evaluate(_report(path, passed=BASELINE_WORKLOAD_CHECKS)) == (len(BASELINE_WORKLOAD_CHECKS), [])


def test_a_failed_check_is_a_problem(tmp_path: Path) -> None:
    path = _manifest(tmp_path, {})
    _, problems = evaluate(_report(path, passed=BASELINE_WORKLOAD_CHECKS - {"CKV_K8S_8"}, failed={"CKV_K8S_8"}))
    assert problems == ["FAILED CKV_K8S_8 CKV_K8S_8: Deployment.ns.m (deployment.yaml)"]


def test_a_check_that_gave_no_result_is_a_problem(tmp_path: Path) -> None:
    path = _manifest(tmp_path, {})
    _, problems = evaluate(_report(path, passed=BASELINE_WORKLOAD_CHECKS - {"CKV_K8S_40"}))
    assert problems == ["NO RESULT CKV_K8S_40 for Deployment.ns.m (deployment.yaml)"]


def test_a_job_needs_no_probe_result_but_every_other_baseline_check(tmp_path: Path) -> None:
    path = _manifest(tmp_path, {})
    job = [{**_check(c, path), "resource": "Job.ns.copy"} for c in sorted(BASELINE_WORKLOAD_CHECKS - PROBE_CHECKS)]
    assert evaluate([{"results": {"passed_checks": job}}])[1] == []
    without_uid = [check for check in job if check["check_id"] != "CKV_K8S_40"]
    assert evaluate([{"results": {"passed_checks": without_uid}}])[1] == [
        "NO RESULT CKV_K8S_40 for Job.ns.copy (deployment.yaml)"
    ]


def test_a_skip_with_its_reason_on_the_object_counts_as_a_result(tmp_path: Path) -> None:
    path = _manifest(tmp_path, scanner_skips({"CKV_K8S_43": "tag-pinned for now"}))
    _, problems = evaluate(_report(path, passed=BASELINE_WORKLOAD_CHECKS - {"CKV_K8S_43"}, skipped={"CKV_K8S_43"}))
    assert problems == []


def test_a_skip_without_a_reason_is_a_problem(tmp_path: Path) -> None:
    path = _manifest(tmp_path, {"checkov.io/skip1": "CKV_K8S_43="})
    _, problems = evaluate(_report(path, passed=BASELINE_WORKLOAD_CHECKS - {"CKV_K8S_43"}, skipped={"CKV_K8S_43"}))
    assert problems == ["SKIPPED WITHOUT REASON CKV_K8S_43: Deployment.ns.m (deployment.yaml)"]


def test_skip_annotations_carry_check_and_reason(tmp_path: Path) -> None:
    annotations = scanner_skips({"CKV_K8S_43": "a", "CKV_K8S_15": "b"})
    assert annotations == {"checkov.io/skip1": "CKV_K8S_43=a", "checkov.io/skip2": "CKV_K8S_15=b"}
    assert skip_reasons(_manifest(tmp_path, annotations)) == {"CKV_K8S_43": "a", "CKV_K8S_15": "b"}


# --- cloud resources (framework terraform_plan) -----------------------------------------------------

SKIPS = {"CKV_AWS_338": (frozenset({"aws_cloudwatch_log_group"}), "kept 90 days")}
RETENTION = {"check_id": "CKV_AWS_338", "resource": "aws_cloudwatch_log_group.logs"}


def _cloud(check_id: str, resource: str, stack: str = "prod-aws") -> dict[str, Any]:
    return {"check_id": check_id, "check_name": check_id, "resource": resource, "file_path": f"/{stack}.tfplan.json"}


def _cloud_report(*, passed: list[Any], failed: list[Any]) -> list[dict[str, Any]]:
    # The log group of RETENTION gives its own baseline result.
    encrypted = _cloud("CKV_AWS_158", RETENTION["resource"])
    results = {"passed_checks": [*passed, encrypted], "failed_checks": failed, "skipped_checks": []}
    return [{"check_type": "terraform_plan", "results": results}]


def _vpc_checks(*ids: str) -> list[dict[str, Any]]:
    return [_cloud(check_id, "aws_vpc.main") for check_id in ids]


def test_a_new_failed_cloud_check_is_a_problem() -> None:
    failed = [_cloud(**RETENTION), *_vpc_checks("CKV2_AWS_11")]
    _, problems = evaluate_cloud(_cloud_report(passed=_vpc_checks("CKV2_AWS_12"), failed=failed), {}, SKIPS)
    assert problems == ["FAILED CKV2_AWS_11 CKV2_AWS_11: aws_vpc.main (prod-aws)"]


def test_a_listed_skip_counts_as_passed_only_on_its_resource_types() -> None:
    failed = [_cloud(**RETENTION), _cloud("CKV_AWS_338", "aws_s3_bucket.logs")]
    _, problems = evaluate_cloud(_cloud_report(passed=[], failed=failed), {}, SKIPS)
    assert problems == ["FAILED CKV_AWS_338 CKV_AWS_338: aws_s3_bucket.logs (prod-aws)"]


def test_a_skip_that_matches_nothing_any_more_is_a_problem() -> None:
    _, problems = evaluate_cloud(_cloud_report(passed=[], failed=[]), {}, SKIPS)
    assert problems == ["UNUSED SKIP CKV_AWS_338: nothing fails it any more"]


def test_the_public_endpoint_check_is_skipped_only_for_a_stack_with_a_public_api_reason() -> None:
    failed = [_cloud(**RETENTION), *(_cloud("CKV_AWS_39", "aws_eks_cluster.c", stack) for stack in ("a", "b"))]
    baseline = ("CKV_AWS_37", "CKV_AWS_38", "CKV_AWS_58")
    passed = [_cloud(check_id, "aws_eks_cluster.c", stack) for stack in ("a", "b") for check_id in baseline]
    reasons = {"a": "CI runs outside the VPC", "b": None}
    _, problems = evaluate_cloud(_cloud_report(passed=passed, failed=failed), reasons, SKIPS)
    assert problems == ["FAILED CKV_AWS_39 CKV_AWS_39: aws_eks_cluster.c (b)"]


def test_a_baseline_cloud_check_without_result_is_a_problem() -> None:
    failed = [_cloud(**RETENTION)]
    _, problems = evaluate_cloud(_cloud_report(passed=_vpc_checks("CKV2_AWS_11"), failed=failed), {}, SKIPS)
    assert problems == ["NO RESULT CKV2_AWS_12 for aws_vpc.main (prod-aws.tfplan.json)"]


def test_every_cloud_skip_gives_a_reason() -> None:
    assert all(types and len(reason) > 20 for types, reason in CLOUD_SKIPS.values())
