"""Rules for models past one node and the pools that carry them: a replica spanning nodes needs a pool with a GPU
network between its nodes (`fabric`), room for every node of every replica, and the vLLM engine."""

from __future__ import annotations

from components.catalog.fabric import FABRICS, fabric_of
from components.catalog.instances import Cloud, carrying
from components.catalog.models import ModelArchitecture
from components.clusters.contract import SharingMode
from components.sizing import Sizing, size_model
from stacks.config.issues import ConfigIssue, quoted
from stacks.config.schema import Engine, GpuPool, ModelServing

KSERVE_MULTINODE = (
    "KServe v0.20.0 spans nodes only with its separate kserve-huggingfaceserver-multinode runtime (a Ray head and "
    "a Deployment of Ray workers, `workerSpec`), which this stack does not install: the workers are not restarted "
    "with the head, and a lost worker leaves a head that still answers its Service"
)


def fabric_types(cloud: Cloud, pool: GpuPool) -> list[str]:
    """The cloud's machine types with the pool's GPUs that have a GPU network between nodes."""
    return [i.name for i in carrying(cloud, pool.gpu, pool.gpus_per_node) if fabric_of(cloud, i.name) is not None]


def check_pool_fabric(cloud: Cloud | None, name: str, pool: GpuPool) -> list[ConfigIssue]:
    """`fabric: true` only where the machine type has one, and on whole GPUs (a shared GPU serves no group)."""
    if not pool.fabric:
        return []
    path = f"gpuPools.{name}.fabric"
    if pool.sharing.mode is not SharingMode.NONE:
        return [ConfigIssue(path, f"true needs whole GPUs; the pool shares them ({pool.sharing.mode})")]
    if cloud is None:
        return []
    if pool.instance_type is not None and fabric_of(cloud, pool.instance_type) is None:
        offering = [f"{t} ({f.kind}, {f.interfaces} interfaces)" for t, f in FABRICS[cloud].items()]
        return [
            ConfigIssue(
                f"gpuPools.{name}.instanceType",
                f"{pool.instance_type!r} has no GPU network between nodes, which fabric: true needs; {cloud} types "
                f"with one: {', '.join(offering)}",
            )
        ]
    if cloud is Cloud.GCP and len(pool.zones) != 1:
        return [
            ConfigIssue(
                f"gpuPools.{name}.zones",
                "a fabric pool on gcp needs exactly one zone: GKE's COMPACT placement and the RoCE network profile "
                f"are per zone; got {len(pool.zones)}",
            )
        ]
    if not fabric_types(cloud, pool):
        return [
            ConfigIssue(
                path,
                f"true, but no {cloud} type with {pool.gpus_per_node} x {pool.gpu.value} has a GPU network between "
                f"nodes; types with one: {quoted(FABRICS[cloud])}",
            )
        ]
    return []


def check_multinode(
    path: str, model: ModelServing, pool_name: str, pool: GpuPool, sizing: Sizing | None
) -> list[ConfigIssue]:
    """A model whose replica spans nodes: the vLLM engine, a pool with `fabric`, and maxNodes for every node of
    every replica."""
    if sizing is None or sizing.nodes == 1:
        return []
    layout = f"{sizing.layout} per replica"
    if model.engine is Engine.KSERVE:
        return [ConfigIssue(f"{path}.engine", f"'kserve' cannot serve {layout}: {KSERVE_MULTINODE}; use 'vllm'")]
    issues = []
    if model.min_replicas == 0 or (model.max_replicas or 1) > max(model.min_replicas, 1):
        issues.append(
            ConfigIssue(
                f"{path}.maxReplicas",
                f"a model past one node runs a fixed number of groups (minReplicas = maxReplicas, at least 1): a new "
                f"group needs {sizing.nodes} fabric nodes at once and starts in tens of minutes, which the queue "
                "scaler's wait and the autoscaler's one-node-at-a-time scale-up do not cover",
            )
        )
    if not pool.fabric:
        issues.append(
            ConfigIssue(
                path,
                f"needs {layout} and pool {pool_name!r} has no GPU network between nodes: set "
                f"gpuPools.{pool_name}.fabric to true (NCCL over plain TCP between 8-GPU nodes is not a production "
                "setup)",
            )
        )
    max_replicas = model.max_replicas if model.max_replicas is not None else max(model.min_replicas, 1)
    if pool.max_nodes < sizing.nodes * max_replicas:
        issues.append(
            ConfigIssue(
                f"gpuPools.{pool_name}.maxNodes",
                f"{pool.max_nodes} cannot hold {max_replicas} replica(s) of {sizing.nodes} nodes each for {path}; "
                f"set it to at least {sizing.nodes * max_replicas}",
            )
        )
    return issues


MOST_NODES_SUGGESTED = 8


def nodes_that_would(
    model: ModelServing, architecture: ModelArchitecture, pool_name: str, pool: GpuPool, cloud: Cloud | None
) -> str:
    """When no count of the pool's nodes starts the model: the fewest nodes of its GPUs that would, as a hint, where
    the cloud has a machine type with those GPUs and a GPU network between nodes."""
    if cloud is None or pool.sharing.mode is not SharingMode.NONE or not fabric_types(cloud, pool):
        return ""
    sizing = size_model(
        architecture,
        model.context_length,
        model.concurrency,
        pool.gpu,
        pool.gpus_per_node,
        pool.sharing.as_sharing(),
        model.kv_cache_dtype,
        max_nodes=MOST_NODES_SUGGESTED,
    )
    if sizing is None or sizing.nodes == 1:
        return ""
    keys = f"gpuPools.{pool_name}.maxNodes to at least {sizing.nodes}"
    if not pool.fabric:
        keys += (
            " and fabric to true (a GPU network between the nodes: NCCL over plain TCP between 8-GPU nodes is not a "
            "production setup)"
        )
    return f"; across nodes it starts on {sizing.layout}: set {keys}"
