"""ServingNamespace under mocks."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi

from components.serving.namespace import ServingNamespace, ServingNamespaceArgs

NAMESPACE = "kubernetes:core/v1:Namespace"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SECRET = "kubernetes:core/v1:Secret"
ARGS = ServingNamespaceArgs(name="llm-serving", pod_security_version="v1.34")


def test_namespace_enforces_pod_security_restricted_at_the_cluster_version(under_mocks: Any) -> None:
    labels = under_mocks(lambda: ServingNamespace("s", ARGS) and None).inputs(NAMESPACE)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.34"


def test_namespace_denies_all_traffic_by_default(under_mocks: Any) -> None:
    policy = under_mocks(lambda: ServingNamespace("s", ARGS) and None).inputs(POLICY)
    assert policy["metadata"]["namespace"] == "llm-serving"
    assert policy["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_no_token_no_secret(under_mocks: Any) -> None:
    registered = under_mocks(lambda: {"secret": ServingNamespace("s", ARGS).hf_token_secret})
    assert registered.all(SECRET) == []
    assert registered.outputs["secret"] is None


def test_token_becomes_a_secret_whose_value_stays_secret(under_mocks: Any) -> None:
    def program() -> dict[str, Any]:
        token = pulumi.Output.secret("hf_" + "x" * 34)
        return {"secret": ServingNamespace("s", dataclasses.replace(ARGS, hf_token=token)).hf_token_secret}

    registered = under_mocks(program)
    secret = registered.inputs(SECRET)
    assert secret["stringData"] == {"token": "[secret]"}
    assert registered.outputs["secret"] == "hf-token"
