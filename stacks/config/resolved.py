"""The resolved configuration: `StackConfig`, what every composition module reads, built once the stack file has
passed every check (loader.py), with each pool's machine and each model's plan (model_plan.py) resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from components import versions
from components.catalog.instances import Cloud, InstanceType
from components.cold_start import CacheKind, WeightsSource
from components.node_fit import PoolFit
from components.serving.route_auth import Jwt, RouteAccess
from components.serving.served_names import resource_name as served_route
from components.sizing import Sizing
from stacks.config.model_plan import ModelPlan, plan_model, pool_fabric
from stacks.config.rules.capacity import replicas_held
from stacks.config.rules.cold_start import resolve_cold_start
from stacks.config.schema import (
    CLOUD_OF_TARGET,
    AuthConfig,
    DeployerType,
    GpuPool,
    ModelServing,
    PriceOverride,
    RawConfig,
    ServedName,
    Target,
    VectorStoreConfig,
)


@dataclass(frozen=True, kw_only=True)
class StackConfig:
    project: str
    stack: str
    target: Target
    region: str | None
    kubernetes_version: str
    cluster_name: str
    kubeconfig_context: str | None
    namespace: str
    public_api_cidrs: tuple[str, ...]
    network_cidr: str
    availability_zones: int
    existing_subnet_ids: tuple[str, ...]
    gcp_project: str | None
    system_instance_type: str | None
    system_nodes: int
    deployer_principal_type: DeployerType
    """azure: the kind of principal that runs Pulumi."""
    deployer_group_object_id: str | None
    """azure, group deployers: the group that gets the Cluster Admin role; None: whoever runs Pulumi."""
    deletion_protection: bool
    monitoring: bool
    install_device_plugin: bool
    vllm_image: str
    image_cache: str | None
    """The snapshot (aws) or disk image (gcp) GPU nodes of caching models start with (`imageCache`)."""
    """vLLM's CUDA image: the configured digest, or the release tag of components/versions.py."""
    vllm_cpu_image: str
    prometheus_url: str | None
    model_cache_storage_class: str | None
    """ReadWriteMany class for the weight cache (the cloud's default resolved by the target); None: emptyDir."""
    model_cache_class_created: bool
    """The stack creates `model_cache_storage_class` itself (EFS on aws, Filestore on gcp); otherwise the cluster
    has it."""
    model_cache_gib: int
    tls_cluster_issuer: str | None
    acme_email: str | None
    existing_gateway: str | None
    gateway_internal: bool
    gateway_source_ranges: tuple[str, ...]
    """Who may reach the stack's public agentgateway Gateway; empty: anyone."""
    gpu_pools: Mapping[str, GpuPool]
    pool_instances: Mapping[str, InstanceType]
    """Cloud targets: each GPU pool's machine type, resolved from the catalogue; empty for `existing`."""
    pool_fits: Mapping[str, PoolFit]
    """Cloud targets: why each pool's type was chosen (what its nodes must hold, what they leave to pods)."""
    models: Mapping[str, ModelPlan]
    hf_token: pulumi.Output[str] | None
    """A Pulumi secret, or None when the stack sets no token."""
    max_hourly_cost: float | None = None
    max_idle_hourly_cost: float | None = None
    grafana: bool = False
    alert_receivers: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    """ALERT_RECEIVER_KEYS set in the stack -> their Pulumi secrets."""
    price_overrides: Mapping[str, PriceOverride] = field(default_factory=dict)
    """priceOverrides: machine type or fixed item -> the price the stack gives (stacks/cost.py applies them)."""
    route_access: Mapping[str, RouteAccess] = field(default_factory=dict)
    """Each route by its name (a model with a host: the model's; a served name: `served-<name>`) -> who may call it:
    API-key clients and limits, or public."""

    @property
    def api_key_clients(self) -> tuple[str, ...]:
        """Every client that holds a key, once, in the order first named."""
        return tuple(dict.fromkeys(client for access in self.route_access.values() for client in access.clients))

    vector_store: VectorStoreConfig | None = None
    """vectorStore: the retrieval application's PostgreSQL with pgvector, or None."""
    served_names: Mapping[str, ServedName] = field(default_factory=dict)
    """servedNames: a name clients send -> the models behind it, in their order (stacks/served_names.py)."""

    def replicas_held(self, pool: str, gpus_per_replica: int, max_nodes: Mapping[str, int] | None = None) -> int:
        """Replicas of `gpus_per_replica` GPUs that `pool` and its stand-ins hold at maxNodes (or `max_nodes`)."""
        return replicas_held(self.gpu_pools, pool, gpus_per_replica, max_nodes)

    @property
    def cloud(self) -> Cloud | None:
        """The cloud of a cloud target; None for `existing`."""
        return CLOUD_OF_TARGET.get(self.target)


def resolve(
    top: RawConfig,
    pools: Mapping[str, GpuPool],
    models: Mapping[str, ModelServing],
    sizings: Mapping[str, Sizing | None],
    instances: Mapping[str, PoolFit],
    *,
    stack: str,
    project: str,
    hf_token: pulumi.Output[str] | None,
    alert_receivers: Mapping[str, pulumi.Output[str]],
    price_overrides: Mapping[str, PriceOverride] | None = None,
    stack_auth: AuthConfig | None = None,
    vector_store: VectorStoreConfig | None = None,
    served_names: Mapping[str, ServedName] | None = None,
) -> StackConfig:
    """The stack's configuration, resolved from values that passed every check: defaults filled in, each pool's
    machine type and each model's plan."""
    cloud = CLOUD_OF_TARGET.get(top.target)
    gpu_image = top.vllm_image or versions.VLLM_GPU_IMAGE
    downloads = any(
        resolve_cold_start(spec, cloud, gpu_image, nodes=_nodes(sizings[name])).weights is WeightsSource.DOWNLOAD
        for name, spec in models.items()
    )
    # A cache for the models that download their weights; those that stream never read one.
    cache_class, cache_class_created = _model_cache_class(top, serves_models=downloads)
    return StackConfig(
        project=project,
        stack=stack,
        target=top.target,
        region=top.region,
        kubernetes_version=top.kubernetes_version,
        cluster_name=top.cluster_name or f"llm-{stack}".lower()[:40],
        kubeconfig_context=top.kubeconfig_context,
        namespace=top.namespace,
        public_api_cidrs=tuple(top.public_api_cidrs),
        network_cidr=top.network_cidr,
        availability_zones=top.availability_zones,
        existing_subnet_ids=tuple(top.existing_subnet_ids),
        gcp_project=top.gcp_project,
        system_instance_type=top.system_instance_type,
        system_nodes=top.system_nodes,
        deployer_principal_type=top.deployer_principal_type or DeployerType.USER,
        deployer_group_object_id=top.deployer_group_object_id,
        deletion_protection=top.deletion_protection,
        monitoring=top.monitoring,
        install_device_plugin=top.install_device_plugin,
        vllm_image=top.vllm_image or versions.VLLM_GPU_IMAGE,
        image_cache=top.image_cache,
        vllm_cpu_image=top.vllm_cpu_image or versions.VLLM_CPU_IMAGE,
        prometheus_url=top.prometheus_url,
        model_cache_storage_class=cache_class,
        model_cache_class_created=cache_class_created,
        model_cache_gib=top.model_cache_gib,
        tls_cluster_issuer=top.tls_cluster_issuer,
        acme_email=top.acme_email,
        existing_gateway=top.existing_gateway,
        gateway_internal=top.gateway_internal,
        gateway_source_ranges=tuple(top.gateway_source_ranges),
        gpu_pools=pools,
        pool_instances={name: fit.instance for name, fit in instances.items()},
        pool_fits=instances,
        models={
            name: plan_model(
                name,
                spec,
                pools,
                models,
                top.namespace,
                sizings[name],
                cloud=cloud,
                gpu_image=gpu_image,
                image_cache=top.image_cache,
                cache=_cache_kind(cache_class, created=cache_class_created),
                cache_gib=top.model_cache_gib,
                fabric=pool_fabric(CLOUD_OF_TARGET.get(top.target), spec.pool, pools, instances),
            )
            for name, spec in models.items()
        },
        hf_token=hf_token,
        max_hourly_cost=top.max_hourly_cost,
        max_idle_hourly_cost=top.max_idle_hourly_cost,
        grafana=top.grafana,
        alert_receivers=dict(alert_receivers),
        price_overrides=dict(price_overrides or {}),
        route_access={
            **{name: route_access(spec, stack_auth) for name, spec in models.items() if spec.host},
            **{served_route(name): route_access(entry, stack_auth) for name, entry in (served_names or {}).items()},
        },
        vector_store=vector_store,
        served_names=dict(served_names or {}),
    )


def route_access(model: ModelServing | ServedName, stack_auth: AuthConfig | None) -> RouteAccess:
    """Who may call a model with a host: `public: true`, or its own auth, else the stack's (the checks made sure one
    of them is set)."""
    if model.public:
        return RouteAccess(public_reason=model.public_reason)
    auth = model.auth or stack_auth
    if auth is None:
        raise ValueError(f"model with host {model.host!r} has neither auth nor public: true")
    if auth.jwt is not None:
        jwt = Jwt(issuer=auth.jwt.issuer, audiences=tuple(auth.jwt.audiences), jwks_url=auth.jwt.jwks_url)
        return RouteAccess(jwt=jwt)
    limits = {
        client: limit
        for client in auth.api_key_clients
        if (limit := auth.client_requests_per_minute.get(client, auth.requests_per_minute)) is not None
    }
    # agentgateway counts tokens only on a served name's route (its AI backend): a model's own route takes none.
    tokens = (
        {
            client: limit
            for client in auth.api_key_clients
            if (limit := auth.client_tokens_per_minute.get(client, auth.tokens_per_minute)) is not None
        }
        if isinstance(model, ServedName)
        else {}
    )
    return RouteAccess(clients=tuple(auth.api_key_clients), requests_per_minute=limits, tokens_per_minute=tokens)


# ReadWriteMany classes that come with the cluster: Azure Files (built into AKS). EKS has none and GKE's built-in
# Filestore classes create instances in the network named `default`, not the cluster's: the aws and gcp stacks
# create one (EFS; Filestore in the cluster's VPC) when a model needs it. On `existing` clusters caches stay
# emptyDir unless modelCacheStorageClass names a class.
_DEFAULT_RWX_CLASS = {Target.AZURE: "azurefile-csi-premium"}
_CREATED_RWX_CLASS = {Target.AWS: "efs-model-cache", Target.GCP: "filestore-model-cache"}


def _nodes(sizing: Sizing | None) -> int:
    return sizing.nodes if sizing is not None else 1


def _cache_kind(cache_class: str | None, *, created: bool) -> CacheKind:
    """What the models' cache is, for the prediction of its read throughput."""
    if cache_class is None:
        return CacheKind.NONE
    if cache_class == _DEFAULT_RWX_CLASS[Target.AZURE]:
        return CacheKind.AZURE_FILES
    if created:
        return CacheKind.EFS if cache_class == _CREATED_RWX_CLASS[Target.AWS] else CacheKind.FILESTORE
    return CacheKind.OTHER


def _model_cache_class(top: RawConfig, *, serves_models: bool) -> tuple[str | None, bool]:
    """The models' cache class, and whether the stack creates it."""
    if top.model_cache_storage_class is not None:
        return top.model_cache_storage_class, False
    if top.target in _DEFAULT_RWX_CLASS:
        return _DEFAULT_RWX_CLASS[top.target], False
    if top.target in _CREATED_RWX_CLASS and serves_models:
        return _CREATED_RWX_CLASS[top.target], True
    return None, False
