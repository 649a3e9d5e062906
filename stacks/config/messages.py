"""pydantic's validation errors in the project's words: `value, what is allowed`, never pydantic's own wording.

Each message names what the key allows, read from the model itself (the field's bounds, enum members, allowed
keys) or from the hint its pattern carries; values are shown as the user wrote them. Values of secret keys never get
here: the config loader refuses or skips them before validation (stacks/config/loader.py, `parse_config`).
"""

from __future__ import annotations

import difflib
import enum
import json
import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails


def show(value: Any) -> str:
    """A value as the user wrote it in YAML: text quoted, maps and lists as JSON, booleans and null in YAML's words."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return repr(value)


def key_path(loc: tuple[Any, ...]) -> str:
    """`models.chat.clients[0].podLabels['app.kubernetes.io/name']`: dots between keys, brackets for list indexes
    and for keys that contain dots or slashes."""
    parts: list[str] = []
    for part in loc:
        text = str(part)
        if parts and isinstance(part, int):
            parts[-1] += f"[{part}]"
        elif parts and ("." in text or "/" in text):
            parts[-1] += f"[{text!r}]"
        else:
            parts.append(text)
    return ".".join(parts)


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _unwrap(annotation: Any) -> list[Any]:
    """The types a field annotation allows, `None` dropped: `int | None` → [int]."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return [annotation]


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    return [t for t in _unwrap(annotation) if isinstance(t, type) and issubclass(t, BaseModel)]


def field_at(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model holding the last key of `loc`, and that key's field (None inside a map or list of plain values)."""
    model: type[BaseModel] | None = root
    field: FieldInfo | None = None
    index = 0
    while model is not None and index < len(loc):
        part = loc[index]
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return model, None
        if index == len(loc) - 1:
            return model, field
        annotation = _unwrap(field.annotation)[0]
        origin = typing.get_origin(annotation)
        if origin in (dict, list):
            items = typing.get_args(annotation)[-1]
            nested = _models_in(items)
            if not nested:
                return model, _item_field(items) if index + 2 == len(loc) else None
            model, index = nested[0], index + 2
            continue
        nested = _models_in(field.annotation)
        if not nested:
            return model, None
        model, index = nested[0], index + 1
    return model, field


def _item_field(items: Any) -> FieldInfo | None:
    """The constraints of a list's or map's items (`list[Annotated[str, Field(pattern=...)]]`), if any."""
    if typing.get_origin(items) is typing.Annotated:
        return next((arg for arg in typing.get_args(items)[1:] if isinstance(arg, FieldInfo)), None)
    return None


def _bounds(field: FieldInfo | None) -> str:
    """'from 1 to 16', 'at least 1', 'above 0 and at most 2000', or ''."""
    if field is None:
        return ""
    low = high = ""
    for item in field.metadata:
        if isinstance(item, Ge):
            low = f"at least {item.ge}"
        elif isinstance(item, Gt):
            low = f"above {item.gt}"
        elif isinstance(item, Le):
            high = f"at most {item.le}"
        elif isinstance(item, Lt):
            high = f"below {item.lt}"
    if low.startswith("at least") and high.startswith("at most"):
        return f"from {low.removeprefix('at least ')} to {high.removeprefix('at most ')}"
    return " and ".join(part for part in (low, high) if part)


def _number_rule(kind: str, field: FieldInfo | None) -> str:
    bounds = _bounds(field)
    return f"use a {kind}{' ' + bounds if bounds else ''}"


def _text_rule(field: FieldInfo | None, pattern_hints: Mapping[str, str]) -> str:
    if field is None:
        return "use text (quote it in YAML)"
    patterns = [getattr(item, "pattern", None) for item in field.metadata if getattr(item, "pattern", None)]
    if patterns and patterns[0] in pattern_hints:
        return pattern_hints[patterns[0]]
    choices = [t for t in _unwrap(field.annotation) if isinstance(t, type) and issubclass(t, enum.Enum)]
    if choices:
        return f"use one of {', '.join(repr(member.value) for member in choices[0])}"
    lengths = [item for item in field.metadata if isinstance(item, MinLen | MaxLen)]
    if lengths:
        low = next((i.min_length for i in lengths if isinstance(i, MinLen)), 1)
        high = next((i.max_length for i in lengths if isinstance(i, MaxLen)), None)
        return f"use text of {low} to {high} characters" if high else f"use text of at least {low} characters"
    return "use text (quote it in YAML)"


def _enum_hint(value: Any, field: FieldInfo | None) -> str:
    """` Did you mean 'T4'?` for a value that differs from a member in case, or is one typo away from one."""
    choices = (
        [t for t in _unwrap(field.annotation) if isinstance(t, type) and issubclass(t, enum.Enum)] if field else []
    )
    if not choices or not isinstance(value, str):
        return ""
    members = {str(member.value).lower(): str(member.value) for member in choices[0]}
    wanted = value.lower()
    exact = [members[wanted]] if wanted in members else []
    # 'A100' means one of the A100s: the members it begins, before the spellings one typo away.
    variants = [name for key, name in members.items() if key.startswith(f"{wanted}-")]
    matches = exact or variants or [members[m] for m in difflib.get_close_matches(wanted, list(members), n=2)]
    return f"; did you mean {' or '.join(repr(m) for m in matches)}?" if matches else ""


def describe(
    item: ErrorDetails, root: type[BaseModel], pattern_hints: Mapping[str, str], root_keys: Sequence[str] = ()
) -> str:
    """One pydantic error as `value, what is allowed` (without the key path). `root_keys`: keys of the top level
    the root model does not hold itself (the maps and the secrets the loader reads apart), allowed all the same."""
    loc = tuple(item["loc"])
    kind = item["type"]
    ctx = item.get("ctx") or {}
    value = item.get("input")
    model, field = field_at(root, loc)
    if kind == "extra_forbidden":
        allowed = allowed_keys(model) if model else []
        if model is root:
            allowed += [key for key in root_keys if key not in allowed]
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f" Did you mean '{hint[0]}'?" if hint else ""
        return f"unknown key; allowed keys: {', '.join(allowed)}.{suggestion}"
    if kind == "missing":
        return "is required"
    if kind in {"enum", "literal_error"}:
        allowed = f"{show(value)} is not allowed; use one of {ctx.get('expected', '')}".replace(" or ", ", ")
        return allowed + _enum_hint(value, field)
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"{show(value)} is not valid; {pattern_hints.get(pattern, f'it must match {pattern}')}"
    if kind in {"int_parsing", "int_type", "int_from_float", "int_parsing_size"}:
        return f"{show(value)} is not a whole number; {_number_rule('whole number', field)}"
    if kind in {"float_parsing", "float_type", "finite_number"}:
        return f"{show(value)} is not a number; {_number_rule('number', field)}"
    if kind in {"bool_parsing", "bool_type"}:
        return f"{show(value)} is not true or false; use true or false"
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        bound = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
        limit = next(v for k, v in ctx.items() if k in {"ge", "gt", "le", "lt"})
        return f"{show(value)} is out of range; must be {bound[kind]} {limit}"
    if kind in {"dict_type", "model_type", "model_attributes_type", "mapping_type"}:
        return f"must be a map of settings, got {show(value)}"
    if kind == "string_type":
        return f"must be text, got {show(value)}; {_text_rule(field, pattern_hints)}"
    if kind in {"list_type", "iterable_type", "tuple_type", "set_type"}:
        return f"must be a list, got {show(value)}; write one item per line, each starting with '- '"
    if kind == "too_short":
        return f"{show(value)} must list at least {ctx['min_length']} item(s)"
    if kind == "too_long":
        return f"lists {ctx['actual_length']} items; must list at most {ctx['max_length']}"
    if kind == "string_too_short":
        return f"{show(value)} must be at least {ctx['min_length']} character{'s' if ctx['min_length'] != 1 else ''}"
    if kind == "string_too_long":
        return f"{show(value)} must be at most {ctx['max_length']} characters"
    if kind == "value_error":
        # A field validator's own words ("must not contain white space"): pydantic prefixes "Value error, ".
        return f"{show(value)} {str(item['msg']).removeprefix('Value error, ')}"
    return (
        f"{show(value)} is not valid here; see the configuration reference (docs/reference/configuration.md) for what "
        f"{loc[-1]} allows"
    )
