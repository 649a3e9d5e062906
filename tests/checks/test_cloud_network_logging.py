"""The cloud fixes the Terraform-plan scan asked for, pinned on the inputs every cloud stack sends its provider
(flow logs, the default security group, KMS key policies, encrypted log groups, the AKS subnet's NSG)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.clusters.aks import INTERNET, POD_CIDR, node_subnet_rules
from components.clusters.eks import key_policy
from tests.support import stack_config, stacks_for
from tools.offline import Mode, reveal, run_program

AWS_STACKS = stacks_for("aws")
GCP_STACKS = stacks_for("gcp")
AZURE_STACKS = stacks_for("azure")


def _all(plans: dict[Any, Any], stack: str, type_: str) -> list[dict[str, Any]]:
    return [r for r in plans[(stack, Mode.UPDATE)].document["resources"] if r["type"] == type_]


def _inputs(plans: dict[Any, Any], stack: str, type_: str, suffix: str = "") -> dict[str, Any]:
    [only] = [r["inputs"] for r in _all(plans, stack, type_) if r["name"].endswith(suffix)]
    return only


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_vpc_logs_every_flow_to_a_retained_encrypted_group(plans: dict[Any, Any], stack: str) -> None:
    vpc = _all(plans, stack, "aws:ec2/vpc:Vpc")[0]
    flow_log = _inputs(plans, stack, "aws:ec2/flowLog:FlowLog")
    assert flow_log["vpcId"] == f"{vpc['name']}-id"
    assert (flow_log["trafficType"], flow_log["logDestinationType"]) == ("ALL", "cloud-watch-logs")
    group = _inputs(plans, stack, "aws:cloudwatch/logGroup:LogGroup", "-flow-logs")
    assert group["retentionInDays"] >= 90
    assert group["kmsKeyId"].startswith("arn:aws:kms:")
    role = _inputs(plans, stack, "aws:iam/role:Role", "-flow-logs-role")
    trust = json.loads(role["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "vpc-flow-logs.amazonaws.com"}]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_vpc_default_security_group_has_no_rules(plans: dict[Any, Any], stack: str) -> None:
    vpc = _all(plans, stack, "aws:ec2/vpc:Vpc")[0]
    default = _inputs(plans, stack, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default["vpcId"] == f"{vpc['name']}-id"
    assert not default.get("ingress")
    assert not default.get("egress")


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_every_eks_kms_key_has_a_policy(plans: dict[Any, Any], stack: str) -> None:
    for key in _all(plans, stack, "aws:kms/key:Key"):
        statements = json.loads(key["inputs"]["policy"])["Statement"]
        assert statements[0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_log_groups_are_encrypted_with_the_key_cloudwatch_may_use_for_them(
    plans: dict[Any, Any], stack: str
) -> None:
    groups = [r["inputs"] for r in _all(plans, stack, "aws:cloudwatch/logGroup:LogGroup")]
    logs_key = next(r for r in _all(plans, stack, "aws:kms/key:Key") if r["name"].endswith("-logs-key"))
    assert {group["kmsKeyId"] for group in groups} == {f"arn:aws:kms:us-east-1:123456789012:key/{logs_key['name']}"}
    [grant] = [s for s in json.loads(logs_key["inputs"]["policy"])["Statement"] if s["Sid"] == "AllowCloudWatchLogs"]
    assert grant["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    allowed = grant["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert allowed == [f"arn:aws:logs:us-east-1:123456789012:log-group:{group['name']}" for group in groups]


def test_a_key_policy_without_logs_grants_only_the_account() -> None:
    statements = json.loads(key_policy("111122223333", "aws"))["Statement"]
    assert [s["Principal"] for s in statements] == [{"AWS": "arn:aws:iam::111122223333:root"}]


@pytest.mark.parametrize("stack", GCP_STACKS)
def test_gke_subnet_has_flow_logs(plans: dict[Any, Any], stack: str) -> None:
    # The nodes' subnet, the network's only one.
    subnet = _inputs(plans, stack, "gcp:compute/subnetwork:Subnetwork", "-nodes")
    assert subnet["logConfig"]["flowSampling"] > 0
    assert subnet["logConfig"]["aggregationInterval"] == "INTERVAL_5_SEC"


@pytest.mark.parametrize("stack", AZURE_STACKS)
def test_aks_node_subnet_has_an_nsg_that_admits_nodes_and_overlay_pods(plans: dict[Any, Any], stack: str) -> None:
    subnet = _inputs(plans, stack, "azure-native:network:Subnet")
    nsg = _all(plans, stack, "azure-native:network:NetworkSecurityGroup")[0]
    assert subnet["networkSecurityGroup"]["id"].endswith(f"/{nsg['name']}")
    rules = {rule["name"]: rule for rule in nsg["inputs"]["securityRules"]}
    for direction in ("inbound", "outbound"):
        rule = rules[f"cluster-{direction}"]
        assert rule["access"] == "Allow"
        assert set(rule["sourceAddressPrefixes"]) == set(rule["destinationAddressPrefixes"])
        assert {subnet["addressPrefix"], POD_CIDR} == set(rule["sourceAddressPrefixes"])
    assert "public-load-balancers" not in rules  # prod stacks expose models on internal load balancers only


def test_aks_nsg_admits_public_load_balancer_sources_on_the_service_port() -> None:
    [_, _, public] = node_subnet_rules("10.0.0.0/19", ("198.51.100.0/24",))
    assert public["direction"] == "Inbound"
    assert (public["source_address_prefixes"], public["destination_port_range"]) == (["198.51.100.0/24"], "80")


def test_aks_nsg_opens_nothing_for_public_load_balancers_when_there_are_none() -> None:
    assert [rule["name"] for rule in node_subnet_rules("10.0.0.0/19", ())] == ["cluster-inbound", "cluster-outbound"]


def test_aks_nsg_admits_the_public_gateways_sources_on_http_and_https() -> None:
    [_, _, gateway] = node_subnet_rules("10.0.0.0/19", (), gateway_sources=(INTERNET,))
    assert (gateway["direction"], gateway["access"], gateway["protocol"]) == ("Inbound", "Allow", "Tcp")
    assert gateway["source_address_prefix"] == "Internet"
    assert gateway["destination_port_ranges"] == ["80", "443"]


GATEWAY_HOST = {"host": "llm.example.com"}


@pytest.mark.parametrize(("internal", "opened"), [(False, True), (True, False)])
@pytest.mark.parametrize("stack", AZURE_STACKS)
def test_an_aks_stack_opens_its_node_subnet_to_its_gateway_only_when_the_gateway_is_public(
    stack: str, internal: bool, opened: bool
) -> None:
    models = stack_config(stack)["llm-platform:models"]
    name = next(iter(models))
    models = {**models, name: {**models[name], **GATEWAY_HOST}}
    issuer = {"tlsClusterIssuer": "internal-ca"} if internal else {"acmeEmail": "ops@example.com"}
    overrides = {"models": json.dumps(models), "gatewayInternal": json.dumps(internal), **issuer}
    removed = () if internal else ("tlsClusterIssuer",)
    run = run_program(stack, Mode.UPDATE, config_overrides=overrides, removed_keys=removed)
    [nsg] = [r for r in run.registrations if r.type == "azure-native:network:NetworkSecurityGroup"]
    names = [rule["name"] for rule in reveal(nsg.inputs)["securityRules"]]
    assert ("public-gateway" in names) is opened


@pytest.mark.parametrize("stack", AZURE_STACKS)
def test_a_public_load_balancer_model_opens_its_sources_in_the_node_subnet_nsg(stack: str) -> None:
    models = stack_config(stack)["llm-platform:models"]
    name, model = next((name, model) for name, model in models.items() if model.get("loadBalancer"))
    models = {**models, name: {**model, "loadBalancer": {**model["loadBalancer"], "internal": False}}}
    run = run_program(stack, Mode.UPDATE, config_overrides={"models": json.dumps(models)})
    [nsg] = [r for r in run.registrations if r.type == "azure-native:network:NetworkSecurityGroup"]
    [public] = [rule for rule in reveal(nsg.inputs)["securityRules"] if rule["name"] == "public-load-balancers"]
    assert public["sourceAddressPrefixes"] == sorted(model["loadBalancer"]["sourceRanges"])
