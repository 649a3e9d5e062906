"""Stack outputs every target shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.clusters.contract import GpuPoolInfo


def pools_output(pools: Mapping[str, GpuPoolInfo]) -> dict[str, Any]:
    """The `gpuPools` output: what each pool offers, as plain data."""
    return {
        name: {
            "gpu": pool.gpu.value,
            "gpusPerNode": pool.gpus_per_node,
            "gpuMemoryGiB": pool.gpu_memory_gib,
            "spot": pool.spot,
            "priority": pool.priority,
            "nodes": {"min": pool.min_nodes, "max": pool.max_nodes},
        }
        for name, pool in pools.items()
    }
