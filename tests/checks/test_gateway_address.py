"""The `gateway` stack output: where users point the models' host names. The address is the Gateway's
`status.addresses` when Pulumi waited for the Gateway (as a model's `loadBalancerUrl`), otherwise None with the
command that reads it."""

from __future__ import annotations

from typing import Any

import pytest

from components.serving.awaits import await_of
from components.serving.gateway import address_command, gateway_ref
from components.serving.gateway_address import StatusReadable, first_address
from tests.support import record
from tools.offline import Mode, run_program, stack_names
from tools.plan import build_plan, summary

EXPOSED = (
    '{"chat": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "host": "chat.example.com",'
    ' "auth": {"apiKeyClients": ["app"]}}}'
)
MOCK_ADDRESS = "10.20.0.60"
"""What tools/offline.py answers for an awaited Gateway's status."""


def _gateway(plan: Any) -> dict[str, Any]:
    [gateway] = [m for m in plan.manifests.values() if m["kind"] == "Gateway"]
    return gateway


def test_a_gateway_pulumi_waits_for_gives_its_address(plans: dict[Any, Any]) -> None:
    plan = plans[("prod-aws", Mode.UPDATE)]
    assert await_of(_gateway(plan)) is not None
    output = plan.document["outputs"]["gateway"]
    assert output["address"] == MOCK_ADDRESS
    gateway = _gateway(plan)["metadata"]
    assert (output["namespace"], output["name"]) == (gateway["namespace"], gateway["name"])
    assert output["hosts"] == sorted(
        {listener["hostname"] for listener in _gateway(plan)["spec"]["listeners"] if "hostname" in listener}
    )


def test_the_address_is_unknown_in_a_preview(plans: dict[Any, Any]) -> None:
    assert plans[("prod-aws", Mode.PREVIEW)].document["outputs"]["gateway"]["address"] == "[unknown]"


def test_a_gateway_pulumi_does_not_wait_for_gives_no_address_but_the_command() -> None:
    # An existing cluster: nothing the stack installs gives agentgateway's Service an address.
    plan = build_plan(
        run_program("dev", Mode.UPDATE, config_overrides={"models": EXPOSED, "tlsClusterIssuer": "corp-ca"})
    )
    assert await_of(_gateway(plan)) is None
    assert plan.document["outputs"]["gateway"] == {
        "namespace": "agentgateway-system",
        "name": "llm-platform",
        "implementation": "agentgateway",
        "address": None,
        "addressCommand": (
            "kubectl -n agentgateway-system get gateway llm-platform -o jsonpath='{.status.addresses[*].value}'"
        ),
        "hosts": ["chat.example.com"],
    }


def test_an_existing_gateway_is_named_with_the_command_that_reads_its_address() -> None:
    plan = build_plan(
        run_program("dev", Mode.UPDATE, config_overrides={"models": EXPOSED, "existingGateway": "edge/public"})
    )
    output = plan.document["outputs"]["gateway"]
    assert (output["namespace"], output["name"], output["implementation"]) == ("edge", "public", "existing")
    assert output["address"] is None
    assert output["addressCommand"] == "kubectl -n edge get gateway public -o jsonpath='{.status.addresses[*].value}'"


def test_a_stack_without_exposed_models_has_no_gateway_output(plans: dict[Any, Any]) -> None:
    assert "gateway" not in plans[("dev", Mode.UPDATE)].document["outputs"]


def test_the_first_address_a_dns_record_can_point_at() -> None:
    assert first_address(None) is None
    assert first_address({"conditions": []}) is None
    assert first_address({"addresses": [{"type": "Hostname", "value": "k8s-nlb.elb.amazonaws.com"}]}) == (
        "k8s-nlb.elb.amazonaws.com"
    )
    # The Gateway API's default type is IPAddress; a NamedAddress is the implementation's own, not DNS's.
    assert first_address({"addresses": [{"type": "NamedAddress", "value": "pool-a"}, {"value": "10.0.0.7"}]}) == (
        "10.0.0.7"
    )


def test_the_command_reads_the_gateways_status_addresses() -> None:
    ref = gateway_ref(existing="edge/public", cloud=None)
    assert address_command(ref) == "kubectl -n edge get gateway public -o jsonpath='{.status.addresses[*].value}'"


def test_a_status_readable_custom_resource_sends_no_status_and_reads_the_providers() -> None:
    def program() -> dict[str, Any]:
        resource = StatusReadable(
            "gw",
            api_version="gateway.networking.k8s.io/v1",
            kind="Gateway",
            metadata={"name": "gw", "namespace": "edge", "annotations": {"pulumi.com/waitFor": "condition=Programmed"}},
            spec={"gatewayClassName": "x", "listeners": []},
        )
        return {"address": resource.status.apply(first_address)}

    registered = record(program)
    inputs = registered.inputs("kubernetes:gateway.networking.k8s.io/v1:Gateway")
    assert "status" not in inputs
    assert inputs["spec"] == {"gatewayClassName": "x", "listeners": []}
    assert registered.outputs == {"address": MOCK_ADDRESS}


def test_the_plan_summary_says_where_to_point_the_hosts(plans: dict[Any, Any]) -> None:
    # An update's address is the mock runtime's invention: the summary gives the command, never the address.
    awaited = summary(plans[("prod-aws", Mode.UPDATE)]).splitlines()
    assert (
        "Gateway agentgateway-system/llm-platform (agentgateway): point llm.example.com at its address, once "
        "assigned: kubectl -n agentgateway-system get gateway llm-platform -o jsonpath='{.status.addresses[*].value}'"
        in awaited
    )
    assert MOCK_ADDRESS not in summary(plans[("prod-aws", Mode.UPDATE)])
    # prod-gcp's Gateway is agentgateway's too: in an update as in a preview, the command.
    for mode in (Mode.UPDATE, Mode.PREVIEW):
        assert (
            "Gateway agentgateway-system/llm-platform (agentgateway): point llm.internal.example.com at its address, "
            "once assigned: "
            "kubectl -n agentgateway-system get gateway llm-platform -o jsonpath='{.status.addresses[*].value}'"
        ) in summary(plans[("prod-gcp", mode)]).splitlines()


@pytest.mark.parametrize("mode", Mode.ALL)
@pytest.mark.parametrize("stack", stack_names())
def test_no_address_the_mock_runtime_invents_appears_in_the_plan_summary(
    plans: dict[Any, Any], stack: str, mode: str
) -> None:
    # tools/offline.py answers a LoadBalancer Service with 10.20.0.50 and a Gateway with 10.20.0.60.
    text = summary(plans[(stack, mode)])
    assert "10.20.0.50" not in text
    assert MOCK_ADDRESS not in text


def test_a_models_load_balancer_line_gives_the_command_that_reads_its_address(plans: dict[Any, Any]) -> None:
    lines = summary(plans[("prod-azure", Mode.UPDATE)]).splitlines()
    assert (
        "    exposed: through its load balancer (source ranges only), at http://<its address>/v1 once assigned: "
        "kubectl -n llm-serving get service qwen-small-lb -o jsonpath="
        "'{.status.loadBalancer.ingress[*].ip}{.status.loadBalancer.ingress[*].hostname}'"
    ) in lines
