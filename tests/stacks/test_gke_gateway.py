"""Every gcp stack that exposes a model runs the stack's agentgateway, as the other clouds do, on the Gateway API and
InferencePool CRDs of GKE's own channel: the stack writes none of them, and nothing of GKE's managed Gateway is left."""

from __future__ import annotations

from typing import Any

import pytest

from components.serving.agentgateway import CONTROLLER, proxy_labels
from components.serving.endpoint_picker import EXT_PROC_PORT, picker_selector
from components.serving.gateway import CLASS_NAME, NAME
from tests.support import planned_stacks_for
from tools.offline import Mode
from tools.reachability import Network, Pod

GCP_STACKS = planned_stacks_for("gcp")
GKE_GATEWAY_KINDS = {"HealthCheckPolicy", "GCPBackendPolicy", "GCPGatewayPolicy"}
"""The managed Gateway's policies (networking.gke.io): nothing configures that Gateway any more."""


def _manifests(plans: dict[Any, Any], stack: str) -> list[dict[str, Any]]:
    return list(plans[(stack, Mode.UPDATE)].manifests.values())


def _exposed(plans: dict[Any, Any]) -> list[str]:
    return [s for s in GCP_STACKS if any(m["kind"] == "Gateway" for m in _manifests(plans, s))]


def test_every_gcp_stack_that_exposes_a_model_runs_agentgateway(plans: dict[Any, Any]) -> None:
    exposed = _exposed(plans)
    assert {"prod-gcp", "served-names-gcp", "rag-gcp"} <= set(exposed)
    for stack in exposed:
        [gateway] = [m for m in _manifests(plans, stack) if m["kind"] == "Gateway"]
        assert (gateway["metadata"]["namespace"], gateway["spec"]["gatewayClassName"]) == (
            "agentgateway-system",
            CLASS_NAME,
        ), stack
        [gateway_class] = [m for m in _manifests(plans, stack) if m["kind"] == "GatewayClass"]
        assert gateway_class["spec"]["controllerName"] == CONTROLLER, stack


@pytest.mark.parametrize("stack", GCP_STACKS)
def test_no_gcp_stack_writes_the_crds_gkes_channel_owns_or_a_managed_gateway_policy(
    plans: dict[Any, Any], stack: str
) -> None:
    resources = plans[(stack, Mode.UPDATE)].document["resources"]
    patched = [r for r in resources if r["type"] == "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch"]
    assert patched == []
    assert not {m["kind"] for m in _manifests(plans, stack)} & GKE_GATEWAY_KINDS
    # No proxy-only subnet: GKE's L4 passthrough load balancers need none.
    purposes = [r["inputs"].get("purpose") for r in resources if r["type"] == "gcp:compute/subnetwork:Subnetwork"]
    assert "REGIONAL_MANAGED_PROXY" not in purposes


def test_prod_gcps_picker_admits_agentgateways_proxies_as_on_every_cloud(plans: dict[Any, Any]) -> None:
    network = Network([m for m in _manifests(plans, "prod-gcp") if m["kind"] == "NetworkPolicy"])
    picker = Pod(namespace="llm-serving", name="qwen-7b-epp", labels=picker_selector("qwen-7b"))
    proxy = Pod(namespace="agentgateway-system", name="proxy", labels=proxy_labels(NAME, CLASS_NAME))
    assert network.ingress_allows(picker, proxy, EXT_PROC_PORT)
    stranger = Pod(namespace="agentgateway-system", name="other", labels={"app": "other"})
    assert not network.ingress_allows(picker, stranger, EXT_PROC_PORT)


def test_prod_gcp_holds_each_client_to_a_limit_at_the_gateway(plans: dict[Any, Any]) -> None:
    policies = [m for m in _manifests(plans, "prod-gcp") if m["kind"] == "AgentgatewayPolicy"]
    limited = [p for p in policies if "rateLimit" in p["spec"].get("traffic", {})]
    assert limited
    assert all("apiKeyAuthentication" in p["spec"]["traffic"] for p in limited)
