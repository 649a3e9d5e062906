"""The resource tree `pulumi preview` shows reads model by model and add-on by add-on: everything that exists for a
model sits under its `llm-platform:serving:Model` component, everything an add-on installs under its one component.

Ownership is read from the objects themselves (their namespace, their name, the model label), not from the tree,
and checked against the registrations' parent chain on every example stack in both modes."""

from __future__ import annotations

from typing import Any

import pytest

from tools.offline import Mode, Registration, reveal, stack_names
from tools.plan import Plan, is_kubernetes_object
from tools.tree import render, tree_lines

CASES = [(stack, mode) for stack in stack_names() for mode in Mode.ALL]
MODEL = "llm-platform:serving:Model"
RELEASE = "kubernetes:helm.sh/v3:Release"


def label(registration: Registration) -> str:
    return f"{registration.type}::{registration.name}"


def ancestors(registration: Registration, by_urn: dict[str, Registration]) -> list[Registration]:
    """Parent, grandparent, ... up to the component directly under the stack."""
    chain = []
    parent = by_urn.get(registration.parent_urn)
    while parent is not None:
        chain.append(parent)
        parent = by_urn.get(parent.parent_urn)
    return chain


def model_of(body: dict[str, Any], models: list[str], serving_namespace: str) -> str | None:
    """The model an object exists for: in the serving namespace, named after the model (`<model>` or
    `<model>-...`, the longest model name that fits) or carrying the model's instance label."""
    metadata = body.get("metadata") or {}
    if metadata.get("namespace") != serving_namespace:
        return None
    name = metadata.get("name") or ""
    named = [model for model in models if name == model or name.startswith(f"{model}-")]
    if named:
        return max(named, key=len)
    instance = (metadata.get("labels") or {}).get("app.kubernetes.io/instance")
    return instance if instance in models else None


def owners(plan: Plan) -> dict[str, str]:
    """`type::name` of each Kubernetes object that exists for a model → that model."""
    outputs = plan.document["outputs"]
    models = list(outputs["models"])
    owned = {}
    for registration in plan.run.registrations:
        if is_kubernetes_object(registration):
            model = model_of(reveal(registration.inputs), models, outputs["namespace"])
            if model is not None:
                owned[label(registration)] = model
    return owned


def namespace_of(registration: Registration) -> str | None:
    """Where an object or a Helm release lands; None for what is cluster-wide or outside Kubernetes."""
    inputs = reveal(registration.inputs)
    if registration.type == RELEASE:
        return inputs.get("namespace")
    if is_kubernetes_object(registration):
        metadata = inputs.get("metadata") or {}
        return metadata.get("name") if inputs["kind"] == "Namespace" else metadata.get("namespace")
    return None


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_everything_that_exists_for_a_model_is_inside_that_models_component(
    plans: dict[Any, Plan], stack: str, mode: str
) -> None:
    plan = plans[(stack, mode)]
    by_urn = {registration.urn: registration for registration in plan.run.registrations}
    owned = owners(plan)
    assert set(owned.values()) == set(plan.document["outputs"]["models"]), "every model has objects to check"
    for registration in plan.run.registrations:
        model = owned.get(label(registration))
        if model is not None:
            chain = [label(ancestor) for ancestor in ancestors(registration, by_urn)]
            assert f"{MODEL}::{model}" in chain, f"{label(registration)} of {model} sits under {chain}"


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_a_models_component_holds_nothing_of_another_model_or_of_the_platform(
    plans: dict[Any, Plan], stack: str, mode: str
) -> None:
    plan = plans[(stack, mode)]
    by_urn = {registration.urn: registration for registration in plan.run.registrations}
    owned = owners(plan)
    models = [r for r in plan.run.registrations if r.type == MODEL]
    assert sorted(r.name for r in models) == sorted(plan.document["outputs"]["models"])
    for registration in plan.run.registrations:
        if not is_kubernetes_object(registration) and registration.type != RELEASE:
            continue
        inside = [ancestor.name for ancestor in ancestors(registration, by_urn) if ancestor.type == MODEL]
        assert inside == ([owned[label(registration)]] if label(registration) in owned else []), label(registration)


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_each_namespace_the_stack_creates_is_one_components_with_everything_in_it(
    plans: dict[Any, Plan], stack: str, mode: str
) -> None:
    # An add-on (KEDA and its HTTP add-on, Prometheus, the device plugin, cert-manager and KServe, the serving
    # namespace and its guards) is one component at the top of the tree: its namespace, its policies, its Helm
    # releases. In the serving namespace, what exists for a model is the model's instead.
    plan = plans[(stack, mode)]
    by_urn = {registration.urn: registration for registration in plan.run.registrations}
    owned = owners(plan)

    def top(registration: Registration) -> Registration:
        chain = ancestors(registration, by_urn)
        assert chain, f"{label(registration)} sits at the top of the tree, under no component"
        return chain[-1]

    namespaces = {
        namespace_of(r): top(r)
        for r in plan.run.registrations
        if is_kubernetes_object(r) and r.inputs["kind"] == "Namespace"
    }
    assert plan.document["outputs"]["namespace"] in namespaces
    for registration in plan.run.registrations:
        namespace = namespace_of(registration)
        if namespace in namespaces and label(registration) not in owned:
            component = top(registration)
            assert not component.custom
            assert label(component) == label(namespaces[namespace]), (
                f"{label(registration)} in {namespace} sits under {label(component)}, "
                f"not under {label(namespaces[namespace])} with the rest of the namespace"
            )


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_the_preview_tree_reads_model_by_model(plans: dict[Any, Plan], stack: str, mode: str) -> None:
    plan = plans[(stack, mode)]
    owned = owners(plan)
    lines = tree_lines(plan.document["resources"])
    for model in plan.document["outputs"]["models"]:
        [start] = [index for index, line in enumerate(lines) if line == (0, f"{MODEL}::{model}")]
        end = next((index for index in range(start + 1, len(lines)) if lines[index][0] == 0), len(lines))
        block = {text for _, text in lines[start + 1 : end]}
        assert {text for text, owner in owned.items() if owner == model} <= block
        assert not {text for text in block if owned.get(text, model) != model}, f"another model inside {model}"


def test_the_tree_nests_children_under_their_parent_components_after_plain_resources() -> None:
    document = {
        "resources": [
            {"type": "t:c:Model", "name": "chat", "parent": "pulumi:pulumi:Stack"},
            {"type": "t:c:Server", "name": "chat", "parent": "t:c:Model::chat"},
            {"type": "k:Deployment", "name": "chat", "parent": "t:c:Server::chat"},
            {"type": "k:Claim", "name": "chat-cache", "parent": "t:c:Model::chat"},
            {"type": "p:providers:aws", "name": "aws", "parent": "pulumi:pulumi:Stack"},
        ]
    }
    assert render(document) == "\n".join(
        [
            "p:providers:aws::aws",
            "t:c:Model::chat",
            "  k:Claim::chat-cache",
            "  t:c:Server::chat",
            "    k:Deployment::chat",
        ]
    )
