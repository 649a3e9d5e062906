"""The stack file's JSON Schema (schemas/stack-file.schema.json): generated from the config model and kept in step
with it, it accepts every stack file of the repository and refuses the bad values the program refuses, and every
example names it for the editor."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from stacks.config import ConfigError, parse_config
from stacks.config.loader import PROJECT
from stacks.config.observability import ALERT_RECEIVER_KEYS
from stacks.config.schema import OBJECT_KEYS, SECRET_KEYS, GpuPool, ModelServing, RawConfig
from tests.docs.stack_files import EXAMPLES, example_stack_files, root_stack_files
from tools.offline import ROOT
from tools.stack_schema import SCHEMA_PATH, SECRET_DESCRIPTIONS, render, stack_file_schema

SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
HINT = "# yaml-language-server: $schema="


def test_the_committed_schema_is_what_the_config_model_generates() -> None:
    assert SCHEMA_PATH.read_text() == render(stack_file_schema()), "run `python -m tools.stack_schema`"


def test_the_schema_is_a_valid_draft_7_schema() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_every_key_of_the_config_model_is_a_property_with_a_description() -> None:
    properties = SCHEMA["properties"]["config"]["properties"]
    keys = [field.alias or name for name, field in RawConfig.model_fields.items()]
    expected = {f"{PROJECT}:{key}" for key in [*keys, *OBJECT_KEYS, *SECRET_KEYS]}
    assert set(properties) == expected
    assert [key for key, value in properties.items() if not value.get("description")] == []


@pytest.mark.parametrize("model", [GpuPool, ModelServing])
def test_every_nested_key_has_a_description(model: type[Any]) -> None:
    missing = [
        f"{name}.{key}"
        for name, definition in SCHEMA["definitions"].items()
        for key, value in definition.get("properties", {}).items()
        if not value.get("description")
    ]
    assert model.__name__ in SCHEMA["definitions"]
    assert missing == []


def test_every_secret_key_and_alert_receiver_is_described() -> None:
    assert set(SECRET_DESCRIPTIONS) == set(SECRET_KEYS)
    assert set(ALERT_RECEIVER_KEYS) <= set(SECRET_DESCRIPTIONS)


def test_enums_of_the_model_are_enums_of_the_schema() -> None:
    definitions = SCHEMA["definitions"]
    assert definitions["Target"]["enum"] == ["aws", "gcp", "azure", "existing"]
    assert "H100" in definitions["GpuType"]["enum"]
    assert definitions["ModelServing"]["properties"]["kvCacheDtype"]["enum"] == ["auto", "fp8"]


@pytest.mark.parametrize("path", root_stack_files() + example_stack_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_stack_file_of_the_repository_validates(path: Path) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


@pytest.mark.parametrize("path", example_stack_files(), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_example_names_the_schema_on_its_first_line(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first.startswith(HINT)
    assert (path.parent / first.removeprefix(HINT)).resolve() == SCHEMA_PATH


def test_a_secret_in_plain_text_is_refused() -> None:
    document = _laptop()
    document["config"][f"{PROJECT}:hfToken"] = "hf_plain_text"
    assert not VALIDATOR.is_valid(document)
    document["config"][f"{PROJECT}:hfToken"] = {"secure": "AAABAJ0="}
    assert VALIDATOR.is_valid(document)


def test_other_namespaces_pass_and_an_unknown_key_of_the_project_does_not() -> None:
    document = _laptop()
    document["config"]["kubernetes:context"] = "kind-llm-dev"
    assert VALIDATOR.is_valid(document)
    document["config"][f"{PROJECT}:modelz"] = {}
    assert not VALIDATOR.is_valid(document)


def test_a_number_written_as_text_at_the_top_level_is_accepted_as_pulumi_config_set_writes_it() -> None:
    document = _laptop()
    document["config"][f"{PROJECT}:systemNodes"] = "3"
    document["config"][f"{PROJECT}:monitoring"] = "true"
    assert VALIDATOR.is_valid(document)
    assert _program_issues(document) == []


# (where, value): each a value the config model refuses by its shape; None as the value removes nothing, it sets.
BAD_VALUES = [
    (("target",), "openstack"),
    (("systemNodes",), 11),
    (("namespace",), "Bad_Name"),
    (("acmeEmail",), "not-an-email"),
    (("maxHourlyCost",), 0),
    (("deployerPrincipalType",), "robot"),
    (("gpuPools", "l4", "gpu"), "V100"),
    (("gpuPools", "l4", "capacity"), "preemptible"),
    (("gpuPools", "l4", "gpusPerNode"), 0),
    (("gpuPools", "l4", "sharing", "mode"), "mps"),
    (("gpuPools", "l4", "maxNodes"), True),
    (("models", "qwen", "engine"), "tgi"),
    (("models", "qwen", "minReplicas"), -1),
    (("models", "qwen", "huggingFaceId"), "no-organisation"),
    (("models", "qwen", "kvCacheDtype"), "fp4"),
    (("models", "qwen", "cpuCores"), True),
    (("models", "qwen", "contextTokens"), 4096),
    (("models", "qwen", "slo", "ttftSeconds"), 0),
    (("models", "qwen", "host"), "https://llm.example.com"),
    (("models", "qwen", "loadBalancer", "sourceRanges"), []),
]


@pytest.mark.parametrize(("where", "value"), BAD_VALUES, ids=lambda v: ".".join(v) if isinstance(v, tuple) else None)
def test_a_bad_value_the_program_refuses_the_schema_refuses(where: tuple[str, ...], value: Any) -> None:
    document = _laptop()
    document["config"][f"{PROJECT}:gpuPools"] = {"l4": {"gpu": "L4"}}
    assert VALIDATOR.is_valid(document)
    _set(document["config"], (f"{PROJECT}:{where[0]}", *where[1:]), value)
    issues = _program_issues(document)
    assert any(issue.startswith(".".join(where[:3])) for issue in issues), issues
    assert not VALIDATOR.is_valid(document)


def _laptop() -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / "laptop" / "Pulumi.laptop.yaml").read_text())


def _set(config: dict[str, Any], where: tuple[str, ...], value: Any) -> None:
    for key in where[:-1]:
        config = config.setdefault(key, {})
    config[where[-1]] = value


def _program_issues(document: dict[str, Any]) -> list[str]:
    """The program's problems with the document's config, as `path: message` lines."""
    raw = {key.removeprefix(f"{PROJECT}:"): copy.deepcopy(value) for key, value in document["config"].items()}
    try:
        parse_config(raw, stack="laptop")
    except ConfigError as error:
        return [str(issue) for issue in error.issues]
    return []
