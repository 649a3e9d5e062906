"""Target `aws`: an EKS cluster with GPU managed node groups."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pulumi_aws as aws

from components.autoscaling.cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from components.autoscaling.priority_expander import PriorityExpander, PriorityExpanderArgs, asg_regex
from components.catalog.instances import Cloud
from components.clusters.ebs import EbsStorage, EbsStorageArgs
from components.clusters.efa import EfaDevicePlugin
from components.clusters.efs import EfsStorage, EfsStorageArgs
from components.clusters.eks import SYSTEM_POOL_LABEL, EksCluster, EksClusterArgs
from components.storage.s3_weights import S3Weights, S3WeightsArgs
from stacks.cloud import cluster_args
from stacks.config import StackConfig
from stacks.cost import StackCost
from stacks.gpu import enable_gpus
from stacks.monitoring import prometheus_for
from stacks.outputs import autoscaling_output, cluster_outputs
from stacks.serving import deploy_models
from stacks.vector_store import AWS_STORAGE_CLASS, deploy_vector_store

DEFAULT_SYSTEM_INSTANCE_TYPE = "m7i.large"


def build(config: StackConfig, cost: StackCost | None) -> dict[str, Any]:
    # An explicit provider: the region comes from the stack config, never from the environment.
    provider = aws.Provider(
        "aws",
        region=config.region,
        default_tags={"tags": {"llm-platform/stack": config.stack, "llm-platform/cluster": config.cluster_name}},
    )
    cluster = EksCluster(
        config.cluster_name,
        EksClusterArgs(
            **cluster_args(config, default_system_instance_type=DEFAULT_SYSTEM_INSTANCE_TYPE),
            availability_zones=config.availability_zones,
            existing_subnet_ids=config.existing_subnet_ids,
            deletion_protection=config.deletion_protection,
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    prometheus = prometheus_for(config, cluster, Cloud.AWS)
    gpus = enable_gpus(config, cluster, Cloud.AWS, prometheus)
    fabric_pools = [cluster.gpu_pools[name] for name, pool in config.gpu_pools.items() if pool.fabric]
    if fabric_pools:
        # Group pods request `vpc.amazonaws.com/efa`: they wait for its plugin like GPU pods for the GPU one.
        efa = EfaDevicePlugin("efa", fabric_pools, opts=pulumi.ResourceOptions(provider=cluster.provider))
        gpus = dataclasses.replace(gpus, ready=[*gpus.ready, efa.release])
    if cluster.gpu_pools:
        _autoscale_gpu_pools(config, cluster, provider)
    cache_class = _model_cache_class(config, cluster, provider)
    store = _weight_store(config, cluster, provider)
    return {
        **cluster_outputs(cluster, kubeconfig=cluster.kubeconfig),
        "autoscaling": autoscaling_output(
            "cluster-autoscaler (--expander=priority,least-waste) with the ConfigMap "
            "kube-system/cluster-autoscaler-priority-expander matching each pool's Auto Scaling group",
            cluster.gpu_pools,
        ),
        "devicePlugin": gpus.description,
        **deploy_models(
            config,
            cluster,
            gpus.ready,
            prometheus,
            cache_class=cache_class,
            # EFS sizes are nominal and its driver expands nothing (efs.py).
            cache_size_is_nominal=cache_class is not None,
            cost=cost,
            weights=store.models if store is not None else None,
        ),
        **({"weightsBucket": store.bucket_name} if store is not None else {}),
        **_vector_store(config, cluster, provider),
    }


def _vector_store(config: StackConfig, cluster: EksCluster, provider: aws.Provider) -> dict[str, Any]:
    """The vector store, on encrypted EBS volumes of the stack's own class (EKS has no block provisioner)."""
    if config.vector_store is None:
        return {}
    if config.vector_store.storage_class is not None:
        return deploy_vector_store(config, cluster)
    block = EbsStorage(
        "block-storage",
        EbsStorageArgs(
            cluster_name=cluster.cluster_name,
            storage_class_name=AWS_STORAGE_CLASS,
            kubernetes_version=config.kubernetes_version,
            nodes=[cluster.system_nodes],
        ),
        opts=pulumi.ResourceOptions(providers=[provider, cluster.provider]),
    )
    return deploy_vector_store(config, cluster, storage_class=block.storage_class_name)


def _autoscale_gpu_pools(config: StackConfig, cluster: EksCluster, provider: aws.Provider) -> None:
    """The Cluster Autoscaler, trying the GPU pools in their priority order (its priority expander)."""
    in_cluster = pulumi.ResourceOptions(provider=cluster.provider)
    PriorityExpander(
        "autoscaler-priorities",
        PriorityExpanderArgs(
            {
                name: (pool.priority, pulumi.Output.from_input(pool.node_group_id).apply(asg_regex))
                for name, pool in cluster.gpu_pools.items()
            }
        ),
        opts=in_cluster,
    )
    ClusterAutoscaler(
        "cluster-autoscaler",
        ClusterAutoscalerArgs(
            cluster_name=cluster.cluster_name,
            cluster_name_plain=config.cluster_name,
            region=config.region or "",
            kubernetes_version=config.kubernetes_version,
            system_selector=SYSTEM_POOL_LABEL,
        ),
        opts=pulumi.ResourceOptions(providers=[provider, cluster.provider]),
    )


def _weight_store(config: StackConfig, cluster: EksCluster, provider: aws.Provider) -> S3Weights | None:
    """The S3 bucket the models that stream their weights read from, with their identities; None when none does."""
    streaming = [name for name, model in config.models.items() if model.cold_start.streams_weights]
    if not streaming:
        return None
    return S3Weights(
        "weights",
        S3WeightsArgs(
            cluster_name=cluster.cluster_name,
            region=config.region or "",
            namespace=config.namespace,
            models=streaming,
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )


def _model_cache_class(config: StackConfig, cluster: EksCluster, provider: aws.Provider) -> pulumi.Output[str] | None:
    """The models' cache StorageClass on EFS, when the stack creates it; None otherwise."""
    if not (config.model_cache_class_created and config.model_cache_storage_class):
        return None
    return EfsStorage(
        "model-cache",
        EfsStorageArgs(
            cluster_name=cluster.cluster_name,
            vpc_id=cluster.vpc_id,
            node_security_group_id=cluster.node_security_group_id,
            subnet_ids=cluster.node_subnet_ids,
            storage_class_name=config.model_cache_storage_class,
            kubernetes_version=config.kubernetes_version,
            nodes=[cluster.system_nodes],
        ),
        opts=pulumi.ResourceOptions(providers=[provider, cluster.provider]),
    ).storage_class_name
