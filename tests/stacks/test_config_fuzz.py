"""Any stack file plans, or stops with a clean configuration error: mutations of the example stacks, as users mistype
them, run through the offline plan in preview mode.

The promise checked on every mutant: the outcome is a plan, a ConfigError (from the program, as under `pulumi up`) or
a StackFileError (what the CLI would refuse to read); no other exception escapes; every problem line starts with a
key path (or, for the file itself, a line number) and is in the project's words, never pydantic's; no secret (the
stand-in for a decrypted `secure:` value, or a value set as a secret) appears in any message or in the plan.
Seeded (derandomized) so that CI replays the same mutants.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacks.config import ConfigError
from tools.offline import ROOT, Mode, run_program, stack_names
from tools.plan import build_plan, summary
from tools.stack_file import StackFileError

PROJECT = "llm-platform"
SECRET = "s3cr3t-value-never-shown"
CIPHERTEXT = "v1:AAAAciphertext"
STAND_IN = "offline-placeholder-for-"
# What a user types in place of a value: wrong types, nulls, booleans, empty and blank text, odd numbers.
VALUES: list[Any] = [
    None,
    True,
    False,
    "yes",
    "on",
    "",
    " ",
    0,
    -1,
    1.5,
    10**12,
    float("nan"),
    "1e3",
    [],
    {},
    ["x"],
    {"a": 1},
    "x" * 300,
    "Ünïcode",
    "0.0.0.0/0",
    "default",
    {"secure": CIPHERTEXT},
]
PROBLEM_LINE = re.compile(r"^  - (?P<path>[A-Za-z][\w-]*(:[\w-]+)?([.\[].*?)?): \S")
FILE_PROBLEM_LINE = re.compile(r"^  - line \d+(, column \d+)?: \S")
PYDANTIC_WORDING = ("Input should", "Value error", "Field required", "Extra inputs", "see the configuration reference")


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the config a value sits, the config's own keys first."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _at(config: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = config
    for part in path:
        node = node[part]
    return node


def _parent(config: dict[str, Any], path: tuple[Any, ...]) -> Any:
    return _at(config, path[:-1])


def _near_miss(key: str, index: int) -> str:
    """The key with one character dropped (or, for one-character keys, doubled)."""
    if len(key) < 2:
        return key * 2
    index %= len(key)
    return key[:index] + key[index + 1 :]


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    """(stack, stack file text, secrets set as `pulumi config set --secret` would) after up to 3 mutations (none or
    harmless ones leave a stack that plans, whose output is checked for secrets too)."""
    stack = draw(st.sampled_from(stack_names()))
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    secrets: dict[str, str] = {}
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(config)
        operation = draw(st.sampled_from(["set", "set", "delete", "unknown", "namespace", "secret"]))
        if operation == "set" and paths:
            path = draw(st.sampled_from(paths))
            _parent(config, path)[path[-1]] = copy.deepcopy(draw(st.sampled_from(VALUES)))
        elif operation == "delete" and paths:
            path = draw(st.sampled_from(paths))
            del _parent(config, path)[path[-1]]
        elif operation == "unknown":
            maps = [p for p in [(), *paths] if isinstance(_at(config, p), dict) and _at(config, p)]
            if maps:
                target = _at(config, draw(st.sampled_from(maps)))
                key = draw(st.sampled_from(sorted(map(str, target))))
                target[_near_miss(key, draw(st.integers(0, 40)))] = copy.deepcopy(target[key])
        elif operation == "namespace":
            namespace = draw(st.sampled_from(["llm-platfrom", "llm_platform", "LLM-Platform", "aws", "kubernetes"]))
            config[f"{namespace}:{draw(st.sampled_from(['monitoring', 'region', 'target']))}"] = "true"
        elif operation == "secret":
            key = draw(st.sampled_from(["hfToken", "hfToken", "region", "clusterName", "namespace"]))
            secrets[key] = f"{SECRET}-{key}"
    text = yaml.safe_dump({"config": config}, sort_keys=False, allow_unicode=True)
    lines = text.splitlines()
    text_operation = draw(st.sampled_from(["none"] * 6 + ["duplicate", "tab", "unclose", "truncate"]))
    index = draw(st.integers(0, max(len(lines) - 1, 0)))
    if text_operation == "duplicate" and len(lines) > 1:
        index = max(index, 1)
        lines.insert(index, lines[index])
    elif text_operation == "tab":
        lines[index] = "\t" + lines[index]
    elif text_operation == "unclose":
        lines[index] += " {"
    elif text_operation == "truncate":
        lines = lines[: index + 1]
    return stack, "\n".join(lines) + "\n", secrets


def _plan_text(stack: str, root: Path, secrets: dict[str, str]) -> str:
    plan = build_plan(run_program(stack, Mode.PREVIEW, root=root, secret_overrides=secrets))
    return json.dumps(plan.document, sort_keys=True, default=str) + json.dumps(plan.manifests) + summary(plan)


def _assert_clean(message: str, pattern: re.Pattern[str]) -> None:
    lines = message.splitlines()
    assert "nothing was created" in lines[0], message
    for line in lines[1:]:
        assert pattern.match(line), f"not a key path or line: {line!r}"
        assert not any(words in line for words in PYDANTIC_WORDING), line


@settings(
    derandomize=True,
    max_examples=45,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutants())
def test_a_mutated_stack_plans_or_stops_with_a_clean_config_error(mutant: tuple[str, str, dict[str, str]]) -> None:
    stack, text, secrets = mutant
    root = Path(tempfile.mkdtemp(prefix="config-fuzz-"))
    try:
        shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
        shutil.copy(ROOT / "__main__.py", root / "__main__.py")
        (root / f"Pulumi.{stack}.yaml").write_text(text)
        try:
            shown = _plan_text(stack, root, secrets)
        except ConfigError as error:
            shown = str(error)
            _assert_clean(shown, PROBLEM_LINE)
        except StackFileError as error:
            shown = str(error)
            _assert_clean(shown, FILE_PROBLEM_LINE)
        for secret in (SECRET, CIPHERTEXT, STAND_IN):
            assert secret not in shown
    finally:
        shutil.rmtree(root)
