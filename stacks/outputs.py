"""Stack outputs every target shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from components.clusters.contract import GpuCluster, GpuPoolInfo


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


def cluster_outputs(cluster: GpuCluster, *, kubeconfig: pulumi.Output[str] | None = None) -> dict[str, Any]:
    """The outputs every target exports about its cluster."""
    outputs: dict[str, Any] = {"clusterName": cluster.cluster_name, "gpuPools": pools_output(cluster.gpu_pools)}
    if kubeconfig is not None:
        outputs["kubeconfig"] = kubeconfig
    return outputs


def autoscaling_output(mechanism: str, pools: Mapping[str, GpuPoolInfo]) -> dict[str, Any]:
    """How the pools grow: the mechanism, and the pools in the order the autoscaler tries them (ties together)."""
    tiers: dict[int, list[str]] = {}
    for pool in pools.values():
        tiers.setdefault(pool.priority, []).append(pool.name)
    return {"mechanism": mechanism, "order": [sorted(tiers[p]) for p in sorted(tiers, reverse=True)]}
