"""Target `existing`: a cluster reached through the local kubeconfig (the `dev` stack)."""

from __future__ import annotations

from typing import Any

from components.clusters.existing import ExistingCluster, ExistingClusterArgs, ExistingPoolArgs
from stacks.config import Capacity, StackConfig
from stacks.cost import StackCost
from stacks.gpu import enable_gpus
from stacks.monitoring import prometheus_for
from stacks.outputs import autoscaling_output, cluster_outputs
from stacks.serving import deploy_models
from stacks.vector_store import deploy_vector_store


def build(config: StackConfig, cost: StackCost | None) -> dict[str, Any]:
    cluster = ExistingCluster(
        config.cluster_name,
        ExistingClusterArgs(
            cluster_name=config.cluster_name,
            context=config.kubeconfig_context,
            gpu_pools={
                name: ExistingPoolArgs(
                    gpu=pool.gpu,
                    gpus_per_node=pool.gpus_per_node,
                    spot=pool.capacity is Capacity.SPOT,
                    priority=pool.priority,
                    min_nodes=pool.min_nodes,
                    max_nodes=pool.max_nodes,
                    labels=pool.labels,
                    sharing=pool.sharing.as_sharing(),
                )
                for name, pool in config.gpu_pools.items()
            },
        ),
    )
    prometheus = prometheus_for(config, cluster, cloud=None)
    gpus = enable_gpus(config, cluster, None, prometheus)
    return {
        **cluster_outputs(cluster),
        "autoscaling": autoscaling_output(
            "none: an existing cluster keeps its own autoscaler; nothing is installed", cluster.gpu_pools
        ),
        "devicePlugin": gpus.description,
        **deploy_models(config, cluster, gpus.ready, prometheus, cost=cost),
        **deploy_vector_store(config, cluster),
    }
