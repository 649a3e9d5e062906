"""GKE's GPU network between nodes on a fabric pool: the extra VPCs and subnets each node's GPU NICs join, and the
node pool settings GKE documents per machine type. Pure shapes plus the network resources.

GKE "Maximize GPU network bandwidth with GPUDirect-TCPXO" (a3-megagpu-8g): eight VPCs, one subnet each, MTU 8244,
a firewall rule admitting the subnets' own traffic, gVNIC, one `additional_node_network_configs` entry per VPC;
no `gpudirect_strategy` (the API's GPUDirectStrategy enum has only RDMA, "GPUDirect-RDMA on A3 Ultra, and A4").
GKE "GPUDirect-RDMA" (a3-ultragpu-8g, a4): a second gVNIC VPC and one RDMA VPC on the zone's RoCE network profile
(`<zone>-vpc-roce`) with eight subnets, `gpudirect_strategy: RDMA`. Both: the cluster's multi-networking on
Dataplane V2, and a COMPACT placement policy, which holds the pool to one zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.catalog.fabric import Fabric, FabricKind

TCPXO_MTU = 8244
RDMA_MTU = 8896
BASE = "192.168"
"""GKE's docs number the GPU subnets 192.168.<n>.0/24, outside the cluster's 10.x ranges."""


@dataclass(frozen=True)
class GpuSubnet:
    network: str
    """Resource name suffix of its VPC."""
    cidr: str


def gpu_subnets(fabric: Fabric) -> list[GpuSubnet]:
    """One subnet per GPU NIC: its own VPC each on TCPXO; one RoCE VPC for all on RDMA, after the gVNIC one."""
    if fabric.kind is FabricKind.TCPXO:
        return [GpuSubnet(f"gpu-{n}", f"{BASE}.{n}.0/24") for n in range(fabric.interfaces)]
    if fabric.kind is FabricKind.RDMA:
        return [
            GpuSubnet("gvnic", f"{BASE}.0.0/24"),
            *(GpuSubnet("rdma", f"{BASE}.{n + 1}.0/24") for n in range(fabric.interfaces)),
        ]
    raise ValueError(f"{fabric.kind} is not a GKE fabric")


def vpc_name(prefix: str, subnet: GpuSubnet) -> str:
    """The VPC's name: `<cluster>-<pool>-<network>`. Named, not auto-named: the node pool and the in-cluster
    GKENetworkParamSets send these names, and a random suffix would differ per plan."""
    return f"{prefix}-{subnet.network}"


def subnet_name(prefix: str, index: int) -> str:
    return f"{prefix}-gpu-subnet-{index}"


def node_pool_settings(networks: list[dict[str, Any]]) -> dict[str, Any]:
    """What a fabric pool's NodePool adds: its additional networks and COMPACT placement (its one zone is the
    pool's `zones`, which the config requires for a fabric pool on gcp)."""
    return {
        "network_config": {"additional_node_network_configs": networks},
        "placement_policy": {"type": "COMPACT"},
    }


def node_config_settings(fabric: Fabric) -> dict[str, Any]:
    """What a fabric pool's node_config adds: gVNIC, and the RDMA strategy where GKE has one."""
    settings: dict[str, Any] = {"gvnic": {"enabled": True}}
    if fabric.kind is FabricKind.RDMA:
        settings["gpudirect_strategy"] = "RDMA"
    return settings


def gpu_networks(
    name: str, fabric: Fabric, project: str, region: str, zone: str, opts: pulumi.ResourceOptions
) -> list[dict[str, Any]]:
    """The VPCs, subnets and firewall rules of a pool's GPU NICs; the node pool's network entries, in NIC order."""
    vpcs: dict[str, gcp.compute.Network] = {}
    entries = []
    for index, subnet in enumerate(gpu_subnets(fabric)):
        if subnet.network not in vpcs:
            roce = subnet.network == "rdma"
            vpc = gcp.compute.Network(
                vpc_name(name, subnet),
                name=vpc_name(name, subnet),
                auto_create_subnetworks=False,
                mtu=TCPXO_MTU if fabric.kind is FabricKind.TCPXO else RDMA_MTU,
                network_profile=f"projects/{project}/global/networkProfiles/{zone}-vpc-roce" if roce else None,
                opts=opts,
            )
            if not roce:
                # RoCE VPCs carry no firewall rules (the profile's own); the others admit only the GPU subnets.
                gcp.compute.Firewall(
                    f"{name}-{subnet.network}-internal",
                    network=vpc.id,
                    direction="INGRESS",
                    source_ranges=[f"{BASE}.0.0/16"],
                    allows=[{"protocol": "tcp"}, {"protocol": "udp"}, {"protocol": "icmp"}],
                    opts=opts,
                )
            vpcs[subnet.network] = vpc
        subnetwork = gcp.compute.Subnetwork(
            subnet_name(name, index),
            name=subnet_name(name, index),
            network=vpcs[subnet.network].id,
            region=region,
            ip_cidr_range=subnet.cidr,
            private_ip_google_access=True,
            log_config={
                "aggregation_interval": "INTERVAL_5_SEC",
                "flow_sampling": 0.5,
                "metadata": "INCLUDE_ALL_METADATA",
            },
            opts=opts,
        )
        entries.append({"network": vpcs[subnet.network].name, "subnetwork": subnetwork.name})
    return entries


@dataclass(frozen=True)
class PodNetwork:
    """A GPU NIC as pods attach it: a `Network` and its `GKENetworkParamSet` (networking.gke.io/v1, both named
    `name`), the pod interface it becomes and the VPC and subnet it stands for."""

    name: str
    interface: str
    vpc: str
    subnet: str
    device_mode: str
    """GKENetworkParamSet deviceMode: `NetDevice` (TCPXO's NICs), `RDMA` (the RoCE NICs)."""


def pod_networks(prefix: str, pool: str, fabric: Fabric) -> list[PodNetwork]:
    """The GPU NICs a group pod attaches, in interface order after eth0 (the default network).

    Standard-mode manifests at container-engine-accelerators 992db81: TCPXO's nccl-test-latest.yaml attaches
    eth1..eth8 (networks vpc1..vpc8, one per GPU VPC); RDMA's nccl-test.yaml attaches eth2..eth9 (rdma-0..rdma-7),
    leaving eth1, the node's second gVNIC, to the node. Network names are cluster-wide: prefixed by the pool."""
    subnets = gpu_subnets(fabric)
    if fabric.kind is FabricKind.TCPXO:
        return [
            PodNetwork(f"{pool}-vpc{n + 1}", f"eth{n + 1}", vpc_name(prefix, s), subnet_name(prefix, n), "NetDevice")
            for n, s in enumerate(subnets)
        ]
    if fabric.kind is FabricKind.RDMA:
        return [
            PodNetwork(f"{pool}-rdma-{n - 1}", f"eth{n + 1}", vpc_name(prefix, s), subnet_name(prefix, n), "RDMA")
            for n, s in enumerate(subnets)
            if s.network == "rdma"
        ]
    raise ValueError(f"{fabric.kind} is not a GKE fabric")
