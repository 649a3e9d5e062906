"""What the stack plans for each model and pool once the config is valid: the instance type that holds each pool's
pods, and each model's plan, resolved once: sizing (tensor parallelism, context), its share of a node, clients,
the route that leads to it, scaling and latency objectives."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from components.catalog.allocatable import Resources, room_for_pods
from components.catalog.fabric import Fabric, fabric_of
from components.catalog.instances import Cloud, InstanceType, carrying, choose_instance
from components.catalog.models import MODELS, ModelArchitecture
from components.clusters.contract import slots_per_node
from components.clusters.gpu_nodes import device_plugin_needed
from components.cold_start import (
    CacheKind,
    Prediction,
    predict,
    request_hold_seconds,
    startup_budget_seconds,
    wake_budget_seconds,
)
from components.node_fit import PodShape, PoolFit, describe_room, holding, node_demand
from components.observability.alerts import Objective, request_latency_objective, tpot_objective, ttft_objective
from components.serving.clients import Client
from components.serving.vllm import surge_pods
from components.sizing import Sizing, size_model, weights_bytes
from stacks.config.issues import (
    ConfigIssue,
    quoted,
)
from stacks.config.rules.cold_start import ColdStart, resolve_cold_start
from stacks.config.rules.embedding import model_task
from stacks.config.rules.exposure import route_backends, served_name
from stacks.config.schema import (
    CLOUD_OF_TARGET,
    Engine,
    GpuPool,
    ModelServing,
    RawConfig,
    Routing,
    Task,
)


@dataclass(frozen=True, kw_only=True)
class RouteMember:
    """A model behind a Gateway route, as the route's backends name it."""

    name: str
    weight: int
    """The percent of the route's requests it gets."""
    sleeps: bool
    engine: Engine
    through_pool: bool
    """`routing: inference`: the route reaches it through its InferencePool."""


@dataclass(frozen=True, kw_only=True)
class RoutePlan:
    """The Gateway route that leads to a model: its primary's (the model's own, or the one it is a canary of)."""

    primary: str
    host: str
    path: str | None
    api_paths: tuple[str, ...] = ()
    """`apiPaths`: the OpenAI paths the route matches exactly (then `path` is None)."""
    weight: int
    """The percent of the route's requests this model gets."""
    members: tuple[RouteMember, ...]
    """Every model behind the route, the primary first."""

    @property
    def url(self) -> str:
        return f"https://{self.host}{self.path or ''}/v1"


@dataclass(frozen=True, kw_only=True)
class NodeShare:
    """What one replica holds of a node of its pool: `gpus` of its `slots` (GPUs, or their shared slices); the
    share of the node's price each replica costs."""

    gpus: int
    slots: int
    nodes: int = 1
    """Nodes one replica spans (a group past one node holds each of them whole)."""


@dataclass(frozen=True, kw_only=True)
class ModelPlan:
    """A model with everything resolved from the config, once: what the `Model` component and the add-ons receive
    (never the whole StackConfig)."""

    name: str
    spec: ModelServing
    namespace: str
    """The serving namespace the model runs in."""
    architecture: ModelArchitecture | None
    max_replicas: int
    context_length: int | None
    served_model_name: str
    pool: GpuPool | None
    sizing: Sizing | None
    """GPU models: tensor parallelism and memory, chosen for the pool's GPU; None on CPU."""
    share: NodeShare | None
    """GPU models: what one replica holds of its pool's node; None on CPU."""
    clients: tuple[Client, ...]
    """The model's `clients`, a missing namespace read as the serving namespace."""
    route: RoutePlan | None
    """The Gateway route that leads to the model; None when none does."""
    autoscaled: bool
    """Its replica range lets KEDA scale it on its queue."""
    objectives: tuple[Objective, ...]
    """Its latency objectives (`slo`), which its alerts and dashboard watch."""
    cold_start: ColdStart
    """Where a new replica's weights and image come from."""
    prediction: Prediction
    """How long a new replica takes, term by term (components/cold_start.py)."""

    @property
    def startup_budget_seconds(self) -> int:
        """The startup probe's budget, from the prediction."""
        return startup_budget_seconds(self.prediction)

    @property
    def wake_budget_seconds(self) -> int:
        """From a waking request to a ready replica: KEDA's least cooldown, the no-ready-replica alert's wait."""
        return wake_budget_seconds(self.prediction)

    @property
    def request_hold_seconds(self) -> int:
        """How long the interceptor holds a waking request (the wake budget, at most 30 minutes)."""
        return request_hold_seconds(self.prediction)

    fabric: Fabric | None = None
    """Its pool's GPU network between nodes, when the pool has `fabric` on a cloud target."""
    task: Task = Task.GENERATE
    """What vLLM serves it for: chat and completions, or (`embed`) embeddings on its pooling runner."""

    @property
    def embeds(self) -> bool:
        return self.task is Task.EMBED

    @property
    def keeps_kv_cache(self) -> bool:
        """False for an encoder-only embedding model, which vLLM gives no KV cache."""
        return self.architecture is None or not self.architecture.encoder_only

    @property
    def sleeps(self) -> bool:
        """Scales to zero when idle (minReplicas 0): KEDA's HTTP add-on wakes it."""
        return self.spec.min_replicas == 0

    @property
    def routed(self) -> bool:
        """A Gateway route sends requests to the model: it sets a host, or is a canary of a model that does."""
        return self.route is not None

    @property
    def through_pool(self) -> bool:
        """`routing: inference` on a model a Gateway route leads to: its InferencePool and endpoint picker exist."""
        return self.spec.routing is Routing.INFERENCE and self.routed

    @property
    def needs_token(self) -> bool:
        """Gated on Hugging Face (the catalogue says so, or its own `architecture`), or of unknown gating (a CPU
        model outside the catalogue): only these mount the stack's hfToken, so setting or rotating it restarts
        them and no other model."""
        return self.architecture is None or self.architecture.gated

    @property
    def gpus_per_replica(self) -> int:
        """Over every node of the replica."""
        return self.sizing.gpus if self.sizing is not None else 1


def fit_instances(
    top: RawConfig,
    pools: Mapping[str, GpuPool],
    models: Mapping[str, ModelServing],
    sizings: Mapping[str, Sizing | None],
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
        candidates = [
            i for i in carrying(cloud, pool.gpu, pool.gpus_per_node) if not pool.fabric or fabric_of(cloud, i.name)
        ]
        named = next((i for i in candidates if i.name == pool.instance_type), None)
        if not candidates or (pool.instance_type is not None and named is None):
            continue
        demand = node_demand(gpu_slots(pool), pod_shapes(pool, pools, models, sizings))
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


def pod_shapes(
    pool: GpuPool,
    pools: Mapping[str, GpuPool],
    models: Mapping[str, ModelServing],
    sizings: Mapping[str, Sizing | None],
) -> list[PodShape]:
    """The model pods that may land on the pool's nodes: those of every model on its group (the pools that stand in
    for each other, contract.gpu_group), each as many as its replicas and its rollout's surge pod."""
    group = {
        n
        for n, p in pools.items()
        if (p.gpu, p.gpus_per_node, p.sharing) == (pool.gpu, pool.gpus_per_node, pool.sharing)
    }
    shapes = []
    for name, model in models.items():
        sizing = sizings[name]
        if model.pool not in group or sizing is None:
            continue
        tensor_parallel = sizing.tensor_parallel
        capacity = sum(pools[n].max_nodes * (gpu_slots(pools[n]) // tensor_parallel) for n in group) // sizing.nodes
        max_replicas = model.max_replicas if model.max_replicas is not None else max(model.min_replicas, 1)
        # A group past one node has one pod per node and no surge replica (LeaderWorkerSet's maxSurge is 0).
        most = max_replicas + (surge_pods(capacity, max_replicas) if sizing.nodes == 1 else 0)
        shapes.append(PodShape(name, tensor_parallel, model.cpu_cores, model.memory_gib, most * sizing.nodes))
    return shapes


def model_architecture(spec: ModelServing) -> ModelArchitecture | None:
    """The model's shapes, served for its task (a chat model with `task: embed` runs on the pooling runner)."""
    if spec.architecture is not None:
        found: ModelArchitecture | None = ModelArchitecture(**spec.architecture.model_dump())
    else:
        found = MODELS.get(spec.hugging_face_id)
    task = model_task(spec).value
    return dataclasses.replace(found, task=task) if found is not None and found.task != task else found


def plan_model(
    name: str,
    spec: ModelServing,
    pools: Mapping[str, GpuPool],
    models: Mapping[str, ModelServing],
    namespace: str,
    sizing: Sizing | None,
    *,
    cloud: Cloud | None,
    gpu_image: str,
    image_cache: str | None = None,
    cache: CacheKind,
    cache_gib: int,
    fabric: Fabric | None = None,
) -> ModelPlan:
    architecture = model_architecture(spec)
    cold_start = resolve_cold_start(
        spec, cloud, gpu_image, nodes=sizing.nodes if sizing is not None else 1, image_cache=image_cache
    )
    pool = pools[spec.pool] if spec.pool is not None else None
    context = spec.context_length or (architecture.default_context if architecture else None)
    max_replicas = spec.max_replicas if spec.max_replicas is not None else max(spec.min_replicas, 1)
    return ModelPlan(
        name=name,
        spec=spec,
        namespace=namespace,
        architecture=architecture,
        max_replicas=max_replicas,
        context_length=sizing.context_tokens if sizing is not None else context,
        served_model_name=served_name(name, models),
        pool=pool,
        sizing=sizing,
        share=(
            NodeShare(
                gpus=sizing.gpus if sizing is not None else 1,
                slots=gpu_slots(pool),
                nodes=sizing.nodes if sizing is not None else 1,
            )
            if pool is not None
            else None
        ),
        clients=tuple(
            Client(namespace=client.namespace or namespace, pod_labels=client.pod_labels) for client in spec.clients
        ),
        route=route_plan(name, models),
        autoscaled=max_replicas > spec.min_replicas,
        objectives=objectives(spec),
        cold_start=cold_start,
        prediction=predict(
            cloud,
            weights=cold_start.weights,
            images=cold_start.images,
            checkpoint_bytes=weights_bytes(architecture) if architecture is not None else None,
            cache=cache,
            cache_gib=cache_gib,
        ),
        fabric=fabric,
        task=model_task(spec),
    )


def pool_fabric(
    cloud: Cloud | None, pool: str | None, pools: Mapping[str, GpuPool], fits: Mapping[str, PoolFit]
) -> Fabric | None:
    """The fabric of a model's pool: its machine type's, when the pool asks for one on a cloud target."""
    if cloud is None or pool is None or pool not in fits or not pools[pool].fabric:
        return None
    return fabric_of(cloud, fits[pool].instance.name)


def route_plan(name: str, models: Mapping[str, ModelServing]) -> RoutePlan | None:
    """The route that leads to the model: its own host's, or its primary's when it is a canary."""
    spec = models[name]
    primary = spec.canary_of if spec.canary_of in models else name
    host = models[primary].host
    if not host:
        return None
    weights = route_backends(primary, models)
    return RoutePlan(
        primary=primary,
        host=host,
        path=models[primary].path,
        api_paths=tuple(models[primary].api_paths),
        weight=dict(weights)[name],
        members=tuple(
            RouteMember(
                name=member,
                weight=weight,
                sleeps=models[member].min_replicas == 0,
                engine=models[member].engine,
                through_pool=models[member].routing is Routing.INFERENCE,
            )
            for member, weight in weights
        ),
    )


def objectives(spec: ModelServing) -> tuple[Objective, ...]:
    slo = spec.slo
    if slo is None:
        return ()
    found = []
    if slo.ttft_seconds is not None:
        found.append(ttft_objective(slo.ttft_seconds))
    if slo.time_per_output_token_seconds is not None:
        found.append(tpot_objective(slo.time_per_output_token_seconds))
    if slo.request_latency_seconds is not None:
        found.append(request_latency_objective(slo.request_latency_seconds))
    return tuple(found)


def model_sizings(pools: Mapping[str, GpuPool], models: Mapping[str, ModelServing]) -> dict[str, Sizing | None]:
    """Each model's sizing on its pool's GPU, computed once for the checks, the pools' machines and the plans."""
    return {
        name: model_sizing(spec, model_architecture(spec), pools.get(spec.pool or "")) for name, spec in models.items()
    }


def model_sizing(spec: ModelServing, architecture: ModelArchitecture | None, pool: GpuPool | None) -> Sizing | None:
    if architecture is None or pool is None:
        return None
    sharing = pool.sharing.as_sharing()
    return size_model(
        architecture,
        spec.context_length,
        spec.concurrency,
        pool.gpu,
        pool.gpus_per_node,
        sharing,
        spec.kv_cache_dtype,
        # Past one node only over a GPU network (`fabric`), or where the stack file asks for it.
        max_nodes=pool.max_nodes if pool.fabric else 1,
        nodes=spec.nodes_per_replica,
    )
