"""The checkov gate's own rules (tools/scan.py), on reports shaped like checkov's JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from components.serving.metadata import scanner_skips
from tools.scan import BASELINE_WORKLOAD_CHECKS, evaluate, skip_reasons

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
