"""The serving namespace may not be one the cluster or the stack's add-ons already own: the stack creates it."""

from __future__ import annotations

import pytest

from tests.unit.test_config import existing, problems


@pytest.mark.parametrize("namespace", ["default", "kube-system", "kube-public", "kube-node-lease", "kube-extra"])
def test_the_serving_namespace_may_not_be_a_kubernetes_system_namespace(namespace: str) -> None:
    assert problems(existing(namespace=namespace)) == [
        f"namespace: '{namespace}' is a Kubernetes system namespace; choose another, such as 'llm-serving'"
    ]


def test_the_serving_namespace_may_not_take_a_reserved_priority_class_name() -> None:
    assert problems(existing(namespace="system-models")) == [
        "namespace: 'system-models' would name the serving PriorityClass, and names starting with 'system-' are "
        "reserved; choose another, such as 'llm-serving'"
    ]


@pytest.mark.parametrize(
    ("namespace", "owner"),
    [
        ("keda", "where the stack installs KEDA"),
        ("monitoring", "where the stack installs kube-prometheus-stack"),
        ("nvidia-gpu", "where the stack installs the NVIDIA device plugin"),
        ("cert-manager", "where the stack installs cert-manager"),
        ("agentgateway-system", "where the stack installs agentgateway"),
        ("kserve", "a namespace of the KServe platform the stack installs"),
        ("gmp-system", "where Prometheus runs"),
    ],
)
def test_the_serving_namespace_may_not_be_an_add_ons(namespace: str, owner: str) -> None:
    assert problems(existing(namespace=namespace)) == [
        f"namespace: '{namespace}' is {owner}; choose another, such as 'llm-serving'"
    ]


@pytest.mark.parametrize("target", ["aws", "gcp", "azure"])
def test_cloud_stacks_may_not_take_a_system_namespace_either(target: str) -> None:
    # Every managed cluster starts with kube-system: creating it fails there as on any other cluster.
    raw = {"target": target, "region": "us-east-1", "namespace": "kube-system"}
    assert "namespace: 'kube-system' is a Kubernetes system namespace; choose another, such as 'llm-serving'" in (
        problems(raw)
    )
