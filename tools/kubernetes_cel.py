"""CEL as the Kubernetes API server runs a CRD's `x-kubernetes-validations` rules, on cel-python (celpy).

What Kubernetes adds to standard CEL and celpy lacks, each only where a vendored rule uses it:
- property names escaped the way `k8s.io/apiserver/pkg/cel/escaping.go` does (`namespace` is `__namespace__`, `-` is
  `__dash__`, ...): Gateway API's rules read `p.__namespace__`. Map keys (additionalProperties) are not escaped;
- the string extension functions Kubernetes enables (cel-go `ext.Strings`): `upperAscii` (Envoy Gateway's
  health-check rule) and `split` (GKE's ComputeClass rules);
- `number` fields are doubles even when the JSON holds an integer.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import celpy
from celpy import celtypes

_RESERVED = frozenset(
    {
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import",
        "let", "loop", "package", "namespace", "return", "var", "void", "while",
    }
)  # fmt: skip
_ESCAPED = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}
_ESCAPABLE = re.compile(r"(__|[-./])")
_SUPPORTED_NAME = re.compile(r"[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*")


def escape_property(name: str) -> str | None:
    """The CEL identifier of a schema property, or None for a name CEL cannot reach (the API server hides it)."""
    if not _SUPPORTED_NAME.fullmatch(name):
        return None
    if name in _RESERVED:
        return f"__{name}__"
    return _ESCAPABLE.sub(lambda match: _ESCAPED[match.group(0)], name)


def _upper_ascii(text: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType("".join(c.upper() if c.isascii() else c for c in text))


def _split(text: celtypes.StringType, separator: celtypes.StringType, limit: Any = None) -> celtypes.ListType:
    """cel-go ext.Strings' split: a limit of 0 gives no substring, a negative one (or none) all of them."""
    if limit is not None and int(limit) == 0:
        return celtypes.ListType([])
    parts = text.split(separator) if limit is None or int(limit) < 0 else text.split(separator, int(limit) - 1)
    return celtypes.ListType([celtypes.StringType(part) for part in parts])


KUBERNETES_FUNCTIONS: dict[str, Any] = {"upperAscii": _upper_ascii, "split": _split}
"""The Kubernetes CEL library functions the vendored rules call that celpy does not define."""


def to_cel(value: Any, schema: dict[str, Any]) -> Any:
    """A JSON value as the CEL value the API server binds to `self` at a node of this structural schema."""
    if value is None:
        return None
    if isinstance(value, dict):
        properties = schema.get("properties")
        if properties is not None:
            fields = {}
            for name, item in value.items():
                escaped = escape_property(name)
                if escaped is not None:
                    fields[celtypes.StringType(escaped)] = to_cel(item, properties.get(name, {}))
            return celtypes.MapType(fields)
        items = schema.get("additionalProperties")
        sub = items if isinstance(items, dict) else {}
        return celtypes.MapType({celtypes.StringType(k): to_cel(v, sub) for k, v in value.items()})
    if isinstance(value, list):
        return celtypes.ListType([to_cel(item, schema.get("items", {})) for item in value])
    if schema.get("type") == "number" and isinstance(value, int) and not isinstance(value, bool):
        return celtypes.DoubleType(value)
    return celpy.json_to_cel(value)


@functools.cache
def _program(rule: str) -> celpy.Runner:
    environment = celpy.Environment()
    return environment.program(environment.compile(rule), functions=KUBERNETES_FUNCTIONS)


def violation(rule: str, self_value: Any) -> str | None:
    """None when the rule holds for `self`; otherwise why not: "false", or the evaluation error, which the API server
    rejects the object for too (e.g. reading a field that is not set, without `has()`)."""
    try:
        result = _program(rule).evaluate({"self": self_value})
    except celpy.CELEvalError as error:
        result = error
    if isinstance(result, celpy.CELEvalError):
        return f"error: {result.args[0] if result.args else result!r}"
    if not isinstance(result, celtypes.BoolType):
        return f"error: not a bool: {result!r}"
    return None if result else "false"
