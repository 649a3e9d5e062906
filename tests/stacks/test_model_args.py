"""The `Model` component takes its model's resolved plan and the stack's add-ons, never the whole `StackConfig`:
read from the types of its arguments (every field, recursively), and from the values the example stacks resolve."""

from __future__ import annotations

import dataclasses
import sys
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from stacks.config import ModelPlan, StackConfig, parse_config
from stacks.model import ModelArgs, Shared
from tests.support import stack_config
from tools.offline import stack_names


def field_types(cls: type) -> dict[str, Any]:
    """A dataclass's or a pydantic model's fields and their types, each evaluated in its class's module (a forward
    reference inside a library's alias, such as pulumi.Input's 'Output[T]', stays a ForwardRef)."""
    if issubclass(cls, BaseModel):
        return {name: field.annotation for name, field in cls.model_fields.items()}
    namespace = vars(sys.modules[cls.__module__])
    return {
        field.name: eval(field.type, namespace) if isinstance(field.type, str) else field.type  # noqa: S307
        for field in dataclasses.fields(cls)
    }


def reachable_types(root: Any, seen: set[Any] | None = None) -> Iterator[Any]:
    """Every type a value of `root` may hold: itself, the arguments of a generic or a union, and the fields of a
    dataclass or a pydantic model, recursively."""
    seen = set() if seen is None else seen
    if root in seen:
        return
    seen.add(root)
    yield root
    for argument in typing.get_args(root):
        yield from reachable_types(argument, seen)
    if isinstance(root, type) and (dataclasses.is_dataclass(root) or issubclass(root, BaseModel)):
        for hint in field_types(root).values():
            yield from reachable_types(hint, seen)


def reachable_values(value: Any, seen: set[int] | None = None) -> Iterator[Any]:
    """Every value held by `value`: dataclass fields, pydantic fields, mapping items, sequence items."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    yield value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        children: list[Any] = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, BaseModel):
        children = [getattr(value, name) for name in type(value).model_fields]
    elif isinstance(value, Mapping):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        children = list(value)
    else:
        children = []
    for child in children:
        yield from reachable_values(child, seen)


@dataclass(frozen=True)
class _Holder:
    inner: Mapping[str, tuple[StackConfig, ...]] | None


def test_the_walk_finds_a_stack_config_nested_in_a_mapping_of_tuples():
    assert StackConfig in set(reachable_types(_Holder))


def test_the_walk_reaches_the_models_plan_and_the_shared_settings():
    found = set(reachable_types(ModelArgs))
    assert {ModelPlan, Shared} <= found
    # Into the plan's own parts: its pydantic spec and its route.
    assert {type_ for type_ in found if getattr(type_, "__name__", "") in {"ModelServing", "RoutePlan"}}


def test_the_model_components_arguments_hold_no_stack_config():
    assert StackConfig not in set(reachable_types(ModelArgs))


@pytest.mark.parametrize("stack", stack_names())
def test_no_resolved_model_plan_holds_a_stack_config(stack: str):
    raw = {key.split(":", 1)[1]: value for key, value in stack_config(stack).items()}
    config = parse_config(raw, stack=stack)
    assert config.models
    held = [value for plan in config.models.values() for value in reachable_values(plan)]
    assert any(isinstance(value, ModelPlan) for value in held)
    assert not [value for value in held if isinstance(value, StackConfig)]
