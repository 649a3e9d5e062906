"""The JSON Schema of a stack file (`Pulumi.<stack>.yaml`), generated from the config model (stacks/config/schema.py)
so that editors complete and check the file as it is typed (the `yaml-language-server: $schema=` hint).

Every `llm-platform:<key>` of `config:` is a property, with the description, default, enum, pattern and bounds the
pydantic model gives it. The schema describes the shape of each value only: the rules across keys (a model's pool
exists, a GPU the cloud offers) stay with the program, which reports them at `make plan`.

Two things differ from the models' own JSON Schema, both from how Pulumi hands values over
(stacks/config/inputs.py): a top-level number or boolean may be written as text (`pulumi config set systemNodes 3`
writes `"3"`), and an optional top-level key may be left empty (`~`: its default applies).

    python -m tools.stack_schema            # rewrites schemas/stack-file.schema.json
    python -m tools.stack_schema --check    # exits 1 when the committed file is stale
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from stacks.config.loader import PROJECT
from stacks.config.schema import (
    OBJECT_KEYS,
    AuthConfig,
    GpuPool,
    ModelServing,
    PriceOverride,
    RawConfig,
    ServedName,
    VectorStoreConfig,
)
from tools.generated import write_or_check

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "schemas" / "stack-file.schema.json"

SECRET_DESCRIPTIONS = {
    "hfToken": "A Hugging Face token, needed for gated models: `pulumi config set --secret hfToken <token>`.",
    "alertWebhookUrl": "With monitoring and no prometheusUrl: a URL Alertmanager posts every alert to.",
    "alertSlackWebhookUrl": "With monitoring and no prometheusUrl: a Slack incoming-webhook URL for the alerts.",
    "alertTeamsWebhookUrl": "With monitoring and no prometheusUrl: a Microsoft Teams workflow webhook URL.",
    "alertPagerDutyRoutingKey": "With monitoring and no prometheusUrl: a PagerDuty Events API v2 routing key.",
}
"""The secret keys have no pydantic field (the program reads them as Pulumi secrets): their descriptions."""

# What `pulumi config set` writes for a number or a boolean at the top level.
_NUMBER_TEXT = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
_INTEGER_TEXT = {"type": "string", "pattern": r"^-?[0-9]+$"}
_BOOLEAN_TEXT = {"type": "string", "enum": ["true", "false"]}
_TEXT_FOR = {"integer": _INTEGER_TEXT, "number": _NUMBER_TEXT, "boolean": _BOOLEAN_TEXT}


def stack_file_schema() -> dict[str, Any]:
    """The schema of a whole stack file, keys namespaced `llm-platform:<key>` inside `config:`."""
    definitions: dict[str, Any] = {}
    top = _model_schema(RawConfig, definitions)
    properties: dict[str, Any] = {}
    for key, schema in top["properties"].items():
        properties[key] = schema if key in top.get("required", []) else _top_level_optional(schema)
    for key, model, what in (
        ("gpuPools", GpuPool, "GPU pool"),
        ("models", ModelServing, "Model"),
        ("servedNames", ServedName, "Served name (what clients send as `model`)"),
    ):
        assert key in OBJECT_KEYS
        item = _model_schema(model, definitions)
        name = model.__name__
        definitions[name] = item
        properties[key] = {
            "description": f"{what} name (lowercase letters, digits and '-') -> its settings.",
            "anyOf": [
                {
                    "type": "object",
                    "propertyNames": {"pattern": r"^[a-z]([-a-z0-9]*[a-z0-9])?$", "maxLength": 40},
                    "additionalProperties": {"$ref": f"#/definitions/{name}"},
                },
                {"type": "null"},
            ],
        }
    assert "priceOverrides" in OBJECT_KEYS
    definitions[PriceOverride.__name__] = _model_schema(PriceOverride, definitions)
    properties["priceOverrides"] = {
        "description": "Machine type (e.g. g6.2xlarge) or fixed catalogue item -> the price the stack gives where the "
        "catalogue has none or you pay another: `onDemand`/`spot` USD per hour for a machine, `usd` for a fixed item.",
        "anyOf": [
            {
                "type": "object",
                "propertyNames": {"minLength": 1, "maxLength": 100},
                "additionalProperties": {"$ref": f"#/definitions/{PriceOverride.__name__}"},
            },
            {"type": "null"},
        ],
    }
    assert "auth" in OBJECT_KEYS
    definitions[AuthConfig.__name__] = _model_schema(AuthConfig, definitions)
    properties["auth"] = {
        "description": "Who may call the models exposed with `host`: API-key clients and their limits per minute "
        "(a model's own `auth` replaces it).",
        "anyOf": [{"$ref": f"#/definitions/{AuthConfig.__name__}"}, {"type": "null"}],
    }
    assert "vectorStore" in OBJECT_KEYS
    definitions[VectorStoreConfig.__name__] = _model_schema(VectorStoreConfig, definitions)
    properties["vectorStore"] = {
        "description": "PostgreSQL with pgvector in the cluster that only `applicationNamespace` reaches.",
        "anyOf": [{"$ref": f"#/definitions/{VectorStoreConfig.__name__}"}, {"type": "null"}],
    }
    for key, description in SECRET_DESCRIPTIONS.items():
        properties[key] = {
            "description": f"{description} Only as a Pulumi secret (`secure:`), never in plain text.",
            "type": "object",
            "properties": {"secure": {"type": "string", "minLength": 1}},
            "required": ["secure"],
            "additionalProperties": False,
        }
    config = {
        "description": "Stack configuration: this project's keys as `llm-platform:<key>`; other namespaces (`aws:`, "
        "`kubernetes:`) belong to providers.",
        "type": "object",
        "properties": {f"{PROJECT}:{key}": value for key, value in properties.items()},
        "required": [f"{PROJECT}:{key}" for key in top.get("required", [])],
        # Any other namespace passes (the providers'); an unknown key of this project is an error, as in the program.
        "patternProperties": {f"^(?!{PROJECT}:)[^:]+:.+$": {}},
        "additionalProperties": False,
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Pulumi.<stack>.yaml of the llm-platform project",
        "description": "Generated from stacks/config/schema.py by `python -m tools.stack_schema`; do not edit.",
        "type": "object",
        "properties": {
            "config": config,
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {"description": "Pulumi ESC environments the stack imports."},
        },
        "definitions": dict(sorted(definitions.items())),
    }


def _model_schema(model: type[Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON Schema (aliases as keys), its nested models moved into `definitions`, titles dropped."""
    schema = model.model_json_schema(by_alias=True, mode="validation", ref_template="#/definitions/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        definitions[name] = _without_titles(definition)
    return _without_titles(schema)


def _without_titles(value: Any) -> Any:
    """pydantic's titles repeat the key (`Gpuspernode`): an editor would show them instead of the description."""
    if isinstance(value, dict):
        return {k: _without_titles(v) for k, v in value.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(value, list):
        return [_without_titles(v) for v in value]
    return value


def _top_level_optional(schema: dict[str, Any]) -> dict[str, Any]:
    """A top-level key as Pulumi hands it over: its numbers and booleans also as text, and empty (unset) allowed."""
    schema = copy.deepcopy(schema)
    options = schema.pop("anyOf", None) or [{k: schema.pop(k) for k in list(schema) if k not in _ANNOTATIONS}]
    options = [o for o in options if o.get("type") != "null"]
    extra = [_TEXT_FOR[o["type"]] for o in options if o.get("type") in _TEXT_FOR]
    schema["anyOf"] = [*options, *extra, {"type": "null"}]
    return schema


_ANNOTATIONS = ("description", "default", "examples")


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    return write_or_check(SCHEMA_PATH, render(stack_file_schema()), module="tools.stack_schema", doc=__doc__, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
