"""Read `Pulumi.<stack>.yaml` the way the Pulumi CLI does, and say clearly what is wrong when it cannot.

The CLI (Go, gopkg.in/yaml.v3) and PyYAML disagree on what a stack file means, and the offline plan must hand the
program what `pulumi preview` would:

* yaml.v3 refuses a mapping that repeats a key ("mapping key already defined"); PyYAML keeps the last one.
* A top-level config value is decoded into a Go string (pulumi sdk/go/common/resource/config/value.go,
  `unmarshalValue`: "First, try to unmarshal as a string"), which yaml.v3 fills with the scalar's text as written:
  `yes` stays "yes", `.nan` ".nan", `1.0` "1.0". A null (`~`, `null`, nothing) never reaches the unmarshaler and
  leaves the empty string: unset.
* Lists and maps become JSON text (objects); their scalars resolve by YAML 1.2's core schema (yaml.v3), in which
  `yes`/`on` are text, not booleans as PyYAML's YAML 1.1 has them. JSON has no NaN or infinity: the CLI cannot
  marshal them.
* A map whose only key is `secure` is a ciphertext; nested anywhere in an object, it makes the whole key secret
  (`hasSecureValue`) and the program receives it decrypted.
* Keys must be `<namespace>:<name>`, or the old `<namespace>:config:<name>` (config/key.go, `ParseKey`).

Every problem is reported with the file, the line, and the key path where there is one; nothing is raised as a
traceback.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

SECRET_PLACEHOLDER = "offline-placeholder-for-{key}"

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"


class _CoreSchemaLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2's core schema (what yaml.v3 resolves): no `yes`/`on` booleans, no
    sexagesimal numbers, no timestamps."""


_CoreSchemaLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_INT, r"^(?:[-+]?[0-9_]+|0o[0-7_]+|0x[0-9a-fA-F_]+)$", "-+0123456789"),
    (
        _FLOAT,
        r"^(?:[-+]?(?:\.[0-9_]+|[0-9_]+(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    (_MERGE, r"^(?:<<)$", ["<"]),
):
    _CoreSchemaLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


class StackFileError(Exception):
    """The stack file cannot be read as Pulumi would read it. Lines: `<file>, line <n>: <key path>: <problem>`."""

    def __init__(self, file_name: str, problems: list[str]) -> None:
        self.file_name = file_name
        self.problems = problems
        plural = "s" if len(problems) != 1 else ""
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{file_name} cannot be read ({len(problems)} problem{plural}); nothing was created:\n{lines}")


@dataclass(frozen=True)
class StackConfigValues:
    """What the CLI hands the program: `<namespace>:<key>` → string, and which keys are secrets."""

    config: dict[str, str]
    secret_keys: list[str]


def read_stack_config(path: Path) -> StackConfigValues:
    """The `config:` of a stack file as the CLI passes it to the program. Raises StackFileError."""
    name = path.name
    try:
        document = yaml.compose(path.read_text(), Loader=_CoreSchemaLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = error.problem or error.context or "not valid YAML"
        context = error.context_mark
        if error.context and context and mark and (context.line, context.column) != (mark.line, mark.column):
            problem += f" ({error.context} that starts at line {context.line + 1}, column {context.column + 1})"
        raise StackFileError(name, [f"{where}not valid YAML: {problem}"]) from None
    except yaml.YAMLError as error:
        raise StackFileError(name, [f"not valid YAML: {error}"]) from None
    reader = _Reader()
    config_node = reader.config_node(document)
    values: dict[str, str] = {}
    secrets: list[str] = []
    for key_node, value_node in reader.pairs(config_node, "config") if config_node is not None else []:
        key = _compat_key(key_node.value)
        if key.count(":") != 1 or not all(key.split(":")):
            reader.problem(
                key_node,
                f"config.{key}",
                "keys are '<namespace>:<name>', e.g. 'llm-platform:target' (Pulumi refuses any other form)",
            )
            continue
        text, secret = reader.config_value(value_node, key)
        if text is not None:
            values[key] = text
        if secret:
            secrets.append(key)
    if reader.problems:
        raise StackFileError(name, reader.problems)
    return StackConfigValues(values, sorted(secrets))


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, node: Node, path: str, message: str) -> None:
        self.problems.append(f"line {node.start_mark.line + 1}: {path}: {message}")

    def config_node(self, document: Node | None) -> MappingNode | None:
        if document is None:
            return None
        if not isinstance(document, MappingNode):
            self.problems.append(
                f"line {document.start_mark.line + 1}: the file must be a map with a 'config:' key, "
                f"got {_kind(document)}"
            )
            return None
        config = None
        for key_node, value_node in self.pairs(document, ""):
            if key_node.value == "config":
                config = value_node
        if config is None or (isinstance(config, ScalarNode) and config.tag == _NULL):
            return None
        if not isinstance(config, MappingNode):
            self.problem(config, "config", f"must be a map of '<namespace>:<name>: value', got {_kind(config)}")
            return None
        return config

    def pairs(self, node: MappingNode, path: str) -> list[tuple[ScalarNode, Node]]:
        """The map's entries, merges (`<<`) applied; a repeated key is a problem, as in yaml.v3."""
        entries: list[tuple[ScalarNode, Node]] = []
        seen: dict[str, int] = {}
        for key_node, value_node in _merged(node):
            key_path = f"{path}.{_key_text(key_node)}" if path else _key_text(key_node)
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path or "(top)", f"a key must be text, got {_kind(key_node)}")
                continue
            if key_node.value in seen:
                self.problem(
                    key_node,
                    key_path,
                    f"is defined twice (first at line {seen[key_node.value]}); Pulumi refuses repeated keys, keep one",
                )
                continue
            seen[key_node.value] = key_node.start_mark.line + 1
            entries.append((key_node, value_node))
        return entries

    def config_value(self, node: Node, key: str) -> tuple[str | None, bool]:
        """The string the program receives for one top-level key, and whether it is a secret."""
        path = f"config.{key}"
        if isinstance(node, ScalarNode):
            return ("" if node.tag == _NULL else node.value), False
        if _secure_text(node) is not None:
            return _placeholder(key.split(":")[-1], _secure_text(node) or ""), True
        holder = _SecretFlag()
        value = self.plain(node, path, holder)
        return _json(value), holder.found

    def plain(self, node: Node, path: str, secret: _SecretFlag) -> Any:
        """A value inside an object, as yaml.v3 resolves it and JSON carries it."""
        if isinstance(node, SequenceNode):
            return [self.plain(item, f"{path}[{index}]", secret) for index, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if _secure_text(node) is not None:
                secret.found = True
                return _placeholder(path.rsplit(".", 1)[-1], _secure_text(node) or "")
            entries = self.pairs(node, path)
            return {key.value: self.plain(value, f"{path}.{key.value}", secret) for key, value in entries}
        return self.scalar(node, path)

    def scalar(self, node: Node, path: str) -> Any:
        assert isinstance(node, ScalarNode)
        text = node.value
        if node.tag == _NULL:
            return None
        if node.tag == _BOOL:
            return text.lower() == "true"
        if node.tag == _INT:
            digits = text.replace("_", "")
            return int(digits, 16 if "0x" in digits else 8 if "0o" in digits else 10)
        if node.tag == _FLOAT:
            special = text.lstrip("+-").lower()
            number = math.nan if special == ".nan" else math.inf if special == ".inf" else float(text.replace("_", ""))
            if not math.isfinite(number):
                self.problem(node, path, f"{text} is not a number Pulumi can store (JSON has none); use a finite one")
                return None
            return number
        if node.tag != _STR:
            self.problem(node, path, f"the YAML tag {node.tag!r} is not supported; remove it")
            return None
        return text


class _SecretFlag:
    found = False


def _merged(node: MappingNode) -> list[tuple[Node, Node]]:
    """The map's own entries after those merged in by `<<` (which its own keys override)."""
    own = [(key, value) for key, value in node.value if key.tag != _MERGE]
    merged: list[tuple[Node, Node]] = []
    for key, value in node.value:
        if key.tag != _MERGE:
            continue
        sources = value.value if isinstance(value, SequenceNode) else [value]
        for source in sources:
            if isinstance(source, MappingNode):
                merged.extend(_merged(source))
    own_keys = {key.value for key, _ in own if isinstance(key, ScalarNode)}
    return [(key, value) for key, value in merged if key.value not in own_keys] + own


def _compat_key(key: str) -> str:
    """`<namespace>:config:<name>`, an old form the CLI still reads, as `<namespace>:<name>`."""
    parts = key.split(":")
    return f"{parts[0]}:{parts[2]}" if len(parts) == 3 and parts[1] == "config" and all(parts) else key


def _placeholder(key: str, ciphertext: str) -> str:
    """What the program gets for a secret: never the ciphertext, but following it, so that a plan diff sees a
    rotated secret as changed."""
    return SECRET_PLACEHOLDER.format(key=key) + "-" + hashlib.sha256(ciphertext.encode()).hexdigest()[:12]


def _secure_text(node: Node) -> str | None:
    if isinstance(node, MappingNode) and len(node.value) == 1:
        key, value = node.value[0]
        if isinstance(key, ScalarNode) and key.value == "secure" and isinstance(value, ScalarNode):
            return value.value if value.tag == _STR else None
    return None


def _key_text(node: Node) -> str:
    return node.value if isinstance(node, ScalarNode) else "?"


def _kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, MappingNode):
        return "a map"
    return "nothing" if node.tag == _NULL else "a single value"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
