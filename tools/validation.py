"""Schema validation of the planned Kubernetes objects.

Built-in kinds: the API schemas that `kubernetes-validate` ships, in strict mode (unknown fields are
errors), for every Kubernetes minor from MIN_KUBERNETES_VERSION to the newest it ships; every error of
an object is reported, not only the first. Custom resources: the JSON schemas extracted from the
upstream CRDs (../shared/crd-schemas, passed in by CI through CRD_SCHEMAS_ENV).
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
from kubernetes_validate import utils as kv
from referencing import Registry, Resource

from tools.offline import SECRET_SHOWN_AS

MIN_KUBERNETES_VERSION = "1.32"
CRD_SCHEMAS_ENV = "LLM_PLATFORM_CRD_SCHEMAS"


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def kubernetes_versions() -> list[str]:
    """Every minor version kubernetes-validate has schemas for, from MIN_KUBERNETES_VERSION on."""
    minors = {".".join(version.split(".")[:2]) for version in kv.all_versions()}
    return sorted((m for m in minors if _minor(m) >= _minor(MIN_KUBERNETES_VERSION)), key=_minor)


CRD_GROUPS_UNDER_K8S_IO = frozenset({"gateway.networking.k8s.io", "inference.networking.k8s.io"})
"""SIG projects' APIs under k8s.io that ship as CRDs, not with Kubernetes (validated with ../shared/crd-schemas)."""


def is_builtin(body: dict[str, Any]) -> bool:
    """Whether the object's API group is Kubernetes' own (validated with the API schemas)."""
    api_version = body["apiVersion"]
    if "/" not in api_version:
        return True
    group = api_version.split("/")[0]
    if group in CRD_GROUPS_UNDER_K8S_IO or group.endswith(".x-k8s.io"):
        return False
    return "." not in group or group.endswith(".k8s.io")


@functools.cache
def _validator(schema_dir: str, file_name: str) -> jsonschema.protocols.Validator | None:
    try:
        schema = kv.schema_contents(f"kubernetes-json-schema/{schema_dir}/{file_name}", schema_dir)
    except FileNotFoundError:
        return None
    definitions = kv.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", schema_dir)
    registry: Registry = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(definitions) @ registry
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def builtin_errors(body: dict[str, Any], version: str) -> list[str]:
    """Every strict-schema error of a built-in object for one Kubernetes minor version."""
    shipped = [v for v in kv.all_versions() if _minor(v) <= _minor(version)][-1]
    api_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", body["apiVersion"])
    validator = _validator(f"v{shipped}-local-strict", f"{body['kind'].lower()}-{api_version}.json")
    if validator is None:
        return [f"{body['apiVersion']} {body['kind']} does not exist in Kubernetes {version}"]
    return [
        _describe(error)
        for error in sorted(validator.iter_errors(_opaque_secret_maps(body)), key=lambda e: list(e.path))
    ]


def _opaque_secret_maps(body: dict[str, Any]) -> dict[str, Any]:
    """A Secret whose map is unknown at preview (it holds a value not generated yet, a RandomPassword's) shows as
    "[secret]" in the plan: validate it as an empty map, the rest of the object as it is."""
    if body.get("kind") != "Secret":
        return body
    return {
        key: {} if key in {"data", "stringData"} and value == SECRET_SHOWN_AS else value for key, value in body.items()
    }


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(part) for part in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"


def crd_schema_dir() -> Path | None:
    value = os.environ.get(CRD_SCHEMAS_ENV)
    return Path(value) if value else None


def crd_schema_file(body: dict[str, Any], schema_dir: Path) -> Path:
    group, version = body["apiVersion"].split("/")
    return schema_dir / f"{body['kind'].lower()}-{group}-{version}.json"


# Custom resources whose CRD schema ../shared/crd-schemas does not hold, each with what checks it instead.
CHECKED_WITHOUT_SCHEMA = {
    ("http.keda.sh/v1beta1", "InterceptorRoute"): "KEDA's HTTP add-on (v0.15.0) is not in ../shared/crd-schemas; "
    "tests/components/test_http_add_on.py holds ours to the rules of its API type",
    ("networking.gke.io/v1", "HealthCheckPolicy"): "GKE's Gateway policies are not in ../shared/crd-schemas; "
    "tests/components/test_endpoint_picker.py holds ours to the fields of GoogleCloudPlatform/gke-gateway-api's CRD",
    ("networking.gke.io/v1", "GCPBackendPolicy"): "likewise",
}


def custom_resource_errors(body: dict[str, Any], schema_dir: Path) -> list[str]:
    """Every error of a custom resource against its CRD's schema; a missing schema is an error too, unless the
    kind is one of CHECKED_WITHOUT_SCHEMA."""
    path = crd_schema_file(body, schema_dir)
    if not path.exists() and (body["apiVersion"], body["kind"]) in CHECKED_WITHOUT_SCHEMA:
        return []
    if not path.exists():
        return [f"no schema {path.name} in {schema_dir} for {body['apiVersion']} {body['kind']}"]
    validator = jsonschema.validators.Draft202012Validator(json.loads(path.read_text()))
    return [
        _describe(error)
        for error in sorted(validator.iter_errors(_opaque_secret_maps(body)), key=lambda e: list(e.path))
    ]
