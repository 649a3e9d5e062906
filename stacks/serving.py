"""The serving stack every target shares: one namespace, its add-ons, and one `Model` component per model."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.autoscaling.http_add_on import interceptor_client
from components.autoscaling.keda import NAMESPACE as KEDA_NAMESPACE
from components.autoscaling.keda import Keda, KedaArgs
from components.clusters.contract import GpuCluster, placement_for
from components.serving import awaits
from components.serving.cache import ModelCacheArgs
from components.serving.cert_manager import CertManager
from components.serving.clients import Client
from components.serving.endpoint_picker import picker_client, picker_footprint
from components.serving.fabric_pods import pod_security_level
from components.serving.gateway import (
    GatewayRef,
    Implementation,
    StackGateway,
    StackGatewayArgs,
    acme_issuer,
    gateway_output,
    gateway_ref,
)
from components.serving.guards import ServingGuards, ServingGuardsArgs
from components.serving.inference_objectives import objective_crd
from components.serving.kserve import KServePlatform
from components.serving.leader_worker_set import LwsPlatform
from components.serving.namespace import ServingNamespace, ServingNamespaceArgs
from components.serving.route_auth import enforces_policies, generate_keys
from components.serving.vllm import VllmServerArgs, footprint
from components.serving.weights_copy import copy_footprint
from components.sizing import Sizing
from components.storage.model_weights import ModelWeights
from stacks.config import Engine, ModelPlan, StackConfig
from stacks.cost import StackCost
from stacks.model import Model, ModelArgs, Shared, group_fabric
from stacks.monitoring import Prometheus
from stacks.observability import observe_platform, watched
from stacks.reachability import reachable_by
from stacks.served_names import (
    candidate_models,
    deploy_served_names,
    saturation_limits,
    served_hosts,
    served_names_output,
)


@dataclass(frozen=True, kw_only=True)
class _Platform:
    """The add-ons the stack installs for its models, when they need them."""

    gateway: StackGateway | None
    kserve: KServePlatform | None
    lws: LwsPlatform | None


def deploy_models(
    config: StackConfig,
    cluster: GpuCluster,
    gpu_ready: list[pulumi.Resource] | None = None,
    prometheus: Prometheus | None = None,
    cache_class: pulumi.Input[str] | None = None,
    cache_size_is_nominal: bool = False,
    *,
    cost: StackCost | None = None,
    weights: Mapping[str, ModelWeights] | None = None,
) -> dict[str, Any]:
    """Create the serving namespace and each model's server; return the `models` stack output, and `gateway` when
    models are exposed through one.

    `gpu_ready`: what GPU models wait for (the device plugin), so their pods never meet a node without
    `nvidia.com/gpu` on the first `pulumi up`. `cache_class`: the cache StorageClass when the stack creates it
    (its output, so that claims wait for it); otherwise `config.model_cache_storage_class`. `cache_size_is_nominal`:
    that class can neither honour nor expand a claim's size (EFS), so claims keep the size they were created with.
    `cost`: the stack's cost (stacks/cost.py), which the overview dashboard shows. `weights`: the models that stream
    their weights, with their prefix and identities in the cloud's weight store."""
    weights = weights or {}
    in_cluster = pulumi.ResourceOptions(provider=cluster.provider)
    namespace = ServingNamespace(
        "serving",
        ServingNamespaceArgs(
            name=config.namespace,
            pod_security_version=f"v{config.kubernetes_version}",
            pod_security_level=pod_security_level(
                group_fabric(config.cloud, config.cluster_name, model) for model in config.models.values()
            ),
            hf_token=config.hf_token,
        ),
        opts=in_cluster,
    )
    cache = _cache(config, namespace, cache_class, cache_size_is_nominal=cache_size_is_nominal)
    gateway = stack_gateway_ref(config)
    keda = _keda(config, gateway, in_cluster)
    limits = saturation_limits(config, cost)
    servers = {
        name: _server_args(config, model, cluster, namespace, gateway, weights.get(name), limits.get(name))
        for name, model in config.models.items()
    }
    guards = _guards(config, namespace, servers, cache, cluster.provider)
    platform = _platform(config, gateway, in_cluster)
    keys = generate_keys(config.api_key_clients) if gateway is not None else {}
    shared = dataclasses.replace(
        _shared(config, namespace, cluster, gpu_ready or [], guards, keda, platform, prometheus, gateway),
        route_access=config.route_access,
        api_keys=keys,
    )
    models = {
        name: Model(
            name,
            ModelArgs(
                model=config.models[name],
                server=args,
                # A model that streams its weights reads them from object storage, never from the shared cache.
                cache=cache if name not in weights else None,
                shared=shared,
                weights=weights.get(name),
            ),
            opts=in_cluster,
        )
        for name, args in servers.items()
    }
    served_urls = deploy_served_names(
        config,
        gateway=gateway,
        namespace=namespace.name,
        cost=cost,
        after=[*shared.gateway_ready, *models.values()],
        alerts_after=prometheus.crds_ready
        if prometheus is not None and watched(config.monitoring, prometheus)
        else None,
        keys=keys,
        opts=in_cluster,
    )
    observe_platform(
        config,
        [model.watch for model in models.values() if model.watch is not None],
        cost=cost,
        namespace=namespace.name,
        prometheus=prometheus,
        provider=cluster.provider,
        parent=namespace,
    )
    outputs = _outputs(config, models, gateway, platform.gateway, keys)
    if config.served_names:
        outputs["servedNames"] = served_names_output(config, cost, served_urls)
    return outputs


def _shared(
    config: StackConfig,
    namespace: ServingNamespace,
    cluster: GpuCluster,
    gpu_ready: list[pulumi.Resource],
    guards: ServingGuards,
    keda: Keda | None,
    platform: _Platform,
    prometheus: Prometheus | None,
    gateway: GatewayRef | None,
) -> Shared:
    """What every model is deployed with: the stack's add-ons, and where the cluster runs."""
    return Shared(
        namespace=namespace,
        provider=cluster.provider,
        cloud=config.cloud,
        cluster_name=config.cluster_name,
        own_network=not config.existing_subnet_ids,
        monitoring=config.monitoring,
        gpu_ready=gpu_ready,
        priority_class=guards.priority_class_name,
        keda=keda,
        kserve=platform.kserve,
        lws=platform.lws,
        prometheus=prometheus,
        wake_add_on=keda.http_add_on if keda is not None else None,
        gateway=gateway,
        gateway_ready=platform.gateway.ready if platform.gateway is not None else [],
        objectives_ready=(
            [objective_crd(pulumi.ResourceOptions(provider=cluster.provider, parent=namespace))]
            if any(model.through_pool and model.spec.objectives for model in config.models.values())
            else []
        ),
    )


def _cache(
    config: StackConfig,
    namespace: ServingNamespace,
    cache_class: pulumi.Input[str] | None,
    *,
    cache_size_is_nominal: bool,
) -> ModelCacheArgs | None:
    """Each model's weight cache, when the stack has a cache StorageClass."""
    if not config.model_cache_storage_class:
        return None
    return ModelCacheArgs(
        namespace=namespace.name,
        storage_class=cache_class or config.model_cache_storage_class,
        size_gib=config.model_cache_gib,
        size_is_nominal=cache_size_is_nominal,
    )


def _keda(config: StackConfig, gateway: GatewayRef | None, in_cluster: pulumi.ResourceOptions) -> Keda | None:
    """KEDA, when a model autoscales; its HTTP add-on, when one sleeps: with the pods that call sleeping models
    through it."""
    if not any(model.autoscaled for model in config.models.values()):
        return None
    sleepers = [model for model in config.models.values() if model.sleeps]
    routed_sleeper = gateway is not None and any(model.routed for model in sleepers)
    proxies = (gateway.proxies,) if routed_sleeper and gateway is not None and gateway.proxies is not None else ()
    return Keda(
        "keda",
        KedaArgs(
            wake_clients=_unique(*(client for model in sleepers for client in model.clients), *proxies)
            if sleepers
            else None,
        ),
        opts=in_cluster,
    )


def _guards(
    config: StackConfig,
    namespace: ServingNamespace,
    servers: dict[str, VllmServerArgs],
    cache: ModelCacheArgs | None,
    provider: pulumi.ProviderResource,
) -> ServingGuards:
    """The serving namespace's quota, limits and PriorityClass, sized for every pod the models run."""
    return ServingGuards(
        "serving-guards",
        ServingGuardsArgs(
            namespace=namespace.name,
            footprints=[
                *(
                    dataclasses.replace(
                        footprint(args),
                        cache_gib=config.model_cache_gib if cache is not None and args.weights is None else 0,
                    )
                    for args in servers.values()
                ),
                # Each copy Job's pod, for the models that stream their weights.
                *(copy_footprint() for args in servers.values() if args.weights is not None),
                # Each endpoint picker's pod, in the same namespace and quota.
                *(picker_footprint() for model in config.models.values() if model.through_pool),
            ],
        ),
        # The serving namespace's guards, under it in the preview.
        opts=pulumi.ResourceOptions(parent=namespace, provider=provider),
    )


def _platform(config: StackConfig, gateway: GatewayRef | None, in_cluster: pulumi.ResourceOptions) -> _Platform:
    """The stack's Gateway (unless it uses an existing one), cert-manager for KServe's webhooks and the Gateway's
    certificates, and KServe's controller, when models need them."""
    installed_gateway = (
        StackGateway(
            "gateway",
            StackGatewayArgs(
                gateway=gateway,
                cloud=config.cloud,
                internal=config.gateway_internal,
                source_ranges=config.gateway_source_ranges,
                hosts=(
                    *(model.spec.host for model in config.models.values() if model.spec.host),
                    *served_hosts(config),
                ),
                serving_namespace=config.namespace,
                cluster_issuer=config.tls_cluster_issuer,
                acme_email=config.acme_email,
                await_seconds=awaits.gateway_wait_seconds(
                    installed=True,
                    cloud_cluster=config.cloud is not None,
                    own_network=not config.existing_subnet_ids,
                ),
            ),
            opts=in_cluster,
        )
        if gateway is not None and gateway.implementation is not Implementation.EXISTING
        else None
    )
    uses_kserve = any(model.spec.engine is Engine.KSERVE for model in config.models.values())
    # One cert-manager for KServe's webhooks and the Gateway's certificates; its Gateway API shim only with the
    # stack's Gateway, after the CRDs the shim needs at start.
    cert_manager = (
        CertManager("cert-manager", gateway_crds=installed_gateway.crds if installed_gateway else None, opts=in_cluster)
        if uses_kserve or installed_gateway is not None
        else None
    )
    if installed_gateway is not None and cert_manager is not None and config.acme_email and gateway is not None:
        acme_issuer("gateway", config.acme_email, gateway, after=[cert_manager.release], opts=in_cluster)
    kserve = KServePlatform("kserve", cert_manager.release, opts=in_cluster) if uses_kserve and cert_manager else None
    spans_nodes = any(model.sizing is not None and model.sizing.nodes > 1 for model in config.models.values())
    lws = LwsPlatform("lws", opts=in_cluster) if spans_nodes else None
    return _Platform(gateway=installed_gateway, kserve=kserve, lws=lws)


def _outputs(
    config: StackConfig,
    models: dict[str, Model],
    gateway: GatewayRef | None,
    installed_gateway: StackGateway | None,
    keys: dict[str, pulumi.Output[str]],
) -> dict[str, Any]:
    """The `models` stack output, `gateway` when models are exposed through one, and `apiKeys` (secret) when clients
    hold keys."""
    outputs: dict[str, Any] = {
        "models": {
            name: {**_model_output(config.models[name], model), "reachableBy": reachable_by(config, name, gateway)}
            for name, model in models.items()
        }
    }
    if keys:
        outputs["apiKeys"] = pulumi.Output.secret(keys)
    if gateway is not None:
        hosts = [model.spec.host for model in config.models.values() if model.spec.host] + served_hosts(config)
        # An existing Gateway is not the stack's: its address is read with the command the output gives.
        address = installed_gateway.address if installed_gateway is not None else None
        outputs["gateway"] = gateway_output(gateway, hosts, address)
    return outputs


def _server_args(
    config: StackConfig,
    model: ModelPlan,
    cluster: GpuCluster,
    namespace: ServingNamespace,
    gateway: GatewayRef | None,
    weights: ModelWeights | None,
    max_queued_requests: int | None = None,
) -> VllmServerArgs:
    """The model's server, whichever engine runs it: image, sizing, placement, volumes (its cache claim comes from
    the model's own component, which creates the claim)."""
    on_gpu = model.spec.pool is not None
    # The Gateway's proxies reach the models behind a route or a served name (a sleeping one is reached through the
    # interceptor).
    through_gateway = (
        gateway is not None and (model.routed or model.name in candidate_models(config)) and not model.sleeps
    )
    # Behind a Gateway that checks no key, vLLM checks the route's keys itself.
    access = config.route_access.get(model.route.primary) if model.route is not None else None
    checks_keys = gateway is not None and access is not None and bool(access.clients) and not enforces_policies(gateway)
    return VllmServerArgs(
        api_key_route=model.route.primary if checks_keys and model.route is not None else None,
        namespace=namespace.name,
        image=config.vllm_image if on_gpu else config.vllm_cpu_image,
        model_id=model.spec.hugging_face_id,
        revision=model.spec.revision,
        served_model_name=model.served_model_name,
        replicas=model.spec.min_replicas,
        max_replicas=model.max_replicas,
        # A cloud target's system pool autoscales; an existing cluster's spare CPU is unknown.
        cpu_surge=config.cloud is not None,
        context_length=model.context_length,
        placement=placement_for(cluster.gpu_pools, model.spec.pool) if model.spec.pool is not None else None,
        gpus=model.sizing.tensor_parallel if model.sizing is not None else 1,
        gpu_memory_utilization=model.sizing.gpu_memory_utilization if model.sizing is not None else 0.9,
        kv_cache_dtype=model.spec.kv_cache_dtype if on_gpu else "auto",
        task=model.task.value,
        cpu_cores=model.spec.cpu_cores,
        memory_gib=model.spec.memory_gib,
        hf_token_secret=namespace.hf_token_secret if model.needs_token else None,
        autoscaled=model.autoscaled,
        startup_budget_seconds=model.startup_budget_seconds,
        weights=weights.reader if weights is not None else None,
        max_queued_requests=max_queued_requests,
        clients=_unique(
            *model.clients,
            *((gateway.proxies,) if through_gateway and gateway is not None and gateway.proxies is not None else ()),
            # A sleeping model's requests come through the HTTP add-on's interceptor.
            *((interceptor_client(KEDA_NAMESPACE),) if model.sleeps else ()),
            # `routing: inference`: the pool's endpoint picker scrapes vLLM's /metrics on the serving port.
            *((picker_client(model.namespace, model.name),) if model.through_pool else ()),
        ),
        clients_from_cidrs=tuple(model.spec.load_balancer.source_ranges) if model.spec.load_balancer else (),
    )


def stack_gateway_ref(config: StackConfig) -> GatewayRef | None:
    """The Gateway models are exposed through, when any model or served name sets a host."""
    if not any(model.spec.host for model in config.models.values()) and not config.served_names:
        return None
    return gateway_ref(existing=config.existing_gateway, cloud=config.cloud)


def _unique(*clients: Client) -> tuple[Client, ...]:
    unique: list[Client] = []
    for client in clients:
        if client not in unique:
            unique.append(client)
    return tuple(unique)


def _model_output(model: ModelPlan, deployed: Model) -> dict[str, Any]:
    args = deployed.server_args
    pool = args.placement.pools[0] if args.placement is not None else None
    return {
        "baseUrl": deployed.base_url,
        "publicUrl": deployed.public_url,
        "loadBalancerUrl": deployed.load_balancer_url,
        # The percent of its Gateway route's requests the model gets (a canary's weight, or what its canaries leave).
        "routeWeight": model.route.weight if model.route is not None else None,
        "servedModelName": model.served_model_name,
        "engine": model.spec.engine.value,
        "task": model.task.value,
        "huggingFaceId": model.spec.hugging_face_id,
        "accelerator": pool.gpu.value if pool is not None else "cpu",
        "gpusPerReplica": model.gpus_per_replica if pool is not None else 0,
        "sizing": sizing_output(model.sizing),
        "pool": pool.name if pool is not None else None,
        # Pools the autoscaler may grow for the model when its own cannot: same GPU, count and sharing.
        "standInPools": [p.name for p in args.placement.pools[1:]] if args.placement is not None else [],
        "replicas": {"min": model.spec.min_replicas, "max": model.max_replicas},
        "autoscaling": (
            f"KEDA on vLLM's queue: {model.spec.queue_per_replica} waiting requests per replica"
            + (", from zero when requests wait at KEDA's HTTP add-on" if model.sleeps else "")
            if deployed.autoscaled
            else "fixed"
        ),
        "contextLength": model.context_length,
        "coldStart": cold_start_output(model),
        "group": _group_output(model),
    }


def cold_start_output(model: ModelPlan) -> dict[str, Any]:
    """The model's predicted cold start, term by term, with what it chose and the budgets derived from it."""
    return {
        "weights": model.cold_start.weights.value,
        "images": model.cold_start.images.value,
        **model.prediction.as_output(),
        "startupBudgetSeconds": model.startup_budget_seconds,
        "wakeBudgetSeconds": model.wake_budget_seconds,
    }


def _group_output(model: ModelPlan) -> dict[str, Any] | None:
    """A model past one node: its LeaderWorkerSet group's layout and fabric; None on one node."""
    if model.sizing is None or model.sizing.nodes == 1:
        return None
    fabric = model.fabric
    return {
        "workload": "LeaderWorkerSet",
        "nodes": model.sizing.nodes,
        "layout": model.sizing.layout,
        "fabric": (
            f"{fabric.kind}, {fabric.interfaces} interfaces, {fabric.gbps_per_node} Gb/s per node"
            if fabric is not None
            else "the existing cluster's"
        ),
    }


def sizing_output(sizing: Sizing | None) -> dict[str, Any] | None:
    """The sizing chosen at plan time, for the stack output and the plan summary."""
    if sizing is None:
        return None
    return {
        "tensorParallel": sizing.tensor_parallel,
        "pipelineParallel": sizing.nodes,
        "contextLength": sizing.context_tokens,
        "contextCappedByMemory": sizing.context_is_capped,
        "concurrency": sizing.concurrency,
        "kvCacheDtype": sizing.kv_cache_dtype,
        "perGpu": sizing.terms.as_output(),
        "kvCacheGiB": round(sizing.kv_needed_gib, 2),
        "headroomGiB": round(sizing.headroom_gib, 2),
        "gpuMemoryUtilization": sizing.gpu_memory_utilization,
    }
