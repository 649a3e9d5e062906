"""Target `gcp`: a GKE Standard cluster with GPU node pools."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.autoscaling.compute_class import GpuComputeClasses, GpuComputeClassesArgs
from components.catalog.fabric import fabric_of
from components.catalog.instances import Cloud
from components.clusters.filestore import FilestoreStorage, FilestoreStorageArgs
from components.clusters.gke import GkeCluster, GkeClusterArgs
from components.clusters.gke_gpudirect import FabricPool, GkeGpuDirect
from components.storage.gcs_weights import GcsWeights, GcsWeightsArgs
from stacks.cloud import cluster_args
from stacks.config import StackConfig
from stacks.cost import StackCost
from stacks.gpu import enable_gpus
from stacks.monitoring import prometheus_for
from stacks.observability import observe_gke_gpus
from stacks.outputs import autoscaling_output, cluster_outputs
from stacks.serving import deploy_models
from stacks.vector_store import deploy_vector_store

DEFAULT_SYSTEM_INSTANCE_TYPE = "e2-standard-4"


def build(config: StackConfig, cost: StackCost | None) -> dict[str, Any]:
    # An explicit provider: project and region come from the stack config, never from gcloud's defaults.
    provider = gcp.Provider(
        "gcp",
        project=config.gcp_project,
        region=config.region,
        default_labels={"llm-platform-stack": config.stack},
    )
    cluster = GkeCluster(
        config.cluster_name,
        GkeClusterArgs(
            **cluster_args(config, default_system_instance_type=DEFAULT_SYSTEM_INSTANCE_TYPE),
            project=config.gcp_project or "",
            deletion_protection=config.deletion_protection,
            gpu_metrics=config.monitoring,
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    if cluster.gpu_pools:
        GpuComputeClasses(
            "autoscaler-priorities",
            GpuComputeClassesArgs(pools=cluster.gpu_pools),
            opts=pulumi.ResourceOptions(provider=cluster.provider),
        )
    observe_gke_gpus(config, cluster)
    fabric_ready = _gpudirect(config, cluster)
    cache_class = None
    if config.model_cache_class_created and config.model_cache_storage_class:
        cache_class = FilestoreStorage(
            "model-cache",
            FilestoreStorageArgs(
                project=config.gcp_project or "",
                network_name=cluster.network_name,
                storage_class_name=config.model_cache_storage_class,
            ),
            opts=pulumi.ResourceOptions(providers=[provider, cluster.provider]),
        ).storage_class_name
    store = _weight_store(config, provider)
    return {
        **cluster_outputs(cluster, kubeconfig=cluster.kubeconfig),
        "autoscaling": autoscaling_output(
            "GKE's managed autoscaler with one custom ComputeClass per group of stand-in pools, rungs in priority "
            "order, whenUnsatisfiable DoNotScaleUp",
            cluster.gpu_pools,
        ),
        "devicePlugin": enable_gpus(config, cluster, Cloud.GCP).description,
        **deploy_models(
            config,
            cluster,
            fabric_ready,
            prometheus_for(config, cluster, Cloud.GCP),
            cache_class=cache_class,
            cost=cost,
            weights=store.models if store is not None else None,
        ),
        **({"weightsBucket": store.bucket_name} if store is not None else {}),
        **deploy_vector_store(config, cluster),
    }


def _gpudirect(config: StackConfig, cluster: GkeCluster) -> list[pulumi.Resource]:
    """The fabric pools' GPU networks as pods attach them and GKE's NCCL plugin installers; what group pods wait for
    (GKE installs the GPU driver and device plugin itself, so nothing else does)."""
    pools = {}
    for name, pool in config.gpu_pools.items():
        fabric = fabric_of(Cloud.GCP, config.pool_instances[name].name) if pool.fabric else None
        if fabric is not None:
            # The VPCs' prefix: GkeCluster's resource name and the pool's (gke_fabric.gpu_networks).
            pools[name] = FabricPool(name, fabric, f"{config.cluster_name}-{name}")
    if not pools:
        return []
    return GkeGpuDirect("gpudirect", pools, opts=pulumi.ResourceOptions(provider=cluster.provider)).ready


def _weight_store(config: StackConfig, provider: gcp.Provider) -> GcsWeights | None:
    """The GCS bucket the models that stream their weights read from, with their folders; None when none does."""
    streaming = [name for name, model in config.models.items() if model.cold_start.streams_weights]
    if not streaming:
        return None
    return GcsWeights(
        "weights",
        GcsWeightsArgs(
            project=config.gcp_project or "",
            region=config.region or "",
            cluster_name=config.cluster_name,
            namespace=config.namespace,
            models=streaming,
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
