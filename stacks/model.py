"""One model as one component: everything that exists for it (cache, server, client egress, InferencePool and endpoint
picker, route, load balancer, queue scaler and wake route) is a child of `llm-platform:serving:Model`, named after the
model, so that `pulumi preview` and the plan diff read model by model.

The parts keep their own components and resource names; only their parent is the model. A parent is part of every
child's URN, so this grouping changed the URNs once, before any stack was deployed (docs/manual.md "Upgrade notes").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from components import versions
from components.autoscaling.http_add_on import (
    INTERCEPTOR_SERVICE,
    PROXY_PORT,
    KedaHttpAddOn,
    interceptor_target,
    wake_base_url,
    wake_hosts,
)
from components.autoscaling.keda import NAMESPACE as KEDA_NAMESPACE
from components.autoscaling.keda import Keda, QueueScaler, QueueScalerArgs, Wake
from components.catalog.instances import Cloud
from components.clusters.gke_fabric import pod_networks
from components.observability.alerts import ModelWatch
from components.serving import awaits
from components.serving.cache import ModelCache, ModelCacheArgs
from components.serving.clients import ClientEgress, ClientEgressArgs, Target
from components.serving.endpoint_picker import EndpointPicker, EndpointPickerArgs
from components.serving.fabric_pods import FabricPod, fabric_pod
from components.serving.gateway import GatewayRef
from components.serving.kserve import PORT as KSERVE_PORT
from components.serving.kserve import KServeModel, KServeModelArgs, KServePlatform
from components.serving.leader_worker_set import GroupArgs, LeaderWorkerSetServer, LwsPlatform
from components.serving.load_balancer import ModelLoadBalancer, ModelLoadBalancerArgs
from components.serving.metadata import model_selector
from components.serving.namespace import ServingNamespace
from components.serving.route_auth import RouteAccess, RouteAuth, RouteAuthArgs, enforces_policies
from components.serving.routes import REQUEST_TIMEOUT_SECONDS, Backend, ModelRoute, ModelRouteArgs
from components.serving.vllm import PORT as VLLM_PORT
from components.serving.vllm import VllmServer, VllmServerArgs
from components.serving.weights_copy import WeightsCopy, WeightsCopyArgs
from components.storage.model_weights import ModelWeights, writer_account
from stacks.config import Engine, ModelPlan, RouteMember
from stacks.monitoring import Prometheus
from stacks.observability import observe_model, watched


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """Where a model's server answers: what its route and its queue scaler point at."""

    deployment: str
    service: str
    port: int
    service_selector: dict[str, str]
    pod_port: int
    """The port the pods listen on behind the Service's, which NetworkPolicies name."""


@dataclass(frozen=True, kw_only=True)
class Shared:
    """What every model of the stack is deployed with: the stack's add-ons and where the cluster runs (a model's
    own settings are its plan's)."""

    namespace: ServingNamespace
    provider: pulumi.ProviderResource
    cloud: Cloud | None
    """The cloud of a cloud target; None for an existing cluster."""
    cluster_name: str
    own_network: bool
    """The stack creates the cluster's network (no existingSubnetIds)."""
    monitoring: bool
    """The stack's `monitoring`: alerts and dashboards where a Prometheus evaluates rules."""
    gpu_ready: list[pulumi.Resource]
    priority_class: pulumi.Input[str]
    keda: Keda | None
    kserve: KServePlatform | None
    lws: LwsPlatform | None
    """LeaderWorkerSet's controller and CRD, when a model spans nodes."""
    prometheus: Prometheus | None
    wake_add_on: KedaHttpAddOn | None
    gateway: GatewayRef | None
    """The Gateway exposed models' routes attach to; None when no model sets a host."""
    gateway_ready: list[pulumi.Resource]
    """What routes come after: the stack's Gateway (its CRDs with it)."""
    objectives_ready: list[pulumi.Resource]
    """The InferenceObjective CRD, when a pooled model has objectives."""
    route_access: Mapping[str, RouteAccess] = field(default_factory=dict)
    """Each route (its primary model's name) -> who may call it."""
    api_keys: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    """Each API-key client's key (Pulumi secrets)."""


@dataclass(frozen=True, kw_only=True)
class ModelArgs:
    model: ModelPlan
    server: VllmServerArgs
    """The server's settings; the model fills in its cache claim and the stack's PriorityClass."""
    cache: ModelCacheArgs | None
    """The model's weight cache, when the stack has a cache StorageClass (and the model downloads its weights)."""
    shared: Shared
    weights: ModelWeights | None = None
    """Where the model streams its weights from, when it does: its copy Job fills the prefix first."""


class Model(pulumi.ComponentResource):
    """One model and everything that exists for it: its cache, its server (vLLM or KServe), then what points at
    it (client egress, Gateway route, load balancer, queue scaler).

    Example::

        Model("chat", ModelArgs(model=plan, server=server_args, cache=None, shared=shared),
              opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    server_args: VllmServerArgs
    """The settings the server was created with."""
    base_url: pulumi.Input[str]
    """The in-cluster OpenAI base URL: the server's, or the wake alias of a model that sleeps."""
    public_url: pulumi.Input[str] | None
    load_balancer_url: pulumi.Output[str | None] | None
    autoscaled: bool
    """Whether KEDA scales the model on its queue."""
    watch: ModelWatch | None
    """What the model's alerts and dashboard watch (for the overview); None when the stack watches nothing."""

    def __init__(self, name: str, args: ModelArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:Model", name, None, opts)
        model, shared = args.model, args.shared
        in_cluster = pulumi.ResourceOptions(parent=self, provider=shared.provider)
        cache = ModelCache(model.name, args.cache, opts=in_cluster) if args.cache is not None else None
        self.server_args = dataclasses.replace(
            args.server,
            priority_class=shared.priority_class,
            cache_claim=cache.claim_name if cache is not None else None,
        )
        copied = _copy_weights(model, self.server_args, args.weights, shared, in_cluster)
        server, endpoint = _serve(model, self.server_args, shared, in_cluster, after=copied)
        _let_clients_out(model, endpoint, shared, in_cluster)
        pool = _pick_endpoints(model, endpoint, shared, in_cluster)
        self.public_url = _expose(model, endpoint, shared, in_cluster, after=[pool] if pool is not None else [])
        self.load_balancer_url = _load_balance(model, endpoint, shared, in_cluster)
        self.autoscaled = _scale_on_queue(model, endpoint, server, shared, in_cluster)
        self.watch = observe_model(
            model,
            monitoring=shared.monitoring,
            namespace=shared.namespace.name,
            deployment=endpoint.deployment,
            service=endpoint.service,
            service_selector=endpoint.service_selector,
            scraped=self.autoscaled,
            prometheus=shared.prometheus,
            provider=shared.provider,
            after=[server],
            parent=self,
        )
        self.base_url = wake_base_url(model.name, model.namespace) if model.sleeps else server.base_url
        self.register_outputs({"baseUrl": self.base_url})


def _copy_weights(
    model: ModelPlan,
    args: VllmServerArgs,
    weights: ModelWeights | None,
    shared: Shared,
    in_cluster: pulumi.ResourceOptions,
) -> list[pulumi.Resource]:
    """The model's copy Job, when it streams its weights: what its server waits for (with the identities' cloud
    resources), so that no replica starts before the weights are in its prefix."""
    if weights is None:
        return []
    copy = WeightsCopy(
        model.name,
        WeightsCopyArgs(
            namespace=shared.namespace.name,
            image=args.image,
            model_id=model.spec.hugging_face_id,
            revision=model.spec.revision,
            writer=weights.writer,
            account_name=writer_account(model.name),
            hf_token_secret=args.hf_token_secret,
            node_selector={"kubernetes.io/os": "linux"},
        ),
        opts=pulumi.ResourceOptions.merge(in_cluster, pulumi.ResourceOptions(depends_on=weights.ready)),
    )
    return [copy.job, *weights.ready]


def _serve(
    model: ModelPlan,
    args: VllmServerArgs,
    shared: Shared,
    in_cluster: pulumi.ResourceOptions,
    *,
    after: list[pulumi.Resource],
) -> tuple[VllmServer | KServeModel | LeaderWorkerSetServer, Endpoint]:
    # GPU servers wait for the device plugin, so their pods never meet a node without `nvidia.com/gpu`.
    opts = pulumi.ResourceOptions.merge(
        in_cluster,
        pulumi.ResourceOptions(depends_on=[*(shared.gpu_ready if args.placement is not None else []), *after]),
    )
    if model.spec.engine is Engine.KSERVE and shared.kserve is not None:
        isvc = KServeModel(model.name, KServeModelArgs(server=args, platform_ready=shared.kserve.ready), opts=opts)
        return isvc, Endpoint(
            deployment=isvc.deployment_name,
            service=isvc.deployment_name,
            port=80,
            service_selector={"serving.kserve.io/inferenceservice": model.name},
            pod_port=KSERVE_PORT,
        )
    if model.sizing is not None and model.sizing.nodes > 1 and shared.lws is not None:
        group = GroupArgs(
            server=args,
            nodes=model.sizing.nodes,
            fabric=group_fabric(shared.cloud, shared.cluster_name, model),
            platform_ready=shared.lws.ready,
        )
        return LeaderWorkerSetServer(model.name, group, opts=opts), Endpoint(
            deployment=model.name,
            service=model.name,
            port=VLLM_PORT,
            service_selector=model_selector("vllm", model.name),
            pod_port=VLLM_PORT,
        )
    server = VllmServer(model.name, args, opts=opts)
    return server, Endpoint(
        deployment=model.name,
        service=model.name,
        port=VLLM_PORT,
        service_selector=model_selector("vllm", model.name),
        pod_port=VLLM_PORT,
    )


def _let_clients_out(model: ModelPlan, endpoint: Endpoint, shared: Shared, in_cluster: pulumi.ResourceOptions) -> None:
    """Clients in the serving namespace are under its default-deny egress: let them reach the model's pods and,
    when it sleeps, the interceptor that wakes it (its base URL is the interceptor's alias)."""
    if all(client.namespace != model.namespace for client in model.clients):
        return
    targets = (
        Target(peer={"podSelector": {"matchLabels": endpoint.service_selector}}, port=endpoint.pod_port),
        *((interceptor_target(KEDA_NAMESPACE),) if model.sleeps and shared.wake_add_on is not None else ()),
    )
    ClientEgress(
        model.name,
        ClientEgressArgs(
            namespace=shared.namespace.name,
            namespace_name=model.namespace,
            model=model.name,
            clients=model.clients,
            targets=targets,
        ),
        opts=in_cluster,
    )


def _pick_endpoints(
    model: ModelPlan, endpoint: Endpoint, shared: Shared, in_cluster: pulumi.ResourceOptions
) -> pulumi.Resource | None:
    """The model's InferencePool and endpoint picker, with `routing: inference`; the pool, which its route names."""
    if shared.gateway is None or not model.through_pool:
        return None
    picker = EndpointPicker(
        model.name,
        EndpointPickerArgs(
            namespace=shared.namespace.name,
            namespace_name=model.namespace,
            model_selector=endpoint.service_selector,
            model_port=endpoint.pod_port,
            proxies=shared.gateway.proxies,
            priority_class=shared.priority_class,
            after=shared.gateway_ready,
            objectives=model.spec.objectives,
            objectives_after=shared.objectives_ready,
            monitoring_after=(
                list(shared.prometheus.crds_ready)
                if watched(shared.monitoring, shared.prometheus) and shared.prometheus is not None
                else None
            ),
        ),
        opts=in_cluster,
    )
    return picker.pool


def _expose(
    model: ModelPlan,
    endpoint: Endpoint,
    shared: Shared,
    in_cluster: pulumi.ResourceOptions,
    *,
    after: list[pulumi.Resource],
) -> pulumi.Input[str] | None:
    """The model's public URL, when it sets a host: its HTTPRoute on the Gateway, shared with its canaries. A canary's
    URL is its primary's."""
    route = model.route
    if route is None or shared.gateway is None:
        return None
    if route.primary != model.name:
        return route.url
    backends = tuple(
        route_backend(member, model.namespace, endpoint if member.name == model.name else None)
        for member in route.members
    )
    access = shared.route_access.get(model.name)
    keyed = access is not None and bool(access.clients)
    if access is not None and not access.public:
        RouteAuth(
            model.name,
            RouteAuthArgs(
                namespace=shared.namespace.name,
                route=model.name,
                access=access,
                keys=shared.api_keys,
                gateway=shared.gateway,
                after=shared.gateway_ready,
            ),
            opts=in_cluster,
        )
    return ModelRoute(
        model.name,
        ModelRouteArgs(
            namespace=shared.namespace.name,
            namespace_name=model.namespace,
            gateway=shared.gateway,
            host=route.host,
            path=route.path,
            api_paths=route.api_paths,
            backends=backends,
            timeout_seconds=REQUEST_TIMEOUT_SECONDS,
            after=[
                *shared.gateway_ready,
                *([shared.wake_add_on.release] if shared.wake_add_on is not None else []),
                *after,
            ],
            interceptor_namespace=shared.keda.namespace if shared.keda is not None else None,
            # Where vLLM checks the keys, only the paths it checks them on are routed.
            api_only=keyed and not enforces_policies(shared.gateway),
        ),
        opts=in_cluster,
    ).url


def service_endpoint(member: RouteMember) -> tuple[str, int]:
    """A model's Service and port, as `_serve` creates them (KServe's predictor Service maps port 80)."""
    if member.engine is Engine.KSERVE:
        return f"{member.name}-predictor", 80
    return member.name, VLLM_PORT


def route_backend(member: RouteMember, namespace: str, endpoint: Endpoint | None) -> Backend:
    """A model behind a route: its Service, or, when it sleeps, the interceptor that wakes it (by its wake host)."""
    if member.sleeps:
        return Backend(
            model=member.name,
            service=INTERCEPTOR_SERVICE,
            namespace=KEDA_NAMESPACE,
            port=PROXY_PORT,
            weight=member.weight,
            wake_host=wake_hosts(member.name, namespace, None)[0],
        )
    service, port = (endpoint.service, endpoint.port) if endpoint is not None else service_endpoint(member)
    return Backend(
        model=member.name,
        service=service,
        namespace=None,
        port=port,
        weight=member.weight,
        pool=member.through_pool,
    )


def _load_balance(
    model: ModelPlan, endpoint: Endpoint, shared: Shared, in_cluster: pulumi.ResourceOptions
) -> pulumi.Output[str | None] | None:
    """The model's OpenAI base URL through its load balancer, when it asks for one; None until the address is
    known, when Pulumi does not wait for it (`awaits.load_balancer_wait_seconds`)."""
    settings = model.spec.load_balancer
    if settings is None:
        return None
    rollout = awaits.model_rollout_seconds(
        progress_deadline_seconds=2 * model.startup_budget_seconds, max_replicas=model.max_replicas
    )
    load_balancer = ModelLoadBalancer(
        model.name,
        ModelLoadBalancerArgs(
            namespace=shared.namespace.name,
            selector=endpoint.service_selector,
            source_ranges=tuple(settings.source_ranges),
            cloud=shared.cloud,
            internal=settings.internal is not False,
            await_seconds=awaits.load_balancer_wait_seconds(
                cloud_cluster=shared.cloud is not None,
                own_network=shared.own_network,
                model_rollout_seconds=rollout,
            ),
        ),
        opts=in_cluster,
    )
    return load_balancer.address.apply(lambda address: f"http://{address}/v1" if address else None)


def _scale_on_queue(
    model: ModelPlan,
    endpoint: Endpoint,
    server: pulumi.Resource,
    shared: Shared,
    in_cluster: pulumi.ResourceOptions,
) -> bool:
    """KEDA on the model's queue, when it may scale and a Prometheus holds the queue; whether it does."""
    prometheus = shared.prometheus
    if shared.keda is None or not model.autoscaled or prometheus is None or not prometheus.url:
        return False
    QueueScaler(
        model.name,
        QueueScalerArgs(
            namespace=shared.namespace.name,
            name=model.name,
            deployment=endpoint.deployment,
            service=endpoint.service,
            service_selector=endpoint.service_selector,
            namespace_name=model.namespace,
            min_replicas=model.spec.min_replicas,
            max_replicas=model.max_replicas,
            queue_per_replica=model.spec.queue_per_replica,
            prometheus_url=prometheus.url,
            after=[shared.keda.release, *prometheus.crds_ready, server],
            wake=(
                Wake(
                    hosts=wake_hosts(model.name, model.namespace, model.spec.host),
                    port=endpoint.port,
                    keda_namespace=KEDA_NAMESPACE,
                    ready_within_seconds=model.request_hold_seconds,
                    wake_budget_seconds=model.wake_budget_seconds,
                    response_within_seconds=REQUEST_TIMEOUT_SECONDS,
                    add_on=shared.wake_add_on.release,
                )
                if model.sleeps and shared.wake_add_on is not None
                else None
            ),
        ),
        opts=in_cluster,
    )
    return True


def group_fabric(cloud: Cloud | None, cluster_name: str, model: ModelPlan) -> FabricPod:
    """What each pod of a model's group adds for its pool's fabric (components/serving/fabric_pods.py); on GKE the
    pool's GPU networks, named as components/clusters/gke_fabric.py names the VPCs the cluster creates."""
    fabric = model.fabric
    if cloud is None or fabric is None or model.pool is None or model.spec.pool is None:
        return FabricPod()
    pool = model.spec.pool
    networks = pod_networks(f"{cluster_name}-{pool}", pool, fabric) if cloud is Cloud.GCP else []
    return fabric_pod(fabric, pool, networks, model.pool.gpus_per_node, versions.TCPXO_DAEMON_IMAGE)
