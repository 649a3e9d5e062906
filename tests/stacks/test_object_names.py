"""The name-collision rule (stacks/config/rules/names.py) knows every object the stack puts in the serving namespace:
each planned object there is the namespace's own or one `model_objects` predicts for a model."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.config.rules.names import NAMESPACE_OBJECTS, ModelNames, model_objects
from tests.support import stack_config
from tools.offline import Mode, stack_names


def _names(spec: dict[str, Any], namespace: str, streams: bool) -> ModelNames:
    clients = spec.get("clients", [])
    return ModelNames(
        engine=spec.get("engine", "vllm"),
        sleeps=spec.get("minReplicas", 1) == 0,
        host=spec.get("host"),
        load_balancer="loadBalancer" in spec,
        clients_in_namespace=[i for i, c in enumerate(clients) if c.get("namespace") in (None, namespace)],
        inference=spec.get("routing") == "inference",
        streams_weights=streams,
    )


@pytest.mark.parametrize("stack", stack_names())
def test_every_planned_object_of_the_serving_namespace_is_known_to_the_name_rule(
    plans: dict[Any, Any], stack: str
) -> None:
    config = stack_config(stack)
    namespace = config.get("llm-platform:namespace", "llm-serving")
    models = config["llm-platform:models"]
    models = json.loads(models) if isinstance(models, str) else models
    known = set(NAMESPACE_OBJECTS)
    outputs = plans[(stack, Mode.UPDATE)].document["outputs"]["models"]
    for name, spec in models.items():
        streams = outputs[name]["coldStart"]["weights"] == "stream"
        known |= set(model_objects(name, _names(spec, namespace, streams)))
        # Named by the stack file; the routing rule keeps each name to one model.
        known |= {("InferenceObjective", objective) for objective in spec.get("objectives", {})}
    planned = {
        (body["kind"], body["metadata"]["name"])
        for body in plans[(stack, Mode.UPDATE)].manifests.values()
        if body["metadata"].get("namespace") == namespace
    }
    assert planned
    assert planned <= known, planned - known
