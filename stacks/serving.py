"""The serving stack every target shares: one namespace, one server per model."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pulumi

from components.autoscaling.http_add_on import (
    PROXY_PORT,
    KedaHttpAddOn,
    KedaHttpAddOnArgs,
    interceptor_client,
    interceptor_target,
    wake_base_url,
    wake_hosts,
    wake_service_name,
)
from components.autoscaling.keda import NAMESPACE as KEDA_NAMESPACE
from components.autoscaling.keda import Keda, KedaArgs, QueueScaler, QueueScalerArgs, Wake
from components.clusters.contract import GpuCluster, placement_for
from components.observability.alerts import ModelWatch
from components.serving import awaits
from components.serving.cache import ModelCache, ModelCacheArgs
from components.serving.clients import Client, ClientEgress, ClientEgressArgs, Target
from components.serving.guards import ServingGuards, ServingGuardsArgs
from components.serving.ingress import READ_TIMEOUT_SECONDS, ModelIngress, ModelIngressArgs
from components.serving.kserve import PORT as KSERVE_PORT
from components.serving.kserve import KServeModel, KServeModelArgs, KServePlatform
from components.serving.load_balancer import ModelLoadBalancer, ModelLoadBalancerArgs
from components.serving.metadata import model_selector
from components.serving.namespace import ServingNamespace, ServingNamespaceArgs
from components.serving.vllm import PORT as VLLM_PORT
from components.serving.vllm import (
    PROGRESS_DEADLINE_SECONDS,
    STARTUP_BUDGET_SECONDS,
    VllmServer,
    VllmServerArgs,
    footprint,
)
from components.sizing import Sizing
from stacks.config import Engine, ModelPlan, StackConfig
from stacks.monitoring import Prometheus, autoscaled
from stacks.observability import observe_model, observe_platform


@dataclass(frozen=True, kw_only=True)
class _Endpoint:
    """Where a model's server answers: what its Ingress and its queue scaler point at."""

    deployment: str
    service: str
    port: int
    service_selector: dict[str, str]
    pod_port: int
    """The port the pods listen on behind the Service's, which NetworkPolicies name."""


@dataclass(frozen=True, kw_only=True)
class _Shared:
    """What every model of the stack is deployed with."""

    config: StackConfig
    namespace: ServingNamespace
    provider: pulumi.ProviderResource
    gpu_ready: list[pulumi.Resource]
    priority_class: pulumi.Input[str]
    scaled: set[str]
    keda: Keda | None
    kserve: KServePlatform | None
    prometheus: Prometheus | None
    wake_add_on: KedaHttpAddOn | None
    watches: list[ModelWatch] = dataclasses.field(default_factory=list)
    """What stacks/observability.py watches of each model, for the overview."""


def deploy_models(
    config: StackConfig,
    cluster: GpuCluster,
    gpu_ready: list[pulumi.Resource] | None = None,
    prometheus: Prometheus | None = None,
    cache_class: pulumi.Input[str] | None = None,
    cache_size_is_nominal: bool = False,
) -> dict[str, Any]:
    """Create the serving namespace and each model's server; return the `models` stack output.

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
    caches = {
        name: ModelCache(
            name,
            ModelCacheArgs(
                namespace=namespace.name,
                storage_class=cache_class or config.model_cache_storage_class,
                size_gib=config.model_cache_gib,
                size_is_nominal=cache_size_is_nominal,
            ),
            opts=in_cluster,
        )
        for name in config.models
        if config.model_cache_storage_class
    }
    scaled = autoscaled(config)
    keda = Keda("keda", KedaArgs(), opts=in_cluster) if scaled else None
    sleepers = [model for model in config.models.values() if model.sleeps]
    wake_add_on = (
        KedaHttpAddOn(
            "keda-http",
            KedaHttpAddOnArgs(
                namespace=keda.namespace,
                keda=keda.release,
                clients=_unique(
                    *(client for model in sleepers for client in configured_clients(config, model)),
                    *(
                        (Client(namespace=config.ingress_namespace),)
                        if any(model.spec.host for model in sleepers)
                        else ()
                    ),
                ),
            ),
            opts=in_cluster,
        )
        if sleepers and keda is not None
        else None
    )
    servers = {
        name: _server_args(
            config,
            model,
            cluster,
            namespace,
            cache_claim=caches[name].claim_name if name in caches else None,
            autoscaled=name in scaled,
        )
        for name, model in config.models.items()
    }
    guards = ServingGuards(
        "serving-guards",
        ServingGuardsArgs(
            namespace=namespace.name,
            footprints=[
                dataclasses.replace(footprint(args), cache_gib=config.model_cache_gib if name in caches else 0)
                for name, args in servers.items()
            ],
        ),
        opts=in_cluster,
    )
    kserve = (
        KServePlatform("kserve", opts=in_cluster)
        if any(model.spec.engine is Engine.KSERVE for model in config.models.values())
        else None
    )
    shared = _Shared(
        config=config,
        namespace=namespace,
        provider=cluster.provider,
        gpu_ready=gpu_ready or [],
        priority_class=guards.priority_class_name,
        scaled=scaled,
        keda=keda,
        kserve=kserve,
        prometheus=prometheus,
        wake_add_on=wake_add_on,
    )
    outputs = {name: _deploy_model(config.models[name], args, shared) for name, args in servers.items()}
    observe_platform(config, shared.watches, namespace=namespace.name, prometheus=prometheus, provider=cluster.provider)
    return outputs


def _server_args(
    config: StackConfig,
    model: ModelPlan,
    cluster: GpuCluster,
    namespace: ServingNamespace,
    *,
    cache_claim: pulumi.Output[str] | None,
    autoscaled: bool,
) -> VllmServerArgs:
    """The model's server, whichever engine runs it: image, sizing, placement, volumes."""
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
        cpu_cores=model.spec.cpu_cores,
        memory_gib=model.spec.memory_gib,
        hf_token_secret=namespace.hf_token_secret,
        autoscaled=autoscaled,
        cache_claim=cache_claim,
        clients=_unique(
            *configured_clients(config, model),
            *((Client(namespace=config.ingress_namespace),) if model.spec.host else ()),
            # A sleeping model's requests come through the HTTP add-on's interceptor.
            *((interceptor_client(KEDA_NAMESPACE),) if model.sleeps else ()),
        ),
        clients_from_cidrs=tuple(model.spec.load_balancer.source_ranges) if model.spec.load_balancer else (),
    )


def _deploy_model(model: ModelPlan, server_args: VllmServerArgs, shared: _Shared) -> dict[str, Any]:
    """One model: its server, then what points at it (Ingress, queue scaler); returns its stack output."""
    args = dataclasses.replace(server_args, priority_class=shared.priority_class)
    server, endpoint = _serve(model, args, shared)
    _let_clients_out(model, endpoint, shared)
    public_url = _expose(model, endpoint, shared)
    load_balancer_url = _load_balance(model, endpoint, shared)
    autoscaled = _scale_on_queue(model, endpoint, server, shared)
    watch = observe_model(
        shared.config,
        model,
        namespace=shared.namespace.name,
        deployment=endpoint.deployment,
        service=endpoint.service,
        service_selector=endpoint.service_selector,
        scraped=autoscaled,
        prometheus=shared.prometheus,
        provider=shared.provider,
        after=[server],
    )
    if watch is not None:
        shared.watches.append(watch)
    base_url = wake_base_url(model.name, shared.config.namespace) if model.sleeps else server.base_url
    return _model_output(model, args, base_url, public_url, load_balancer_url, autoscaled)


def _serve(model: ModelPlan, args: VllmServerArgs, shared: _Shared) -> tuple[VllmServer | KServeModel, _Endpoint]:
    # GPU servers wait for the device plugin, so their pods never meet a node without `nvidia.com/gpu`.
    opts = pulumi.ResourceOptions(
        provider=shared.provider, depends_on=shared.gpu_ready if args.placement is not None else []
    )
    if model.spec.engine is Engine.KSERVE and shared.kserve is not None:
        isvc = KServeModel(model.name, KServeModelArgs(server=args, platform_ready=shared.kserve.ready), opts=opts)
        return isvc, _Endpoint(
            deployment=isvc.deployment_name,
            service=isvc.deployment_name,
            port=80,
            service_selector={"serving.kserve.io/inferenceservice": model.name},
            pod_port=KSERVE_PORT,
        )
    server = VllmServer(model.name, args, opts=opts)
    return server, _Endpoint(
        deployment=model.name,
        service=model.name,
        port=VLLM_PORT,
        service_selector=model_selector("vllm", model.name),
        pod_port=VLLM_PORT,
    )


def configured_clients(config: StackConfig, model: ModelPlan) -> tuple[Client, ...]:
    """The model's `clients`, a missing namespace read as the serving namespace."""
    return tuple(
        Client(namespace=client.namespace or config.namespace, pod_labels=client.pod_labels)
        for client in model.spec.clients
    )


def _unique(*clients: Client) -> tuple[Client, ...]:
    unique: list[Client] = []
    for client in clients:
        if client not in unique:
            unique.append(client)
    return tuple(unique)


def _let_clients_out(model: ModelPlan, endpoint: _Endpoint, shared: _Shared) -> None:
    """Clients in the serving namespace are under its default-deny egress: let them reach the model's pods and,
    when it sleeps, the interceptor that wakes it (its base URL is the interceptor's alias)."""
    config = shared.config
    clients = configured_clients(config, model)
    if all(client.namespace != config.namespace for client in clients):
        return
    targets = (
        Target(peer={"podSelector": {"matchLabels": endpoint.service_selector}}, port=endpoint.pod_port),
        *((interceptor_target(KEDA_NAMESPACE),) if model.sleeps and shared.wake_add_on is not None else ()),
    )
    ClientEgress(
        model.name,
        ClientEgressArgs(
            namespace=shared.namespace.name,
            namespace_name=config.namespace,
            model=model.name,
            clients=clients,
            targets=targets,
        ),
        opts=pulumi.ResourceOptions(provider=shared.provider),
    )


def _expose(model: ModelPlan, endpoint: _Endpoint, shared: _Shared) -> pulumi.Input[str] | None:
    """The model's public URL, when it sets a host: an Ingress with TLS."""
    config = shared.config
    if not model.spec.host or not config.tls_cluster_issuer:
        return None
    return ModelIngress(
        model.name,
        ModelIngressArgs(
            namespace=shared.namespace.name,
            host=model.spec.host,
            # A sleeping model is reached through the interceptor, which wakes it.
            service=wake_service_name(model.name) if model.sleeps else endpoint.service,
            port=PROXY_PORT if model.sleeps else endpoint.port,
            ingress_class=config.ingress_class_name,
            cluster_issuer=config.tls_cluster_issuer,
            ingress_namespace=config.ingress_namespace,
        ),
        opts=pulumi.ResourceOptions(provider=shared.provider),
    ).url


def _load_balance(model: ModelPlan, endpoint: _Endpoint, shared: _Shared) -> pulumi.Output[str | None] | None:
    """The model's OpenAI base URL through its load balancer, when it asks for one; None until the address is
    known, when Pulumi does not wait for it (`awaits.load_balancer_wait_seconds`)."""
    settings = model.spec.load_balancer
    if settings is None:
        return None
    config = shared.config
    rollout = awaits.model_rollout_seconds(
        progress_deadline_seconds=PROGRESS_DEADLINE_SECONDS, max_replicas=model.max_replicas
    )
    load_balancer = ModelLoadBalancer(
        model.name,
        ModelLoadBalancerArgs(
            namespace=shared.namespace.name,
            selector=endpoint.service_selector,
            source_ranges=tuple(settings.source_ranges),
            cloud=config.cloud,
            internal=settings.internal is not False,
            await_seconds=awaits.load_balancer_wait_seconds(
                cloud_cluster=config.cloud is not None,
                own_network=not config.existing_subnet_ids,
                model_rollout_seconds=rollout,
            ),
        ),
        opts=pulumi.ResourceOptions(provider=shared.provider),
    )
    return load_balancer.address.apply(lambda address: f"http://{address}/v1" if address else None)


def _scale_on_queue(model: ModelPlan, endpoint: _Endpoint, server: pulumi.Resource, shared: _Shared) -> bool:
    """KEDA on the model's queue, when it may scale and a Prometheus holds the queue; whether it does."""
    prometheus = shared.prometheus
    if shared.keda is None or model.name not in shared.scaled or prometheus is None or not prometheus.url:
        return False
    QueueScaler(
        model.name,
        QueueScalerArgs(
            namespace=shared.namespace.name,
            name=model.name,
            deployment=endpoint.deployment,
            service=endpoint.service,
            service_selector=endpoint.service_selector,
            namespace_name=shared.config.namespace,
            min_replicas=model.spec.min_replicas,
            max_replicas=model.max_replicas,
            queue_per_replica=model.spec.queue_per_replica,
            prometheus_url=prometheus.url,
            after=[shared.keda.release, *prometheus.crds_ready, server],
            wake=(
                Wake(
                    hosts=wake_hosts(model.name, shared.config.namespace, model.spec.host),
                    port=endpoint.port,
                    keda_namespace=KEDA_NAMESPACE,
                    ready_within_seconds=STARTUP_BUDGET_SECONDS,
                    response_within_seconds=READ_TIMEOUT_SECONDS,
                    add_on=shared.wake_add_on.release,
                )
                if model.sleeps and shared.wake_add_on is not None
                else None
            ),
        ),
        opts=pulumi.ResourceOptions(provider=shared.provider),
    )
    return True


def _model_output(
    model: ModelPlan,
    args: VllmServerArgs,
    base_url: pulumi.Input[str],
    public_url: pulumi.Input[str] | None,
    load_balancer_url: pulumi.Input[str] | None,
    autoscaled: bool,
) -> dict[str, Any]:
    pool = args.placement.pools[0] if args.placement is not None else None
    return {
        "baseUrl": base_url,
        "publicUrl": public_url,
        "loadBalancerUrl": load_balancer_url,
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
        "weightsGiB": round(sizing.need.weights_gib, 1),
        "kvCacheGiB": round(sizing.need.kv_cache_gib, 1),
        "perGpuGiB": round(sizing.per_gpu_gib, 1),
        "usablePerGpuGiB": round(sizing.usable_per_gpu_gib, 1),
        "gpuMemoryUtilization": sizing.gpu_memory_utilization,
    }
