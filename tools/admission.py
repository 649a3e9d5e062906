"""A custom resource admitted offline as the API server admits it on create: the CRD's structural defaults applied
(k8s.io/apiextensions-apiserver pkg/apiserver/schema/defaulting/algorithm.go), then its schema (strict, as
tools/validation.py checks it), then every `x-kubernetes-validations` CEL rule at each node it sits on, array items
and map values included (tools/kubernetes_cel.py). Transition rules (those reading `oldSelf`) run only on update,
so not here. A kind with a schema in another channel (Gateway API's experimental one) is admitted under each.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tools.crd_sources import CRD_SCHEMA_DIR, channel_schema_paths, schema_path
from tools.kubernetes_cel import to_cel, violation
from tools.validation import crd_structural_schema, custom_resource_errors


def with_defaults(value: Any, schema: dict[str, Any]) -> Any:
    """A copy of the value with every absent (or non-nullable null) property that has a default set to it, at every
    depth, defaults included, the way the API server defaults a stored object."""
    defaulted = copy.deepcopy(value)
    _default(defaulted, schema)
    return defaulted


def _default(value: Any, schema: dict[str, Any]) -> None:
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name, sub in properties.items():
            if "default" in sub and (name not in value or (value[name] is None and not sub.get("nullable"))):
                value[name] = copy.deepcopy(sub["default"])
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in properties:
                _default(item, properties[name])
            elif isinstance(extra, dict):
                _default(item, extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _default(item, schema["items"])


def rule_errors(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """Every CEL rule broken at this node or below, as `<path>: <message> (<why>) [<rule>]`."""
    if value is None:
        return []
    errors = []
    rules = [rule for rule in schema.get("x-kubernetes-validations", []) if "oldSelf" not in rule["rule"]]
    if rules:
        self_value = to_cel(value, schema)
        for rule in rules:
            why = violation(rule["rule"], self_value)
            if why is not None:
                message = rule.get("message") or f"failed rule: {rule['rule']}"
                errors.append(f"{where or '(root)'}: {message} ({why}) [{rule['rule']}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            sub = properties.get(name, extra if isinstance(extra, dict) and name not in properties else None)
            if sub is not None:
                errors += rule_errors(item, sub, f"{where}.{name}" if where else name)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            errors += rule_errors(item, schema["items"], f"{where}.{index}")
    return errors


def admission_errors(body: dict[str, Any], schema_dir: Path = CRD_SCHEMA_DIR) -> list[str]:
    """What the API server would refuse of this custom resource on create (an empty list: it would admit it), under
    its CRD and under each other channel of it; errors of another channel start with `[<channel>]`."""
    path = schema_path(body["apiVersion"], body["kind"], schema_dir)
    errors = _errors_under(body, path)
    for other in channel_schema_paths(body["apiVersion"], body["kind"], schema_dir):
        errors += [f"[{other.parent.name}] {error}" for error in _errors_under(body, other)]
    return errors


def _errors_under(body: dict[str, Any], path: Path) -> list[str]:
    schema = crd_structural_schema(path)
    if schema is None:
        return custom_resource_errors(body, path.parent)
    defaulted = with_defaults(body, schema)
    return custom_resource_errors(defaulted, path.parent) + rule_errors(defaulted, schema)
