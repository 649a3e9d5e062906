"""What the program accepts from Pulumi before any rule runs: which keys may hold secrets, which namespaces are
mistakes, and the shapes Pulumi hands values in.

Pulumi passes every config value as a string keyed `<namespace>:<key>`; lists and maps arrive as their JSON text,
and a key holding a `secure:` value anywhere is marked secret and arrives decrypted (pulumi
sdk/go/common/resource/config/value.go; SDK pulumi/runtime/config.py). So:

* a secret in a key that holds no secret would be printed in plain text by the first message that shows the value;
  such keys are refused, naming the key, before any rule reads them;
* JSON text given for a text or number key is decoded, so that the rule that refuses it says "a list" or "a map"
  rather than accepting '["a"]' as a name;
* a boolean given where a number belongs is refused as the same text Pulumi hands over at the top level
  (`'true' is not a whole number`), nested or not: pydantic would otherwise read `true` as 1.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import types
import typing
from collections.abc import Iterable
from typing import Any


def secret_in_plain_key(key: str, secret_keys: Iterable[str]) -> str:
    """The message for a key that holds a `secure:` value but is no secret setting (the value is never shown)."""
    only = ", ".join(secret_keys)
    return (
        f"holds a Pulumi secret (a 'secure:' value), but it is not a secret setting, and the plan and its messages "
        f"would show it in plain text; set it without --secret (`pulumi config set {key} <value>`); only {only} "
        "may be a secret"
    )


def token_problem(value: Any, *, is_secret: bool, key: str) -> str | None:
    """Why a token key cannot be used, or None. Never shows the value."""
    if not is_secret:
        return f"must be a Pulumi secret, but is stored in plain text; run `pulumi config set --secret {key} <value>`"
    if not isinstance(value, str) or not value.strip():
        return f"is empty; set the token with `pulumi config set --secret {key} <token>`, or remove the key"
    return None


def decoded_json(value: Any) -> Any:
    """A top-level value Pulumi passed as JSON text (a YAML list or map) as that list or map; anything else as is."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        with contextlib.suppress(json.JSONDecodeError):
            decoded = json.loads(value)
            if isinstance(decoded, list | dict):
                return decoded
    return value


def namespace_near_misses(keys: Iterable[str], project: str) -> list[tuple[str, str]]:
    """(key, message) for each key whose namespace looks like a misspelling of the project's own: Pulumi passes it
    through, and the program would never read it. Other namespaces (`aws:region`, `kubernetes:context`) belong to
    providers and are left alone."""
    issues = []
    for key in keys:
        namespace, _, name = key.partition(":")
        if not name or namespace == project:
            continue
        close = namespace.lower() == project.lower() or difflib.get_close_matches(namespace, [project], cutoff=0.75)
        if close:
            issues.append(
                (
                    key,
                    f"namespace '{namespace}' is not this project's; did you mean '{project}:{name}'? "
                    f"(the program reads only '{project}:' keys)",
                )
            )
    return issues


def _allows(annotation: Any, wanted: type) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_allows(arg, wanted) for arg in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _allows(typing.get_args(annotation)[0], wanted)
    return annotation is wanted


def boolean_as_number(value: Any, annotation: Any) -> Any:
    """A boolean given to a number field, as the text Pulumi would hand over at the top level ('true'), so that it
    fails as a number; everything else unchanged."""
    if (
        isinstance(value, bool)
        and not _allows(annotation, bool)
        and (_allows(annotation, int) or _allows(annotation, float))
    ):
        return "true" if value else "false"
    return value
