"""GkeCluster under mocks."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest

from components.catalog.gpus import GpuType
from components.catalog.instances import Cloud, choose_instance
from components.clusters.contract import GpuPoolArgs
from components.clusters.gke import NODE_ROLES, GkeCluster, GkeClusterArgs
from tests.support import Registered, record

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
H100 = choose_instance(Cloud.GCP, GpuType.H100, 8)
ARGS = GkeClusterArgs(
    cluster_name="llm-test",
    project="llm-platform-demo",
    region="us-central1",
    kubernetes_version="1.34",
    network_cidr="10.0.0.0/16",
    system_instance_type="e2-standard-4",
    gpu_pools={
        "h100": GpuPoolArgs(instance=H100, spot=True, min_nodes=0, max_nodes=2, priority=10, zones=("us-central1-a",))
    },
)


def build() -> dict[str, Any]:
    cluster = GkeCluster("llm", ARGS)
    return {"kubeconfig": pulumi.Output.unsecret(cluster.kubeconfig), "pool": cluster.gpu_pools["h100"].node_group_id}


@pytest.fixture(scope="module")
def registered() -> Registered:
    return record(build, config={"llm-platform:region": "us-central1"})


def test_gpu_pool_declares_its_accelerators_with_the_driver_installed_by_gke(registered: Registered) -> None:
    node_config = registered.inputs(NODE_POOL, "llm-h100")["nodeConfig"]
    assert node_config["machineType"] == "a3-highgpu-8g"
    assert node_config["guestAccelerators"] == [
        {"type": "nvidia-h100-80gb", "count": 8, "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"}}
    ]


def test_gpu_pool_is_spot_scales_from_zero_in_its_zones(registered: Registered) -> None:
    pool = registered.inputs(NODE_POOL, "llm-h100")
    assert pool["nodeConfig"]["spot"] is True
    assert pool["autoscaling"] == {"totalMinNodeCount": 0, "totalMaxNodeCount": 2, "locationPolicy": "ANY"}
    assert pool["nodeLocations"] == ["us-central1-a"]
    assert registered.outputs["pool"] == "h100"


def test_gpu_pool_serves_its_compute_class_and_leaves_the_gpu_taint_to_gke(registered: Registered) -> None:
    node_config = registered.inputs(NODE_POOL, "llm-h100")["nodeConfig"]
    assert node_config["labels"] == {
        "llm-platform/gpu-pool": "h100",
        "llm-platform/gpu-group": "h100-x8",
        "nvidia.com/gpu.present": "true",
        "cloud.google.com/compute-class": "h100-x8",
    }
    assert node_config["taints"] == [
        {"key": "cloud.google.com/compute-class", "value": "h100-x8", "effect": "NO_SCHEDULE"}
    ]


def test_nodes_run_with_their_own_least_privilege_service_account(registered: Registered) -> None:
    roles = sorted(r.inputs["role"] for r in registered.all("gcp:projects/iAMMember:IAMMember"))
    assert roles == sorted(NODE_ROLES)
    for pool in registered.all(NODE_POOL):
        assert pool.inputs["nodeConfig"]["serviceAccount"] == "llm-test-nodes@project.iam.gserviceaccount.com"


def test_secrets_key_is_usable_by_the_gke_service_agent(registered: Registered) -> None:
    member = registered.inputs("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")["member"]
    assert member == "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com"


def test_key_ring_name_has_a_random_suffix_so_a_recreated_stack_never_collides(registered: Registered) -> None:
    # Key rings outlive `pulumi destroy`: the next ring of the same cluster name must be another one.
    suffix = registered.one("random:index/randomId:RandomId")
    assert suffix.inputs["byteLength"] == 4
    assert re.fullmatch(r"llm-test-[0-9a-f]{8}", registered.inputs("gcp:kms/keyRing:KeyRing")["name"])
    assert suffix.urn in registered.one("gcp:kms/keyRing:KeyRing").dependencies


def test_secrets_key_lives_in_the_stacks_own_key_ring(registered: Registered) -> None:
    ring = registered.inputs("gcp:kms/keyRing:KeyRing")
    key_name = registered.inputs(CLUSTER)["databaseEncryption"]["keyName"]
    assert key_name == f"projects/project/locations/us-central1/keyRings/{ring['name']}/cryptoKeys/llm-test-secrets"


def test_subnet_has_secondary_ranges_for_pods_and_services(registered: Registered) -> None:
    subnet = registered.inputs("gcp:compute/subnetwork:Subnetwork", "llm-nodes")
    assert subnet["ipCidrRange"] == "10.0.0.0/19"
    assert subnet["secondaryIpRanges"] == [
        {"rangeName": "pods", "ipCidrRange": "10.0.128.0/17"},
        {"rangeName": "services", "ipCidrRange": "10.0.32.0/19"},
    ]
    assert subnet["privateIpGoogleAccess"] is True


def test_private_endpoint_only_without_public_cidrs(registered: Registered) -> None:
    cluster = registered.inputs(CLUSTER)
    assert cluster["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert cluster["masterAuthorizedNetworksConfig"]["cidrBlocks"] == [
        {"cidrBlock": "10.0.0.0/16", "displayName": "cluster network"}
    ]


def test_kubeconfig_authenticates_through_the_gke_auth_plugin(registered: Registered) -> None:
    config = json.loads(registered.outputs["kubeconfig"])
    assert config["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert config["clusters"][0]["cluster"]["server"] == "https://10.0.0.2"
    assert registered.inputs("pulumi:providers:kubernetes")["clusterIdentifier"] == "llm-test"


def test_gpu_pools_come_after_the_system_pool_so_gke_taints_them(registered: Registered) -> None:
    assert registered.one(NODE_POOL, "llm-system").urn in registered.one(NODE_POOL, "llm-h100").dependencies


def test_gpu_pool_upgrades_need_no_spare_gpu(registered: Registered) -> None:
    upgrade = registered.inputs(NODE_POOL, "llm-h100")["upgradeSettings"]
    assert (upgrade["maxSurge"], upgrade["maxUnavailable"]) == (0, 1)


def test_network_policy_is_left_to_dataplane_v2(registered: Registered) -> None:
    cluster = registered.inputs(CLUSTER)
    assert (cluster["datapathProvider"], cluster["networkPolicy"]) == ("ADVANCED_DATAPATH", {"enabled": False})


def test_no_proxy_only_subnet_since_the_gateway_is_agentgateway_behind_an_l4_load_balancer(
    registered: Registered,
) -> None:
    # Only Envoy-based (L7) load balancers need one; GKE's Service load balancers (L4 passthrough) do not.
    purposes = [r.inputs.get("purpose") for r in registered.all("gcp:compute/subnetwork:Subnetwork")]
    assert "REGIONAL_MANAGED_PROXY" not in purposes


def test_the_cluster_keeps_gkes_standard_gateway_api_channel_which_owns_the_gateway_crds(
    registered: Registered,
) -> None:
    cluster = registered.inputs("gcp:container/cluster:Cluster")
    assert cluster["gatewayApiConfig"] == {"channel": "CHANNEL_STANDARD"}
