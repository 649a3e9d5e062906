"""The serving stack every target shares: one namespace, its add-ons, and one `Model` component per model."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi

from components.autoscaling.http_add_on import interceptor_client
from components.autoscaling.keda import NAMESPACE as KEDA_NAMESPACE
from components.autoscaling.keda import Keda, KedaArgs
from components.catalog.instances import Cloud
from components.clusters.contract import GpuCluster, placement_for
from components.clusters.network import gke_ranges
from components.serving import awaits
from components.serving.cache import ModelCacheArgs
from components.serving.cert_manager import CertManager
from components.serving.clients import Client
from components.serving.endpoint_picker import picker_client, picker_footprint
from components.serving.gateway import (
    GatewayRef,
    Implementation,
    StackGateway,
    StackGatewayArgs,
    acme_issuer,
    gateway_ref,
)
from components.serving.gateway_address import gateway_output
from components.serving.guards import ServingGuards, ServingGuardsArgs
from components.serving.kserve import KServePlatform
from components.serving.namespace import ServingNamespace, ServingNamespaceArgs
from components.serving.vllm import VllmServerArgs, footprint
from components.sizing import Sizing
from stacks.config import Engine, ModelPlan, StackConfig
from stacks.model import Model, ModelArgs, Shared, configured_clients, routes_through_pool
from stacks.monitoring import Prometheus, autoscaled
from stacks.observability import observe_platform
from stacks.rules.exposure import route_backends


def deploy_models(
    config: StackConfig,
    cluster: GpuCluster,
    gpu_ready: list[pulumi.Resource] | None = None,
    prometheus: Prometheus | None = None,
    cache_class: pulumi.Input[str] | None = None,
    cache_size_is_nominal: bool = False,
) -> dict[str, Any]:
    """Create the serving namespace and each model's server; return the `models` stack output, and `gateway` when
    models are exposed through one.

    `gpu_ready`: what GPU models wait for (the device plugin), so their pods never meet a node without
    `nvidia.com/gpu` on the first `pulumi up`. `cache_class`: the cache StorageClass when the stack creates it
    (its output, so that claims wait for it); otherwise `config.model_cache_storage_class`. `cache_size_is_nominal`:
    that class can neither honour nor expand a claim's size (EFS), so claims keep the size they were created with."""
    in_cluster = pulumi.ResourceOptions(provider=cluster.provider)
    namespace = ServingNamespace(
        "serving",
        ServingNamespaceArgs(
            name=config.namespace,
            pod_security_version=f"v{config.kubernetes_version}",
            hf_token=config.hf_token,
        ),
        opts=in_cluster,
    )
    cache = (
        ModelCacheArgs(
            namespace=namespace.name,
            storage_class=cache_class or config.model_cache_storage_class,
            size_gib=config.model_cache_gib,
            size_is_nominal=cache_size_is_nominal,
        )
        if config.model_cache_storage_class
        else None
    )
    scaled = autoscaled(config)
    gateway = stack_gateway_ref(config)
    sleepers = [model for model in config.models.values() if model.sleeps]
    keda = (
        Keda(
            "keda",
            KedaArgs(
                # KEDA's HTTP add-on, when a model sleeps: the pods that call sleeping models through it.
                wake_clients=(
                    _unique(
                        *(client for model in sleepers for client in configured_clients(config, model)),
                        *(
                            (gateway.proxies,)
                            if gateway is not None
                            and gateway.proxies is not None
                            and any(routed(config, model) for model in sleepers)
                            else ()
                        ),
                    )
                    if sleepers
                    else None
                ),
                wake_cidrs=(
                    gateway.proxy_cidrs
                    if gateway is not None and any(routed(config, model) for model in sleepers)
                    else ()
                ),
            ),
            opts=in_cluster,
        )
        if scaled
        else None
    )
    servers = {
        name: _server_args(
            config,
            model,
            cluster,
            namespace,
            gateway,
            autoscaled=name in scaled,
        )
        for name, model in config.models.items()
    }
    guards = ServingGuards(
        "serving-guards",
        ServingGuardsArgs(
            namespace=namespace.name,
            footprints=[
                *(
                    dataclasses.replace(footprint(args), cache_gib=config.model_cache_gib if cache is not None else 0)
                    for args in servers.values()
                ),
                # Each endpoint picker's pod, in the same namespace and quota.
                *(picker_footprint() for model in config.models.values() if routes_through_pool(config, model)),
            ],
        ),
        # The serving namespace's guards, under it in the preview.
        opts=pulumi.ResourceOptions(parent=namespace, provider=cluster.provider),
    )
    installed_gateway = (
        StackGateway(
            "gateway",
            StackGatewayArgs(
                gateway=gateway,
                cloud=config.cloud,
                internal=config.gateway_internal,
                hosts=tuple(model.spec.host for model in config.models.values() if model.spec.host),
                serving_namespace=config.namespace,
                cluster_issuer=config.tls_cluster_issuer,
                acme_email=config.acme_email,
                await_seconds=awaits.gateway_wait_seconds(
                    installed=True,
                    cloud_cluster=config.cloud is not None,
                    own_network=not config.existing_subnet_ids,
                    closed_controller=gateway.implementation is Implementation.GKE,
                    stack_issuer=config.tls_cluster_issuer is None and config.acme_email is not None,
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
    shared = Shared(
        config=config,
        namespace=namespace,
        provider=cluster.provider,
        gpu_ready=gpu_ready or [],
        priority_class=guards.priority_class_name,
        scaled=scaled,
        keda=keda,
        kserve=kserve,
        prometheus=prometheus,
        wake_add_on=keda.http_add_on if keda is not None else None,
        gateway=gateway,
        gateway_ready=installed_gateway.ready if installed_gateway is not None else [],
    )
    models = {
        name: Model(
            name, ModelArgs(model=config.models[name], server=args, cache=cache, shared=shared), opts=in_cluster
        )
        for name, args in servers.items()
    }
    observe_platform(
        config,
        [model.watch for model in models.values() if model.watch is not None],
        namespace=namespace.name,
        prometheus=prometheus,
        provider=cluster.provider,
        parent=namespace,
    )
    outputs: dict[str, Any] = {
        "models": {
            name: _model_output(
                config.models[name],
                model.server_args,
                model.base_url,
                model.public_url,
                model.load_balancer_url,
                model.autoscaled,
                route_weight(config, name) if gateway is not None else None,
            )
            for name, model in models.items()
        }
    }
    if gateway is not None:
        hosts = [model.spec.host for model in config.models.values() if model.spec.host]
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
    *,
    autoscaled: bool,
) -> VllmServerArgs:
    """The model's server, whichever engine runs it: image, sizing, placement, volumes (its cache claim comes from
    the model's own component, which creates the claim)."""
    on_gpu = model.spec.pool is not None
    return VllmServerArgs(
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
        cpu_cores=model.spec.cpu_cores,
        memory_gib=model.spec.memory_gib,
        hf_token_secret=namespace.hf_token_secret,
        autoscaled=autoscaled,
        clients=_unique(
            *configured_clients(config, model),
            # The Gateway's proxies, for the models behind a route (a sleeping one is reached through the interceptor).
            *(
                (gateway.proxies,)
                if gateway is not None and gateway.proxies is not None and routed(config, model) and not model.sleeps
                else ()
            ),
            # A sleeping model's requests come through the HTTP add-on's interceptor.
            *((interceptor_client(KEDA_NAMESPACE),) if model.sleeps else ()),
            # `routing: inference`: the pool's endpoint picker scrapes vLLM's /metrics on the serving port.
            *((picker_client(config.namespace, model.name),) if routes_through_pool(config, model) else ()),
        ),
        clients_from_cidrs=(
            *(tuple(model.spec.load_balancer.source_ranges) if model.spec.load_balancer else ()),
            *(gateway.proxy_cidrs if gateway is not None and routed(config, model) and not model.sleeps else ()),
        ),
    )


def stack_gateway_ref(config: StackConfig) -> GatewayRef | None:
    """The Gateway models are exposed through, when any model sets a host."""
    if not any(model.spec.host for model in config.models.values()):
        return None
    return gateway_ref(
        existing=config.existing_gateway,
        cloud=config.cloud,
        proxy_only_cidr=gke_ranges(config.network_cidr).proxy_only if config.cloud is Cloud.GCP else None,
    )


def route_weight(config: StackConfig, name: str) -> int | None:
    """The percent of its route's requests the model gets; None when no route leads to it."""
    model = config.models[name]
    if not routed(config, model):
        return None
    primary = model.spec.canary_of or name
    weights = dict(route_backends(primary, {n: m.spec for n, m in config.models.items()}))
    return weights[name]


def routed(config: StackConfig, model: ModelPlan) -> bool:
    """Whether a Gateway route sends requests to the model: it sets a host, or is a canary of a model that does."""
    primary = config.models.get(model.spec.canary_of or "")
    return bool(model.spec.host or (primary is not None and primary.spec.host))


def _unique(*clients: Client) -> tuple[Client, ...]:
    unique: list[Client] = []
    for client in clients:
        if client not in unique:
            unique.append(client)
    return tuple(unique)


def _model_output(
    model: ModelPlan,
    args: VllmServerArgs,
    base_url: pulumi.Input[str],
    public_url: pulumi.Input[str] | None,
    load_balancer_url: pulumi.Input[str] | None,
    autoscaled: bool,
    weight: int | None,
) -> dict[str, Any]:
    pool = args.placement.pools[0] if args.placement is not None else None
    return {
        "baseUrl": base_url,
        "publicUrl": public_url,
        "loadBalancerUrl": load_balancer_url,
        # The percent of its Gateway route's requests the model gets (a canary's weight, or what its canaries leave).
        "routeWeight": weight,
        "servedModelName": model.served_model_name,
        "engine": model.spec.engine.value,
        "huggingFaceId": model.spec.hugging_face_id,
        "accelerator": pool.gpu.value if pool is not None else "cpu",
        "gpusPerReplica": args.gpus if pool is not None else 0,
        "sizing": sizing_output(model.sizing),
        "pool": pool.name if pool is not None else None,
        # Pools the autoscaler may grow for the model when its own cannot: same GPU, count and sharing.
        "standInPools": [p.name for p in args.placement.pools[1:]] if args.placement is not None else [],
        "replicas": {"min": model.spec.min_replicas, "max": model.max_replicas},
        "autoscaling": (
            f"KEDA on vLLM's queue: {model.spec.queue_per_replica} waiting requests per replica"
            + (", from zero when requests wait at KEDA's HTTP add-on" if model.sleeps else "")
            if autoscaled
            else "fixed"
        ),
        "contextLength": model.context_length,
    }


def sizing_output(sizing: Sizing | None) -> dict[str, Any] | None:
    """The sizing chosen at plan time, for the stack output and the plan summary."""
    if sizing is None:
        return None
    return {
        "tensorParallel": sizing.tensor_parallel,
        "contextLength": sizing.context_tokens,
        "contextCappedByMemory": sizing.context_is_capped,
        "concurrency": sizing.concurrency,
        "kvCacheDtype": sizing.kv_cache_dtype,
        "perGpu": sizing.terms.as_output(),
        "kvCacheGiB": round(sizing.kv_needed_gib, 2),
        "headroomGiB": round(sizing.headroom_gib, 2),
        "gpuMemoryUtilization": sizing.gpu_memory_utilization,
    }
