"""An AKS cluster for GPU serving, from azure-native resources: VNet, Entra ID with Azure RBAC and no local
accounts, workload identity, Azure CNI overlay with Cilium network policy, Container Insights, Azure Policy,
a tainted system pool, a general pool for add-ons, and one separate agent pool per GPU pool.

The azure-native provider flows in through `opts` (`providers=[azure_provider]`); this component creates the one
Kubernetes provider for the cluster.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumiverse_time as time
import yaml
from pulumi_azure_native import (
    authorization,
    compute,
    containerservice,
    managedidentity,
    monitor,
    network,
    operationalinsights,
    resources,
)

from components.azure_roles import role_definition_id
from components.catalog.instances import Cloud
from components.catalog.mig import aks_instance_profile
from components.clusters.contract import CloudClusterArgs, GpuPoolInfo, SharingMode
from components.clusters.gpu_nodes import gpu_node_taints, pool_info
from components.clusters.network import subnet_plan

# Built-in role "Azure Kubernetes Service RBAC Cluster Admin": with local accounts disabled, whoever runs
# Pulumi reaches the API only through an Entra ID role assignment.
AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
# Built-in role "Network Contributor" (MicrosoftDocs azure-docs, built-in-roles/networking.md): what the cluster
# identity needs on a node subnet outside the node resource group (subnets/read, subnets/join/action), or every
# LoadBalancer Service stays pending. Only the Azure CLI grants it by itself (aks-docs "use-managed-identity").
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
# "New role assignments can take up to five minutes to propagate and be updated by the authorization server"
# (aks-docs "manage-azure-rbac"): the Kubernetes provider waits that long after the deployer's assignment.
RBAC_PROPAGATION = "5m"
# Cluster-internal ranges, outside every VNet range the config accepts (172.16.0.0/12 is kept for them).
SERVICE_CIDR = "172.20.0.0/16"
DNS_SERVICE_IP = "172.20.0.10"
POD_CIDR = "172.24.0.0/14"
PUBLIC_LOAD_BALANCER_PORT = 80  # components.serving.load_balancer.PORT
GATEWAY_PORTS = (80, 443)  # components.serving.gateway HTTP_PORT, HTTPS_PORT: the Gateway Service's ports
INTERNET = "Internet"
"""Azure's service tag for addresses outside every VNet."""
SYSTEM_POOL_LABEL = {"llm-platform/node-role": "system"}
AKS_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
"""Linux agent pool names: a lowercase letter, then lowercase letters and digits, 12 characters at most (aks-docs
"create-node-pools", limitations)."""
OWN_POOLS = ("system", "general")
"""The agent pools the component creates besides the GPU pools'."""


def aks_pool_name(name: str) -> str:
    """The agent pool name of the GPU pool `name` (a DNS label: `a100-spot`): the name itself when AKS takes it,
    else without its dashes (`a100spot`), a leading digit prefixed with `p`, and one longer than 12 characters
    cut to 8 and 4 hex digits of its hash, so that two long names rarely meet. The config name stays everywhere
    else (node labels, selectors, outputs); stacks/config refuses two pools that would meet. Shared with
    tools/translation.py, which renames pools for AKS."""
    if AKS_POOL_NAME.match(name):
        return name
    squeezed = re.sub(r"[^a-z0-9]", "", name.lower())
    if not squeezed[:1].isalpha():
        squeezed = f"p{squeezed}"
    if len(squeezed) <= 12:
        return squeezed
    return squeezed[:8] + hashlib.sha256(name.encode()).hexdigest()[:4]


# The inline system pool's fields only seed it: the separate AgentPools would fight later edits there
# (pulumi/pulumi-azure-native#2719, #4264), so Pulumi keeps each as created, all but `orchestratorVersion`. A
# managed-cluster update may change a pool's version only to the control plane's (AKS's
# NotAllAgentPoolOrchestratorVersionSpecifiedAndUnchanged, pulumi/pulumi-azure-native#2094), which is what it sends.
SYSTEM_POOL_SEEDED = (
    "name",
    "mode",
    "vmSize",
    "count",
    "minCount",
    "maxCount",
    "enableAutoScaling",
    "availabilityZones",
    "osDiskType",
    "osDiskSizeGB",
    "nodeLabels",
    "nodeTaints",
    "osType",
    "type",
    "vnetSubnetID",
    "enableNodePublicIP",
    "enableEncryptionAtHost",
    "maxPods",
)
# Control-plane logs sent to Log Analytics (the AKS resource log categories; kube-audit-admin leaves out reads).
CONTROL_PLANE_LOGS = (
    "kube-apiserver",
    "kube-audit-admin",
    "kube-controller-manager",
    "kube-scheduler",
    "cluster-autoscaler",
    "guard",
)


@dataclass(frozen=True)
class Deployer:
    """Who runs Pulumi, and so gets the cluster's RBAC Cluster Admin role."""

    principal_type: authorization.PrincipalType = authorization.PrincipalType.USER
    """What Azure checks the principal against: a user, a service principal (or managed identity), a group.
    A wrong type is rejected (UnmatchedPrincipalType); the SDK's default is User."""
    object_id: str | None = None
    """The principal's object id; None: whoever runs Pulumi (its client config). A group must be named."""


@dataclass(frozen=True, kw_only=True)
class AksClusterArgs(CloudClusterArgs):
    availability_zones: int = 3
    """Zones the system and general pools span."""
    existing_subnet_ids: tuple[str, ...] = ()
    """One subnet resource id for the nodes, instead of creating a VNet. The cluster identity gets Network
    Contributor on it, so whoever runs Pulumi must be allowed to assign roles there."""
    deployer: Deployer = Deployer()
    public_load_balancer_sources: tuple[str, ...] = ()
    """CIDR blocks public LoadBalancer Services admit: the node subnet's NSG lets them in on port 80 too."""
    public_gateway_sources: tuple[str, ...] = ()
    """Who reaches the stack's public Gateway (CIDR blocks, or `INTERNET`): the node subnet's NSG lets them in on 80
    and 443; none for an internal Gateway, which the VNet reaches through Azure's default rules."""


def azure_cli_kubeconfig(encoded: str) -> str:
    """AKS's exec kubeconfig logs in with a device code; Pulumi runs unattended, so switch kubelogin to the Azure
    CLI's login, as `kubelogin convert-kubeconfig -l azurecli` does (that mode takes no client or tenant id)."""
    config = yaml.safe_load(base64.b64decode(encoded).decode())
    for user in config.get("users") or []:
        exec_config = (user.get("user") or {}).get("exec") or {}
        if exec_config.get("command") != "kubelogin":
            continue
        args, kept = list(exec_config.get("args") or []), []
        skip = False
        for index, arg in enumerate(args):
            if skip:
                skip = False
            elif arg in _AZURE_CLI_DROPS:
                skip = True
            elif index > 0 and args[index - 1] == "--login":
                kept.append("azurecli")
            else:
                kept.append(arg)
        exec_config["args"] = kept
    return yaml.safe_dump(config, sort_keys=True)


_AZURE_CLI_DROPS = {"--client-id", "--tenant-id", "--environment"}


class AksCluster(pulumi.ComponentResource):
    """An AKS cluster whose GPU pools are separate agent pools (never mixed into the cluster's inline profiles).

    Example::

        AksCluster("llm", AksClusterArgs(cluster_name="llm-prod", region="eastus2", kubernetes_version="1.34",
                   network_cidr="10.0.0.0/16", system_instance_type="Standard_D4ds_v5"),
                   opts=pulumi.ResourceOptions(providers=[azure_provider]))
    """

    cluster_name: pulumi.Output[str]
    """The AKS cluster's name."""
    provider: k8s.Provider
    """Kubernetes provider for the cluster (kubelogin through the Azure CLI, `cluster_identifier` set)."""
    gpu_pools: Mapping[str, GpuPoolInfo]
    """GPU pools by name; `node_group_id` is the agent pool's name (its scale set is `aks-<pool>-<hash>-vmss`)."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig (a secret) using kubelogin."""
    aks_cluster: containerservice.ManagedCluster
    """Escape hatch: the native cluster resource."""
    resource_group: resources.ResourceGroup
    """The resource group holding the cluster and its network."""
    node_subnet_id: pulumi.Output[str]
    """The subnet of every agent pool (the stack's or `existingSubnetIds[0]`), where private endpoints go too."""
    virtual_network_id: pulumi.Output[str]
    """The VNet of that subnet (private DNS zones link to it)."""
    log_workspace_id: pulumi.Output[str]
    """The Log Analytics workspace of Container Insights and the control-plane logs."""
    identity: managedidentity.UserAssignedIdentity
    """The control plane's identity (load balancers, autoscaler, CSI drivers), created before the cluster so that
    its role on the node subnet exists before the cluster does."""

    def __init__(self, name: str, args: AksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:clusters:AksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.resource_group = resources.ResourceGroup(
            f"{name}-rg", resource_group_name=f"{args.cluster_name}-rg", location=args.region, opts=child
        )
        group_name = self.resource_group.name
        if args.existing_subnet_ids:
            subnet_id: pulumi.Input[str] = args.existing_subnet_ids[0]
            self.virtual_network_id = pulumi.Output.from_input(virtual_network_of(args.existing_subnet_ids[0]))
        else:
            subnet_id, self.virtual_network_id = self._network(name, args, group_name)
        self.node_subnet_id = pulumi.Output.from_input(subnet_id)
        zones = [str(zone) for zone in range(1, args.availability_zones + 1)]
        client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self))

        # A user-assigned identity, as aks-docs "use-managed-identity" recommends outside the Azure CLI with your
        # own VNet: a system-assigned one exists only with the cluster, so its role would come after it.
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=f"{args.cluster_name}-control-plane",
            resource_group_name=group_name,
            location=args.region,
            opts=child,
        )
        subnet_role = authorization.RoleAssignment(
            f"{name}-subnet-network-contributor",
            principal_id=self.identity.principal_id,
            # A new identity may not have reached every Entra ID replica yet: naming its type spares the lookup
            # that would fail with PrincipalNotFound (Azure RBAC troubleshooting).
            principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
            role_definition_id=role_definition_id(client.subscription_id, NETWORK_CONTRIBUTOR),
            scope=subnet_id,
            opts=child,
        )

        workspace = operationalinsights.Workspace(
            f"{name}-logs",
            workspace_name=f"{args.cluster_name}-logs",
            resource_group_name=group_name,
            location=args.region,
            sku={"name": "PerGB2018"},
            retention_in_days=30,
            opts=child,
        )
        self.log_workspace_id = workspace.id
        public = bool(args.public_api_cidrs)
        common_pool = {
            "os_type": "Linux",
            "type": "VirtualMachineScaleSets",
            "vnet_subnet_id": subnet_id,
            "enable_node_public_ip": False,
            "enable_encryption_at_host": True,
            "max_pods": 110,
        }
        self.aks_cluster = containerservice.ManagedCluster(
            f"{name}-cluster",
            resource_name_=args.cluster_name,
            resource_group_name=group_name,
            location=args.region,
            dns_prefix=args.cluster_name,
            kubernetes_version=args.kubernetes_version,
            node_resource_group=f"{args.cluster_name}-nodes-rg",
            identity={"type": "UserAssigned", "user_assigned_identities": [self.identity.id]},
            sku={"name": "Base", "tier": "Standard"},
            # Azure requires the system pool inline; every other pool is a separate AgentPool below.
            agent_pool_profiles=[
                {
                    **common_pool,
                    "name": "system",
                    "mode": "System",
                    "vm_size": args.system_instance_type,
                    "count": args.system_nodes,
                    "min_count": args.system_nodes,
                    "max_count": args.system_nodes + 2,
                    "enable_auto_scaling": True,
                    "availability_zones": zones,
                    "os_disk_type": "Ephemeral",
                    "os_disk_size_gb": 128,
                    "node_labels": dict(SYSTEM_POOL_LABEL),
                    # Only critical add-ons on the system pool (CKV_AZURE_232); the rest go to the general pool.
                    "node_taints": ["CriticalAddonsOnly=true:NoSchedule"],
                    # A new kubernetesVersion upgrades the control plane and then this pool, in the same update:
                    # left unset, AKS upgrades the control plane only (Azure/AKS#3087).
                    "orchestrator_version": args.kubernetes_version,
                }
            ],
            enable_rbac=True,
            aad_profile={"managed": True, "enable_azure_rbac": True},
            disable_local_accounts=True,
            oidc_issuer_profile={"enabled": True},
            security_profile={
                "workload_identity": {"enabled": True},
                "image_cleaner": {"enabled": True, "interval_hours": 168},
            },
            api_server_access_profile=(
                {"authorized_ip_ranges": list(args.public_api_cidrs), "enable_private_cluster": False}
                if public
                else {"enable_private_cluster": True}
            ),
            # Patches arrive on their own; a minor upgrade stays a change of kubernetesVersion in the stack file
            # (the "stable" channel would move the minor under Pulumi's feet).
            auto_upgrade_profile={"upgrade_channel": "patch", "node_os_upgrade_channel": "NodeImage"},
            # The managed autoscaler follows kube-system/cluster-autoscaler-priority-expander; AKS accepts a single
            # expander, so no least-waste behind it (Azure/AKS#2610).
            auto_scaler_profile={
                "expander": "priority",
                "skip_nodes_with_local_storage": "false",
                "scale_down_unneeded_time": "10m",
                "max_node_provision_time": "15m",
            },
            network_profile={
                "network_plugin": "azure",
                "network_plugin_mode": "overlay",
                "network_dataplane": "cilium",
                "network_policy": "cilium",
                "pod_cidr": POD_CIDR,
                "service_cidr": SERVICE_CIDR,
                "dns_service_ip": DNS_SERVICE_IP,
                "load_balancer_sku": "standard",
                "outbound_type": "loadBalancer",
            },
            addon_profiles={
                "azurepolicy": {"enabled": True},
                "omsagent": {"enabled": True, "config": {"logAnalyticsWorkspaceResourceID": workspace.id}},
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=[f"agentPoolProfiles[0].{field}" for field in SYSTEM_POOL_SEEDED],
                depends_on=[subnet_role],
            ),
        )
        self.cluster_name = self.aks_cluster.name
        cluster_name = self.aks_cluster.name
        # Every other pool takes the version from the cluster's output, so it moves after the control plane: a
        # pool may never be ahead of it (AgentPool orchestratorVersion, pulumi-azure-native 3.29.0). Left unset, a
        # pool keeps the version it was created with.
        control_plane_version = self.aks_cluster.kubernetes_version
        monitor.DiagnosticSetting(
            f"{name}-control-plane-logs",
            name="control-plane-logs",
            resource_uri=self.aks_cluster.id,
            workspace_id=workspace.id,
            log_analytics_destination_type="Dedicated",
            logs=[{"category": category, "enabled": True} for category in CONTROL_PLANE_LOGS],
            opts=child,
        )

        general = containerservice.AgentPool(
            f"{name}-general",
            agent_pool_name="general",
            resource_name_=cluster_name,
            resource_group_name=group_name,
            mode="User",
            vm_size=args.system_instance_type,
            count=1,
            min_count=1,
            max_count=3,
            enable_auto_scaling=True,
            availability_zones=zones,
            os_disk_type="Ephemeral",
            os_disk_size_gb=128,
            node_labels={"llm-platform/node-role": "general"},
            orchestrator_version=control_plane_version,
            **common_pool,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["count"]),
        )

        self.gpu_pools = {}
        for pool_name, pool in args.gpu_pools.items():
            info = pool_info(Cloud.AZURE, pool_name, pool)
            taints = [f"{t.key}={t.value}:{t.effect}" for t in gpu_node_taints(Cloud.AZURE, info.group, spot=pool.spot)]
            spot = (
                {"scale_set_priority": "Spot", "scale_set_eviction_policy": "Delete", "spot_max_price": -1}
                if pool.spot
                else {"scale_set_priority": "Regular"}
            )
            # A fabric pool (ND H100 v5 and kin: InfiniBand) keeps its VMs close: one proximity placement group.
            proximity = (
                {
                    "proximity_placement_group_id": compute.ProximityPlacementGroup(
                        f"{name}-{pool_name}-proximity",
                        resource_group_name=group_name,
                        location=args.region,
                        proximity_placement_group_type="Standard",
                        opts=child,
                    ).id
                }
                if pool.fabric is not None
                else {}
            )
            agent_pool = containerservice.AgentPool(
                f"{name}-{pool_name}",
                agent_pool_name=aks_pool_name(pool_name),
                resource_name_=cluster_name,
                resource_group_name=group_name,
                mode="User",
                vm_size=pool.instance.name,
                count=pool.min_nodes,
                min_count=pool.min_nodes,
                max_count=pool.max_nodes,
                enable_auto_scaling=True,
                # GPU sizes rarely have the cache disk an ephemeral OS disk needs.
                os_disk_type="Managed",
                os_disk_size_gb=pool.disk_gib,
                # On spot pools both include AKS's own spot label and taint, so a refresh finds no drift.
                node_labels=dict(info.labels),
                node_taints=taints,
                # AKS installs the NVIDIA driver; the device plugin is ours to install.
                gpu_profile={"driver": "Install"},
                # AKS partitions MIG pools itself when the nodes are created.
                gpu_instance_profile=(
                    aks_instance_profile(pool.instance.gpu, pool.sharing.mig_profile or "")
                    if pool.sharing.mode is SharingMode.MIG
                    else None
                ),
                orchestrator_version=control_plane_version,
                **spot,
                **common_pool,
                **proximity,
                # The cluster autoscaler owns the node count once the pool exists.
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["count"]),
            )
            self.gpu_pools[pool_name] = dataclasses.replace(info, node_group_id=agent_pool.name)

        deployer = args.deployer
        admin = authorization.RoleAssignment(
            f"{name}-deployer-admin",
            principal_id=deployer.object_id or client.object_id,
            principal_type=deployer.principal_type,
            role_definition_id=role_definition_id(client.subscription_id, AKS_RBAC_CLUSTER_ADMIN),
            scope=self.aks_cluster.id,
            opts=child,
        )
        # Nothing may reach the API before the role has propagated. The wait runs again only when the assignment
        # is replaced (another deployer), never on later runs.
        propagated = time.Sleep(
            f"{name}-rbac-propagation",
            create_duration=RBAC_PROPAGATION,
            triggers={"roleAssignment": admin.id},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[admin]),
        )
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=group_name,
            resource_name=cluster_name,
            format="exec",
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.kubeconfig = pulumi.Output.secret(
            credentials.kubeconfigs.apply(lambda configs: azure_cli_kubeconfig(configs[0].value))
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            cluster_identifier=args.cluster_name,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[propagated, general]),
        )
        self.register_outputs({"clusterName": self.cluster_name, "kubeconfig": self.kubeconfig})

    def _network(
        self, name: str, args: AksClusterArgs, group_name: pulumi.Input[str]
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """A VNet with one node subnet (Azure CNI overlay gives pods addresses outside the VNet): the subnet's id and
        the VNet's."""
        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            virtual_network_name=f"{args.cluster_name}-vnet",
            resource_group_name=group_name,
            location=args.region,
            address_space={"address_prefixes": [args.network_cidr]},
            # Subnets are separate resources; inline ones would fight them (pulumi-azure-native#1686).
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnets"]),
        )
        nodes_cidr = subnet_plan(args.network_cidr, 1).private[0]
        nsg = network.NetworkSecurityGroup(
            f"{name}-nodes-nsg",
            network_security_group_name=f"{args.cluster_name}-nodes-nsg",
            resource_group_name=group_name,
            location=args.region,
            security_rules=node_subnet_rules(
                nodes_cidr, args.public_load_balancer_sources, gateway_sources=args.public_gateway_sources
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        subnet = network.Subnet(
            f"{name}-nodes",
            subnet_name="nodes",
            resource_group_name=group_name,
            virtual_network_name=vnet.name,
            address_prefix=nodes_cidr,
            network_security_group={"id": nsg.id},
            opts=pulumi.ResourceOptions(parent=self),
        )
        return subnet.id, vnet.id


def virtual_network_of(subnet_id: str) -> str:
    """The VNet id of a subnet id (`.../virtualNetworks/<vnet>/subnets/<subnet>`)."""
    return subnet_id.split("/subnets/", 1)[0]


def node_subnet_rules(
    nodes_cidr: str, public_sources: tuple[str, ...], *, gateway_sources: tuple[str, ...] = ()
) -> list[dict[str, object]]:
    """Rules of the NSG on the node subnet, on top of Azure's defaults (VNet and Azure Load Balancer in, Internet
    out; everything else in denied). Azure CNI overlay pod addresses are outside the VNet, so the
    `VirtualNetwork` tag does not cover them: node and pod ranges are allowed to each other explicitly (AKS docs
    azure-cni-overlay, "Network security groups"). AKS opens public LoadBalancer Services only in the NSG it
    manages on the nodes' NICs, never in a subnet NSG (Azure/AKS#674): their sources are allowed here, and so are the
    public Gateway's (its proxies' Service keeps client addresses, `externalTrafficPolicy: Local` in the stack's
    AgentgatewayParameters), or its clients and Let's Encrypt's HTTP-01 check meet DenyAllInBound.
    The load balancers' rules keep the Service's port on the nodes (floating IP), so the rules name those ports."""
    cluster = [nodes_cidr, POD_CIDR]
    rules: list[dict[str, object]] = [
        {
            "name": f"cluster-{direction.lower()}",
            "priority": 100,
            "direction": direction,
            "access": "Allow",
            "protocol": "*",
            "source_address_prefixes": cluster,
            "source_port_range": "*",
            "destination_address_prefixes": cluster,
            "destination_port_range": "*",
            "description": "Nodes and pods (Azure CNI overlay) to each other",
        }
        for direction in ("Inbound", "Outbound")
    ]
    if public_sources:
        rules.append(
            {
                "name": "public-load-balancers",
                "priority": 200,
                "direction": "Inbound",
                "access": "Allow",
                "protocol": "Tcp",
                "source_address_prefixes": sorted(public_sources),
                "source_port_range": "*",
                "destination_address_prefix": "*",
                "destination_port_range": str(PUBLIC_LOAD_BALANCER_PORT),
                "description": "Public LoadBalancer Services of the models, from their sourceRanges",
            }
        )
    if gateway_sources:
        # A service tag goes in the singular prefix field; address blocks in the list.
        sources: dict[str, object] = (
            {"source_address_prefix": INTERNET}
            if INTERNET in gateway_sources
            else {"source_address_prefixes": sorted(gateway_sources)}
        )
        rules.append(
            {
                "name": "public-gateway",
                "priority": 210,
                "direction": "Inbound",
                "access": "Allow",
                "protocol": "Tcp",
                **sources,
                "source_port_range": "*",
                "destination_address_prefix": "*",
                "destination_port_ranges": [str(port) for port in GATEWAY_PORTS],
                "description": "The stack's public Gateway: HTTPS, and HTTP for redirects and ACME HTTP-01",
            }
        )
    return rules
