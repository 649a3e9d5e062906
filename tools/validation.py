"""Schema validation of the planned Kubernetes objects.

Built-in kinds: the API schemas that `kubernetes-validate` ships, in strict mode (unknown fields are
errors), for every Kubernetes minor from MIN_KUBERNETES_VERSION to the newest it ships; every error of
an object is reported, not only the first. Custom resources: the structural schemas of the upstream CRDs vendored
in schemas/crds/ (tools/vendor_crds.py), made strict the way the API server's strict field validation is.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from kubernetes_validate import utils as kv
from referencing import Registry, Resource

from tools.crd_sources import CRD_SCHEMA_DIR, schema_path
from tools.offline import SECRET_SHOWN_AS

MIN_KUBERNETES_VERSION = "1.32"


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def kubernetes_versions() -> list[str]:
    """Every minor version kubernetes-validate has schemas for, from MIN_KUBERNETES_VERSION on."""
    minors = {".".join(version.split(".")[:2]) for version in kv.all_versions()}
    return sorted((m for m in minors if _minor(m) >= _minor(MIN_KUBERNETES_VERSION)), key=_minor)


CRD_GROUPS_UNDER_K8S_IO = frozenset({"gateway.networking.k8s.io", "inference.networking.k8s.io"})
"""SIG projects' APIs under k8s.io that ship as CRDs, not with Kubernetes (validated with schemas/crds/)."""


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


def strict_json_schema(structural: dict[str, Any], *, root: bool = True) -> dict[str, Any]:
    """A CRD's structural schema as a JSON schema that, like strict field validation, refuses unknown fields: an object
    with declared properties admits no other unless it preserves unknown fields. Int-or-string becomes either type;
    `nullable` admits null. The root's `metadata` is checked only for what the CRD declares of it."""
    strict: dict[str, Any] = {}
    for key, value in structural.items():
        if key == "properties":
            strict[key] = {
                name: sub if root and name == "metadata" else strict_json_schema(sub, root=False)
                for name, sub in value.items()
            }
        elif key in ("items", "not") or (key == "additionalProperties" and isinstance(value, dict)):
            strict[key] = strict_json_schema(value, root=False)
        elif key in ("anyOf", "allOf", "oneOf"):
            strict[key] = [strict_json_schema(sub, root=False) for sub in value]
        else:
            strict[key] = value
    preserves_unknown = structural.get("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in structural and "additionalProperties" not in structural and not preserves_unknown:
        strict["additionalProperties"] = False
    if structural.get("x-kubernetes-int-or-string"):
        strict.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if structural.get("nullable") and "type" in strict:
        strict["type"] = [strict["type"], "null"]
    return strict


@functools.cache
def crd_structural_schema(path: Path) -> dict[str, Any] | None:
    """The vendored structural schema at `path`, or None when there is none."""
    return json.loads(path.read_text()) if path.exists() else None


@functools.cache
def _crd_validator(path: Path) -> jsonschema.protocols.Validator:
    structural = crd_structural_schema(path)
    assert structural is not None
    return jsonschema.validators.Draft202012Validator(strict_json_schema(structural))


def custom_resource_errors(body: dict[str, Any], schema_dir: Path = CRD_SCHEMA_DIR) -> list[str]:
    """Every error of a custom resource against its CRD's schema (strict); a missing schema is an error too."""
    path = schema_path(body["apiVersion"], body["kind"], schema_dir)
    if crd_structural_schema(path) is None:
        return [f"no schema {path.name} in {schema_dir} for {body['apiVersion']} {body['kind']}"]
    return [
        _describe(error)
        for error in sorted(_crd_validator(path).iter_errors(_opaque_secret_maps(body)), key=lambda e: list(e.path))
    ]
