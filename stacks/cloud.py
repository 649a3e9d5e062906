"""What every cloud target hands its cluster component: the same translation of the config for every cloud."""

from __future__ import annotations

from typing import Any

from components.catalog.fabric import fabric_of
from components.clusters.contract import GpuPoolArgs
from stacks.config import Capacity, StackConfig


def gpu_pool_args(config: StackConfig) -> dict[str, GpuPoolArgs]:
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
            fabric=fabric_of(config.cloud, config.pool_instances[name].name) if pool.fabric and config.cloud else None,
        )
        for name, pool in config.gpu_pools.items()
    }


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
