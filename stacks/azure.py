"""Target `azure`: an AKS cluster with GPU agent pools."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import authorization

from components.autoscaling.priority_expander import PriorityExpander, PriorityExpanderArgs, vmss_regex
from components.catalog.instances import Cloud
from components.clusters.aks import INTERNET, AksCluster, AksClusterArgs, Deployer, aks_pool_name
from components.clusters.network_operator import NetworkOperator
from components.serving.gateway import Implementation
from components.storage.blob_weights import BlobWeights, BlobWeightsArgs
from stacks.cloud import cluster_args
from stacks.config import DeployerType, StackConfig
from stacks.cost import StackCost
from stacks.gpu import enable_gpus
from stacks.monitoring import prometheus_for
from stacks.outputs import autoscaling_output, cluster_outputs
from stacks.serving import deploy_models, stack_gateway_ref
from stacks.vector_store import deploy_vector_store

DEFAULT_SYSTEM_INSTANCE_TYPE = "Standard_D4ds_v5"
_PRINCIPAL_TYPES = {
    DeployerType.USER: authorization.PrincipalType.USER,
    DeployerType.SERVICE_PRINCIPAL: authorization.PrincipalType.SERVICE_PRINCIPAL,
    DeployerType.GROUP: authorization.PrincipalType.GROUP,
}


def deployer(config: StackConfig) -> Deployer:
    """Who gets the cluster's RBAC Cluster Admin role: whoever runs Pulumi, or the group the stack names."""
    return Deployer(
        principal_type=_PRINCIPAL_TYPES[config.deployer_principal_type], object_id=config.deployer_group_object_id
    )


def public_load_balancer_sources(config: StackConfig) -> tuple[str, ...]:
    """The sourceRanges of the models exposed on a public load balancer (`loadBalancer.internal: false`)."""
    sources = {
        cidr
        for model in config.models.values()
        if model.spec.load_balancer is not None and model.spec.load_balancer.internal is False
        for cidr in model.spec.load_balancer.source_ranges
    }
    return tuple(sorted(sources))


def public_gateway_sources(config: StackConfig) -> tuple[str, ...]:
    """Who reaches the stack's own Gateway when it is public: `gatewaySourceRanges`, else anyone (its listeners
    decide what they serve)."""
    gateway = stack_gateway_ref(config)
    if gateway is None or gateway.implementation is not Implementation.ENVOY or config.gateway_internal:
        return ()
    return config.gateway_source_ranges or (INTERNET,)


def build(config: StackConfig, cost: StackCost | None) -> dict[str, Any]:
    # An explicit provider: the location comes from the stack config; the subscription from `az login`.
    provider = azure_native.Provider("azure", location=config.region)
    cluster = AksCluster(
        config.cluster_name,
        AksClusterArgs(
            **cluster_args(config, default_system_instance_type=DEFAULT_SYSTEM_INSTANCE_TYPE),
            availability_zones=config.availability_zones,
            existing_subnet_ids=config.existing_subnet_ids,
            public_load_balancer_sources=public_load_balancer_sources(config),
            public_gateway_sources=public_gateway_sources(config),
            deployer=deployer(config),
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    prometheus = prometheus_for(config, cluster, Cloud.AZURE)
    gpus = enable_gpus(config, cluster, Cloud.AZURE, prometheus)
    fabric_pools = [cluster.gpu_pools[name] for name, pool in config.gpu_pools.items() if pool.fabric]
    if fabric_pools:
        # Group pods request `rdma/shared_ib`: they wait for the policy whose device plugin advertises it.
        operator = NetworkOperator(
            "network-operator", fabric_pools, opts=pulumi.ResourceOptions(provider=cluster.provider)
        )
        gpus = dataclasses.replace(gpus, ready=[*gpus.ready, *operator.ready])
    if cluster.gpu_pools:
        PriorityExpander(
            "autoscaler-priorities",
            PriorityExpanderArgs(
                {name: (pool.priority, vmss_regex(aks_pool_name(name))) for name, pool in cluster.gpu_pools.items()}
            ),
            opts=pulumi.ResourceOptions(provider=cluster.provider),
        )
    store = _weight_store(config, cluster)
    return {
        **cluster_outputs(cluster, kubeconfig=cluster.kubeconfig),
        "autoscaling": autoscaling_output(
            "AKS's managed autoscaler (expander priority; AKS takes one expander, so no least-waste) with the "
            "ConfigMap kube-system/cluster-autoscaler-priority-expander matching each pool's scale set",
            cluster.gpu_pools,
        ),
        "devicePlugin": gpus.description,
        **deploy_models(
            config,
            cluster,
            gpus.ready,
            prometheus,
            cost=cost,
            weights=store.models if store is not None else None,
        ),
        **({"weightsAccount": store.account_name} if store is not None else {}),
        **deploy_vector_store(config, cluster),
    }


def _weight_store(config: StackConfig, cluster: AksCluster) -> BlobWeights | None:
    """The storage account the models that stream their weights read from, a container and identities per model;
    None when none does."""
    streaming = [name for name, model in config.models.items() if model.cold_start.streams_weights]
    if not streaming:
        return None
    client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=cluster))
    return BlobWeights(
        "weights",
        BlobWeightsArgs(
            resource_group_name=cluster.resource_group.name,
            location=config.region or "",
            cluster_name=config.cluster_name,
            oidc_issuer_url=cluster.aks_cluster.oidc_issuer_profile.apply(
                lambda profile: profile.issuer_url if profile is not None else None
            ),
            subscription_id=client.subscription_id,
            tenant_id=client.tenant_id,
            namespace=config.namespace,
            models=streaming,
            subnet_id=cluster.node_subnet_id,
            virtual_network_id=cluster.virtual_network_id,
            log_workspace_id=cluster.log_workspace_id,
        ),
        opts=pulumi.ResourceOptions(parent=cluster),
    )
