"""S1/S2: every planned Kubernetes object against the real API schemas; custom resources are admitted, defaults
applied first as the API server does, in test_admission.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tools.offline import Mode, stack_names
from tools.validation import (
    builtin_errors,
    custom_resource_errors,
    is_builtin,
    kubernetes_versions,
    strict_json_schema,
)

CASES = [(stack, mode) for stack in stack_names() for mode in Mode.ALL]
# API versions removed from Kubernetes or about to be (SECURITY.md S2).
DEPRECATED_API_VERSIONS = {
    "extensions/v1beta1",
    "apps/v1beta1",
    "apps/v1beta2",
    "policy/v1beta1",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "networking.k8s.io/v1beta1",
    "batch/v1beta1",
    "rbac.authorization.k8s.io/v1beta1",
    "scheduling.k8s.io/v1beta1",
    "storage.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta3",
}


def _objects(plans: dict[Any, Any], stack: str, mode: str) -> list[tuple[str, dict[str, Any]]]:
    return list(plans[(stack, mode)].manifests.items())


def test_versions_cover_1_32_to_the_newest_shipped() -> None:
    versions = kubernetes_versions()
    assert versions[0] == "1.32"
    assert len(versions) >= 4


@pytest.mark.parametrize("version", kubernetes_versions())
@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_builtin_objects_pass_the_strict_api_schema(plans: dict[Any, Any], stack: str, mode: str, version: str) -> None:
    errors = {name: builtin_errors(body, version) for name, body in _objects(plans, stack, mode) if is_builtin(body)}
    assert {name: found for name, found in errors.items() if found} == {}


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_no_deprecated_api_versions(plans: dict[Any, Any], stack: str, mode: str) -> None:
    used = {body["apiVersion"] for _, body in _objects(plans, stack, mode)}
    assert used & DEPRECATED_API_VERSIONS == set()


# --- the validators themselves catch what they must -------------------------------------------------------


def test_strict_schema_rejects_an_unknown_field_and_reports_every_error() -> None:
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": "two", "bogus": 1},
    }
    errors = builtin_errors(body, "1.32")
    assert "spec: Additional properties are not allowed ('bogus' was unexpected)" in errors
    assert "spec.replicas: 'two' is not of type 'integer', 'null'" in errors
    assert len(errors) == 4  # also: selector and template are missing


def test_removed_api_version_is_an_error() -> None:
    body = {"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "x"}}
    assert builtin_errors(body, "1.32") == ["policy/v1beta1 PodDisruptionBudget does not exist in Kubernetes 1.32"]


def test_pre_stop_sleep_exists_in_every_supported_version() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "x"},
        "spec": {"containers": [{"name": "c", "image": "i", "lifecycle": {"preStop": {"sleep": {"seconds": 5}}}}]},
    }
    assert all(builtin_errors(pod, version) == [] for version in kubernetes_versions())


def test_custom_resource_schema_rejects_a_broken_scaled_object() -> None:
    body = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "x"},
        "spec": {"triggers": []},
    }
    assert "spec: 'scaleTargetRef' is a required property" in custom_resource_errors(body)


def test_custom_resource_without_a_schema_is_an_error(tmp_path: Path) -> None:
    body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "x"}}
    assert custom_resource_errors(body, tmp_path) == [
        f"no schema widget-example.com-v1.json in {tmp_path} for example.com/v1 Widget"
    ]


def test_a_crd_schema_is_strict_except_where_it_preserves_unknown_fields() -> None:
    structural = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {"port": {"x-kubernetes-int-or-string": True}}},
            "extra": {"type": "object", "properties": {}, "x-kubernetes-preserve-unknown-fields": True},
        },
    }
    validator = jsonschema.validators.Draft202012Validator(strict_json_schema(structural))
    assert list(validator.iter_errors({"spec": {"port": "http"}, "extra": {"anything": 1}})) == []
    assert list(validator.iter_errors({"spec": {"port": 80}})) == []
    messages = sorted(error.message for error in validator.iter_errors({"spec": {"port": 1.5, "bogus": 1}}))
    assert messages == ["1.5 is not valid under any of the given schemas",
                        "Additional properties are not allowed ('bogus' was unexpected)"]  # fmt: skip
