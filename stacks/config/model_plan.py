"""What the stack plans for each model and pool once the config is valid: the instance type that holds each pool's
pods, and each model's sizing (tensor parallelism, context) and plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from components.catalog.allocatable import Resources, room_for_pods
from components.catalog.instances import InstanceType, carrying, choose_instance
from components.catalog.models import MODELS, ModelArchitecture
from components.clusters.contract import slots_per_node
from components.clusters.gpu_nodes import device_plugin_needed
from components.node_fit import PodShape, PoolFit, describe_room, holding, node_demand
from components.serving.vllm import surge_pods
from components.sizing import Sizing, size_model
from stacks.config.issues import (
    ConfigIssue,
    quoted,
)
from stacks.config.rules.exposure import (
    served_name,
)
from stacks.config.schema import (
    CLOUD_OF_TARGET,
    GpuPool,
    ModelServing,
    RawConfig,
)


@dataclass(frozen=True, kw_only=True)
class ModelPlan:
    """A model with everything resolved from the config: what components receive."""

    name: str
    spec: ModelServing
    architecture: ModelArchitecture | None
    max_replicas: int
    context_length: int | None
    served_model_name: str
    pool: GpuPool | None
    sizing: Sizing | None
    """GPU models: tensor parallelism and memory, chosen for the pool's GPU; None on CPU."""

    @property
    def sleeps(self) -> bool:
        """Scales to zero when idle (minReplicas 0): KEDA's HTTP add-on wakes it."""
        return self.spec.min_replicas == 0


def fit_instances(
    top: RawConfig, pools: Mapping[str, GpuPool], models: Mapping[str, ModelServing]
) -> tuple[dict[str, PoolFit], list[ConfigIssue]]:
    """Each cloud pool's machine type: one whose room for pods holds the pods meant for the pool (its models' and
    its stand-ins', components/node_fit.py), the smallest such by default; an explicit type that cannot is an
    error with the numbers. Pools the catalogue rejects are reported by `check_pool_offer`."""
    cloud = CLOUD_OF_TARGET.get(top.target)
    if cloud is None:
        return {}, []
    device_plugin = device_plugin_needed(cloud)

    def room(instance: InstanceType) -> Resources:
        return room_for_pods(cloud, instance, device_plugin=device_plugin, monitoring=top.monitoring)

    instances: dict[str, PoolFit] = {}
    issues: list[ConfigIssue] = []
    for name, pool in pools.items():
        candidates = carrying(cloud, pool.gpu, pool.gpus_per_node)
        named = next((i for i in candidates if i.name == pool.instance_type), None)
        if not candidates or (pool.instance_type is not None and named is None):
            continue
        demand = node_demand(gpu_slots(pool), pod_shapes(pool, pools, models))
        fitting = holding(candidates, demand, room)
        chosen = named or choose_instance(cloud, pool.gpu, pool.gpus_per_node, holds=fitting.__contains__)
        if chosen is not None and chosen in fitting:
            instances[name] = PoolFit(chosen, demand, room(chosen))
        elif named is not None:
            issues.append(
                ConfigIssue(
                    f"gpuPools.{name}.instanceType",
                    f"{named.name!r} cannot hold the pods meant for the pool: {demand.describe()}, and it "
                    f"{describe_room(named, room(named))}; types with {pool.gpus_per_node} x {pool.gpu.value} that "
                    f"would: {quoted(i.name for i in fitting) or 'none'}",
                )
            )
        else:
            largest = candidates[-1]
            issues.append(
                ConfigIssue(
                    f"gpuPools.{name}",
                    f"no {cloud} type with {pool.gpus_per_node} x {pool.gpu.value} holds the pods meant for the pool: "
                    f"{demand.describe()}, and the largest, {largest.name!r}, {describe_room(largest, room(largest))}; "
                    "lower the models' cpuCores, memoryGiB or maxReplicas, or the sharing replicas",
                )
            )
    return instances, issues


def gpu_slots(pool: GpuPool) -> int:
    return slots_per_node(pool.gpu, pool.gpus_per_node, pool.sharing.as_sharing())


def pod_shapes(pool: GpuPool, pools: Mapping[str, GpuPool], models: Mapping[str, ModelServing]) -> list[PodShape]:
    """The model pods that may land on the pool's nodes: those of every model on its group (the pools that stand in
    for each other, contract.gpu_group), each as many as its replicas and its rollout's surge pod."""
    group = {
        n
        for n, p in pools.items()
        if (p.gpu, p.gpus_per_node, p.sharing) == (pool.gpu, pool.gpus_per_node, pool.sharing)
    }
    shapes = []
    for name, model in models.items():
        sizing = model_sizing(model, model_architecture(model), pools.get(model.pool or ""))
        if model.pool not in group or sizing is None:
            continue
        tensor_parallel = sizing.tensor_parallel
        capacity = sum(pools[n].max_nodes * (gpu_slots(pools[n]) // tensor_parallel) for n in group)
        max_replicas = model.max_replicas if model.max_replicas is not None else max(model.min_replicas, 1)
        most = max_replicas + surge_pods(capacity, max_replicas)
        shapes.append(PodShape(name, tensor_parallel, model.cpu_cores, model.memory_gib, most))
    return shapes


def model_architecture(spec: ModelServing) -> ModelArchitecture | None:
    if spec.architecture is not None:
        return ModelArchitecture(**spec.architecture.model_dump())
    return MODELS.get(spec.hugging_face_id)


def plan_model(
    name: str, spec: ModelServing, pools: Mapping[str, GpuPool], models: Mapping[str, ModelServing]
) -> ModelPlan:
    architecture = model_architecture(spec)
    sizing = model_sizing(spec, architecture, pools.get(spec.pool or ""))
    context = spec.context_length or (architecture.default_context if architecture else None)
    return ModelPlan(
        name=name,
        spec=spec,
        architecture=architecture,
        max_replicas=spec.max_replicas if spec.max_replicas is not None else max(spec.min_replicas, 1),
        context_length=sizing.context_tokens if sizing is not None else context,
        served_model_name=served_name(name, models),
        pool=pools[spec.pool] if spec.pool is not None else None,
        sizing=sizing,
    )


def model_sizing(spec: ModelServing, architecture: ModelArchitecture | None, pool: GpuPool | None) -> Sizing | None:
    if architecture is None or pool is None:
        return None
    sharing = pool.sharing.as_sharing()
    return size_model(
        architecture, spec.context_length, spec.concurrency, pool.gpu, pool.gpus_per_node, sharing, spec.kv_cache_dtype
    )
