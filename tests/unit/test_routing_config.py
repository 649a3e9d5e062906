"""`routing: inference`: where a model may route through an InferencePool and its endpoint picker, with the exact
messages."""

from __future__ import annotations

from typing import Any

from stacks.config import Routing, parse_config
from tests.unit.test_config import existing, model, problems
from tests.unit.test_config_clouds import aws, gcp

TLS = {"tlsClusterIssuer": "internal-ca"}
# An existing Gateway leaves the API key to vLLM, which a KServe model does not run: such a model is public or refused.
PUBLIC = {"public": True, "publicReason": "an open demo of the routing"}
HOST = "llm.example.com"
EXISTING_GATEWAY = (
    "models.chat.routing: 'inference' needs the stack's own Gateway, not existingGateway 'gateways/shared': whether "
    "an existing Gateway routes to an InferencePool is not known to the stack; remove the key or existingGateway"
)


def small(**keys: Any) -> dict[str, Any]:
    """A model small enough for any cloud's default system node, where a model without a pool runs."""
    return model(**{"cpuCores": 1, "memoryGiB": 4, **keys})


def pooled(**keys: Any) -> dict[str, Any]:
    return small(host=HOST, routing="inference", **keys)


def test_a_routed_model_on_gke_may_route_through_an_inference_pool() -> None:
    config = parse_config(gcp(**TLS, models={"chat": pooled()}), stack="t")
    assert config.models["chat"].spec.routing is Routing.INFERENCE


def test_routing_defaults_to_the_services_own_load_balancing() -> None:
    config = parse_config(gcp(**TLS, models={"chat": small(host=HOST)}), stack="t")
    assert config.models["chat"].spec.routing is Routing.SERVICE


def test_a_canary_of_a_routed_model_may_route_through_its_own_pool() -> None:
    raw = gcp(**TLS, models={"chat": small(host=HOST), "next": small(canaryOf="chat", weight=10, routing="inference")})
    assert parse_config(raw, stack="t").models["next"].spec.routing is Routing.INFERENCE


def test_agentgateway_routes_through_an_inference_pool_on_aws() -> None:
    config = parse_config(aws(**TLS, models={"chat": pooled()}), stack="t")
    assert config.models["chat"].spec.routing is Routing.INFERENCE


def test_an_existing_cluster_routes_through_an_inference_pool_with_the_stacks_own_gateway() -> None:
    config = parse_config(existing(**TLS, models={"chat": pooled()}), stack="t")
    assert config.models["chat"].spec.routing is Routing.INFERENCE


def test_an_existing_gateway_cannot_route_to_an_inference_pool_even_on_gcp() -> None:
    assert problems(gcp(existingGateway="gateways/shared", models={"chat": pooled()})) == [EXISTING_GATEWAY]


def test_an_existing_gateway_cannot_route_to_an_inference_pool_off_gcp_either() -> None:
    assert problems(aws(existingGateway="gateways/shared", models={"chat": pooled()})) == [EXISTING_GATEWAY]


def test_an_inference_pool_needs_a_route() -> None:
    assert problems(gcp(**TLS, models={"chat": small(routing="inference")})) == [
        "models.chat.routing: 'inference' applies to a model behind a Gateway route: set host (or canaryOf)"
    ]


def test_a_sleeping_model_cannot_be_behind_an_inference_pool() -> None:
    assert problems(gcp(**TLS, models={"chat": pooled(minReplicas=0, maxReplicas=2)})) == [
        "models.chat.routing: 'inference' cannot wake a sleeping model: the Gateway sends a pool's requests straight "
        "to its ready replicas, never through KEDA's interceptor, so with minReplicas 0 they fail until something "
        "else wakes it; set minReplicas to 1 or more, or remove the key"
    ]


def test_the_endpoint_picker_reads_vllms_metrics_so_kserve_is_refused() -> None:
    raw = gcp(**TLS, gpuPools={"l4": {"gpu": "L4"}}, models={"chat": pooled(engine="kserve", pool="l4", **PUBLIC)})
    assert problems(raw) == [
        "models.chat.routing: 'inference' needs engine 'vllm', not 'kserve': the endpoint picker reads vLLM's metrics "
        "on the pods of the pool"
    ]


def test_gke_installs_the_inference_pool_crd_only_from_1_34() -> None:
    assert problems(gcp(**TLS, kubernetesVersion="1.33", models={"chat": pooled()})) == [
        "models.chat.routing: 'inference' needs kubernetesVersion 1.34 or later on gcp (GKE installs the "
        "InferencePool CRD from 1.34.0-gke.1626000), not '1.33'"
    ]


def test_an_unknown_routing_is_refused() -> None:
    assert problems(gcp(**TLS, models={"chat": small(host=HOST, routing="smart")})) == [
        "models.chat.routing: 'smart' is not allowed; use one of 'service', 'inference'"
    ]


def test_a_version_the_version_rule_refuses_is_reported_once_and_never_parsed_by_the_routing_rule() -> None:
    # Any non-numeric version reached the routing rule's version parse before the version rule had refused it.
    assert problems(gcp(**TLS, kubernetesVersion="∞", models={"chat": pooled()})) == [
        "kubernetesVersion: '∞' is not supported; use one of '1.32', '1.33', '1.34', '1.35'"
    ]


def test_a_pooled_model_names_its_objectives_and_their_priorities() -> None:
    config = parse_config(gcp(**TLS, models={"chat": pooled(objectives={"interactive": 10, "batch": -5})}), stack="t")
    assert config.models["chat"].spec.objectives == {"interactive": 10, "batch": -5}


def test_objectives_without_a_pool_are_refused() -> None:
    assert problems(gcp(**TLS, models={"chat": small(host=HOST, objectives={"interactive": 10})})) == [
        "models.chat.objectives: objectives prioritise requests in an InferencePool: set routing: inference, or "
        "remove them"
    ]


def test_an_objective_name_belongs_to_one_model() -> None:
    models = {
        "chat": pooled(objectives={"interactive": 10}),
        "code": small(host="code.example.com", routing="inference", objectives={"interactive": 5}),
    }
    assert problems(gcp(**TLS, models=models)) == [
        "models.code.objectives.interactive: 'interactive' is already an objective of model 'chat': "
        "InferenceObjectives share the serving namespace, so each name may belong to one model"
    ]


def test_an_objective_must_be_a_dns_label_with_a_bounded_priority() -> None:
    assert problems(gcp(**TLS, models={"chat": pooled(objectives={"Batch Jobs": 1, "bulk": 5000})})) == [
        "models.chat.objectives.Batch Jobs.[key]: 'Batch Jobs' is not valid; use lowercase letters, digits and '-', "
        "starting with a letter (a Kubernetes name)",
        "models.chat.objectives.bulk: 5000 is out of range; must be <= 1000",
    ]
