"""agentgateway v1.4.1 as the stack runs it: its charts' values, the CRDs the stack creates for it, and its proxies'
pods under Pod Security "restricted". What the proxies' pods are is agentgateway's (controller/pkg/helm/agentgateway
templates/_helpers.tpl `kgateway.gateway.podTemplate` at v1.4.1), transcribed below where the stack depends on it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components import versions
from components.catalog.instances import Cloud
from components.serving import agentgateway
from components.serving.agentgateway import (
    CHART_VALUES,
    UNPRIVILEGED_PORT_SYSCTL,
    gateway_crds,
    keepalive_policy_spec,
    parameters_spec,
    proxy_labels,
)
from components.serving.load_balancer import AZURE_IDLE_TIMEOUT
from tests.checks.test_reliability import restricted_violations
from tools.admission import admission_errors
from tools.crd_sources import GATEWAY_API_VERSION, INFERENCE_EXTENSION_VERSION

PROXY_POD = {
    "serviceAccountName": "llm-platform",
    "securityContext": {"sysctls": [dict(UNPRIVILEGED_PORT_SYSCTL)]},
    "containers": [
        {
            "name": "agentgateway",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "runAsUser": 10101,
            },
            "ports": [{"containerPort": 15020, "name": "metrics", "protocol": "TCP"}],
        }
    ],
    "volumes": [
        {"name": "config-volume", "configMap": {"name": "llm-platform"}},
        {"name": "xds-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "agentgateway"}}]}},
        {"name": "tmp", "emptyDir": {}},
        {"name": "xds-ca", "configMap": {"name": "llm-platform-xds-ca"}},
    ],
}
"""The proxies' pod as agentgateway v1.4.1 renders it (the parts Pod Security reads)."""


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A strategic merge patch of maps (what the deployer applies for an overlay's maps; lists are not patched here)."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def overlaid_proxy_pod() -> dict[str, Any]:
    overlay = parameters_spec(Cloud.AWS, internal=False, gateway_name="llm-platform")["deployment"]["spec"]["template"][
        "spec"
    ]
    return merge(PROXY_POD, overlay)


def test_agentgateways_own_proxy_pod_lacks_only_a_seccomp_profile() -> None:
    assert restricted_violations(PROXY_POD) == ["agentgateway: seccompProfile"]


def test_the_stacks_overlay_puts_the_proxies_under_pod_security_restricted() -> None:
    assert restricted_violations(overlaid_proxy_pod()) == []


def test_the_overlay_keeps_the_sysctl_that_lets_the_proxies_bind_the_listener_ports() -> None:
    # A strategic merge patch of the pod's securityContext keeps its sysctls (agentgateway's deployer testdata
    # agentgateway-security-context-out.yaml: the overlay's fields and the sysctl side by side).
    context = overlaid_proxy_pod()["securityContext"]
    assert context["sysctls"] == [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_the_controller_keeps_its_charts_container_security_and_gets_the_seccomp_profile() -> None:
    # The chart sets the container's securityContext (non-root, no escalation, drop ALL, read-only root) unless the
    # `securityContext` value replaces it: the stack leaves it and adds only the pod's.
    assert "securityContext" not in CHART_VALUES
    assert CHART_VALUES["podSecurityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def test_the_charts_run_the_releases_images_by_tag() -> None:
    assert CHART_VALUES["image"] == {"registry": "ghcr.io/agentgateway", "tag": "v1.4.1"}
    assert versions.AGENTGATEWAY_IMAGE_REGISTRY == "ghcr.io/agentgateway"


def test_the_controller_reads_inference_pools() -> None:
    # AGW_ENABLE_INFER_EXT: without it the controller never watches InferencePools.
    assert CHART_VALUES["inferenceExtension"] == {"enabled": True}


def test_the_proxies_service_keeps_the_clients_address_and_admits_only_the_source_ranges() -> None:
    service = parameters_spec(
        Cloud.AWS, internal=False, gateway_name="llm-platform", source_ranges=("203.0.113.0/24",)
    )["service"]
    assert service["spec"] == {
        "type": "LoadBalancer",
        "externalTrafficPolicy": "Local",
        "loadBalancerSourceRanges": ["203.0.113.0/24"],
    }


def test_an_azure_gateway_carries_the_idle_timeout_annotation() -> None:
    annotations = parameters_spec(Cloud.AZURE, internal=False, gateway_name="llm-platform")["service"]["metadata"][
        "annotations"
    ]
    assert AZURE_IDLE_TIMEOUT in annotations


def test_an_existing_cluster_gets_no_cloud_annotations() -> None:
    assert "metadata" not in parameters_spec(None, internal=False, gateway_name="llm-platform")["service"]


def test_proxy_labels_are_the_gateways_name_and_class() -> None:
    assert proxy_labels("edge", "corp") == {
        "app.kubernetes.io/name": "edge",
        "app.kubernetes.io/instance": "edge",
        "gateway.networking.k8s.io/gateway-name": "edge",
        "gateway.networking.k8s.io/gateway-class-name": "corp",
    }


def test_the_keepalive_policy_targets_the_whole_gateway() -> None:
    # The CRD's CEL: a frontend tcp policy may target a Gateway but not one of its listeners (sectionName).
    [target] = keepalive_policy_spec("llm-platform")["targetRefs"]
    assert "sectionName" not in target
    assert target["kind"] == "Gateway"


def _crd_names() -> set[str]:
    return {crd["metadata"]["name"] for crd in gateway_crds()}


def test_the_stack_installs_gateway_apis_standard_channel_and_the_inference_pool() -> None:
    assert {
        "gatewayclasses.gateway.networking.k8s.io",
        "gateways.gateway.networking.k8s.io",
        "httproutes.gateway.networking.k8s.io",
        "referencegrants.gateway.networking.k8s.io",
        "inferencepools.inference.networking.k8s.io",
    } <= _crd_names()


@pytest.mark.parametrize("crd", gateway_crds(), ids=lambda crd: crd["metadata"]["name"])
def test_each_vendored_crd_is_the_pinned_bundle(crd: dict[str, Any]) -> None:
    annotations = crd["metadata"]["annotations"]
    if crd["spec"]["group"] == "gateway.networking.k8s.io":
        assert annotations["gateway.networking.k8s.io/bundle-version"] == GATEWAY_API_VERSION
        assert annotations["gateway.networking.k8s.io/channel"] == "standard"
    else:
        assert annotations["inference.networking.k8s.io/bundle-version"] == INFERENCE_EXTENSION_VERSION


def test_the_reference_grant_crd_serves_both_versions_the_stack_and_agentgateway_use() -> None:
    # The stack writes v1; agentgateway v1.4.1 watches v1beta1 (plugins/collection.go ReferenceGrants).
    [grant] = [crd for crd in gateway_crds() if crd["spec"]["names"]["kind"] == "ReferenceGrant"]
    assert {version["name"] for version in grant["spec"]["versions"] if version["served"]} == {"v1", "v1beta1"}


def test_the_vendored_schemas_carry_no_descriptions() -> None:
    assert '"description":' not in str(gateway_crds()).replace("'description': {", "")
    assert agentgateway.CRD_FILE.stat().st_size < 400_000


def test_retry_after_is_the_upstreams_or_else_the_limiters_reset() -> None:
    # The local limiter's 429 carries x-ratelimit-reset but no Retry-After (agentgateway v1.4.1 proxy/mod.rs).
    assert agentgateway.RETRY_AFTER == (
        'default(response.headers["retry-after"], response.headers["x-ratelimit-reset"])'
    )


def test_the_retry_after_policy_runs_in_the_gateway_phase_and_is_admitted() -> None:
    spec = agentgateway.retry_after_policy_spec("llm-platform")
    assert spec["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "llm-platform"}]
    assert spec["traffic"]["phase"] == "PreRouting"
    body = {
        "apiVersion": agentgateway.API_VERSION,
        "kind": "AgentgatewayPolicy",
        "metadata": {"name": "retry-after", "namespace": "agentgateway-system"},
        "spec": spec,
    }
    assert admission_errors(body) == []
    del body["spec"]["traffic"]["transformation"]["response"]["set"]
    assert admission_errors(body)


def test_two_proxies_spread_over_nodes_keep_one_through_a_drain() -> None:
    spec = parameters_spec(Cloud.AWS, internal=False, gateway_name="llm-platform")
    deployment = spec["deployment"]["spec"]
    assert deployment["replicas"] == 2  # the chart sets none: Kubernetes' 1 would be a single point of failure
    selector = agentgateway.selector_labels("llm-platform")
    assert selector.items() <= agentgateway.proxy_labels("llm-platform", "any").items()
    spread = deployment["template"]["spec"]["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in spread] == ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]
    assert all(c["labelSelector"] == {"matchLabels": selector} for c in spread)
    assert spec["podDisruptionBudget"]["spec"]["minAvailable"] == 1


def test_the_parameters_with_replicas_spread_and_budget_are_admitted() -> None:
    body = {
        "apiVersion": agentgateway.API_VERSION,
        "kind": "AgentgatewayParameters",
        "metadata": {"name": "llm-platform", "namespace": "agentgateway-system"},
        "spec": parameters_spec(Cloud.GCP, internal=True, gateway_name="llm-platform"),
    }
    assert admission_errors(body) == []
