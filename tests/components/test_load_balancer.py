"""ModelLoadBalancer under mocks: a LoadBalancer Service that admits only its source ranges."""

from __future__ import annotations

from typing import Any

import pytest

from components.catalog.instances import Cloud
from components.serving.load_balancer import (
    ModelLoadBalancer,
    ModelLoadBalancerArgs,
    load_balancer_annotations,
)
from tests.support import Registered, record

SERVICE = "kubernetes:core/v1:Service"
SELECTOR = {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": "chat"}


def build(cloud: Cloud | None = Cloud.GCP) -> dict[str, Any]:
    load_balancer = ModelLoadBalancer(
        "chat",
        ModelLoadBalancerArgs(
            namespace="llm-serving", selector=SELECTOR, source_ranges=("10.20.0.0/16",), cloud=cloud, await_seconds=7200
        ),
    )
    return {"address": load_balancer.address}


@pytest.fixture(scope="module")
def registered() -> Registered:
    return record(build)


def test_the_service_admits_only_the_source_ranges(registered: Registered) -> None:
    spec = registered.inputs(SERVICE)["spec"]
    assert spec["type"] == "LoadBalancer"
    assert spec["loadBalancerSourceRanges"] == ["10.20.0.0/16"]


def test_the_client_address_survives_for_the_network_policy(registered: Registered) -> None:
    assert registered.inputs(SERVICE)["spec"]["externalTrafficPolicy"] == "Local"


def test_the_service_reaches_the_models_named_api_port(registered: Registered) -> None:
    spec = registered.inputs(SERVICE)["spec"]
    assert spec["selector"] == SELECTOR
    assert spec["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]


def test_the_address_output_is_what_the_cloud_assigned_when_pulumi_waits_for_it(registered: Registered) -> None:
    assert registered.outputs["address"] == "10.20.0.50"


@pytest.mark.parametrize(
    ("cloud", "annotation"),
    [
        (Cloud.AWS, ("service.beta.kubernetes.io/aws-load-balancer-internal", "true")),
        (Cloud.GCP, ("networking.gke.io/load-balancer-type", "Internal")),
        (Cloud.AZURE, ("service.beta.kubernetes.io/azure-load-balancer-internal", "true")),
    ],
)
def test_load_balancers_are_internal_unless_asked_otherwise(cloud: Cloud, annotation: tuple[str, str]) -> None:
    key, value = annotation
    assert load_balancer_annotations(cloud, internal=True)[key] == value
    assert key not in load_balancer_annotations(cloud, internal=False)


def test_aws_uses_a_network_load_balancer_which_keeps_the_client_address() -> None:
    for internal in (True, False):
        annotations = load_balancer_annotations(Cloud.AWS, internal=internal)
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-type"] == "nlb"


def test_existing_clusters_get_their_own_load_balancer_unannotated() -> None:
    assert load_balancer_annotations(None, internal=True) == {}


def test_pulumi_waits_for_the_address_only_when_told_how_long() -> None:
    def annotations(await_seconds: int | None) -> dict[str, str]:
        def program() -> None:
            ModelLoadBalancer(
                "chat",
                ModelLoadBalancerArgs(
                    namespace="llm-serving",
                    selector=SELECTOR,
                    source_ranges=("10.20.0.0/16",),
                    cloud=None,
                    await_seconds=await_seconds,
                ),
            )

        return record(program).inputs(SERVICE)["metadata"]["annotations"]

    assert annotations(None)["pulumi.com/skipAwait"] == "true"
    assert annotations(7200)["pulumi.com/timeoutSeconds"] == "7200"
    assert "pulumi.com/skipAwait" not in annotations(7200)


@pytest.mark.parametrize("internal", [True, False])
def test_an_azure_load_balancer_keeps_a_silent_connection_longer_than_azures_four_minutes(internal: bool) -> None:
    annotations = load_balancer_annotations(Cloud.AZURE, internal=internal)
    minutes = int(annotations["service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout"])
    assert 10 < minutes <= 100, "longer than a completion may take at the route; within what Azure accepts"
