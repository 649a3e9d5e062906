"""ServingGuards: quota sized for the models' largest scale, PriorityClass, LimitRange."""

from __future__ import annotations

from typing import Any

from components.serving.guards import ModelFootprint, ServingGuards, ServingGuardsArgs, quota_hard


def test_quota_covers_every_model_at_max_scale_plus_surge() -> None:
    hard = quota_hard([ModelFootprint(5, 1, 4, 16, cache_gib=200), ModelFootprint(3, 4, 16, 160)])
    assert hard == {
        "requests.nvidia.com/gpu": "17",
        "requests.cpu": "68",
        "requests.memory": "560Gi",
        "limits.memory": "560Gi",
        "pods": "8",
        "persistentvolumeclaims": "1",
        "requests.storage": "200Gi",
    }


def test_serving_priority_class_waits_instead_of_preempting(under_mocks: Any) -> None:
    registered = under_mocks(
        lambda: (
            ServingGuards("g", ServingGuardsArgs(namespace="llm-serving", footprints=[ModelFootprint(2, 1, 4, 16)]))
            and None
        )
    )
    priority = registered.inputs("kubernetes:scheduling.k8s.io/v1:PriorityClass")
    assert (priority["value"], priority["preemptionPolicy"], priority["globalDefault"]) == (100000, "Never", False)
    limits = registered.inputs("kubernetes:core/v1:LimitRange")["spec"]["limits"][0]
    assert limits["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}


def test_the_priority_class_is_named_after_the_serving_namespace(under_mocks: Any) -> None:
    # PriorityClasses are cluster-wide: two stacks on one cluster, each in its own namespace, never share one.
    registered = under_mocks(
        lambda: (
            ServingGuards("g", ServingGuardsArgs(namespace="team-a", footprints=[ModelFootprint(1, 1, 4, 16)])) and None
        )
    )
    assert registered.inputs("kubernetes:scheduling.k8s.io/v1:PriorityClass")["metadata"]["name"] == "team-a"
