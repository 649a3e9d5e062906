"""The CEL evaluator of tools/kubernetes_cel.py runs rules as the Kubernetes API server does."""

from __future__ import annotations

import json
import re
from typing import Any

import celpy.evaluation
import pytest

from tools.crd_sources import CRD_SCHEMA_DIR
from tools.kubernetes_cel import KUBERNETES_FUNCTIONS, escape_property, to_cel, violation

MACROS = {"has", "all", "exists", "exists_one", "map", "filter"}


def holds(rule: str, value: Any, schema: dict[str, Any] | None = None) -> bool:
    return violation(rule, to_cel(value, schema or {})) is None


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("port", "port"),
        ("namespace", "__namespace__"),
        ("in", "__in__"),
        ("x-forwarded.for/v1", "x__dash__forwarded__dot__for__slash__v1"),
        ("a__b", "a__underscores__b"),
        ("1st", None),
        ("a b", None),
    ],
)
def test_property_names_are_escaped_as_kubernetes_escapes_them(name: str, escaped: str | None) -> None:
    assert escape_property(name) == escaped


def test_a_rule_reads_a_reserved_property_name_escaped_and_a_map_key_as_it_is() -> None:
    schema = {"properties": {"namespace": {"type": "string"}, "labels": {"additionalProperties": {}}}}
    value = {"namespace": "keda", "labels": {"in": "x"}}
    assert holds("self.__namespace__ == 'keda' && self.labels['in'] == 'x'", value, schema)


def test_index_of_and_last_index_of_find_the_first_and_last_occurrence() -> None:
    assert holds("self.indexOf('*') == 0 && self.lastIndexOf('*') == 4", "*.ab*")
    assert holds("self.indexOf('*') == -1", "x-api-key")


def test_quantities_compare_by_value_whatever_their_suffix() -> None:
    assert holds("quantity(string(self)).isLessThan(quantity('16384'))", "16Ki") is False
    assert holds("quantity(string(self)).isLessThan(quantity('16384'))", "16383")
    assert holds("quantity(string(self)).isGreaterThan(quantity('1677215'))", "2M")
    assert holds("quantity(string(self)).isGreaterThan(quantity('1677215'))", "1.5Mi") is False


def test_agentgateways_buffer_size_rule_refuses_a_size_below_its_minimum() -> None:
    assert holds("!quantity(string(self)).isLessThan(quantity('16384'))", "8Ki") is False
    assert holds("!quantity(string(self)).isLessThan(quantity('16384'))", "64Ki")


def test_split_splits_on_the_separator_within_a_limit() -> None:
    assert holds("self.split('-') == ['n2d', 'standard', '8']", "n2d-standard-8")
    assert holds("self.split('-', 2) == ['n2d', 'standard-8']", "n2d-standard-8")
    assert holds("self.split('-', 0) == []", "n2d-standard-8")


def test_a_rule_that_reads_an_unset_field_is_a_violation_with_the_error() -> None:
    why = violation("self.portSpecification == 'USE_FIXED_PORT'", to_cel({"port": 8000}, {}))
    assert why is not None
    assert why.startswith("error:")


def test_a_true_side_of_an_or_absorbs_an_error_on_the_other_as_in_cel() -> None:
    assert holds("self.portSpecification == 'X' || !has(self.portSpecification)", {"port": 8000})


def test_a_false_rule_is_a_violation() -> None:
    assert violation("self.size() < 2", to_cel([1, 2], {})) == "false"


def test_a_number_field_is_a_double_even_when_written_as_an_integer() -> None:
    assert holds("self == 1.0", 1, {"type": "number"})


def test_durations_compare_as_durations() -> None:
    assert holds("duration(self) < duration('10m')", "600s") is False
    assert holds("duration(self) <= duration('10m')", "600s")


def _vendored_rules() -> list[str]:
    rules: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            rules.extend(rule["rule"] for rule in node.get("x-kubernetes-validations", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in CRD_SCHEMA_DIR.glob("*.json"):
        walk(json.loads(path.read_text()))
    return rules


def test_every_function_a_vendored_rule_calls_is_one_the_evaluator_defines() -> None:
    called = {name for rule in _vendored_rules() for name in re.findall(r"([A-Za-z_]\w*)\s*\(", rule)}
    known = set(celpy.evaluation.base_functions) | set(KUBERNETES_FUNCTIONS) | MACROS | {"dyn"}
    assert called - known == set()
    assert called & set(KUBERNETES_FUNCTIONS) == set(KUBERNETES_FUNCTIONS), "a Kubernetes function no rule uses"
