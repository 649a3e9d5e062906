"""Objects go into namespaces only after the stack has created them, in every example stack's plan."""

from __future__ import annotations

from typing import Any

import pytest

from tools.offline import Mode, Registration, reveal, stack_names

CASES = [(stack, mode) for stack in stack_names() for mode in Mode.ALL]


def target_namespace(registration: Registration) -> str | None:
    """The namespace a Kubernetes object or Helm release goes into, as planned."""
    if not registration.custom or not registration.type.startswith("kubernetes:"):
        return None
    inputs = reveal(registration.inputs)
    if registration.type.startswith("kubernetes:helm.sh/"):
        return inputs.get("namespace")
    return (inputs.get("metadata") or {}).get("namespace")


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_every_object_in_a_namespace_the_stack_creates_depends_on_that_namespace(
    plans: dict[Any, Any], stack: str, mode: str
) -> None:
    # A namespace named by a plain string gives no dependency: the object is created in parallel with its
    # Namespace and only succeeds on the provider's retries (or fails, if the namespace is slower).
    registrations: list[Registration] = plans[(stack, mode)].run.registrations
    created = {
        reveal(r.inputs)["metadata"]["name"]: r.urn for r in registrations if r.type == "kubernetes:core/v1:Namespace"
    }
    assert created, "every example stack creates at least its serving namespace"
    detached = [
        f"{r.type}::{r.name} in {namespace}"
        for r in registrations
        if (namespace := target_namespace(r)) in created and created[namespace] not in r.dependencies
    ]
    assert detached == []


def test_the_http_add_on_in_kedas_namespace_is_among_the_objects_checked(plans: dict[Any, Any]) -> None:
    # prod-aws runs a sleeping model: its HTTP add-on goes into KEDA's namespace, which the stack creates.
    registrations = plans[("prod-aws", Mode.PREVIEW)].run.registrations
    in_keda = {r.name for r in registrations if target_namespace(r) == "keda"}
    assert {"keda-release", "keda-http-release", "keda-http-callers"} <= in_keda
