"""Helpers for tests that run code under the mock runtime."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import yaml

from tools.offline import Registration, planned_stack_names, reveal, run_under_mocks, stack_file, stack_names
from tools.reachability import Pod


class Registered:
    """What one mock run registered, with lookups by type and name."""

    def __init__(self, registrations: list[Registration], outputs: dict[str, Any]) -> None:
        self.registrations = registrations
        self.outputs = outputs

    def all(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Registration:
        matches = [r for r in self.all(type_) if name is None or r.name == name]
        assert len(matches) == 1, f"expected one {type_} {name or ''}, got {[r.name for r in matches]}"
        return matches[0]

    def inputs(self, type_: str, name: str | None = None) -> dict[str, Any]:
        """The resource's inputs with secrets shown as "[secret]" and unknowns as "[unknown]"."""
        return reveal(self.one(type_, name).inputs)


def record(program: Callable[[], Mapping[str, Any] | None], *, preview: bool = False, **kwargs: Any) -> Registered:
    """Run a program (a callable creating resources) in a fresh mock runtime and return what it registered."""
    return Registered(*run_under_mocks(program, preview=preview, **kwargs))


def stack_config(stack: str) -> dict[str, Any]:
    """The `config:` map of Pulumi.<stack>.yaml, as written."""
    return yaml.safe_load(stack_file(stack).read_text())["config"]


def stacks_for(target: str) -> list[str]:
    """The example stacks whose target is `target`."""
    return [stack for stack in stack_names() if stack_config(stack)["llm-platform:target"] == target]


def planned_stacks_for(target: str) -> list[str]:
    """The root's and the examples' stacks whose target is `target` (tools.offline.planned_stack_names)."""
    return [stack for stack in planned_stack_names() if stack_config(stack)["llm-platform:target"] == target]


def interceptor_pod() -> Pod:
    """KEDA's HTTP add-on interceptor as a pod, for tools.reachability: the labels the chart gives it (kedacore/charts
    0.15.0 http-add-on/templates/interceptor/deployment.yaml, with the chart's common labels) and the container ports
    of its values.yaml (`interceptor.admin.port`, `interceptor.proxy.port`)."""
    return Pod(
        namespace="keda",
        name="interceptor",
        labels={
            "app.kubernetes.io/component": "interceptor",
            "app.kubernetes.io/name": "http-add-on",
            "app.kubernetes.io/part-of": "keda-add-ons-http",
            "app.kubernetes.io/managed-by": "Helm",
            "app.kubernetes.io/instance": "http-add-on",
        },
        ports={"admin": 9090, "proxy": 8080},
    )
