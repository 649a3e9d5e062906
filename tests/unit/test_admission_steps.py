"""The steps of offline admission (tools/admission.py) on small schemas: defaulting as the API server's structural
defaulting does it, and CEL rules scoped to the node they sit on."""

from __future__ import annotations

from typing import Any

from tools.admission import rule_errors, with_defaults

NEVER_TWO = [{"rule": "self.size() < 2", "message": "at most one"}]


def test_an_absent_property_takes_its_default_and_a_present_one_keeps_its_value() -> None:
    schema = {"properties": {"a": {"type": "string", "default": "x"}, "b": {"type": "string", "default": "y"}}}
    assert with_defaults({"b": "set"}, schema) == {"a": "x", "b": "set"}


def test_a_default_object_is_defaulted_in_turn() -> None:
    inner = {"type": "object", "properties": {"mode": {"type": "string", "default": "Fast"}}, "default": {}}
    assert with_defaults({}, {"properties": {"options": inner}}) == {"options": {"mode": "Fast"}}


def test_array_items_and_map_values_are_defaulted() -> None:
    item = {"type": "object", "properties": {"weight": {"type": "integer", "default": 1}}}
    schema = {"properties": {"list": {"type": "array", "items": item}, "map": {"additionalProperties": item}}}
    value = {"list": [{}, {"weight": 5}], "map": {"k": {}}}
    assert with_defaults(value, schema) == {"list": [{"weight": 1}, {"weight": 5}], "map": {"k": {"weight": 1}}}


def test_a_null_takes_the_default_unless_the_field_is_nullable() -> None:
    schema = {"properties": {"a": {"default": 1}, "b": {"default": 2, "nullable": True}}}
    assert with_defaults({"a": None, "b": None}, schema) == {"a": 1, "b": None}


def test_defaulting_leaves_the_input_as_it_was() -> None:
    body: dict[str, Any] = {}
    with_defaults(body, {"properties": {"a": {"default": 1}}})
    assert body == {}


def test_a_rule_on_array_items_runs_on_each_item_with_its_path() -> None:
    schema = {"properties": {"rules": {"type": "array", "items": {"x-kubernetes-validations": NEVER_TWO}}}}
    errors = rule_errors({"rules": ["a", "bb", "c"]}, schema)
    assert [error.split(":")[0] for error in errors] == ["rules.1"]


def test_a_rule_on_map_values_runs_on_each_value_with_its_key() -> None:
    schema = {"properties": {"ports": {"additionalProperties": {"x-kubernetes-validations": NEVER_TWO}}}}
    errors = rule_errors({"ports": {"http": [1], "grpc": [1, 2]}}, schema)
    assert [error.split(":")[0] for error in errors] == ["ports.grpc"]
    assert "at most one (false)" in errors[0]


def test_a_rule_on_an_absent_node_does_not_run() -> None:
    schema = {"properties": {"tls": {"x-kubernetes-validations": NEVER_TWO}}}
    assert rule_errors({}, schema) == []


def test_a_transition_rule_does_not_run_on_create() -> None:
    schema = {"x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "immutable"}]}
    assert rule_errors("anything", schema) == []
