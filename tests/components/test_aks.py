"""AksCluster under mocks."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pulumi
import pytest
import yaml
from pulumi_azure_native import authorization

from components.catalog.gpus import GpuType
from components.catalog.instances import Cloud, choose_instance
from components.clusters.aks import (
    AKS_POOL_NAME,
    AksCluster,
    AksClusterArgs,
    Deployer,
    aks_pool_name,
    azure_cli_kubeconfig,
)
from components.clusters.contract import POOL_LABEL, GpuPoolArgs
from tests.support import Registered, record, stacks_for
from tools.offline import Mode, computed_outputs, run_program

CLUSTER = "azure-native:containerservice:ManagedCluster"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
SLEEP = "time:index/sleep:Sleep"
AGENT_POOL = "azure-native:containerservice:AgentPool"
A100 = choose_instance(Cloud.AZURE, GpuType.A100_80GB, 1)
ARGS = AksClusterArgs(
    cluster_name="llm-test",
    region="eastus2",
    kubernetes_version="1.34",
    network_cidr="10.0.0.0/16",
    system_instance_type="Standard_D4ds_v5",
    availability_zones=3,
    gpu_pools={"a100spot": GpuPoolArgs(instance=A100, spot=True, min_nodes=0, max_nodes=3, priority=50)},
)


def build() -> dict[str, Any]:
    cluster = AksCluster("llm", ARGS)
    return {
        "kubeconfig": pulumi.Output.unsecret(cluster.kubeconfig),
        "pool": cluster.gpu_pools["a100spot"].node_group_id,
    }


@pytest.fixture(scope="module")
def registered() -> Registered:
    return record(build, config={"llm-platform:region": "eastus2"})


def test_gpu_pools_are_separate_agent_pools(registered: Registered) -> None:
    [inline] = registered.inputs(CLUSTER)["agentPoolProfiles"]
    assert inline["mode"] == "System"
    assert {r.inputs["agentPoolName"] for r in registered.all(AGENT_POOL)} == {"general", "a100spot"}


def test_gpu_pool_is_a_spot_pool_with_the_driver_and_the_gpu_taint(registered: Registered) -> None:
    pool = registered.inputs(AGENT_POOL, "llm-a100spot")
    assert pool["vmSize"] == "Standard_NC24ads_A100_v4"
    assert (pool["scaleSetPriority"], pool["scaleSetEvictionPolicy"], pool["spotMaxPrice"]) == ("Spot", "Delete", -1)
    assert pool["gpuProfile"] == {"driver": "Install"}
    assert pool["nodeTaints"][0] == "nvidia.com/gpu=present:NoSchedule"
    assert (pool["minCount"], pool["maxCount"], pool["count"], pool["enableAutoScaling"]) == (0, 3, 0, True)
    assert registered.one(AGENT_POOL, "llm-a100spot").ignore_changes == ["count"]


def test_spot_gpu_pool_tolerations_include_the_aks_spot_taint(under_mocks: Any) -> None:
    pools: dict[str, Any] = {}
    under_mocks(lambda: pools.update(AksCluster("llm", ARGS).gpu_pools) and None)
    keys = [t.key for t in pools["a100spot"].tolerations]
    assert keys == ["nvidia.com/gpu", "kubernetes.azure.com/scalesetpriority"]


def test_system_pool_takes_only_critical_add_ons(registered: Registered) -> None:
    [inline] = registered.inputs(CLUSTER)["agentPoolProfiles"]
    assert inline["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert inline["availabilityZones"] == ["1", "2", "3"]


def test_whoever_runs_pulumi_is_made_cluster_admin_through_entra_id(registered: Registered) -> None:
    assignment = registered.inputs(ROLE_ASSIGNMENT, "llm-deployer-admin")
    assert assignment["principalId"] == "00000000-0000-0000-0000-000000000002"
    assert assignment["roleDefinitionId"].endswith("/roleDefinitions/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b")


def test_kubeconfig_logs_in_through_the_azure_cli(registered: Registered) -> None:
    config = yaml.safe_load(registered.outputs["kubeconfig"])
    exec_config = config["users"][0]["user"]["exec"]
    assert exec_config["command"] == "kubelogin"
    assert exec_config["args"] == [
        "get-token",
        "--login",
        "azurecli",
        "--server-id",
        "6dae42f8-4368-4678-94ff-3960e28e3630",
    ]


def test_kubeconfig_rewrite_leaves_other_users_alone() -> None:
    original = {"users": [{"name": "u", "user": {"token": "abc"}}]}
    encoded = base64.b64encode(yaml.safe_dump(original).encode()).decode()
    assert yaml.safe_load(azure_cli_kubeconfig(encoded)) == original


def test_private_cluster_without_public_cidrs(registered: Registered) -> None:
    assert registered.inputs(CLUSTER)["apiServerAccessProfile"] == {"enablePrivateCluster": True}


def test_cluster_internal_ranges_avoid_the_vnet(registered: Registered) -> None:
    profile = registered.inputs(CLUSTER)["networkProfile"]
    assert (profile["serviceCidr"], profile["podCidr"]) == ("172.20.0.0/16", "172.24.0.0/14")
    assert registered.inputs("azure-native:network:Subnet")["addressPrefix"] == "10.0.0.0/19"


def test_deployer_admin_is_a_user_unless_told_otherwise(registered: Registered) -> None:
    assert registered.inputs(ROLE_ASSIGNMENT, "llm-deployer-admin")["principalType"] == "User"


def _deployer_admin(deployer: Deployer) -> dict[str, Any]:
    args = dataclasses.replace(ARGS, deployer=deployer)
    return record(lambda: AksCluster("llm", args) and None).inputs(ROLE_ASSIGNMENT, "llm-deployer-admin")


def test_a_service_principal_deployer_is_assigned_as_one() -> None:
    # Azure rejects an assignment whose type does not match the principal (UnmatchedPrincipalType): CI runs as a
    # service principal or managed identity.
    admin = _deployer_admin(Deployer(principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL))
    assert admin["principalType"] == "ServicePrincipal"
    assert admin["principalId"] == "00000000-0000-0000-0000-000000000002"  # the client config's object id


def test_a_group_deployer_assigns_the_role_to_the_named_group() -> None:
    group = "8d6c5a2e-0b7f-4e1a-9c3d-2f4b6a8e0c1d"
    admin = _deployer_admin(Deployer(principal_type=authorization.PrincipalType.GROUP, object_id=group))
    assert (admin["principalId"], admin["principalType"]) == (group, "Group")


def test_control_plane_identity_is_network_contributor_on_the_node_subnet(registered: Registered) -> None:
    role = registered.inputs(ROLE_ASSIGNMENT, "llm-subnet-network-contributor")
    identity = registered.one("azure-native:managedidentity:UserAssignedIdentity")
    subnet = registered.one("azure-native:network:Subnet")
    assert role["roleDefinitionId"].endswith("/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7")
    assert role["scope"] == registered.inputs(AGENT_POOL, "llm-a100spot")["vnetSubnetID"]
    assert (role["principalId"], role["principalType"]) == (
        computed_outputs(identity.type, identity.name, identity.inputs, "eastus2")["principalId"],
        "ServicePrincipal",
    )
    assert subnet.urn in registered.one(ROLE_ASSIGNMENT, "llm-subnet-network-contributor").dependencies


def test_cluster_runs_as_the_identity_and_only_once_its_subnet_role_exists(registered: Registered) -> None:
    cluster = registered.one(CLUSTER)
    identity = registered.one("azure-native:managedidentity:UserAssignedIdentity")
    assert registered.inputs(CLUSTER)["identity"] == {
        "type": "UserAssigned",
        "userAssignedIdentities": [computed_outputs(identity.type, identity.name, identity.inputs, "eastus2")["id"]],
    }
    assert registered.one(ROLE_ASSIGNMENT, "llm-subnet-network-contributor").urn in cluster.dependencies


def test_an_existing_subnet_gets_the_same_role() -> None:
    subnet = "/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/aks"
    args = dataclasses.replace(ARGS, existing_subnet_ids=(subnet,))
    registered = record(lambda: AksCluster("llm", args) and None)
    assert registered.all("azure-native:network:Subnet") == []
    assert registered.inputs(ROLE_ASSIGNMENT, "llm-subnet-network-contributor")["scope"] == subnet


@pytest.mark.parametrize("preview", [True, False])
def test_kubernetes_provider_waits_for_the_deployers_role_to_propagate(preview: bool) -> None:
    registered = record(build, preview=preview, config={"llm-platform:region": "eastus2"})
    sleep = registered.one(SLEEP)
    admin = registered.one(ROLE_ASSIGNMENT, "llm-deployer-admin")
    assert registered.inputs(SLEEP)["createDuration"] == "5m"
    assert admin.urn in sleep.dependencies
    assert sleep.urn in registered.one("pulumi:providers:kubernetes").dependencies


def test_the_wait_runs_again_only_when_the_deployers_assignment_changes(registered: Registered) -> None:
    admin = registered.one(ROLE_ASSIGNMENT, "llm-deployer-admin")
    expected_id = computed_outputs(admin.type, admin.name, admin.inputs, "eastus2")["id"]
    assert registered.inputs(SLEEP)["triggers"] == {"roleAssignment": expected_id}


def test_spot_pool_declares_the_label_and_taint_aks_adds(registered: Registered) -> None:
    pool = registered.inputs(AGENT_POOL, "llm-a100spot")
    assert pool["nodeLabels"]["kubernetes.azure.com/scalesetpriority"] == "spot"
    assert pool["nodeTaints"] == [
        "nvidia.com/gpu=present:NoSchedule",
        "kubernetes.azure.com/scalesetpriority=spot:NoSchedule",
    ]


def test_on_demand_pool_declares_no_spot_label_or_taint() -> None:
    pools = {"a100": GpuPoolArgs(instance=A100, spot=False, min_nodes=0, max_nodes=1, priority=10)}
    args = dataclasses.replace(ARGS, gpu_pools=pools)
    pool = record(lambda: AksCluster("llm", args) and None).inputs(AGENT_POOL, "llm-a100")
    assert "kubernetes.azure.com/scalesetpriority" not in pool["nodeLabels"]
    assert pool["nodeTaints"] == ["nvidia.com/gpu=present:NoSchedule"]


# --- the azure stack's wiring -----------------------------------------------------------------------


def test_prod_azure_deploys_from_ci_as_a_service_principal(plans: dict[Any, Any]) -> None:
    for mode in Mode.ALL:
        [admin] = [
            r["inputs"]
            for r in plans[("prod-azure", mode)].document["resources"]
            if r["type"] == ROLE_ASSIGNMENT and r["name"].endswith("-deployer-admin")
        ]
        assert admin["principalType"] == "ServicePrincipal"


def test_a_stack_names_its_deployer_group() -> None:
    group = "8d6c5a2e-0b7f-4e1a-9c3d-2f4b6a8e0c1d"
    run = run_program(
        "prod-azure",
        Mode.PREVIEW,
        config_overrides={"deployerPrincipalType": "group", "deployerGroupObjectId": group},
    )
    [admin] = [r for r in run.registrations if r.type == ROLE_ASSIGNMENT and r.name.endswith("-deployer-admin")]
    assert (admin.inputs["principalId"], admin.inputs["principalType"]) == (group, "Group")


def _tolerates(tolerations: list[dict[str, str]], taint: str) -> bool:
    """Whether a pod with these tolerations may run on a node with this `key=value:Effect` taint."""
    key_value, effect = taint.rsplit(":", 1)
    key, value = key_value.split("=", 1)
    return any(
        t.get("key", key) == key
        and t.get("effect", effect) == effect
        and (t.get("operator") == "Exists" or t.get("value") == value)
        for t in tolerations
    )


@pytest.mark.parametrize("stack", stacks_for("azure"))
def test_every_gpu_model_tolerates_every_taint_of_the_pools_it_may_land_on(plans: dict[Any, Any], stack: str) -> None:
    plan = plans[(stack, Mode.UPDATE)]
    taints_by_group: dict[str, set[str]] = {}
    for resource in plan.document["resources"]:
        if resource["type"] == AGENT_POOL and "llm-platform/gpu-group" in resource["inputs"]["nodeLabels"]:
            group = resource["inputs"]["nodeLabels"]["llm-platform/gpu-group"]
            taints_by_group.setdefault(group, set()).update(resource["inputs"]["nodeTaints"])
    assert any("kubernetes.azure.com/scalesetpriority=spot:NoSchedule" in t for t in taints_by_group.values())
    placed = 0
    for body in plan.manifests.values():
        if body["kind"] not in {"Deployment", "InferenceService"}:
            continue
        pod = body["spec"]["template"]["spec"] if body["kind"] == "Deployment" else body["spec"]["predictor"]
        group = pod.get("nodeSelector", {}).get("llm-platform/gpu-group")
        if group is None:
            continue
        placed += 1
        for taint in taints_by_group[group]:
            assert _tolerates(pod["tolerations"], taint), (body["metadata"]["name"], taint)
    assert placed


def test_the_inline_system_pool_is_kept_as_created_but_for_its_version(registered: Registered) -> None:
    # Its fields only seed it; its version must follow the control plane's, or AKS upgrades the control plane only.
    [inline] = registered.inputs(CLUSTER)["agentPoolProfiles"]
    ignored = registered.one(CLUSTER).ignore_changes
    assert sorted(ignored) == sorted(
        f"agentPoolProfiles[0].{field}" for field in inline if field != "orchestratorVersion"
    )
    assert inline["orchestratorVersion"] == registered.inputs(CLUSTER)["kubernetesVersion"] == "1.34"


def test_every_agent_pool_takes_its_version_from_the_control_plane(registered: Registered) -> None:
    cluster = registered.one(CLUSTER)
    for pool in registered.all(AGENT_POOL):
        assert pool.inputs["orchestratorVersion"] == "1.34", pool.name
        assert cluster.urn in pool.dependencies, pool.name


@pytest.mark.parametrize(
    ("name", "agent_pool"),
    [
        ("a100", "a100"),
        ("a100-spot", "a100spot"),
        ("l40s-ondemand", "l40sondemand"),
        ("h100-on-demand-east", "h100onde6a38"),
    ],
)
def test_a_pool_name_aks_refuses_becomes_a_legal_agent_pool_name(name: str, agent_pool: str) -> None:
    assert aks_pool_name(name) == agent_pool
    assert AKS_POOL_NAME.match(agent_pool)


def test_a_long_name_keeps_a_hash_so_two_long_names_rarely_meet() -> None:
    assert aks_pool_name("h100-on-demand-east") != aks_pool_name("h100-on-demand-west")


def test_a_dashed_pool_keeps_its_name_on_its_nodes_and_gets_a_legal_agent_pool_name() -> None:
    pools = {"a100-spot": GpuPoolArgs(instance=A100, spot=True, min_nodes=0, max_nodes=3, priority=50)}

    def build_dashed() -> dict[str, Any]:
        cluster = AksCluster("llm", dataclasses.replace(ARGS, gpu_pools=pools))
        return {"pool": cluster.gpu_pools["a100-spot"].node_group_id}

    registered = record(build_dashed, config={"llm-platform:region": "eastus2"})
    pool = registered.inputs(AGENT_POOL, "llm-a100-spot")
    assert pool["agentPoolName"] == "a100spot"
    assert pool["nodeLabels"][POOL_LABEL] == "a100-spot"


def test_the_priority_expander_matches_the_scale_sets_of_the_derived_names() -> None:
    pools = '{"a100-spot": {"gpu": "A100-80GB", "capacity": "spot", "priority": 50, "maxNodes": 2}}'
    models = '{"m": {"huggingFaceId": "Qwen/Qwen2.5-7B-Instruct", "pool": "a100-spot", "cpuCores": 6, "memoryGiB": 24}}'
    run = run_program("prod-azure", Mode.PREVIEW, config_overrides={"gpuPools": pools, "models": models})
    text = yaml.safe_dump(
        [r.inputs for r in run.registrations if r.type == "kubernetes:core/v1:ConfigMap" and "priorities" in r.name]
    )
    assert "^aks-a100spot-[0-9]+-vmss$" in text
