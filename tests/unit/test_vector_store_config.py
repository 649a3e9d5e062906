"""`vectorStore`: the application's namespace and the store's volumes, each mistake named with what is allowed."""

from __future__ import annotations

from typing import Any

from stacks.config import parse_config
from tests.unit.test_config import existing, problems


def _aws(**keys: Any) -> dict[str, Any]:
    return {"target": "aws", "region": "us-east-1", **keys}


def test_a_store_on_a_cloud_target_takes_the_documented_defaults() -> None:
    store = parse_config(_aws(vectorStore={"applicationNamespace": "rag"}), stack="t").vector_store
    assert store is not None
    assert (store.instances, store.storage_gib, store.storage_class, store.cpu_cores, store.memory_gib) == (
        1,
        20,
        None,
        1,
        2,
    )


def test_the_application_namespace_is_required() -> None:
    assert problems(_aws(vectorStore={"instances": 2})) == ["vectorStore.applicationNamespace: is required"]


def test_the_serving_namespace_is_not_the_applications() -> None:
    assert problems(_aws(vectorStore={"applicationNamespace": "llm-serving"})) == [
        "vectorStore.applicationNamespace: 'llm-serving' is the serving namespace, where only the models run; name "
        "the application's own namespace, such as 'rag'"
    ]


def test_the_stores_own_namespaces_are_not_the_applications() -> None:
    for namespace in ("vector-store", "cnpg-system"):
        assert problems(_aws(vectorStore={"applicationNamespace": namespace})) == [
            f"vectorStore.applicationNamespace: '{namespace}' is where the stack runs the vector store; choose "
            "another, such as 'rag'"
        ]


def test_a_system_or_add_on_namespace_is_not_the_applications() -> None:
    assert problems(_aws(vectorStore={"applicationNamespace": "keda"})) == [
        "vectorStore.applicationNamespace: 'keda' is where the stack installs KEDA; choose another, such as 'rag'"
    ]
    assert problems(_aws(vectorStore={"applicationNamespace": "kube-public"})) == [
        "vectorStore.applicationNamespace: 'kube-public' is a Kubernetes system namespace; choose another, such as "
        "'rag'"
    ]


def test_the_stores_namespaces_are_not_the_serving_namespace() -> None:
    assert problems(_aws(namespace="vector-store")) == [
        "namespace: 'vector-store' is where the stack runs the vector store; choose another, such as 'llm-serving'"
    ]


def test_on_an_existing_cluster_the_storage_class_is_required() -> None:
    assert problems(existing(vectorStore={"applicationNamespace": "rag"})) == [
        "vectorStore.storageClass: is required on 'existing': name a StorageClass of the cluster whose volumes are "
        "encrypted at rest (the stack cannot tell)"
    ]
    store = parse_config(
        existing(vectorStore={"applicationNamespace": "rag", "storageClass": "encrypted"}), stack="t"
    ).vector_store
    assert store is not None
    assert store.storage_class == "encrypted"


def test_a_store_that_is_not_a_map_is_refused() -> None:
    assert problems(_aws(vectorStore="rag")) == ["vectorStore: must be a map of settings, got 'rag'"]


def test_an_unknown_key_of_the_store_is_refused() -> None:
    [message] = problems(_aws(vectorStore={"applicationNamespace": "rag", "replicas": 2}))
    assert message.startswith("vectorStore.replicas: ")
