"""The retrieval example's vector store on any target (components/storage/vector_store.py), on a StorageClass whose
volumes are encrypted at rest: the stack's own on aws (EKS has none), the cloud's default block class on gcp and
azure, the configured one on `existing`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from components.catalog.instances import Cloud
from components.clusters.contract import GpuCluster
from components.storage.vector_store import (
    APPLICATION_SECRET,
    DATABASE,
    HOST,
    NAMESPACE,
    POSTGRES_PORT,
    VectorStore,
    VectorStoreArgs,
)
from stacks.config import StackConfig

DEFAULT_STORAGE_CLASSES: dict[Cloud, str] = {
    # GKE's Persistent Disk CSI class (pd-balanced); every disk is encrypted at rest by Google.
    Cloud.GCP: "standard-rwo",
    # AKS's Azure Disk CSI class (StandardSSD_LRS); managed disks are encrypted at rest (server-side encryption).
    Cloud.AZURE: "managed-csi",
}
AWS_STORAGE_CLASS = "encrypted-gp3"
"""The class components/clusters/ebs.py creates on aws."""


def storage_class_of(config: StackConfig) -> str | None:
    """The class the store's volumes use when the stack creates none: the configured one, else the cloud's."""
    store = config.vector_store
    if store is None:
        return None
    if store.storage_class is not None:
        return store.storage_class
    return DEFAULT_STORAGE_CLASSES.get(config.cloud) if config.cloud is not None else None


def deploy_vector_store(
    config: StackConfig,
    cluster: GpuCluster,
    *,
    storage_class: pulumi.Input[str] | None = None,
    after: Sequence[pulumi.Resource] = (),
) -> dict[str, Any]:
    """The store and its `vectorStore` output, when the stack asks for one; `storage_class`: a class the target
    created for it."""
    store = config.vector_store
    if store is None:
        return {}
    VectorStore(
        "vector-store",
        VectorStoreArgs(
            application_namespace=store.application_namespace,
            instances=store.instances,
            storage_gib=store.storage_gib,
            storage_class=storage_class if storage_class is not None else storage_class_of(config),
            cpu_cores=store.cpu_cores,
            memory_gib=store.memory_gib,
            pod_security_version=f"v{config.kubernetes_version}",
            after=tuple(after),
        ),
        opts=pulumi.ResourceOptions(provider=cluster.provider),
    )
    return {
        "vectorStore": {
            "host": HOST,
            "port": POSTGRES_PORT,
            "database": DATABASE,
            "namespace": NAMESPACE,
            "applicationNamespace": store.application_namespace,
            "secret": f"{store.application_namespace}/{APPLICATION_SECRET}",
        }
    }
