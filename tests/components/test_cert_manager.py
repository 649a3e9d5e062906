"""cert-manager's Gateway API shim: on only with the stack's own Gateway, after the CRDs it checks for at start."""

from __future__ import annotations

import json
from typing import Any

from components.serving.cert_manager import CertManager, cert_manager_values
from tests.support import stack_config
from tools.offline import Mode, run_program

RELEASE = "kubernetes:helm.sh/v3:Release"
CRD_PATCH = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinitionPatch"


def _release_of(run: Any) -> Any:
    [release] = [r for r in run.registrations if r.type == RELEASE and r.inputs["name"] == "cert-manager"]
    return release


def test_without_a_gateway_the_shim_is_off_so_the_controller_starts_where_no_gateway_crds_exist() -> None:
    # cert-manager v1.21.1 exits at start when the shim is on and the Gateway API CRDs are absent.
    values = cert_manager_values(gateway_api=False)
    assert "config" not in values
    assert values["crds"] == {"enabled": True}


def test_with_a_gateway_the_shim_is_on_by_its_current_key() -> None:
    # `enableGatewayAPI` is deprecated for `gatewayAPI.enabled` (pkg/apis/config/controller/v1alpha1/types.go).
    assert cert_manager_values(gateway_api=True)["config"] == {"gatewayAPI": {"enabled": True}}


def test_no_value_repeats_what_the_charts_config_template_defaults() -> None:
    # templates/controller-config.yaml defaults apiVersion and kind itself.
    config = cert_manager_values(gateway_api=True)["config"]
    assert not {"apiVersion", "kind", "enableGatewayAPI"} & set(config)


def test_the_release_waits_for_what_installs_the_gateway_crds(under_mocks: Any) -> None:
    def program() -> None:
        import pulumi_kubernetes as k8s

        crds = k8s.core.v1.Namespace("crds-stand-in")
        CertManager("cert-manager", gateway_crds=[crds])

    registered = under_mocks(program)
    release = registered.one(RELEASE)
    assert registered.one("kubernetes:core/v1:Namespace", "crds-stand-in").urn in release.dependencies
    assert release.inputs["values"]["config"] == {"gatewayAPI": {"enabled": True}}


def test_a_kserve_stack_without_a_gateway_gets_cert_manager_without_the_shim() -> None:
    # prod-azure less its exposure: a KServe model (its webhook certificate is cert-manager's) and no model exposed.
    models = dict(stack_config("prod-azure")["llm-platform:models"])
    models["qwen-small"] = {k: v for k, v in models["qwen-small"].items() if k not in {"host", "routing"}}
    run = run_program(
        "prod-azure",
        Mode.UPDATE,
        config_overrides={"models": json.dumps(models)},
        removed_keys=("gatewayInternal", "tlsClusterIssuer"),
    )
    assert "config" not in _release_of(run).inputs["values"]


def test_on_gke_the_shim_is_on_where_the_cluster_serves_the_gateway_api_crds() -> None:
    # prod-gcp: agentgateway, the CRDs from the cluster's Gateway API channel.
    assert _release_of(run_program("prod-gcp", Mode.UPDATE)).inputs["values"]["config"] == {
        "gatewayAPI": {"enabled": True}
    }


def test_a_stack_with_agentgateway_turns_the_shim_on_after_the_gateway_api_crds() -> None:
    run = run_program("prod-aws", Mode.UPDATE)
    release = _release_of(run)
    crds = [r for r in run.registrations if r.type == CRD_PATCH and r.name.endswith(".gateway.networking.k8s.io")]
    assert release.inputs["values"]["config"] == {"gatewayAPI": {"enabled": True}}
    assert crds
    assert {crd.urn for crd in crds} <= set(release.dependencies)
