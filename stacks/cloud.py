"""What every cloud target hands its cluster component: the same translation of the config for every cloud."""

from __future__ import annotations

from typing import Any

from components.catalog.fabric import fabric_of
from components.clusters.contract import GpuPoolArgs
from components.cold_start import ImageDelivery
from stacks.config import Capacity, StackConfig


def gpu_pool_args(config: StackConfig) -> dict[str, GpuPoolArgs]:
    caching = _pools_with_images(config, ImageDelivery.CACHE) if config.image_cache else set()
    # A pool that caches does not stream too (on EKS the two keep images in different places): the cache is faster.
    streaming = _pools_with_images(config, ImageDelivery.STREAM) - caching
    return {
        name: GpuPoolArgs(
            instance=config.pool_instances[name],
            spot=pool.capacity is Capacity.SPOT,
            min_nodes=pool.min_nodes,
            max_nodes=pool.max_nodes,
            priority=pool.priority,
            labels=pool.labels,
            zones=tuple(pool.zones),
            sharing=pool.sharing.as_sharing(),
            stream_images=name in streaming,
            image_cache=config.image_cache if name in caching else None,
            fabric=fabric_of(config.cloud, config.pool_instances[name].name) if pool.fabric and config.cloud else None,
        )
        for name, pool in config.gpu_pools.items()
    }


def _pools_with_images(config: StackConfig, delivery: ImageDelivery) -> set[str]:
    """The pools whose nodes get images by `delivery`: those of a model that does, and their stand-ins (same GPU,
    count and sharing), where the autoscaler may put the model's pods instead."""
    wanted = {
        model.spec.pool
        for model in config.models.values()
        if model.spec.pool is not None and model.cold_start.images is delivery
    }
    shapes = {(p.gpu, p.gpus_per_node, p.sharing) for n, p in config.gpu_pools.items() if n in wanted}
    return {name for name, p in config.gpu_pools.items() if (p.gpu, p.gpus_per_node, p.sharing) in shapes}


def cluster_args(config: StackConfig, *, default_system_instance_type: str) -> dict[str, Any]:
    """The `CloudClusterArgs` fields, from the stack config."""
    return {
        "cluster_name": config.cluster_name,
        "region": config.region or "",
        "kubernetes_version": config.kubernetes_version,
        "network_cidr": config.network_cidr,
        "public_api_cidrs": config.public_api_cidrs,
        "system_instance_type": config.system_instance_type or default_system_instance_type,
        "system_nodes": config.system_nodes,
        "gpu_pools": gpu_pool_args(config),
    }
