"""C2/C3 of ../shared/SECURITY.md: the cluster settings behind the CIS benchmarks, asserted on the inputs every
cloud stack sends its provider. Each test names the checkov check (or the CIS item checkov lacks) it stands for.
"""

from __future__ import annotations

from typing import Any

import pytest

from components import versions
from tests.support import planned_stacks_for, stack_config
from tools.offline import Mode

AWS_STACKS = planned_stacks_for("aws")


def _resources(plans: dict[Any, Any], stack: str, type_: str) -> list[dict[str, Any]]:
    return [r["inputs"] for r in plans[(stack, Mode.UPDATE)].document["resources"] if r["type"] == type_]


def _one(plans: dict[Any, Any], stack: str, type_: str) -> dict[str, Any]:
    [only] = _resources(plans, stack, type_)
    return only


def test_there_is_an_aws_stack() -> None:
    assert AWS_STACKS


# --- EKS ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_logs_every_control_plane_component(plans: dict[Any, Any], stack: str) -> None:  # CKV_AWS_37
    logs = _one(plans, stack, "aws:eks/cluster:Cluster")["enabledClusterLogTypes"]
    assert set(logs) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_public_endpoint_is_off_or_restricted_with_a_reason(plans: dict[Any, Any], stack: str) -> None:
    vpc_config = _one(plans, stack, "aws:eks/cluster:Cluster")["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    if vpc_config["endpointPublicAccess"]:  # CKV_AWS_39 waived only with a stated reason
        assert stack_config(stack).get("llm-platform:publicApiReason")
        assert vpc_config["publicAccessCidrs"]  # CKV_AWS_38
        assert "0.0.0.0/0" not in vpc_config["publicAccessCidrs"]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_encrypts_secrets_with_a_rotating_kms_key(plans: dict[Any, Any], stack: str) -> None:  # CKV_AWS_58
    encryption = _one(plans, stack, "aws:eks/cluster:Cluster")["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"].startswith("arn:aws:kms:")
    keys = _resources(plans, stack, "aws:kms/key:Key")
    assert keys
    assert all(key["enableKeyRotation"] is True for key in keys)  # CKV_AWS_7


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_runs_a_supported_version(plans: dict[Any, Any], stack: str) -> None:  # CKV_AWS_339
    assert _one(plans, stack, "aws:eks/cluster:Cluster")["version"] in versions.SUPPORTED_KUBERNETES_VERSIONS


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_authenticates_through_access_entries(plans: dict[Any, Any], stack: str) -> None:  # CIS EKS 4.1.7
    assert _one(plans, stack, "aws:eks/cluster:Cluster")["accessConfig"]["authenticationMode"] == "API"


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_nodes_allow_no_ssh(plans: dict[Any, Any], stack: str) -> None:  # CKV_AWS_100
    for group in _resources(plans, stack, "aws:eks/nodeGroup:NodeGroup"):
        assert "remoteAccess" not in group


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_nodes_require_imdsv2_with_one_hop(plans: dict[Any, Any], stack: str) -> None:  # CKV_AWS_79, CKV_AWS_341
    templates = _resources(plans, stack, "aws:ec2/launchTemplate:LaunchTemplate")
    assert len(templates) == len(_resources(plans, stack, "aws:eks/nodeGroup:NodeGroup"))
    for template in templates:
        assert template["metadataOptions"]["httpTokens"] == "required"
        assert template["metadataOptions"]["httpPutResponseHopLimit"] <= 1


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_nodes_live_in_private_subnets_only(plans: dict[Any, Any], stack: str) -> None:  # CIS EKS 5.4.3
    resources = plans[(stack, Mode.UPDATE)].document["resources"]
    public = {
        f"{r['name']}-id"
        for r in resources
        if r["type"] == "aws:ec2/subnet:Subnet" and "kubernetes.io/role/elb" in r["inputs"]["tags"]
    }
    subnets = {s for group in _resources(plans, stack, "aws:eks/nodeGroup:NodeGroup") for s in group["subnetIds"]}
    assert subnets
    assert subnets.isdisjoint(public)
    for subnet in resources:
        if subnet["type"] == "aws:ec2/subnet:Subnet":
            assert subnet["inputs"].get("mapPublicIpOnLaunch") in (None, False)


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_enforces_network_policies(plans: dict[Any, Any], stack: str) -> None:  # CIS EKS 5.4.4
    addons = {a["addonName"]: a for a in _resources(plans, stack, "aws:eks/addon:Addon")}
    assert '"enableNetworkPolicy": "true"' in addons["vpc-cni"]["configurationValues"]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_eks_gpu_node_groups_use_the_nvidia_al2023_ami(plans: dict[Any, Any], stack: str) -> None:
    groups = _resources(plans, stack, "aws:eks/nodeGroup:NodeGroup")
    gpu_groups = [g for g in groups if "nvidia.com/gpu.present" in g["labels"]]
    assert gpu_groups
    for group in gpu_groups:
        assert group["amiType"] == "AL2023_x86_64_NVIDIA"
        assert "k8s.amazonaws.com/accelerator" in group["labels"]


# --- GKE ------------------------------------------------------------------------------------------

GCP_STACKS = planned_stacks_for("gcp")


def test_there_is_a_gcp_stack() -> None:
    assert GCP_STACKS


@pytest.mark.parametrize("stack", GCP_STACKS)
def test_gke_logs_and_monitors(plans: dict[Any, Any], stack: str) -> None:  # CKV_GCP_1, CKV_GCP_8
    cluster = _one(plans, stack, "gcp:container/cluster:Cluster")
    assert "WORKLOADS" in cluster["loggingConfig"]["enableComponents"]
    assert "APISERVER" in cluster["loggingConfig"]["enableComponents"]
    assert "SYSTEM_COMPONENTS" in cluster["monitoringConfig"]["enableComponents"]


@pytest.mark.parametrize("stack", GCP_STACKS)
def test_gke_control_plane_settings(plans: dict[Any, Any], stack: str) -> None:
    cluster = _one(plans, stack, "gcp:container/cluster:Cluster")
    assert cluster["enableLegacyAbac"] is False  # CKV_GCP_7
    assert cluster["datapathProvider"] == "ADVANCED_DATAPATH"  # CKV_GCP_12: Dataplane V2 enforces NetworkPolicy
    assert cluster["masterAuth"]["clientCertificateConfig"]["issueClientCertificate"] is False  # CKV_GCP_13
    assert cluster["ipAllocationPolicy"]["clusterSecondaryRangeName"] == "pods"  # CKV_GCP_23: VPC-native
    assert cluster["enableIntranodeVisibility"] is True  # CKV_GCP_61
    assert cluster["binaryAuthorization"]["evaluationMode"] == "PROJECT_SINGLETON_POLICY_ENFORCE"  # CKV_GCP_66
    assert cluster["enableShieldedNodes"] is True  # CKV_GCP_71
    assert cluster["releaseChannel"]["channel"] in {"REGULAR", "STABLE"}  # CKV_GCP_70


@pytest.mark.parametrize("stack", GCP_STACKS)
def test_gke_audits_workload_configuration_and_asks_for_no_removed_scanning_tier(
    plans: dict[Any, Any], stack: str
) -> None:  # CIS GKE 5.1.x is left to the registry: GKE removed both vulnerability-scanning tiers
    posture = _one(plans, stack, "gcp:container/cluster:Cluster")["securityPostureConfig"]
    assert posture == {"mode": "BASIC", "vulnerabilityMode": "VULNERABILITY_DISABLED"}


@pytest.mark.parametrize("stack", GCP_STACKS)
def test_gke_api_reachable_only_from_authorized_networks(plans: dict[Any, Any], stack: str) -> None:
    cluster = _one(plans, stack, "gcp:container/cluster:Cluster")
    blocks = [block["cidrBlock"] for block in cluster["masterAuthorizedNetworksConfig"]["cidrBlocks"]]
    assert blocks  # CKV_GCP_20
    assert "0.0.0.0/0" not in blocks  # CKV_GCP_18
    assert cluster["privateClusterConfig"]["enablePrivateNodes"] is True  # CKV_GCP_25, CKV_GCP_64
    if not cluster["privateClusterConfig"]["enablePrivateEndpoint"]:
        assert stack_config(stack).get("llm-platform:publicApiReason")


@pytest.mark.parametrize("stack", GCP_STACKS)
def test_gke_node_pools_are_hardened(plans: dict[Any, Any], stack: str) -> None:
    pools = _resources(plans, stack, "gcp:container/nodePool:NodePool")
    assert pools
    for pool in pools:
        assert pool["management"] == {"autoRepair": True, "autoUpgrade": True}  # CKV_GCP_9, CKV_GCP_10
        node_config = pool["nodeConfig"]
        assert node_config["imageType"] == "COS_CONTAINERD"  # CKV_GCP_22
        assert node_config["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
        assert node_config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}  # CKV_GCP_69
        assert not node_config["serviceAccount"].endswith("-compute@developer.gserviceaccount.com")  # CIS GKE 5.2.1


@pytest.mark.parametrize("stack", GCP_STACKS)
def test_gke_encrypts_secrets_and_uses_workload_identity(plans: dict[Any, Any], stack: str) -> None:  # CIS 5.3.1, 5.2.2
    cluster = _one(plans, stack, "gcp:container/cluster:Cluster")
    assert cluster["databaseEncryption"]["state"] == "ENCRYPTED"
    assert "/cryptoKeys/" in cluster["databaseEncryption"]["keyName"]
    assert cluster["workloadIdentityConfig"]["workloadPool"].endswith(".svc.id.goog")


# --- AKS ------------------------------------------------------------------------------------------

AZURE_STACKS = planned_stacks_for("azure")


def test_there_is_an_azure_stack() -> None:
    assert AZURE_STACKS


@pytest.mark.parametrize("stack", AZURE_STACKS)
def test_aks_cluster_settings(plans: dict[Any, Any], stack: str) -> None:
    cluster = _one(plans, stack, "azure-native:containerservice:ManagedCluster")
    assert cluster["addonProfiles"]["omsagent"]["enabled"] is True  # CKV_AZURE_4
    assert cluster["enableRBAC"] is True  # CKV_AZURE_5
    assert cluster["networkProfile"]["networkPolicy"] == "cilium"  # CKV_AZURE_7
    assert "kubeDashboard" not in cluster["addonProfiles"]  # CKV_AZURE_8
    assert cluster["addonProfiles"]["azurepolicy"]["enabled"] is True  # CKV_AZURE_116
    assert cluster["disableLocalAccounts"] is True  # CKV_AZURE_141
    assert cluster["autoUpgradeProfile"]["upgradeChannel"] == "patch"  # CKV_AZURE_171
    assert cluster["aadProfile"] == {"managed": True, "enableAzureRBAC": True}  # CIS AKS 5.5.x
    assert cluster["oidcIssuerProfile"] == {"enabled": True}
    assert cluster["securityProfile"]["workloadIdentity"] == {"enabled": True}


@pytest.mark.parametrize("stack", AZURE_STACKS)
def test_aks_api_is_private_or_restricted_with_a_reason(plans: dict[Any, Any], stack: str) -> None:
    access = _one(plans, stack, "azure-native:containerservice:ManagedCluster")["apiServerAccessProfile"]
    if access.get("enablePrivateCluster") is not True:  # CKV_AZURE_115 waived only with a reason
        assert access["authorizedIPRanges"]  # CKV_AZURE_6
        assert "0.0.0.0/0" not in access["authorizedIPRanges"]
        assert stack_config(stack).get("llm-platform:publicApiReason")


@pytest.mark.parametrize("stack", AZURE_STACKS)
def test_aks_node_pools_are_hardened(plans: dict[Any, Any], stack: str) -> None:
    cluster = _one(plans, stack, "azure-native:containerservice:ManagedCluster")
    pools = cluster["agentPoolProfiles"] + _resources(plans, stack, "azure-native:containerservice:AgentPool")
    for pool in pools:
        assert pool["enableNodePublicIP"] is False  # CKV_AZURE_143
        assert pool["type"] == "VirtualMachineScaleSets"  # CKV_AZURE_169
        assert pool["enableEncryptionAtHost"] is True  # CKV_AZURE_227
        assert pool["maxPods"] >= 50  # CKV_AZURE_168
    [system] = cluster["agentPoolProfiles"]
    assert system["osDiskType"] == "Ephemeral"  # CKV_AZURE_226
    assert "CriticalAddonsOnly=true:NoSchedule" in system["nodeTaints"]  # CKV_AZURE_232


@pytest.mark.parametrize("stack", AZURE_STACKS)
def test_aks_gpu_pools_install_the_driver_and_carry_the_gpu_taint(plans: dict[Any, Any], stack: str) -> None:
    gpu_pools = [p for p in _resources(plans, stack, "azure-native:containerservice:AgentPool") if "gpuProfile" in p]
    assert gpu_pools
    for pool in gpu_pools:
        assert pool["gpuProfile"] == {"driver": "Install"}
        assert "nvidia.com/gpu=present:NoSchedule" in pool["nodeTaints"]
        assert pool["nodeLabels"]["nvidia.com/gpu.present"] == "true"


@pytest.mark.parametrize("stack", AZURE_STACKS)
def test_aks_sends_control_plane_logs_to_log_analytics(plans: dict[Any, Any], stack: str) -> None:
    [setting] = [
        found
        for found in _resources(plans, stack, "azure-native:monitor:DiagnosticSetting")
        if found["name"] == "control-plane-logs"
    ]
    categories = {log["category"] for log in setting["logs"] if log["enabled"]}
    assert {"kube-apiserver", "kube-audit-admin"} <= categories
    workspace = _one(plans, stack, "azure-native:operationalinsights:Workspace")
    assert setting["workspaceId"].endswith(f"/{workspace['workspaceName']}")
