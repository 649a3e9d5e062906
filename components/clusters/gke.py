"""A GKE Standard cluster for GPU serving, from raw Google Cloud resources: VPC-native network with Cloud NAT,
private nodes, a least-privilege node service account, KMS-encrypted secrets, Workload Identity, Dataplane V2,
a system node pool and one node pool per GPU pool with the driver installed by GKE.

The Google Cloud provider flows in through `opts` (`providers=[gcp_provider]`); this component creates the one
Kubernetes provider for the cluster.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
import pulumi_random

from components.catalog.instances import Cloud
from components.clusters.contract import CloudClusterArgs, GpuPoolArgs, GpuPoolInfo, SharingMode
from components.clusters.gke_fabric import gpu_networks, node_config_settings, node_pool_settings
from components.clusters.gpu_nodes import gpu_node_taints, pool_info
from components.clusters.kubeconfig import exec_kubeconfig
from components.clusters.network import gke_ranges

# Roles the nodes need and no more (GKE hardening guide: "use least privilege service accounts").
NODE_ROLES = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
)
CONTROL_PLANE_RANGE = "172.16.0.0/28"
KEY_ROTATION = "7776000s"  # 90 days
KEY_RING_SUFFIX_BYTES = 4
IMAGE_CACHE_MODE = "CONTAINER_IMAGE_CACHE"
"""A secondary boot disk's mode for images containerd reads (GKE API SecondaryBootDisk.Mode)."""
"""Eight hex digits after the cluster name (40 at most): within a key ring name's 63 characters."""
SYSTEM_POOL_LABEL = {"llm-platform/node-role": "system"}
# Workload configuration auditing (posture "standard tier") stays; every vulnerability-scanning tier is gone:
# VULNERABILITY_BASIC since 2025-07-31, VULNERABILITY_ENTERPRISE (Advanced Vulnerability Insights) since 2026-06-16
# (GKE "posture management deprecations"; the API enum marks BASIC "no longer supported", while the pinned SDK's
# docstring still lists it). Scan images in the registry (Artifact Analysis) instead.
SECURITY_POSTURE = {"mode": "BASIC", "vulnerability_mode": "VULNERABILITY_DISABLED"}
_TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}


@dataclass(frozen=True, kw_only=True)
class GkeClusterArgs(CloudClusterArgs):
    project: str
    """Google Cloud project id."""
    deletion_protection: bool = True
    """GKE refuses to delete the cluster while set."""
    gpu_metrics: bool = False
    """GKE's managed DCGM exporter, scraped by Managed Prometheus."""


def kubeconfig(cluster_name: str, endpoint: pulumi.Input[str], ca_data: pulumi.Input[str]) -> pulumi.Output[str]:
    """A kubeconfig that authenticates through gke-gcloud-auth-plugin (client-go 1.26 removed the gcp provider)."""
    return exec_kubeconfig(
        cluster_name,
        pulumi.Output.concat("https://", endpoint),
        ca_data,
        {"command": "gke-gcloud-auth-plugin", "provideClusterInfo": True},
    )


def accelerator(pool: GpuPoolArgs) -> dict[str, object]:
    """The node pool's guest accelerator: GPU type and count, the driver GKE installs, and GPU sharing, which GKE
    configures on the node pool itself (FACTS §1: not through the NVIDIA device plugin's config)."""
    config: dict[str, object] = {
        "type": pool.instance.accelerator,
        "count": pool.instance.gpus,
        "gpu_driver_installation_config": {"gpu_driver_version": "LATEST"},
    }
    if pool.sharing.mode is SharingMode.TIME_SLICING:
        config["gpu_sharing_config"] = {
            "gpu_sharing_strategy": "TIME_SHARING",
            "max_shared_clients_per_gpu": pool.sharing.replicas,
        }
    if pool.sharing.mode is SharingMode.MIG:
        config["gpu_partition_size"] = pool.sharing.mig_profile
    return config


def _node_config(
    machine_type: str, service_account: pulumi.Input[str], labels: Mapping[str, str], disk_size_gb: int, **extra: object
) -> dict[str, object]:
    return {
        "machine_type": machine_type,
        "image_type": "COS_CONTAINERD",
        "disk_size_gb": disk_size_gb,
        "disk_type": "pd-balanced",
        "service_account": service_account,
        "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "labels": dict(labels),
        "shielded_instance_config": {"enable_secure_boot": True, "enable_integrity_monitoring": True},
        "workload_metadata_config": {"mode": "GKE_METADATA"},
        **extra,
    }


class GkeCluster(pulumi.ComponentResource):
    """A regional, private-node GKE cluster with GPU node pools.

    Example::

        GkeCluster("llm", GkeClusterArgs(cluster_name="llm-prod", project="my-project", region="us-central1",
                   kubernetes_version="1.34", network_cidr="10.0.0.0/16",
                   system_instance_type="e2-standard-4"),
                   opts=pulumi.ResourceOptions(providers=[gcp_provider]))
    """

    cluster_name: pulumi.Output[str]
    """The GKE cluster's name."""
    provider: k8s.Provider
    """Kubernetes provider for the cluster (exec authentication, `cluster_identifier` set)."""
    gpu_pools: Mapping[str, GpuPoolInfo]
    """GPU pools by name; `node_group_id` is the GKE node pool's name."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig (a secret) using gke-gcloud-auth-plugin."""
    gke_cluster: gcp.container.Cluster
    """Escape hatch: the native cluster resource."""
    node_service_account: gcp.serviceaccount.Account
    """Service account of every node."""
    network_name: pulumi.Output[str]
    """Short name of the cluster's VPC (where Filestore instances must go to be reachable)."""

    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:clusters:GkeCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ranges = gke_ranges(args.network_cidr)

        network = gcp.compute.Network(
            f"{name}-network", name=args.cluster_name, auto_create_subnetworks=False, opts=child
        )
        subnet = gcp.compute.Subnetwork(
            f"{name}-nodes",
            name=f"{args.cluster_name}-nodes",
            region=args.region,
            network=network.id,
            ip_cidr_range=ranges.nodes,
            secondary_ip_ranges=[
                {"range_name": "pods", "ip_cidr_range": ranges.pods},
                {"range_name": "services", "ip_cidr_range": ranges.services},
            ],
            private_ip_google_access=True,
            # VPC Flow Logs (CIS GCP 3.8), at the provider's defaults written out: 5 s aggregation, half the flows.
            log_config={
                "aggregation_interval": "INTERVAL_5_SEC",
                "flow_sampling": 0.5,
                "metadata": "INCLUDE_ALL_METADATA",
            },
            opts=child,
        )
        router = gcp.compute.Router(
            f"{name}-router", name=args.cluster_name, region=args.region, network=network.id, opts=child
        )
        # Private nodes reach the internet (model weights, images) through Cloud NAT only.
        gcp.compute.RouterNat(
            f"{name}-nat",
            name=args.cluster_name,
            router=router.name,
            region=args.region,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            log_config={"enable": True, "filter": "ERRORS_ONLY"},
            opts=child,
        )

        self.node_service_account = gcp.serviceaccount.Account(
            f"{name}-nodes-sa",
            account_id=f"{args.cluster_name[:24]}-nodes",
            display_name=f"Nodes of GKE cluster {args.cluster_name}",
            opts=child,
        )
        node_member = self.node_service_account.email.apply(lambda email: f"serviceAccount:{email}")
        for role in NODE_ROLES:
            gcp.projects.IAMMember(
                f"{name}-nodes-{role.split('/')[1].replace('.', '-')}",
                project=args.project,
                role=role,
                member=node_member,
                opts=child,
            )

        # Google Cloud never deletes a key ring (`pulumi destroy` only forgets it), so a fixed name collides (409)
        # with what the last stack of this cluster name left behind. The ring's name carries a random suffix that
        # lives in this stack's state; the key inside a new ring can keep a fixed name.
        suffix = pulumi_random.RandomId(f"{name}-keyring-suffix", byte_length=KEY_RING_SUFFIX_BYTES, opts=child)
        key_ring = gcp.kms.KeyRing(
            f"{name}-keyring",
            name=pulumi.Output.concat(args.cluster_name, "-", suffix.hex),
            location=args.region,
            opts=child,
        )
        secrets_key = gcp.kms.CryptoKey(
            f"{name}-secrets-key",
            name=f"{args.cluster_name}-secrets",
            key_ring=key_ring.id,
            rotation_period=KEY_ROTATION,
            opts=child,
        )
        project_number = gcp.organizations.get_project_output(
            project_id=args.project, opts=pulumi.InvokeOutputOptions(parent=self)
        ).number
        key_access = gcp.kms.CryptoKeyIAMMember(
            f"{name}-secrets-key-gke",
            crypto_key_id=secrets_key.id,
            role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member=pulumi.Output.concat(
                "serviceAccount:service-", project_number, "@container-engine-robot.iam.gserviceaccount.com"
            ),
            opts=child,
        )

        public = bool(args.public_api_cidrs)
        authorized = [{"cidr_block": args.network_cidr, "display_name": "cluster network"}] + [
            {"cidr_block": cidr, "display_name": f"public {index}"} for index, cidr in enumerate(args.public_api_cidrs)
        ]
        self.gke_cluster = gcp.container.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            location=args.region,
            min_master_version=args.kubernetes_version,
            release_channel={"channel": "REGULAR"},
            deletion_protection=args.deletion_protection,
            # The default pool is replaced by the pools below; GKE requires one to exist while creating.
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=_node_config("e2-small", self.node_service_account.email, SYSTEM_POOL_LABEL, 50),
            network=network.id,
            subnetwork=subnet.id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy={"cluster_secondary_range_name": "pods", "services_secondary_range_name": "services"},
            private_cluster_config={
                "enable_private_nodes": True,
                "enable_private_endpoint": not public,
                "master_ipv4_cidr_block": CONTROL_PLANE_RANGE,
            },
            master_authorized_networks_config={"cidr_blocks": authorized, "gcp_public_cidrs_access_enabled": False},
            master_auth={"client_certificate_config": {"issue_client_certificate": False}},
            workload_identity_config={"workload_pool": f"{args.project}.svc.id.goog"},
            database_encryption={"state": "ENCRYPTED", "key_name": secrets_key.id},
            # Dataplane V2 (Cilium) enforces NetworkPolicies itself; GKE rejects enabling the legacy Calico
            # policy on top (hashicorp/terraform-provider-google#11334). The explicit "off" block sends nothing
            # and keeps checkov's CKV_GCP_12 from misreading its absence.
            datapath_provider="ADVANCED_DATAPATH",
            # A fabric pool's nodes get a NIC per GPU network: GKE's multi-networking, on Dataplane V2 only. Sent
            # only then, so a stack without one plans as before.
            **({"enable_multi_networking": True} if any(p.fabric for p in args.gpu_pools.values()) else {}),
            network_policy={"enabled": False},
            enable_shielded_nodes=True,
            enable_intranode_visibility=True,
            enable_legacy_abac=False,
            binary_authorization={"evaluation_mode": "PROJECT_SINGLETON_POLICY_ENFORCE"},
            logging_config={
                "enable_components": ["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "WORKLOADS"]
            },
            monitoring_config={
                "enable_components": [
                    "SYSTEM_COMPONENTS",
                    "APISERVER",
                    "CONTROLLER_MANAGER",
                    "SCHEDULER",
                    # GKE's own DCGM exporter (needs the driver installed by GKE, as here).
                    *(["DCGM"] if args.gpu_metrics else []),
                ],
                "managed_prometheus": {"enabled": True},
            },
            security_posture_config=SECURITY_POSTURE,
            # Filestore's CSI driver, which provisions the models' shared weight caches (clusters/filestore.py).
            addons_config={"gcp_filestore_csi_driver_config": {"enabled": True}},
            # The Gateway API CRDs (and, from 1.34, the InferencePool CRD) the stack's agentgateway reads, installed
            # and upgraded by GKE: kept on, as a deployed cluster has them from it (docs/manual.md "The stack's
            # Gateway"). GKE's own Gateway controller comes with it and is idle (no Gateway of its classes).
            gateway_api_config={"channel": "CHANNEL_STANDARD"},
            resource_labels={"llm-platform-cluster": args.cluster_name},
            # The default pool's node config only matters while creating; changing it would replace the cluster.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[key_access], ignore_changes=["nodeConfig"]),
        )
        self.cluster_name = self.gke_cluster.name
        self.network_name = network.name

        management = {"auto_repair": True, "auto_upgrade": True}
        system_pool = gcp.container.NodePool(
            f"{name}-system",
            name="system",
            cluster=self.gke_cluster.id,
            location=args.region,
            initial_node_count=1,
            autoscaling={
                "total_min_node_count": args.system_nodes,
                "total_max_node_count": args.system_nodes + 2,
                "location_policy": "BALANCED",
            },
            management=management,
            node_config=_node_config(
                args.system_instance_type, self.node_service_account.email, SYSTEM_POOL_LABEL, 100
            ),
            opts=child,
        )

        self.gpu_pools = {}
        for pool_name, pool in args.gpu_pools.items():
            info = pool_info(Cloud.GCP, pool_name, pool)
            fabric = pool.fabric
            zone = pool.zones[0] if pool.zones else ""
            networks = (
                gpu_networks(f"{name}-{pool_name}", fabric, args.project, args.region, zone, child) if fabric else []
            )
            node_pool = gcp.container.NodePool(
                f"{name}-{pool_name}",
                name=pool_name,
                cluster=self.gke_cluster.id,
                location=args.region,
                node_locations=list(pool.zones) or None,
                **(node_pool_settings(networks) if fabric else {}),
                initial_node_count=0,
                autoscaling={
                    "total_min_node_count": pool.min_nodes,
                    "total_max_node_count": pool.max_nodes,
                    # GPUs are scarce: take capacity in whichever zone has it.
                    "location_policy": "ANY",
                },
                management=management,
                # A surge node would need a spare GPU; replace one node at a time instead (PDBs guard serving).
                upgrade_settings={"strategy": "SURGE", "max_surge": 0, "max_unavailable": 1},
                node_config=_node_config(
                    pool.instance.name,
                    self.node_service_account.email,
                    info.labels,
                    pool.disk_gib,
                    spot=pool.spot,
                    taints=[
                        {"key": t.key, "value": t.value, "effect": _TAINT_EFFECTS[t.effect]}
                        for t in gpu_node_taints(Cloud.GCP, info.group)
                    ],
                    # GKE installs the driver and its own device plugin, and taints the nodes nvidia.com/gpu.
                    guest_accelerators=[accelerator(pool)],
                    # Image streaming: Artifact Registry images start before their layers are all on the node
                    # (others are pulled as usual: stacks/config/rules/cold_start.py allows it for those only).
                    **({"gcfs_config": {"enabled": True}} if pool.stream_images or pool.image_cache else {}),
                    # The image cache: a disk made from `imageCache` per node, read by containerd's plugin; GKE's
                    # own samples turn image streaming on with it (gke_standard_zonal_secondary_boot_disk_container).
                    **(
                        {"secondary_boot_disks": [{"disk_image": pool.image_cache, "mode": IMAGE_CACHE_MODE}]}
                        if pool.image_cache
                        else {}
                    ),
                    **(node_config_settings(fabric) if fabric else {}),
                ),
                # GKE taints GPU nodes nvidia.com/gpu only when the cluster has a non-GPU pool already
                # (terraform-google-kubernetes-engine#703).
                opts=pulumi.ResourceOptions(parent=self, depends_on=[system_pool]),
            )
            self.gpu_pools[pool_name] = dataclasses.replace(info, node_group_id=node_pool.name)

        self.kubeconfig = pulumi.Output.secret(
            kubeconfig(
                args.cluster_name,
                self.gke_cluster.endpoint,
                self.gke_cluster.master_auth.apply(lambda auth: auth.cluster_ca_certificate),
            )
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            cluster_identifier=args.cluster_name,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system_pool]),
        )
        self.register_outputs({"clusterName": self.cluster_name, "kubeconfig": self.kubeconfig})
