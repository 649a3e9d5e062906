"""FilestoreStorage under mocks, on a GkeCluster: a ReadWriteMany class whose instances land in the cluster's VPC."""

from __future__ import annotations

from typing import Any

import pytest

from components.clusters.filestore import FilestoreStorage, FilestoreStorageArgs
from components.clusters.gke import GkeCluster
from tests.components.test_gke import ARGS
from tests.support import Registered, record

NETWORK = "gcp:compute/network:Network"
SERVICE = "gcp:projects/service:Service"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"


def build() -> dict[str, Any]:
    cluster = GkeCluster("llm", ARGS)
    storage = FilestoreStorage(
        "model-cache",
        FilestoreStorageArgs(
            project=ARGS.project, network_name=cluster.network_name, storage_class_name="filestore-model-cache"
        ),
    )
    return {"storageClass": storage.storage_class_name}


@pytest.fixture(scope="module")
def registered() -> Registered:
    return record(build, config={"llm-platform:region": "us-central1"})


def test_instances_are_created_in_the_clusters_network_not_default(registered: Registered) -> None:
    # The driver falls back to the network named `default` (gcp-filestore-csi-driver controller.go).
    parameters = registered.inputs(STORAGE_CLASS)["parameters"]
    assert parameters["network"] == registered.inputs(NETWORK)["name"] == "llm-test"
    assert parameters["connect-mode"] == "DIRECT_PEERING"
    assert parameters["tier"] == "standard"


def test_class_binds_where_the_pod_lands_and_lets_claims_grow(registered: Registered) -> None:
    storage_class = registered.inputs(STORAGE_CLASS)
    assert storage_class["provisioner"] == "filestore.csi.storage.gke.io"
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage_class["allowVolumeExpansion"] is True
    assert storage_class["reclaimPolicy"] == "Delete"
    assert registered.outputs["storageClass"] == "filestore-model-cache"


def test_the_filestore_api_is_enabled_before_any_claim_can_use_the_class(registered: Registered) -> None:
    api = registered.one(SERVICE)
    assert api.inputs == {"project": "llm-platform-demo", "service": "file.googleapis.com", "disableOnDestroy": False}
    assert api.urn in registered.one(STORAGE_CLASS).dependencies
