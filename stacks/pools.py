"""GPU pools as the cloud cluster components take them: the same translation for every cloud."""

from __future__ import annotations

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
        )
        for name, pool in config.gpu_pools.items()
    }
