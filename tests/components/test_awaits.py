"""The await rule (components/serving/awaits.py): how pulumi-kubernetes would wait for an object, and what the stack
asks it to wait for."""

from __future__ import annotations

from typing import Any

import pytest

from components.serving import awaits
from components.serving.awaits import Await, await_of


def manifest(kind: str, annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": "chat", "annotations": annotations or {}}, "spec": spec}


SELECTOR = {"app.kubernetes.io/instance": "chat"}


def test_skip_await_means_no_wait_whatever_the_kind() -> None:
    for kind in ("Deployment", "Service", "Ingress", "PersistentVolumeClaim"):
        assert await_of(manifest(kind, awaits.NOT_AWAITED, selector=SELECTOR)) is None


def test_an_unannotated_object_waits_pulumis_ten_minutes() -> None:
    assert await_of(manifest("Deployment")) == Await(600, "the rollout")
    assert await_of(manifest("Ingress")) == Await(600, "an address from an ingress controller")


def test_a_service_with_pods_behind_it_waits_for_a_ready_one() -> None:
    assert await_of(manifest("Service", selector=SELECTOR, type="ClusterIP")) == Await(600, "a ready pod behind it")
    assert await_of(manifest("Service", selector=SELECTOR, type="LoadBalancer")) == Await(
        600, "a ready pod behind it and a load balancer address"
    )


@pytest.mark.parametrize(
    "spec",
    [{"type": "ExternalName", "externalName": "x.example.com"}, {"clusterIP": "None", "selector": SELECTOR}, {}],
    ids=["external-name", "headless", "no-selector"],
)
def test_services_without_pods_to_wait_for_are_ready_at_once(spec: dict[str, Any]) -> None:
    assert await_of(manifest("Service", **spec)) is None


def test_a_claim_waits_at_most_five_minutes_whatever_its_annotation() -> None:
    assert await_of(manifest("PersistentVolumeClaim", {awaits.TIMEOUT_SECONDS: "3600"})) == Await(300, "a bound volume")


def test_a_custom_resource_waits_only_for_what_wait_for_names() -> None:
    assert await_of(manifest("ScaledObject")) is None
    waits = manifest("InferenceService", {awaits.WAIT_FOR: "condition=Ready", awaits.TIMEOUT_SECONDS: "7200"})
    assert await_of(waits) == Await(7200, "condition=Ready")


def test_a_rollout_may_take_one_progress_deadline_per_replica() -> None:
    assert awaits.model_rollout_seconds(progress_deadline_seconds=3600, max_replicas=4) == 4 * 3600
    # A model that sleeps (minReplicas 0) still rolls one pod out.
    assert awaits.model_rollout_seconds(progress_deadline_seconds=3600, max_replicas=0) == 3600


def test_a_model_workload_waits_for_its_whole_rollout() -> None:
    annotations = awaits.model_workload(progress_deadline_seconds=3600, max_replicas=3)
    assert await_of(manifest("Deployment", annotations)) == Await(3 * 3600, "the rollout")


@pytest.mark.parametrize(
    ("cloud_cluster", "own_network", "waits"),
    [(True, True, True), (True, False, False), (False, True, False)],
    ids=["cloud-cluster-own-network", "existing-subnets", "existing-cluster"],
)
def test_a_load_balancer_waits_only_where_the_cloud_assigns_its_address_in_the_stacks_network(
    cloud_cluster: bool, own_network: bool, waits: bool
) -> None:
    seconds = awaits.load_balancer_wait_seconds(
        cloud_cluster=cloud_cluster, own_network=own_network, model_rollout_seconds=7200
    )
    service = manifest("Service", awaits.load_balancer(seconds), selector=SELECTOR, type="LoadBalancer")
    assert (await_of(service) is not None) is waits
    if waits:
        assert await_of(service) == Await(7200, "a ready pod behind it and a load balancer address")
