"""CEL as the Kubernetes API server runs a CRD's `x-kubernetes-validations` rules, on cel-python (celpy).

What Kubernetes adds to standard CEL and celpy lacks, each only where a vendored rule uses it:
- property names escaped the way `k8s.io/apiserver/pkg/cel/escaping.go` does (`namespace` is `__namespace__`, `-` is
  `__dash__`, ...): Gateway API's rules read `p.__namespace__`. Map keys (additionalProperties) are not escaped;
- the string extension functions Kubernetes enables (cel-go `ext.Strings`): `split` (GKE's ComputeClass rules),
  `indexOf` and `lastIndexOf` (agentgateway's header-name rules);
- Kubernetes' quantity library (k8s.io/apiserver/pkg/cel/library/quantity.go): `quantity()`, `isLessThan`,
  `isGreaterThan` (agentgateway's buffer-size rules), a quantity compared by its exact value;
- `number` fields are doubles even when the JSON holds an integer.
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction
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


def _index_of(text: celtypes.StringType, sub: celtypes.StringType) -> celtypes.IntType:
    return celtypes.IntType(text.find(sub))


def _last_index_of(text: celtypes.StringType, sub: celtypes.StringType) -> celtypes.IntType:
    return celtypes.IntType(text.rfind(sub))


_BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_QUANTITY = re.compile(r"([+-]?[0-9]*\.?[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?")


def _quantity(text: celtypes.StringType) -> celtypes.StringType:
    """A resource.Quantity's exact value, as a string `isLessThan` and `isGreaterThan` compare as a fraction."""
    match = _QUANTITY.fullmatch(str(text))
    if match is None:
        raise ValueError(f"invalid quantity {text!r}")
    number, suffix = Fraction(match.group(1)), match.group(2) or ""
    if suffix in _BINARY_SUFFIXES:
        value = number * _BINARY_SUFFIXES[suffix]
    elif suffix in _DECIMAL_SUFFIXES:
        value = number * Fraction(10) ** _DECIMAL_SUFFIXES[suffix]
    else:
        value = number * Fraction(10) ** int(suffix[1:])
    return celtypes.StringType(str(value))


def _is_less_than(left: celtypes.StringType, right: celtypes.StringType) -> celtypes.BoolType:
    return celtypes.BoolType(Fraction(str(left)) < Fraction(str(right)))


def _is_greater_than(left: celtypes.StringType, right: celtypes.StringType) -> celtypes.BoolType:
    return celtypes.BoolType(Fraction(str(left)) > Fraction(str(right)))


def _split(text: celtypes.StringType, separator: celtypes.StringType, limit: Any = None) -> celtypes.ListType:
    """cel-go ext.Strings' split: a limit of 0 gives no substring, a negative one (or none) all of them."""
    if limit is not None and int(limit) == 0:
        return celtypes.ListType([])
    parts = text.split(separator) if limit is None or int(limit) < 0 else text.split(separator, int(limit) - 1)
    return celtypes.ListType([celtypes.StringType(part) for part in parts])


KUBERNETES_FUNCTIONS: dict[str, Any] = {
    "split": _split,
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "quantity": _quantity,
    "isLessThan": _is_less_than,
    "isGreaterThan": _is_greater_than,
}
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
