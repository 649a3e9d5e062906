"""The stack configuration: one typed model, parsed once at the edge.

`load_config()` reads the `llm-platform:*` keys of the running stack, checks every rule, and returns a
frozen `StackConfig`, or raises `ConfigError` listing every problem (key path, value given, what is
allowed) before any resource exists. Everything after this module works with typed values only.

Keys are camelCase in `Pulumi.<stack>.yaml` and snake_case attributes here.
"""

from __future__ import annotations

import contextlib
import enum
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from components import versions
from components.autoscaling.keda import NAMESPACE as KEDA_NAMESPACE
from components.catalog.allocatable import Resources, room_for_pods
from components.catalog.gpus import GPUS, GpuType
from components.catalog.instances import INSTANCES, Cloud, InstanceType, carrying, choose_instance, offered
from components.catalog.mig import MIG_PROFILES, aks_instance_profile, mig_profile
from components.catalog.models import MODELS, ModelArchitecture, WeightFormat
from components.clusters.contract import Sharing, SharingMode, slots_per_node
from components.clusters.gpu_nodes import device_plugin_needed
from components.gpu.device_plugin import NAMESPACE as DEVICE_PLUGIN_NAMESPACE
from components.node_fit import PodShape, PoolFit, describe_room, holding, node_demand
from components.observability.prometheus import NAMESPACE as PROMETHEUS_NAMESPACE
from components.serving.clients import model_pod_labels, selects_all_of
from components.serving.kserve import API_SERVER_PORTS as KSERVE_NAMESPACES
from components.serving.metadata import METRICS_NAMESPACES
from components.serving.vllm import surge_pods
from components.sizing import KvCacheDtype, Sizing, best_fit, size_model, supports_fp8_kv_cache
from components.sizing_advice import describe_offer, gpus_that_fit, no_fit, too_long
from stacks.config_input import (
    boolean_as_number,
    decoded_json,
    namespace_near_misses,
    secret_in_plain_key,
    token_problem,
)
from stacks.messages import describe, key_path, show
from stacks.observability_config import ALERT_RECEIVER_KEYS, SloConfig, check_slo, check_stack
from stacks.rules import Finding
from stacks.rules.exposure import (
    GATEWAY_NAMESPACES,
    RETIRED_KEYS,
    Exposure,
    canary_findings,
    gateway_findings,
    served_name,
)
from stacks.rules.labels import reserved_label_findings
from stacks.rules.names import ModelNames, host_findings, model_name_findings, pool_name_findings
from stacks.rules.networks import network_cidr_findings, source_range_findings
from stacks.rules.regions import region_findings, zone_findings
from stacks.rules.routing import routing_findings

PROJECT = "llm-platform"

# A Kubernetes DNS-1123 label: what names of namespaces, Services and Deployments must be.
_DNS_LABEL = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
_GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_HF_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$"
# Label keys: optional DNS prefix, then a name of at most 63 characters (Kubernetes API conventions).
_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


class Target(enum.StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"
    EXISTING = "existing"


class Engine(enum.StrEnum):
    VLLM = "vllm"
    KSERVE = "kserve"


class Routing(enum.StrEnum):
    SERVICE = "service"
    INFERENCE = "inference"


class Capacity(enum.StrEnum):
    ON_DEMAND = "on-demand"
    SPOT = "spot"


class DeployerType(enum.StrEnum):
    """azure: what kind of Entra ID principal runs Pulumi, as its Cluster Admin role assignment must say."""

    USER = "user"
    SERVICE_PRINCIPAL = "servicePrincipal"
    """A service principal or a managed identity (CI)."""
    GROUP = "group"
    """A group whose members run Pulumi; the assignment goes to the group (deployerGroupObjectId)."""


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True, use_enum_values=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic reads `gpusPerNode: true` as 1; refuse it as at the top level (stacks/config_input.py).
        return boolean_as_number(value, cls.model_fields[info.field_name or ""].annotation)


DnsLabel = Annotated[str, Field(pattern=_DNS_LABEL, max_length=40)]


class GpuSharing(_Model):
    """How the GPUs of one pool are shared between pods."""

    mode: SharingMode = SharingMode.NONE
    replicas: int | None = Field(default=None, ge=2, le=64)
    """Time-slicing only: how many pods share one GPU."""
    mig_profile: str | None = None
    """MIG only: the partition every GPU of the pool is cut into, e.g. `1g.10gb`."""

    def as_sharing(self) -> Sharing:
        """The same settings as the components take them."""
        return Sharing(mode=self.mode, replicas=self.replicas, mig_profile=self.mig_profile)


class GpuPool(_Model):
    """A group of identical GPU nodes; the cloud's node group / node pool / agent pool."""

    gpu: GpuType
    gpus_per_node: int = Field(default=1, ge=1, le=16)
    instance_type: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{2,60}$")
    """Cloud targets: the machine type; default: the smallest with `gpusPerNode` GPUs that holds the pool's pods
    (README, "Sizing"). An explicit type must hold them too."""
    zones: list[Annotated[str, Field(pattern=r"^[a-z0-9-]{3,40}$")]] = Field(default_factory=list, max_length=6)
    """gcp: zones of the region that have this GPU (GKE node locations); default: the cluster's zones."""
    capacity: Capacity = Capacity.ON_DEMAND
    min_nodes: int = Field(default=0, ge=0, le=1000)
    max_nodes: int = Field(default=1, ge=1, le=1000)
    priority: int = Field(default=10, ge=1, le=1000)
    """The autoscaler grows the pool with the highest priority first."""
    sharing: GpuSharing = GpuSharing()
    labels: dict[str, str] = Field(default_factory=dict)
    """Extra node labels. On `existing` clusters, labels the pool's nodes already carry."""


class ModelArchitectureConfig(_Model):
    """The numbers sizing needs, for a model the built-in catalogue does not know."""

    parameters_billion: float = Field(gt=0, le=2000)
    layers: int = Field(ge=1, le=1000)
    kv_heads: int = Field(ge=1, le=1024)
    head_dim: int = Field(ge=1, le=1024)
    default_context: int = Field(ge=256, le=10_000_000)
    gated: bool = False
    attention_heads: int | None = Field(default=None, ge=1, le=1024)
    weights: WeightFormat = "bf16"
    """The checkpoint's weight format (its config.json `quantization_config`): bf16, fp8, int4 (AWQ/GPTQ), mxfp4."""
    hidden_size: int | None = Field(default=None, ge=1, le=100_000)
    intermediate_size: int | None = Field(default=None, ge=1, le=1_000_000)
    vocab_size: int | None = Field(default=None, ge=1, le=10_000_000)


class LoadBalancerConfig(_Model):
    """Expose a model through a cloud load balancer that admits only `sourceRanges` (plain HTTP to vLLM)."""

    source_ranges: list[str] = Field(min_length=1, max_length=40)
    """CIDR blocks that may reach the endpoint; the load balancer and the model's NetworkPolicy admit no other."""
    internal: bool | None = None
    """Cloud targets: a private address in the cluster's network (default) or, false, a public one."""


class ClientConfig(_Model):
    """Pods that may call a model: every pod of `namespace`, or only those carrying all of `podLabels`."""

    namespace: str | None = Field(default=None, pattern=_DNS_LABEL, max_length=63)
    """The calling pods' namespace; default: the serving namespace (where `podLabels` is then required)."""
    pod_labels: dict[str, str] = Field(default_factory=dict)


class ModelServing(_Model):
    """One model served behind one OpenAI-compatible endpoint."""

    hugging_face_id: str = Field(pattern=_HF_ID)
    revision: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._/-]{1,100}$")
    engine: Engine = Engine.VLLM
    pool: str | None = None
    """The GPU pool the model runs on; absent: the model runs on CPU (vLLM's CPU build)."""
    min_replicas: int = Field(default=1, ge=0, le=100)
    max_replicas: int | None = Field(default=None, ge=1, le=100)
    context_length: int | None = Field(default=None, ge=256, le=10_000_000)
    queue_per_replica: int = Field(default=4, ge=1, le=1000)
    """Requests waiting in vLLM's queue per replica before KEDA adds one (when maxReplicas > minReplicas)."""
    concurrency: int = Field(default=1, ge=1, le=1024)
    """Requests of `contextLength` tokens whose KV cache must fit at once (vLLM refuses to start below one)."""
    served_model_name: str | None = Field(default=None, min_length=1, max_length=200)
    host: str | None = Field(default=None, pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$", max_length=253)
    """Expose the model outside the cluster on this DNS name, on the stack's Gateway with TLS (README "Exposure")."""
    path: str | None = Field(default=None, pattern=r"^(/[a-z0-9._~-]+)+$", max_length=100)
    """With `host`: route only requests under this path prefix to the model (the prefix is removed on the way)."""
    canary_of: str | None = None
    """Serve the named model's route too (same host, path and served name), taking `weight` percent of its requests."""
    weight: int | None = Field(default=None, ge=0, le=100)
    """With `canaryOf`: the share of the route's requests, in percent, that this model gets."""
    routing: Routing = Routing.SERVICE
    """How its Gateway route picks a replica: the Service's load balancing, or (`inference`) an InferencePool whose
    endpoint picker reads each replica's queue and cache (stacks/rules/routing.py says where)."""
    load_balancer: LoadBalancerConfig | None = None
    """Expose the model through a LoadBalancer Service restricted to source ranges."""
    clients: list[ClientConfig] = Field(default_factory=list, max_length=20)
    """Pods in the cluster that may call the model (and wake it when it sleeps); no other pod can."""
    cpu_cores: int = Field(default=4, ge=1, le=256)
    memory_gib: int = Field(default=16, ge=1, le=4096, alias="memoryGiB")
    architecture: ModelArchitectureConfig | None = None
    kv_cache_dtype: KvCacheDtype = "auto"
    """`--kv-cache-dtype`: fp8 halves the KV cache per token (GPUs of compute capability 8.9 and up)."""
    slo: SloConfig | None = None
    """Latency objectives at p95 (README, "Observability"), alerted on their error budget's burn rate."""

    @field_validator("served_model_name")
    @classmethod
    def _no_whitespace(cls, value: str | None) -> str | None:
        if value is not None and any(ch.isspace() for ch in value):
            raise ValueError("must not contain white space")
        return value


# registry/repository[:tag]@sha256:<64 hex digits>: the image a digest names can never change under a tag.
_DIGEST_PINNED_IMAGE = r"^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}$"


class _Raw(_Model):
    """The scalar keys of the stack configuration; the maps (`gpuPools`, `models`) are checked entry by
    entry so that one bad pool does not hide the problems of the others."""

    target: Target
    region: str | None = Field(default=None, pattern=r"^[a-z0-9-]{2,40}$")
    kubernetes_version: str = "1.34"
    cluster_name: str | None = Field(default=None, pattern=_DNS_LABEL, max_length=40)
    kubeconfig_context: str | None = Field(default=None, min_length=1, max_length=253)
    namespace: DnsLabel = "llm-serving"
    public_api_cidrs: list[str] = Field(default_factory=list, max_length=40)
    """Cloud targets: CIDRs that may reach the public API endpoint; empty: the endpoint is private only."""
    public_api_reason: str | None = Field(default=None, min_length=10, max_length=300)
    """Why the API needs a public endpoint (CIS: the endpoint should be private); required with publicApiCidrs."""
    network_cidr: str = "10.0.0.0/16"
    availability_zones: int = Field(default=3, ge=2, le=6)
    existing_subnet_ids: list[str] = Field(default_factory=list, max_length=16)
    gcp_project: str | None = Field(default=None, pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
    system_instance_type: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{2,60}$")
    system_nodes: int = Field(default=2, ge=1, le=10)
    deployer_principal_type: DeployerType | None = None
    """azure: who runs Pulumi and gets the cluster's RBAC Cluster Admin role; empty: user."""
    deployer_group_object_id: str | None = Field(default=None, pattern=_GUID)
    """azure, with deployerPrincipalType group: the group's object id."""
    deletion_protection: bool = True
    monitoring: bool = False
    """GPU metrics: the DCGM exporter and a ServiceMonitor (Prometheus Operator CRDs needed), or GKE's managed DCGM."""
    prometheus_url: str | None = Field(default=None, pattern=r"^https?://[A-Za-z0-9.:/_-]+$")
    """A Prometheus to read model queues from; empty: the stack installs one when a model autoscales."""
    grafana: bool = False
    """With monitoring: Grafana in the stack's kube-prometheus-stack, with the models' and GPUs' dashboards."""
    model_cache_storage_class: str | None = Field(default=None, pattern=_DNS_LABEL, max_length=63)
    """A ReadWriteMany StorageClass for the models' weight cache; empty: the cloud's (AKS Azure Files; EFS or Filestore
    the aws or gcp stack creates) or none (existing: emptyDir)."""
    model_cache_gib: int = Field(default=200, ge=10, le=100_000, alias="modelCacheGiB")
    tls_cluster_issuer: str | None = Field(default=None, pattern=_DNS_LABEL, max_length=63)
    """A cert-manager ClusterIssuer of yours that signs the Gateway's certificates; or set acmeEmail."""
    acme_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,63}$", max_length=254)
    """The stack creates a Let's Encrypt ClusterIssuer (HTTP-01 through the Gateway) registered to this address."""
    existing_gateway: str | None = Field(
        default=None, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
    )
    """`namespace/name` of a Gateway the cluster already runs; empty: the stack installs its own."""
    gateway_internal: bool = False
    """Cloud targets: the stack's Gateway gets a private address in the cluster's network, not a public one."""
    install_device_plugin: bool = True
    """existing: install the NVIDIA device plugin on the GPU pools; false when the cluster runs one already."""
    vllm_image: str | None = Field(default=None, pattern=_DIGEST_PINNED_IMAGE, max_length=400)
    """vLLM's CUDA image pinned by digest (a mirror's copy, say); empty: the release tag in components/versions.py."""
    vllm_cpu_image: str | None = Field(default=None, pattern=_DIGEST_PINNED_IMAGE, max_length=400)
    """vLLM's CPU image pinned by digest; empty: the release tag in components/versions.py."""
    max_hourly_cost: float | None = Field(default=None, gt=0, le=1_000_000)
    """USD per hour the autoscalers' ceiling may cost at list prices (stacks/budget.py); empty: no limit."""
    max_idle_hourly_cost: float | None = Field(default=None, gt=0, le=1_000_000)
    """USD per hour what runs at minimum scale may cost at list prices; empty: no limit."""


# Top-level keys that hold YAML maps or lists (JSON strings at runtime) rather than scalars.
_OBJECT_KEYS = frozenset({"gpuPools", "models"})
_LIST_KEYS = frozenset({"publicApiCidrs", "existingSubnetIds"})
# Keys whose empty default means "not set": only meaningful for some targets.
_CLOUD_ONLY_KEYS = ("publicApiCidrs", "publicApiReason", "existingSubnetIds", "gcpProject", "systemInstanceType")
SECRET_KEYS = ("hfToken", *ALERT_RECEIVER_KEYS)
"""Keys that may only come from Pulumi secrets (`pulumi config set --secret`)."""


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

    @property
    def cloud(self) -> Cloud | None:
        """The cloud of a cloud target; None for `existing`."""
        return _CLOUDS.get(self.target)


@dataclass(frozen=True)
class ConfigIssue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. A RunError, so Pulumi prints the message without a traceback."""

    def __init__(self, stack: str, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        lines = "\n".join(f"  - {issue}" for issue in issues)
        plural = "s" if len(issues) != 1 else ""
        super().__init__(
            f"Invalid configuration for stack '{stack}' ({len(issues)} problem{plural}); nothing was created:\n{lines}"
        )


def load_config() -> StackConfig:
    """Read and check the running stack's configuration. Raises ConfigError on any problem."""
    stack = pulumi.get_stack()
    all_config = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    raw = {key.split(":", 1)[1]: value for key, value in all_config.items() if key.startswith(f"{PROJECT}:")}
    is_secret = {key: pulumi.runtime.is_config_secret(f"{PROJECT}:{key}") for key in raw}
    token = pulumi.Config(PROJECT).get_secret("hfToken") if "hfToken" in raw else None
    receivers = {key: pulumi.Config(PROJECT).require_secret(key) for key in ALERT_RECEIVER_KEYS if key in raw}
    return parse_config(
        raw,
        stack=stack,
        project=pulumi.get_project(),
        secret_keys=is_secret,
        hf_token=token,
        other_keys=[key for key in all_config if not key.startswith(f"{PROJECT}:")],
        alert_receivers=receivers,
    )


def parse_config(
    raw: Mapping[str, Any],
    *,
    stack: str,
    project: str = PROJECT,
    secret_keys: Mapping[str, bool] | None = None,
    hf_token: pulumi.Output[str] | None = None,
    other_keys: Iterable[str] = (),
    alert_receivers: Mapping[str, pulumi.Output[str]] | None = None,
) -> StackConfig:
    """Check raw config values (strings as Pulumi passes them, or already-decoded values). `secret_keys` says which
    keys Pulumi marked secret; `other_keys` are the full keys of other namespaces."""
    issues = [ConfigIssue(key, message) for key, message in namespace_near_misses(other_keys, project)]
    values: dict[str, Any] = {}
    unread: set[str] = set()
    for key, value in raw.items():
        is_secret = (secret_keys or {}).get(key, False)
        if key in RETIRED_KEYS and value != "":
            issues.append(ConfigIssue(key, RETIRED_KEYS[key]))
            continue
        if key in SECRET_KEYS:
            problem = token_problem(value, is_secret=is_secret, key=key)
            if problem:
                issues.append(ConfigIssue(key, problem))
            continue
        if is_secret:
            issues.append(ConfigIssue(key, secret_in_plain_key(key, SECRET_KEYS)))
            unread.add(key)
            continue  # never read: any message about it would show the secret
        if value == "":
            continue  # Pulumi.yaml declares optional scalars with an empty default, and YAML null arrives as "": unset.
        if key in _OBJECT_KEYS:
            if isinstance(value, str):
                with contextlib.suppress(json.JSONDecodeError):
                    value = json.loads(value)
            if not isinstance(value, dict):
                issues.append(ConfigIssue(key, f"must be a map of names to settings, got {_show(value)}"))
                continue
        if key in _LIST_KEYS and isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        values[key] = decoded_json(value)

    top, top_issues = _validate(_Raw, {k: v for k, v in values.items() if k not in _OBJECT_KEYS}, ())
    issues.extend(top_issues)
    pools: dict[str, GpuPool] = {}
    models: dict[str, ModelServing] = {}
    for key, schema, parsed_items in (("gpuPools", GpuPool, pools), ("models", ModelServing, models)):
        for name, body in (values.get(key) or {}).items():
            item, item_issues = _validate(schema, body, (key, name))
            issues.extend(item_issues)
            if item is not None:
                parsed_items[name] = item  # type: ignore[index]
    pool_names = set((values.get("gpuPools") or {}).keys())
    issues.extend(_check_rules(top, pools, models, pool_names, has_token=_has_token(raw, hf_token)))
    issues.extend(ConfigIssue(i.path, i.message) for name, model in models.items() for i in check_slo(name, model.slo))
    if top is not None:
        receivers = [key for key in ALERT_RECEIVER_KEYS if key in raw]
        issues.extend(
            ConfigIssue(issue.path, issue.message)
            for issue in check_stack(
                monitoring=top.monitoring, prometheus_url=top.prometheus_url, grafana=top.grafana, receivers=receivers
            )
        )
        issues.extend(_check_cloud(top, pools))
        issues.extend(_check_deployer(top))
    instances, fit_issues = _fit_instances(top, pools, models) if top is not None else ({}, [])
    issues.extend(fit_issues)
    if issues or top is None:
        raise ConfigError(stack, _one_issue_per_unread_key(issues, unread))
    cache_class, cache_class_created = _model_cache_class(top, serves_models=bool(models))
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
        vllm_cpu_image=top.vllm_cpu_image or versions.VLLM_CPU_IMAGE,
        prometheus_url=top.prometheus_url,
        model_cache_storage_class=cache_class,
        model_cache_class_created=cache_class_created,
        model_cache_gib=top.model_cache_gib,
        tls_cluster_issuer=top.tls_cluster_issuer,
        acme_email=top.acme_email,
        existing_gateway=top.existing_gateway,
        gateway_internal=top.gateway_internal,
        gpu_pools=pools,
        pool_instances={name: fit.instance for name, fit in instances.items()},
        pool_fits=instances,
        models={name: _plan_model(name, spec, pools, models) for name, spec in models.items()},
        hf_token=hf_token,
        max_hourly_cost=top.max_hourly_cost,
        max_idle_hourly_cost=top.max_idle_hourly_cost,
        grafana=top.grafana,
        alert_receivers=dict(alert_receivers or {}),
    )


def _one_issue_per_unread_key(issues: list[ConfigIssue], unread: set[str]) -> list[ConfigIssue]:
    """A key refused unread (a secret where none belongs) says only that: the rules that miss it ("is required")
    would mislead."""
    reported: set[str] = set()
    kept = []
    for issue in issues:
        key = re.split(r"[.\[]", issue.path, maxsplit=1)[0]
        if key in unread:
            if key in reported:
                continue
            reported.add(key)
        kept.append(issue)
    return kept


def _has_token(raw: Mapping[str, Any], hf_token: pulumi.Output[str] | None) -> bool:
    if "hfToken" in raw:
        return isinstance(raw["hfToken"], str) and bool(raw["hfToken"].strip())
    return hf_token is not None


def _validate(schema: type[_Model], body: Any, prefix: tuple[str, ...]) -> tuple[Any, list[ConfigIssue]]:
    try:
        return schema.model_validate(body), []
    except ValidationError as error:
        return None, _issues_from_pydantic(error, schema, prefix)


_CLOUDS = {Target.AWS: Cloud.AWS, Target.GCP: Cloud.GCP, Target.AZURE: Cloud.AZURE}
# ReadWriteMany classes that come with the cluster: Azure Files (built into AKS). EKS has none and GKE's built-in
# Filestore classes create instances in the network named `default`, not the cluster's: the aws and gcp stacks
# create one (EFS; Filestore in the cluster's VPC) when a model needs it. On `existing` clusters caches stay
# emptyDir unless modelCacheStorageClass names a class.
_DEFAULT_RWX_CLASS = {Target.AZURE: "azurefile-csi-premium"}
_CREATED_RWX_CLASS = {Target.AWS: "efs-model-cache", Target.GCP: "filestore-model-cache"}


def _model_cache_class(top: _Raw, *, serves_models: bool) -> tuple[str | None, bool]:
    """The models' cache class, and whether the stack creates it."""
    if top.model_cache_storage_class is not None:
        return top.model_cache_storage_class, False
    if top.target in _DEFAULT_RWX_CLASS:
        return _DEFAULT_RWX_CLASS[top.target], False
    if top.target in _CREATED_RWX_CLASS and serves_models:
        return _CREATED_RWX_CLASS[top.target], True
    return None, False


def _fit_instances(
    top: _Raw, pools: Mapping[str, GpuPool], models: Mapping[str, ModelServing]
) -> tuple[dict[str, PoolFit], list[ConfigIssue]]:
    """Each cloud pool's machine type: one whose room for pods holds the pods meant for the pool (its models' and
    its stand-ins', components/node_fit.py), the smallest such by default; an explicit type that cannot is an
    error with the numbers. Pools the catalogue rejects are reported by `_check_pool_offer`."""
    cloud = _CLOUDS.get(top.target)
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
        demand = node_demand(_slots(pool), _pod_shapes(pool, pools, models))
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
                    f"would: {_quoted(i.name for i in fitting) or 'none'}",
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


def _slots(pool: GpuPool) -> int:
    return slots_per_node(pool.gpu, pool.gpus_per_node, pool.sharing.as_sharing())


def _pod_shapes(pool: GpuPool, pools: Mapping[str, GpuPool], models: Mapping[str, ModelServing]) -> list[PodShape]:
    """The model pods that may land on the pool's nodes: those of every model on its group (the pools that stand in
    for each other, contract.gpu_group), each as many as its replicas and its rollout's surge pod."""
    group = {
        n
        for n, p in pools.items()
        if (p.gpu, p.gpus_per_node, p.sharing) == (pool.gpu, pool.gpus_per_node, pool.sharing)
    }
    shapes = []
    for name, model in models.items():
        sizing = _sizing(model, _architecture(model), pools.get(model.pool or ""))
        if model.pool not in group or sizing is None:
            continue
        tensor_parallel = sizing.tensor_parallel
        capacity = sum(pools[n].max_nodes * (_slots(pools[n]) // tensor_parallel) for n in group)
        max_replicas = model.max_replicas if model.max_replicas is not None else max(model.min_replicas, 1)
        most = max_replicas + surge_pods(capacity, max_replicas)
        shapes.append(PodShape(name, tensor_parallel, model.cpu_cores, model.memory_gib, most))
    return shapes


def _architecture(spec: ModelServing) -> ModelArchitecture | None:
    if spec.architecture is not None:
        return ModelArchitecture(**spec.architecture.model_dump())
    return MODELS.get(spec.hugging_face_id)


def _plan_model(
    name: str, spec: ModelServing, pools: Mapping[str, GpuPool], models: Mapping[str, ModelServing]
) -> ModelPlan:
    architecture = _architecture(spec)
    sizing = _sizing(spec, architecture, pools.get(spec.pool or ""))
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


def _sizing(spec: ModelServing, architecture: ModelArchitecture | None, pool: GpuPool | None) -> Sizing | None:
    if architecture is None or pool is None:
        return None
    sharing = pool.sharing.as_sharing()
    return size_model(
        architecture, spec.context_length, spec.concurrency, pool.gpu, pool.gpus_per_node, sharing, spec.kv_cache_dtype
    )


def _quoted(options: object) -> str:
    return ", ".join(f"'{option}'" for option in options)  # type: ignore[attr-defined]


def _check_rules(
    config: _Raw | None,
    pools: Mapping[str, GpuPool],
    models: Mapping[str, ModelServing],
    pool_names: set[str],
    *,
    has_token: bool,
) -> list[ConfigIssue]:
    """Rules across keys, for every part that has the right shape."""
    issues: list[ConfigIssue] = []
    if config is not None:
        issues.extend(_check_top_level(config))
    for name, pool in pools.items():
        issues.extend(_check_pool(name, pool))
        if config is not None:
            issues.extend(_issues(reserved_label_findings(config.target.value, name, pool.labels)))
    cloud = _CLOUDS.get(config.target) if config is not None else None
    if config is not None:
        issues.extend(_issues(gateway_findings(_exposure(config), models, cloud=cloud)))
    issues.extend(_issues(canary_findings(models)))
    if config is not None:
        issues.extend(
            _issues(
                routing_findings(
                    models,
                    cloud=cloud,
                    existing_gateway=config.existing_gateway,
                    kubernetes_version=config.kubernetes_version,
                )
            )
        )
    for name, model in models.items():
        issues.extend(_check_model(name, model, pools, pool_names, has_token=has_token, cloud=cloud))
    issues.extend(_check_clients(config.namespace if config is not None else None, models))
    if config is not None:
        names = {name: _names(model, config.namespace) for name, model in models.items()}
        issues.extend(_issues(model_name_findings(names)))
    issues.extend(_issues(host_findings({name: (model.host, model.path) for name, model in models.items()})))
    return issues


def _exposure(config: _Raw) -> Exposure:
    return Exposure(
        tls_cluster_issuer=config.tls_cluster_issuer,
        acme_email=config.acme_email,
        existing_gateway=config.existing_gateway,
        gateway_internal=config.gateway_internal,
    )


def _issues(findings: list[Finding]) -> list[ConfigIssue]:
    return [ConfigIssue(*finding) for finding in findings]


def _names(model: ModelServing, namespace: str) -> ModelNames:
    return ModelNames(
        engine=model.engine.value,
        sleeps=model.min_replicas == 0,
        host=model.host,
        load_balancer=model.load_balancer is not None,
        inference=model.routing is Routing.INFERENCE,
        clients_in_namespace=[i for i, client in enumerate(model.clients) if client.namespace in (None, namespace)],
    )


def _check_clients(namespace: str | None, models: Mapping[str, ModelServing]) -> list[ConfigIssue]:
    """Each model's clients: valid labels, no repeats, and in the serving namespace (`namespace`, when known) a
    selector that names the calling pods and no model's: the namespace's other pods are the models."""
    issues: list[ConfigIssue] = []
    model_pods = {name: model_pod_labels(model.engine.value, name) for name, model in models.items()}
    for name, model in models.items():
        seen: list[tuple[str | None, dict[str, str]]] = []
        for index, client in enumerate(model.clients):
            path = f"models.{name}.clients[{index}]"
            issues.extend(_label_issues(f"{path}.podLabels", client.pod_labels))
            in_serving_namespace = namespace is not None and client.namespace in (None, namespace)
            selected = [other for other, labels in model_pods.items() if selects_all_of(client.pod_labels, labels)]
            if in_serving_namespace and not client.pod_labels:
                issues.append(
                    ConfigIssue(
                        f"{path}.podLabels",
                        f"is required for a client in the serving namespace {namespace!r}: the models run there, and "
                        "every pod of it would be admitted; give labels that only the calling pods carry",
                    )
                )
            elif in_serving_namespace and selected:
                issues.append(
                    ConfigIssue(
                        f"{path}.podLabels",
                        f"{_show(client.pod_labels)} selects the pods of model {_quoted(selected)} in the serving "
                        "namespace; give labels that only the calling pods carry",
                    )
                )
            key = (client.namespace or namespace, dict(client.pod_labels))
            if key in seen:
                issues.append(ConfigIssue(path, f"repeats clients[{seen.index(key)}]; remove it"))
            seen.append(key)
    return issues


def _label_issues(path: str, labels: Mapping[str, str]) -> list[ConfigIssue]:
    """Kubernetes label keys and values (API conventions: an optional DNS prefix, names of at most 63 characters)."""
    issues = []
    for key, value in labels.items():
        if not _LABEL_KEY.match(key) or len(key) > 317:
            issues.append(ConfigIssue(path, f"{key!r} is not a valid Kubernetes label key"))
        elif not _LABEL_VALUE.match(value):
            issues.append(
                ConfigIssue(
                    f"{path}[{key!r}]" if "." in key or "/" in key else f"{path}.{key}",
                    f"{value!r} is not a valid label value (at most 63 letters, digits, '-', '_', '.')",
                )
            )
    return issues


def _check_top_level(config: _Raw) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    cloud = config.target is not Target.EXISTING
    if cloud and config.region is None:
        issues.append(ConfigIssue("region", f"is required for target '{config.target}'; set the cloud region"))
    if not cloud and config.region is not None:
        issues.append(ConfigIssue("region", f"{config.region!r} has no effect with target 'existing'; remove the key"))
    if cloud and config.region is not None:
        issues.extend(_issues(region_findings(_CLOUDS[config.target], config.region)))
    if cloud and config.kubeconfig_context is not None:
        issues.append(
            ConfigIssue(
                "kubeconfigContext",
                f"is only used with target 'existing' (this stack targets '{config.target}'); remove the key",
            )
        )
    if config.kubernetes_version not in versions.SUPPORTED_KUBERNETES_VERSIONS:
        issues.append(
            ConfigIssue(
                "kubernetesVersion",
                f"{config.kubernetes_version!r} is not supported; use one of "
                f"{_quoted(versions.SUPPORTED_KUBERNETES_VERSIONS)}",
            )
        )
    namespace_issue = _namespace_taken(config.namespace)
    if namespace_issue:
        issues.append(
            ConfigIssue("namespace", f"{config.namespace!r} {namespace_issue}; choose another, such as 'llm-serving'")
        )
    return issues


# Namespaces that exist before the stack or belong to what it installs. The stack creates its serving namespace
# (and deletes it on destroy): creating one that exists fails with AlreadyExists (pulumi-kubernetes 4.29+, #2926),
# and sharing an add-on's would put the models under that add-on's policies and lifecycle.
_ADD_ON_NAMESPACES: dict[str, str] = {
    **{namespace: "where Prometheus runs" for namespace in METRICS_NAMESPACES},
    PROMETHEUS_NAMESPACE: "where the stack installs kube-prometheus-stack",
    DEVICE_PLUGIN_NAMESPACE: "where the stack installs the NVIDIA device plugin",
    KEDA_NAMESPACE: "where the stack installs KEDA",
    **{namespace: "a namespace of the KServe platform the stack installs" for namespace in KSERVE_NAMESPACES},
    **GATEWAY_NAMESPACES,
}


def _namespace_taken(namespace: str) -> str | None:
    """Why the serving namespace may not be `namespace`, or None."""
    # Kubernetes starts with `default` and reserves the `kube-` prefix for itself (kubernetes.io, "Namespaces").
    if namespace == "default" or namespace.startswith("kube-"):
        return "is a Kubernetes system namespace"
    # The serving PriorityClass is named after the namespace; `system-` names are reserved for the built-in
    # classes (kubernetes pkg/apis/scheduling/validation: "reserved for system use only").
    if namespace.startswith("system-"):
        return "would name the serving PriorityClass, and names starting with 'system-' are reserved"
    if namespace in _ADD_ON_NAMESPACES:
        return f"is {_ADD_ON_NAMESPACES[namespace]}"
    return None


_SUBNET_ID = {
    Target.AWS: (r"^subnet-[0-9a-f]{8,17}$", "an AWS subnet id such as 'subnet-0abc1234def567890'"),
    Target.AZURE: (
        r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+$",
        "an Azure subnet resource id (/subscriptions/.../virtualNetworks/<vnet>/subnets/<subnet>)",
    ),
}
_AKS_POOL_NAME = r"^[a-z][a-z0-9]{0,11}$"


def _check_cidrs(key: str, cidrs: list[str], *, exposes: str) -> list[ConfigIssue]:
    """Source ranges: valid CIDR blocks without host bits, admitting a bounded part of the internet."""
    return _issues(source_range_findings(key, cidrs, exposes=exposes))


def _check_cloud(config: _Raw, pools: Mapping[str, GpuPool]) -> list[ConfigIssue]:
    """Rules that depend on the target: network, endpoint access, and what each cloud offers."""
    issues: list[ConfigIssue] = []
    target = config.target
    if target is Target.EXISTING:
        for key in _CLOUD_ONLY_KEYS:
            if getattr(config, _FIELD_NAMES[key]):
                issues.append(ConfigIssue(key, "only applies to cloud targets (aws, gcp, azure); remove the key"))
        for name, pool in pools.items():
            if pool.instance_type is not None:
                issues.append(
                    ConfigIssue(f"gpuPools.{name}.instanceType", "only applies to cloud targets; remove the key")
                )
        issues.extend(_check_zones(target, config.region, pools))
        return issues
    issues.extend(_check_cidrs("publicApiCidrs", config.public_api_cidrs, exposes="the Kubernetes API"))
    if not config.install_device_plugin:
        issues.append(
            ConfigIssue(
                "installDevicePlugin",
                f"only applies to target 'existing': on '{target}' the stack decides (GKE runs its own plugin); "
                "remove the key",
            )
        )
    if config.public_api_cidrs and config.public_api_reason is None:
        issues.append(
            ConfigIssue(
                "publicApiReason",
                "is required with publicApiCidrs: a public API endpoint departs from the CIS benchmarks' private "
                "endpoint, so say why it is needed (e.g. 'CI deploys from 203.0.113.0/24')",
            )
        )
    if config.public_api_reason is not None and not config.public_api_cidrs:
        issues.append(ConfigIssue("publicApiReason", "only applies with publicApiCidrs; remove the key"))
    issues.extend(_issues(network_cidr_findings(config.network_cidr)))
    if config.existing_subnet_ids:
        if target not in _SUBNET_ID:
            issues.append(
                ConfigIssue(
                    "existingSubnetIds", f"is not supported for target '{target}' yet; remove it to create a network"
                )
            )
        else:
            if target is Target.AZURE and len(config.existing_subnet_ids) != 1:
                issues.append(
                    ConfigIssue(
                        "existingSubnetIds",
                        "AKS places every pool in one node subnet; give exactly one, not "
                        f"{len(config.existing_subnet_ids)}",
                    )
                )
            pattern, example = _SUBNET_ID[target]
            for index, subnet in enumerate(config.existing_subnet_ids):
                if not re.match(pattern, subnet):
                    issues.append(ConfigIssue(f"existingSubnetIds[{index}]", f"{subnet!r} is not {example}"))
    if target is Target.GCP and config.gcp_project is None:
        issues.append(ConfigIssue("gcpProject", "is required for target 'gcp'; set the Google Cloud project id"))
    if target is not Target.GCP and config.gcp_project is not None:
        issues.append(ConfigIssue("gcpProject", f"only applies to target 'gcp', not '{target}'; remove the key"))
    issues.extend(_check_zones(target, config.region, pools))
    issues.extend(_issues(pool_name_findings(target.value, list(pools))))
    cloud = _CLOUDS[target]
    for name, pool in pools.items():
        issues.extend(_check_pool_offer(cloud, name, pool))
        issues.extend(_check_sharing_on_cloud(target, name, pool))
        if target is Target.AZURE and not re.match(_AKS_POOL_NAME, name):
            issues.append(
                ConfigIssue(
                    f"gpuPools.{name}",
                    f"AKS pool names are lowercase letters and digits, start with a letter, at most 12 "
                    f"characters; rename {name!r}",
                )
            )
    return issues


def _check_deployer(config: _Raw) -> list[ConfigIssue]:
    """azure: the deployer's role assignment names its principal type, and a group by its object id."""
    if config.target is not Target.AZURE:
        return [
            ConfigIssue(key, f"only applies to target 'azure', not '{config.target}'; remove the key")
            for key in ("deployerPrincipalType", "deployerGroupObjectId")
            if getattr(config, _FIELD_NAMES[key]) is not None
        ]
    is_group = config.deployer_principal_type is DeployerType.GROUP
    if is_group and config.deployer_group_object_id is None:
        return [
            ConfigIssue(
                "deployerGroupObjectId",
                "is required with deployerPrincipalType 'group': the object id of the Entra ID group whose members "
                "run Pulumi (`az ad group show --group <name> --query id`)",
            )
        ]
    if not is_group and config.deployer_group_object_id is not None:
        return [ConfigIssue("deployerGroupObjectId", "only applies with deployerPrincipalType 'group'; remove the key")]
    return []


def _check_zones(target: Target, region: str | None, pools: Mapping[str, GpuPool]) -> list[ConfigIssue]:
    issues = []
    for name, pool in pools.items():
        if pool.zones and target is not Target.GCP:
            issues.append(
                ConfigIssue(f"gpuPools.{name}.zones", f"only applies to target 'gcp', not '{target}'; remove the key")
            )
        if target is Target.GCP and region:
            issues.extend(_issues(zone_findings(f"gpuPools.{name}.zones", region, pool.zones)))
    return issues


GKE_MAX_SHARED_CLIENTS = 48


def _check_sharing_on_cloud(target: Target, name: str, pool: GpuPool) -> list[ConfigIssue]:
    """What each cloud can do with GPU sharing (README, "GPU sharing per cloud")."""
    sharing, path = pool.sharing, f"gpuPools.{name}.sharing"
    profile = sharing.mig_profile or ""
    if sharing.mode is SharingMode.MIG and target is Target.AWS:
        return [
            ConfigIssue(
                f"{path}.mode",
                "'mig' is not available on aws: EKS nodes come unpartitioned and partitioning needs the NVIDIA GPU "
                "Operator's MIG manager, which this project does not install; use 'time-slicing' or whole GPUs",
            )
        ]
    azure_mig = sharing.mode is SharingMode.MIG and target is Target.AZURE and mig_profile(pool.gpu, profile)
    if azure_mig and aks_instance_profile(pool.gpu, profile) is None:
        expressible = [p.name for p in MIG_PROFILES[pool.gpu] if aks_instance_profile(pool.gpu, p.name)]
        return [
            ConfigIssue(
                f"{path}.migProfile",
                f"AKS cannot partition {pool.gpu.value} into {profile!r} (it names layouts MIG1g..MIG7g); use one "
                f"of {_quoted(expressible)}",
            )
        ]
    gke_time_slicing = sharing.mode is SharingMode.TIME_SLICING and target is Target.GCP
    if gke_time_slicing and (sharing.replicas or 0) > GKE_MAX_SHARED_CLIENTS:
        return [
            ConfigIssue(
                f"{path}.replicas",
                f"{sharing.replicas} is more than GKE shares one GPU among ({GKE_MAX_SHARED_CLIENTS})",
            )
        ]
    return []


def _check_pool_offer(cloud: Cloud, name: str, pool: GpuPool) -> list[ConfigIssue]:
    path = f"gpuPools.{name}"
    offers = offered(cloud)
    if pool.gpu not in offers:
        listing = ", ".join(f"{gpu.value} ({'/'.join(map(str, counts))} per node)" for gpu, counts in offers.items())
        return [ConfigIssue(f"{path}.gpu", f"{pool.gpu.value} is not offered on {cloud}; {cloud} offers {listing}")]
    counts = offers[pool.gpu]
    if pool.gpus_per_node not in counts:
        return [
            ConfigIssue(
                f"{path}.gpusPerNode",
                f"{pool.gpu.value} comes {'/'.join(map(str, counts))} per node on {cloud}, not {pool.gpus_per_node}",
            )
        ]
    if choose_instance(cloud, pool.gpu, pool.gpus_per_node, pool.instance_type) is None:
        fitting = [i.name for i in INSTANCES[cloud] if i.gpu is pool.gpu and i.gpus == pool.gpus_per_node]
        return [
            ConfigIssue(
                f"{path}.instanceType",
                f"{pool.instance_type!r} does not carry {pool.gpus_per_node} x {pool.gpu.value}; use one of "
                f"{_quoted(fitting)}",
            )
        ]
    return []


def _check_pool(name: str, pool: GpuPool) -> list[ConfigIssue]:
    path = f"gpuPools.{name}"
    issues: list[ConfigIssue] = []
    if not re.match(_DNS_LABEL, name) or len(name) > 20:
        issues.append(
            ConfigIssue(
                path,
                f"pool name {name!r} must be lowercase letters, digits and '-', start with a letter, "
                "at most 20 characters",
            )
        )
    if pool.max_nodes < pool.min_nodes:
        issues.append(
            ConfigIssue(
                f"{path}.maxNodes",
                f"{pool.max_nodes} is less than minNodes ({pool.min_nodes}); set maxNodes >= minNodes",
            )
        )
    sharing = pool.sharing
    if sharing.mode is SharingMode.TIME_SLICING and sharing.replicas is None:
        issues.append(
            ConfigIssue(f"{path}.sharing.replicas", "is required with mode 'time-slicing' (2 or more pods per GPU)")
        )
    if sharing.mode is not SharingMode.TIME_SLICING and sharing.replicas is not None:
        issues.append(
            ConfigIssue(f"{path}.sharing.replicas", f"only applies to mode 'time-slicing', not '{sharing.mode}'")
        )
    if sharing.mode is SharingMode.MIG:
        if not GPUS[pool.gpu].mig_capable:
            capable = [gpu.value for gpu, spec in GPUS.items() if spec.mig_capable]
            issues.append(
                ConfigIssue(
                    f"{path}.sharing.mode",
                    f"'mig' needs a GPU with Multi-Instance GPU; {pool.gpu.value} has none "
                    f"(MIG-capable: {_quoted(capable)})",
                )
            )
        if sharing.mig_profile is None:
            issues.append(ConfigIssue(f"{path}.sharing.migProfile", "is required with mode 'mig', e.g. '1g.10gb'"))
        elif GPUS[pool.gpu].mig_capable and mig_profile(pool.gpu, sharing.mig_profile) is None:
            profiles = [profile.name for profile in MIG_PROFILES[pool.gpu]]
            issues.append(
                ConfigIssue(
                    f"{path}.sharing.migProfile",
                    f"{sharing.mig_profile!r} is not a MIG profile of {pool.gpu.value}; use one of {_quoted(profiles)}",
                )
            )
    elif sharing.mig_profile is not None:
        issues.append(ConfigIssue(f"{path}.sharing.migProfile", f"only applies to mode 'mig', not '{sharing.mode}'"))
    for key, value in pool.labels.items():
        if not _LABEL_KEY.match(key) or len(key) > 317:
            issues.append(ConfigIssue(f"{path}.labels", f"{key!r} is not a valid Kubernetes label key"))
        if not _LABEL_VALUE.match(value):
            issues.append(
                ConfigIssue(
                    f"{path}.labels.{key}",
                    f"{value!r} is not a valid label value (at most 63 letters, digits, '-', '_', '.')",
                )
            )
    return issues


def _check_model(
    name: str,
    model: ModelServing,
    pools: Mapping[str, GpuPool],
    pool_names: set[str],
    *,
    has_token: bool,
    cloud: Cloud | None,
) -> list[ConfigIssue]:
    path = f"models.{name}"
    issues: list[ConfigIssue] = []
    if model.load_balancer is not None:
        issues.extend(
            _check_cidrs(
                f"{path}.loadBalancer.sourceRanges", model.load_balancer.source_ranges, exposes="the model's endpoint"
            )
        )
        if cloud is None and model.load_balancer.internal is not None:
            issues.append(
                ConfigIssue(
                    f"{path}.loadBalancer.internal",
                    "only applies to cloud targets: on 'existing' the cluster's load balancer decides; remove the key",
                )
            )
    if not re.match(_DNS_LABEL, name) or len(name) > 40:
        issues.append(
            ConfigIssue(
                path,
                f"model name {name!r} must be lowercase letters, digits and '-', start with a letter, "
                "at most 40 characters (it names Kubernetes objects)",
            )
        )
    if model.pool is not None and model.pool not in pool_names:
        allowed = (
            f"one of {_quoted(sorted(pool_names))}, or" if pool_names else "a key of gpuPools (none is defined), or"
        )
        issues.append(
            ConfigIssue(
                f"{path}.pool",
                f"{model.pool!r} is not a GPU pool of this stack; use {allowed} remove the key to run on CPU",
            )
        )
    if model.engine is Engine.KSERVE and model.pool is None:
        issues.append(
            ConfigIssue(
                f"{path}.engine",
                "'kserve' serves on GPUs only; set models." + name + ".pool, or use engine 'vllm' for CPU",
            )
        )
    if model.min_replicas == 0 and model.engine is Engine.KSERVE:
        issues.append(
            ConfigIssue(
                f"{path}.minReplicas",
                "0 is supported with engine 'vllm' only: KServe's Standard mode has no way to hold requests while "
                "a replica starts. Use 1, or engine 'vllm'",
            )
        )
    if model.min_replicas == 0 and model.load_balancer is not None:
        issues.append(
            ConfigIssue(
                f"{path}.loadBalancer",
                "cannot reach a model that scales to zero: a load balancer sends requests straight to the pods, so "
                "nothing would wake it. Expose it with host (its Gateway route goes through KEDA's HTTP add-on), or "
                "set minReplicas to 1",
            )
        )
    max_replicas = model.max_replicas if model.max_replicas is not None else max(model.min_replicas, 1)
    if max_replicas < model.min_replicas:
        issues.append(
            ConfigIssue(
                f"{path}.maxReplicas",
                f"{max_replicas} is less than minReplicas ({model.min_replicas}); set maxReplicas >= minReplicas",
            )
        )
    architecture = _architecture(model)
    if architecture and model.context_length and model.context_length > architecture.default_context:
        issues.append(
            ConfigIssue(
                f"{path}.contextLength",
                f"{model.context_length} exceeds what {model.hugging_face_id} supports "
                f"({architecture.default_context} tokens)",
            )
        )
    pool = pools.get(model.pool or "")
    if architecture is None and pool is not None:
        issues.append(
            ConfigIssue(
                f"{path}.architecture",
                f"is required: {model.hugging_face_id} is not in the built-in catalogue, and sizing it for a GPU needs "
                "parametersBillion, layers, kvHeads, headDim and defaultContext (from its config.json)",
            )
        )
    if architecture is not None and pool is not None:
        issues.extend(_check_sizing(path, model, architecture, model.pool or "", pool, cloud))
    if architecture is not None and architecture.gated and not has_token:
        issues.append(
            ConfigIssue(
                path,
                f"{model.hugging_face_id} is gated on Hugging Face and needs a token; run "
                "`pulumi config set --secret hfToken <token>`",
            )
        )
    return issues


def _check_sizing(
    path: str, model: ModelServing, architecture: ModelArchitecture, pool_name: str, pool: GpuPool, cloud: Cloud | None
) -> list[ConfigIssue]:
    """The model must start on one node of its pool with `concurrency` requests of its context (components/sizing.py);
    a context set explicitly is never cut."""
    if model.kv_cache_dtype == "fp8" and not supports_fp8_kv_cache(pool.gpu):
        return [
            ConfigIssue(
                f"{path}.kvCacheDtype",
                f"fp8 needs a GPU of compute capability 8.9 or later (L4, L40S, H100, H200); pool {pool_name!r} "
                f"has {pool.gpu.value}: use auto",
            )
        ]
    if _sizing(model, architecture, pool) is not None:
        return []
    sharing = pool.sharing.as_sharing()
    best = best_fit(architecture, model.concurrency, pool.gpu, pool.gpus_per_node, sharing, model.kv_cache_dtype)
    if model.context_length is not None and best is not None:
        return [ConfigIssue(f"{path}.contextLength", too_long(model.context_length, best))]
    fitting = gpus_that_fit(architecture, model.context_length, model.concurrency, model.kv_cache_dtype, cloud)
    where = f"on {cloud}" if cloud else "in the catalogue"
    reason = no_fit(
        architecture,
        model.hugging_face_id,
        model.context_length,
        model.concurrency,
        model.kv_cache_dtype,
        pool.gpu,
        pool.gpus_per_node,
        sharing,
    )
    offer = describe_offer(pool.gpu, pool.gpus_per_node, sharing, pool.sharing.mig_profile)
    return [
        ConfigIssue(
            path,
            f"{reason}; pool {pool_name!r} offers {offer}; GPU types that fit on one node {where}: "
            f"{', '.join(fitting) or 'none'} (or lower contextLength or concurrency)",
        )
    ]


# --- pydantic's errors, in the project's words ----------------------------------------------------

_FIELD_NAMES = {field.alias or name: name for name, field in _Raw.model_fields.items()}


def _show(value: Any) -> str:
    return show(value)


def _issues_from_pydantic(error: ValidationError, root: type[BaseModel], prefix: tuple[str, ...]) -> list[ConfigIssue]:
    return [
        ConfigIssue(key_path(prefix + tuple(item["loc"])), describe(item, root, _PATTERN_HINTS))
        for item in error.errors(include_url=False)
    ]


_PATTERN_HINTS = {
    _DNS_LABEL: "use lowercase letters, digits and '-', starting with a letter (a Kubernetes name)",
    _HF_ID: "use a Hugging Face model id such as 'Qwen/Qwen2.5-0.5B-Instruct'",
    r"^[a-z0-9-]{2,40}$": "use the cloud's region name, such as 'us-east-1', 'europe-west4' or 'eastus2'",
    r"^[a-z0-9-]{3,40}$": "use a zone name such as 'us-central1-a'",
    r"^[A-Za-z0-9._/-]{1,100}$": "use a branch, tag or commit of the model repository",
    _DIGEST_PINNED_IMAGE: "pin the image by digest: 'registry/repository[:tag]@sha256:<64 hex digits>'",
    _GUID: "use an Entra ID object id such as '00000000-0000-0000-0000-000000000000'",
    # Every other pattern a field carries (tests/unit/test_config_loading.py checks that none lacks a hint).
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$": (
        "use a lowercase DNS name with at least one dot, such as 'llm.example.com' (no scheme, port or path)"
    ),
    r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$": (
        "use a Google Cloud project id: 6 to 30 lowercase letters, digits and '-', starting with a letter, "
        "such as 'my-project-123'"
    ),
    r"^[A-Za-z0-9_.-]{2,60}$": "use the cloud's machine type name, such as 'g6.xlarge', 'g2-standard-8' or "
    "'Standard_NC4as_T4_v3'",
    r"^(/[a-z0-9._~-]+)+$": "use a path prefix of lowercase segments such as '/small' or '/v2/chat' (a-z, 0-9, '.', "
    "'_', '~', '-'; no trailing '/')",
    r"^[^@\s]+@[^@\s]+\.[a-z]{2,63}$": "use an email address such as 'platform@example.com' (Let's Encrypt's contact)",
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$": (
        "use '<namespace>/<name>' of a Gateway the cluster runs, such as 'gateways/shared'"
    ),
    r"^https?://[A-Za-z0-9.:/_-]+$": (
        "use an http(s) URL of host, port and path, such as "
        "'http://prometheus-operated.monitoring.svc:9090' (no query or credentials)"
    ),
}
