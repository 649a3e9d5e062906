"""The configuration reference page (docs/reference/configuration.md), generated from the stack file's JSON Schema
(tools/stack_schema.py), itself generated from the config model: every key with its type, default, allowed values
and description, so the page cannot drift from what the program accepts.

    python -m tools.config_reference            # rewrites docs/reference/configuration.md
    python -m tools.config_reference --check    # exits 1 when the committed page is stale
"""

from __future__ import annotations

import json
import sys
from typing import Any

from stacks.config.loader import PROJECT
from tools.generated import write_or_check
from tools.stack_schema import ROOT, stack_file_schema

PAGE_PATH = ROOT / "docs" / "reference" / "configuration.md"

INTRO = f"""# Configuration reference

<!-- Generated from stacks/config/schema.py by `python -m tools.config_reference`; do not edit. -->

Every key lives in the `{PROJECT}:` namespace of `Pulumi.<stack>.yaml`, under `config:`. This page lists the shape
of each value; the rules across keys (a model's pool exists, the cloud offers the GPU, the budget) are checked by the
program, which reports every problem with the key path, the value and what is allowed ([how the stack file is
read](../manual.md#how-the-stack-file-is-read)). Editors check the same shapes as you type: see
[Editor support](editor.md).

A top-level number or boolean may also be written as text (`pulumi config set systemNodes 3` writes `"3"`), and
an optional top-level key left empty keeps its default.
"""


def reference_page(schema: dict[str, Any] | None = None) -> str:
    """The whole page, in Markdown."""
    schema = schema or stack_file_schema()
    definitions = schema["definitions"]
    config = schema["properties"]["config"]
    required = {key.removeprefix(f"{PROJECT}:") for key in config["required"]}
    top = {key.removeprefix(f"{PROJECT}:"): value for key, value in config["properties"].items()}
    sections = [INTRO, _table("Top-level keys", "", top, required, definitions)]
    for name, item in (("gpuPools", "GpuPool"), ("models", "ModelServing"), ("servedNames", "ServedName")):
        sections.extend(_sections(f"{name}.<name>", definitions[item], definitions))
    sections.extend(_sections("vectorStore", definitions["VectorStoreConfig"], definitions))
    return "\n".join(sections)


def _sections(path: str, schema: dict[str, Any], definitions: dict[str, Any]) -> list[str]:
    """The table of one object's keys, then one for each nested object, depth first."""
    properties = schema["properties"]
    out = [_table(f"`{path}`", schema.get("description", ""), properties, set(schema.get("required", [])), definitions)]
    for key, value in properties.items():
        nested = _object_ref(value, definitions)
        if nested is not None:
            suffix = "[]" if _is_list(value) else ""
            out.extend(_sections(f"{path}.{key}{suffix}", definitions[nested], definitions))
    return out


def _table(
    title: str, description: str, properties: dict[str, Any], required: set[str], definitions: dict[str, Any]
) -> str:
    lines = [f"## {title}", ""]
    if description:
        lines += [description, ""]
    lines += ["| key | type | default | allowed values | description |", "|---|---|---|---|---|"]
    for key, value in properties.items():
        type_text, allowed = _type_and_allowed(value, definitions)
        default = "(required)" if key in required else _default(value)
        text = _description(value, definitions)
        lines.append(f"| `{key}` | {type_text} | {default} | {_cell(allowed)} | {_cell(text)} |")
    return "\n".join(lines) + "\n"


def _options(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return schema.get("anyOf") or [schema]


def _object_ref(schema: dict[str, Any], definitions: dict[str, Any]) -> str | None:
    """The definition a key holds (directly, or as the items of a list), when that definition is an object."""
    for option in _options(schema):
        target = option.get("items", option) if option.get("type") == "array" else option
        ref = target.get("$ref", "").removeprefix("#/definitions/")
        if ref and definitions[ref].get("type") == "object":
            return ref
    return None


def _is_list(schema: dict[str, Any]) -> bool:
    return any(option.get("type") == "array" for option in _options(schema))


def _type_and_allowed(schema: dict[str, Any], definitions: dict[str, Any]) -> tuple[str, str]:
    if "properties" in schema and schema.get("type") == "object":  # a secret: {secure: ...}
        return "secret", "`pulumi config set --secret <key> <value>`"
    types: list[str] = []
    allowed: list[str] = []
    for option in _options(schema):
        ref = option.get("$ref", "").removeprefix("#/definitions/")
        target = definitions[ref] if ref else option
        kind = target.get("type")
        if kind == "null" or (kind == "string" and "pattern" in target and target["pattern"].startswith("^-?[0-9]")):
            continue  # "unset" and the text form of numbers are said once, in the intro
        if kind == "string" and target.get("enum") == ["true", "false"]:
            continue
        if kind == "object" and isinstance(target.get("additionalProperties"), dict):
            types.append("map")
            allowed.append("names (a Kubernetes name) to the settings below")
            continue
        if kind == "object" and ref:
            types.append("map")
            allowed.append("the keys below")
            continue
        types.append(_kind(target, definitions))
        allowed.extend(_bounds(target, definitions))
    return " or ".join(dict.fromkeys(types)) or "text", "; ".join(dict.fromkeys(a for a in allowed if a))


def _kind(schema: dict[str, Any], definitions: dict[str, Any]) -> str:
    kind = schema.get("type", "text")
    if kind == "array":
        item_type, _ = _type_and_allowed(schema.get("items", {}), definitions)
        return f"list of {item_type}"
    if kind == "object":
        return "map of text"
    return {"string": "text", "integer": "integer", "number": "number", "boolean": "boolean"}.get(kind, kind)


def _bounds(schema: dict[str, Any], definitions: dict[str, Any]) -> list[str]:
    out = []
    if "enum" in schema:
        out.append(", ".join(f"`{value}`" for value in schema["enum"]))
    out.append(_range(schema, "minimum", "maximum", ""))
    out.append(_range(schema, "minLength", "maxLength", " characters"))
    out.append(_range(schema, "minItems", "maxItems", " entries"))
    if "exclusiveMinimum" in schema:
        out.append(f"more than {schema['exclusiveMinimum']}")
    if "pattern" in schema:
        out.append(f"pattern `{schema['pattern']}`")
    if schema.get("type") == "array":
        out.extend(_bounds(schema.get("items", {}), definitions))
    return out


def _range(schema: dict[str, Any], low_key: str, high_key: str, unit: str) -> str:
    low, high = schema.get(low_key), schema.get(high_key)
    if low is not None and high is not None:
        return f"{low} to {high}{unit}"
    if low is not None:
        return f"at least {low}{unit}"
    if high is not None:
        return f"at most {high}{unit}"
    return ""


def _default(schema: dict[str, Any]) -> str:
    if "default" not in schema or schema["default"] is None:
        return "unset"
    value = schema["default"]
    if value in ([], {}):
        return "empty"
    return f"`{json.dumps(value) if not isinstance(value, str) else value}`"


def _description(schema: dict[str, Any], definitions: dict[str, Any]) -> str:
    if "description" in schema:
        return schema["description"]
    ref = _object_ref(schema, definitions)
    return definitions[ref].get("description", "") if ref else ""


def _cell(text: str) -> str:
    """A table cell: one line, its pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    return write_or_check(PAGE_PATH, reference_page(), module="tools.config_reference", doc=__doc__, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
