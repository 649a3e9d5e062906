"""`vectorStore`: the application's namespace (the only one that reaches the store), and a StorageClass the stack
can vouch for."""

from __future__ import annotations

from collections.abc import Callable

from components.storage.vector_store import NAMESPACE, OPERATOR_NAMESPACE
from stacks.config.rules import Finding
from stacks.config.schema import Target, VectorStoreConfig

KEY = "vectorStore"


def vector_store_findings(
    store: VectorStoreConfig | None,
    *,
    target: Target,
    serving_namespace: str,
    namespace_taken: Callable[[str], str | None],
) -> list[Finding]:
    """`namespace_taken`: why a namespace may not be one the stack creates (stacks/config/cloud_checks.py)."""
    if store is None:
        return []
    findings: list[Finding] = []
    namespace = store.application_namespace
    key = f"{KEY}.applicationNamespace"
    if namespace == serving_namespace:
        findings.append(
            Finding(
                key,
                f"{namespace!r} is the serving namespace, where only the models run; name the application's own "
                "namespace, such as 'rag'",
            )
        )
    elif namespace in (NAMESPACE, OPERATOR_NAMESPACE):
        findings.append(
            Finding(key, f"{namespace!r} is where the stack runs the vector store; choose another, such as 'rag'")
        )
    else:
        taken = namespace_taken(namespace)
        if taken:
            findings.append(Finding(key, f"{namespace!r} {taken}; choose another, such as 'rag'"))
    if target is Target.EXISTING and store.storage_class is None:
        findings.append(
            Finding(
                f"{KEY}.storageClass",
                "is required on 'existing': name a StorageClass of the cluster whose volumes are encrypted at rest "
                "(the stack cannot tell)",
            )
        )
    return findings
