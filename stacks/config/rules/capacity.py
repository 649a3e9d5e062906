"""A model's `maxReplicas` must fit what its pool and the pools standing in for it can hold at `maxNodes`: more
replicas than that only ever wait Pending, while the cost's ceiling and the autoscaler's range promise them.

Refused rather than warned: nothing in the cluster can run them, and every other promise the stack file makes is
checked before anything exists. Several models on one pool may together ask for more than it holds (they peak at
different times); each alone must fit."""

from __future__ import annotations

from collections.abc import Mapping

from components.clusters.contract import gpu_group, slots_per_node
from components.sizing import Sizing
from stacks.config.rules import Finding
from stacks.config.schema import GpuPool, ModelServing


def group_of(pool: GpuPool) -> str:
    return gpu_group(pool.gpu, pool.gpus_per_node, pool.sharing.as_sharing())


def replicas_held(
    pools: Mapping[str, GpuPool], pool: str, gpus_per_replica: int, max_nodes: Mapping[str, int] | None = None
) -> int:
    """Replicas of `gpus_per_replica` GPUs (or slots) that `pool` and its stand-ins (pools of its GPU group) hold at
    their maxNodes, or at `max_nodes` where given."""
    group = group_of(pools[pool])
    held = 0
    for name, other in pools.items():
        if group_of(other) != group:
            continue
        per_node = slots_per_node(other.gpu, other.gpus_per_node, other.sharing.as_sharing()) // gpus_per_replica
        held += (max_nodes or {}).get(name, other.max_nodes) * per_node
    return held


def capacity_findings(
    models: Mapping[str, ModelServing], pools: Mapping[str, GpuPool], sizings: Mapping[str, Sizing | None]
) -> list[Finding]:
    findings = []
    for name, model in models.items():
        sizing = sizings.get(name)
        if model.pool not in pools or sizing is None or model.max_replicas is None:
            continue
        gpus = sizing.tensor_parallel
        held = replicas_held(pools, model.pool, gpus)
        if held == 0 or model.max_replicas <= held:
            continue  # a replica that fits on no node is the sizing rules' to report
        pool = pools[model.pool]
        stand_ins = sorted(p for p in pools if p != model.pool and group_of(pools[p]) == group_of(pool))
        where = f"gpuPools.{model.pool}" + (f" and its stand-ins {', '.join(stand_ins)}" if stand_ins else "")
        per_node = slots_per_node(pool.gpu, pool.gpus_per_node, pool.sharing.as_sharing()) // gpus
        nodes = pool.max_nodes + -(-(model.max_replicas - held) // per_node)
        findings.append(
            Finding(
                f"models.{name}.maxReplicas",
                f"{model.max_replicas} replicas of {gpus} GPU{'s' if gpus > 1 else ''} each, but {where} hold at "
                f"most {held} at maxNodes: the others would wait Pending; lower maxReplicas to {held} or raise "
                f"gpuPools.{model.pool}.maxNodes to {nodes}",
            )
        )
    return findings
