"""Objects go into namespaces only after the stack has created them, in every example stack's plan."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.config import ConfigError, parse_config
from tools.offline import ROOT, Mode, Registration, reveal, run_program, stack_names
from tools.plan import is_kubernetes_object

MANUAL = (ROOT / "docs" / "manual.md").read_text()
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


def test_every_namespace_an_example_stack_creates_for_its_add_ons_is_refused_as_the_serving_namespace(
    plans: dict[Any, Any],
) -> None:
    # The stack creates its serving namespace: naming it after an add-on's would create that Namespace twice.
    add_on_namespaces = {
        reveal(r.inputs)["metadata"]["name"]
        for (stack, mode), plan in plans.items()
        for r in plan.run.registrations
        if r.type == "kubernetes:core/v1:Namespace"
    } - {plan.document["outputs"]["namespace"] for plan in plans.values()}
    # The retrieval application's namespace is the stack file's choice, refused as the serving one by its own rule.
    add_on_namespaces -= {
        plan.document["outputs"]["vectorStore"]["applicationNamespace"]
        for plan in plans.values()
        if "vectorStore" in plan.document["outputs"]
    }
    assert {"keda", "monitoring", "nvidia-gpu", "cert-manager", "kserve"} <= add_on_namespaces
    accepted = []
    for namespace in sorted(add_on_namespaces):
        try:
            parse_config({"target": "existing", "namespace": namespace}, stack="test")
        except ConfigError:
            continue
        accepted.append(namespace)
    assert accepted == []


def cluster_wide_names(registrations: list[Registration]) -> set[tuple[str, str]]:
    """(kind, name) of every Kubernetes object without a namespace."""
    return {
        (inputs["kind"], inputs["metadata"]["name"])
        for r in registrations
        if is_kubernetes_object(r) and not (inputs := reveal(r.inputs)).get("metadata", {}).get("namespace")
    }


def test_two_existing_cluster_stacks_with_their_own_namespaces_claim_no_cluster_wide_name_in_common() -> None:
    # On one cluster, a second stack's create of an object the first one owns fails with AlreadyExists
    # (pulumi-kubernetes 4.29+): whatever a stack creates cluster-wide for itself is named after its namespace.
    # The add-ons exist once per cluster: the second stack uses the first one's Prometheus (docs/manual.md, "Two stacks
    # on one cluster").
    first_prometheus = "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090"
    team_a, team_b = (
        cluster_wide_names(run_program("dev", Mode.UPDATE, config_overrides=overrides).registrations)
        for overrides in ({"namespace": "team-a"}, {"namespace": "team-b", "prometheusUrl": first_prometheus})
    )
    assert ("PriorityClass", "team-a") in team_a
    assert team_a & team_b == set()


def test_the_readme_names_every_namespace_and_release_a_stack_may_create_in_an_existing_cluster() -> None:
    # What the stack creates in a cluster it does not own is what a user must check for clashes first.
    every_add_on = {
        "monitoring": "true",
        "gpuPools": json.dumps({"l4": {"gpu": "L4", "gpusPerNode": 1}}),
        "models": json.dumps(
            {
                "sleeper": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "pool": "l4", "minReplicas": 0},
                "kserved": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "pool": "l4", "engine": "kserve"},
            }
        ),
    }
    registrations = run_program("dev", Mode.PREVIEW, config_overrides=every_add_on).registrations
    created = {
        f"`{reveal(r.inputs)['metadata']['name']}`" for r in registrations if r.type == "kubernetes:core/v1:Namespace"
    } | {f"`{reveal(r.inputs)['name']}`" for r in registrations if r.type == "kubernetes:helm.sh/v3:Release"}
    section = MANUAL.split("## Deploying to an existing cluster", 1)[1].split("\n## ", 1)[0]
    assert {"`nvidia-gpu`", "`keda`", "`http-add-on`", "`kserve-resources`", "`llm-serving`"} <= created
    assert sorted(name for name in created if name not in section) == []
