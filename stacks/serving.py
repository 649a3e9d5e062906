"""The serving stack every target shares: one namespace, one server per model."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi

from components import versions
from components.autoscaling.keda import Keda, KedaArgs, QueueScaler, QueueScalerArgs
from components.clusters.contract import GpuCluster, placement_for
from components.serving.cache import ModelCache, ModelCacheArgs
from components.serving.guards import ServingGuards, ServingGuardsArgs
from components.serving.ingress import ModelIngress, ModelIngressArgs
from components.serving.kserve import KServeModel, KServeModelArgs, KServePlatform
from components.serving.metadata import model_selector
from components.serving.namespace import ServingNamespace, ServingNamespaceArgs
from components.serving.vllm import PORT as VLLM_PORT
from components.serving.vllm import VllmServer, VllmServerArgs, footprint
from components.sizing import Sizing
from stacks.config import Engine, StackConfig
from stacks.monitoring import Prometheus, autoscaled


def deploy_models(
    config: StackConfig,
    cluster: GpuCluster,
    gpu_ready: list[pulumi.Resource] | None = None,
    prometheus: Prometheus | None = None,
) -> dict[str, Any]:
    """Create the serving namespace and each model's server; return the `models` stack output.

    `gpu_ready`: what GPU models wait for (the device plugin), so their pods never meet a node without
    `nvidia.com/gpu` on the first `pulumi up`."""
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
                storage_class=config.model_cache_storage_class,
                size_gib=config.model_cache_gib,
            ),
            opts=in_cluster,
        )
        for name in config.models
        if config.model_cache_storage_class
    }
    scaled = autoscaled(config)
    keda = Keda("keda", KedaArgs(), opts=in_cluster) if scaled else None
    servers: dict[str, VllmServerArgs] = {}
    for name, model in config.models.items():
        pool = cluster.gpu_pools[model.spec.pool] if model.spec.pool is not None else None
        servers[name] = VllmServerArgs(
            namespace=namespace.name,
            image=versions.VLLM_GPU_IMAGE if pool is not None else versions.VLLM_CPU_IMAGE,
            model_id=model.spec.hugging_face_id,
            revision=model.spec.revision,
            served_model_name=model.served_model_name,
            replicas=model.spec.min_replicas,
            max_replicas=model.max_replicas,
            context_length=model.context_length,
            placement=placement_for(cluster.gpu_pools, model.spec.pool) if model.spec.pool is not None else None,
            gpus=model.sizing.tensor_parallel if model.sizing is not None else 1,
            gpu_memory_utilization=model.sizing.gpu_memory_utilization if model.sizing is not None else 0.9,
            cpu_cores=model.spec.cpu_cores,
            memory_gib=model.spec.memory_gib,
            hf_token_secret=namespace.hf_token_secret,
            autoscaled=name in scaled,
            cache_claim=caches[name].claim_name if name in caches else None,
            clients_from_namespaces=(config.ingress_namespace,) if model.spec.host else (),
        )
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
    outputs: dict[str, Any] = {}
    for name, model_args in servers.items():
        model = config.models[name]
        args = dataclasses.replace(model_args, priority_class=guards.priority_class_name)
        after_gpus = pulumi.ResourceOptions(
            provider=cluster.provider, depends_on=(gpu_ready or []) if args.placement is not None else []
        )
        server: VllmServer | KServeModel
        if model.spec.engine is Engine.KSERVE and kserve is not None:
            server = KServeModel(name, KServeModelArgs(server=args, platform_ready=kserve.ready), opts=after_gpus)
            target = {
                "deployment": server.deployment_name,
                "service": server.deployment_name,
                "service_selector": {"serving.kserve.io/inferenceservice": name},
            }
        else:
            server = VllmServer(name, args, opts=after_gpus)
            target = {"deployment": name, "service": name, "service_selector": model_selector("vllm", name)}
        public_url = None
        if model.spec.host and config.tls_cluster_issuer:
            public_url = ModelIngress(
                name,
                ModelIngressArgs(
                    namespace=namespace.name,
                    host=model.spec.host,
                    service=target["service"],
                    port=80 if model.spec.engine is Engine.KSERVE else VLLM_PORT,
                    ingress_class=config.ingress_class_name,
                    cluster_issuer=config.tls_cluster_issuer,
                ),
                opts=in_cluster,
            ).url
        if keda is not None and name in scaled and prometheus is not None and prometheus.url:
            QueueScaler(
                name,
                QueueScalerArgs(
                    namespace=namespace.name,
                    name=name,
                    **target,
                    namespace_name=config.namespace,
                    min_replicas=model.spec.min_replicas,
                    max_replicas=model.max_replicas,
                    queue_per_replica=model.spec.queue_per_replica,
                    prometheus_url=prometheus.url,
                    after=[keda.release, *prometheus.crds_ready, server],
                ),
                opts=in_cluster,
            )
        pool = args.placement.pools[0] if args.placement is not None else None
        outputs[name] = {
            "baseUrl": server.base_url,
            "publicUrl": public_url,
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
                if name in scaled
                else "fixed"
            ),
            "contextLength": model.context_length,
        }
    return outputs


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
