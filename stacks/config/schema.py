"""The stack file's shape: the enums and pydantic models every key is parsed into (camelCase keys, snake_case
attributes), with the patterns and what each allows. Parsing and the rules live in loader.py and the checks
modules; this module only says what a well-formed value is."""

from __future__ import annotations

import enum
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from components.catalog.gpus import GpuType
from components.catalog.instances import Cloud
from components.catalog.models import WeightFormat
from components.clusters.contract import Sharing, SharingMode
from components.cold_start import ImageDelivery, WeightsSource
from components.sizing import KvCacheDtype
from stacks.config.inputs import (
    boolean_as_number,
)
from stacks.config.observability import ALERT_RECEIVER_KEYS, SloConfig

# A Kubernetes DNS-1123 label: what names of namespaces, Services and Deployments must be.
DNS_LABEL = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"


_GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


_HF_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$"


# Label keys: optional DNS prefix, then a name of at most 63 characters (Kubernetes API conventions).
LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)


LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


class Target(enum.StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"
    EXISTING = "existing"


class Engine(enum.StrEnum):
    VLLM = "vllm"
    KSERVE = "kserve"


class Task(enum.StrEnum):
    """What vLLM serves a model for (its `--runner`): chat and completions, or embeddings."""

    GENERATE = "generate"
    EMBED = "embed"


ApiPath = Literal["/v1/embeddings", "/v1/chat/completions", "/v1/completions"]
"""The OpenAI paths a route can match exactly (`apiPaths`): what vLLM serves for `task: embed` and `generate`."""


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


class ConfigModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        use_enum_values=False,
        use_attribute_docstrings=True,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic reads `gpusPerNode: true` as 1; refuse it as at the top level (stacks/config/inputs.py).
        return boolean_as_number(value, cls.model_fields[info.field_name or ""].annotation)


DnsLabel = Annotated[str, Field(pattern=DNS_LABEL, max_length=40)]


class GpuSharing(ConfigModel):
    """How the GPUs of one pool are shared between pods."""

    mode: SharingMode = SharingMode.NONE
    """none: one pod per GPU; time-slicing: `replicas` pods share each GPU; mig: each GPU cut into `migProfile`."""
    replicas: int | None = Field(default=None, ge=2, le=64)
    """Time-slicing only: how many pods share one GPU."""
    mig_profile: str | None = None
    """MIG only: the partition every GPU of the pool is cut into, e.g. `1g.10gb`."""

    def as_sharing(self) -> Sharing:
        """The same settings as the components take them."""
        return Sharing(mode=self.mode, replicas=self.replicas, mig_profile=self.mig_profile)


class GpuPool(ConfigModel):
    """A group of identical GPU nodes; the cloud's node group / node pool / agent pool."""

    gpu: GpuType
    """The GPU model of every node of the pool, as far as the target cloud offers it."""
    gpus_per_node: int = Field(default=1, ge=1, le=16)
    """GPUs on each node: a count the cloud offers for that GPU."""
    instance_type: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{2,60}$")
    """Cloud targets: the machine type; default: the smallest with `gpusPerNode` GPUs that holds the pool's pods
    (docs/manual.md, "Sizing"). An explicit type must hold them too."""
    zones: list[Annotated[str, Field(pattern=r"^[a-z0-9-]{3,40}$")]] = Field(default_factory=list, max_length=6)
    """gcp: zones of the region that have this GPU (GKE node locations); default: the cluster's zones."""
    capacity: Capacity = Capacity.ON_DEMAND
    """on-demand, or spot (cheaper, and the cloud may take the node back at any time)."""
    min_nodes: int = Field(default=0, ge=0, le=1000)
    """Nodes kept running when no model needs them; 0 lets the pool scale to zero."""
    max_nodes: int = Field(default=1, ge=1, le=1000)
    """The autoscaler's ceiling for the pool; at least `minNodes`."""
    priority: int = Field(default=10, ge=1, le=1000)
    """The autoscaler grows the pool with the highest priority first."""
    sharing: GpuSharing = GpuSharing()
    """How the GPUs of the pool are shared between pods (default: not shared)."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Extra node labels. On `existing` clusters, labels the pool's nodes already carry."""
    fabric: bool = False
    """Cloud targets: the pool's nodes join the cloud's GPU network between nodes (EFA, GPUDirect, InfiniBand;
    components/catalog/fabric.py) in one placement; models past one node need it. The type must offer one."""


class ModelArchitectureConfig(ConfigModel):
    """The numbers sizing needs, for a model the built-in catalogue does not know."""

    parameters_billion: float = Field(gt=0, le=2000)
    """Parameters, in billions (total, for a mixture of experts)."""
    layers: int = Field(ge=1, le=1000)
    """Transformer layers (config.json `num_hidden_layers`)."""
    kv_heads: int = Field(ge=1, le=1024)
    """Key/value heads (config.json `num_key_value_heads`)."""
    head_dim: int = Field(ge=1, le=1024)
    """Dimension of one attention head."""
    default_context: int = Field(ge=256, le=10_000_000)
    """The model's maximum context length (config.json `max_position_embeddings`)."""
    gated: bool = False
    """The Hugging Face repository needs an accepted licence and a token (`hfToken`)."""
    attention_heads: int | None = Field(default=None, ge=1, le=1024)
    """Attention heads: tensor parallelism must divide them."""
    weights: WeightFormat = "bf16"
    """The checkpoint's weight format (its config.json `quantization_config`): bf16, fp8, int4 (AWQ/GPTQ), mxfp4."""
    hidden_size: int | None = Field(default=None, ge=1, le=100_000)
    """config.json `hidden_size`, for the activation estimate (a conservative default otherwise)."""
    intermediate_size: int | None = Field(default=None, ge=1, le=1_000_000)
    """config.json `intermediate_size`, for the activation estimate."""
    vocab_size: int | None = Field(default=None, ge=1, le=10_000_000)
    """config.json `vocab_size`, for the activation estimate."""
    model_type: str = Field(default="", max_length=100)
    """config.json `model_type`: vLLM v0.31 refuses float16 for gemma2/gemma3 (float32 on GPUs without bf16)."""
    config_dtype: Literal["bfloat16", "float16", "float32"] = "bfloat16"
    """config.json `torch_dtype`."""
    attention: Literal["gqa", "mla", "mamba", "linear"] = "gqa"
    """gqa (K and V per KV head) and mla (with kvLoraRank and qkRopeHeadDim) are sized; mamba and linear are
    refused."""
    kv_lora_rank: int = Field(default=0, ge=0, le=65536)
    """mla: config.json `kv_lora_rank`."""
    qk_rope_head_dim: int = Field(default=0, ge=0, le=4096)
    """mla: config.json `qk_rope_head_dim`."""
    encoder_only: bool = False
    """A bidirectional encoder (BERT, XLM-RoBERTa) served with `task: embed`: no KV cache, no chunked prefill."""


class LoadBalancerConfig(ConfigModel):
    """Expose a model through a cloud load balancer that admits only `sourceRanges` (plain HTTP to vLLM)."""

    source_ranges: list[str] = Field(min_length=1, max_length=40)
    """CIDR blocks that may reach the endpoint; the load balancer and the model's NetworkPolicy admit no other."""
    internal: bool | None = None
    """Cloud targets: a private address in the cluster's network (default) or, false, a public one."""


class ColdStartConfig(ConfigModel):
    """How a new replica gets its weights and image; unset keys: the fastest the target offers
    (stacks/config/rules/cold_start.py)."""

    weights: WeightsSource | None = None
    """`stream` from the stack's object storage into GPU memory (cloud targets, vLLM on GPU pools, one node per
    replica), or `download` from the Hugging Face Hub into the shared cache; default: the fastest offered."""
    images: ImageDelivery | None = None
    """`cache` (the image on a disk each new node starts with, which `imageCache` names: aws, gcp), `stream` (EKS
    FastImagePull; GKE image streaming of an Artifact Registry image) or `pull`; default: the fastest the target
    offers a GPU model."""


class ClientConfig(ConfigModel):
    """Pods that may call a model: every pod of `namespace`, or only those carrying all of `podLabels`."""

    namespace: str | None = Field(default=None, pattern=DNS_LABEL, max_length=63)
    """The calling pods' namespace; default: the serving namespace (where `podLabels` is then required)."""
    pod_labels: dict[str, str] = Field(default_factory=dict)
    """Labels the calling pods all carry; empty: every pod of `namespace`. Required in the serving namespace."""


class JwtConfig(ConfigModel):
    """Callers that present a JWT of one OIDC issuer, checked by the stack's own Gateway against the issuer's keys."""

    issuer: str = Field(pattern=r"^https://[^\s'\"]+$", max_length=256)
    """The tokens' `iss` claim, e.g. `https://login.example.com/realms/llm`."""
    audiences: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(default_factory=list, max_length=64)
    """`aud` values a token must carry one of; empty: any audience."""
    jwks_url: str = Field(pattern=r"^https://[a-z0-9.-]+(:[0-9]{1,5})?/[^\s?#]+$", max_length=2000)
    """Where the issuer publishes its signing keys (HTTPS), e.g. `https://login.example.com/.well-known/jwks.json`."""


class AuthConfig(ConfigModel):
    """Who may call a model through the Gateway: the named clients, each with an API key the stack generates (a
    Pulumi secret), and how many requests each may make, or the holders of a JWT of one issuer (docs/manual.md, "Who
    can call a model")."""

    api_key_clients: list[Annotated[str, Field(pattern=DNS_LABEL, max_length=63)]] = Field(
        default_factory=list, max_length=15
    )
    """Names of the clients that each get an API key: `pulumi stack output apiKeys --show-secrets` reads them."""
    jwt: JwtConfig | None = None
    """Instead of API keys: tokens of one OIDC issuer (the stack's own Gateway only; no per-client limits)."""
    requests_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)
    """Requests each client may make per minute to one model, counted by each Gateway proxy replica; empty: no
    limit. Only the stack's own Gateway enforces it (not an existing Gateway)."""
    client_requests_per_minute: dict[Annotated[str, Field(pattern=DNS_LABEL, max_length=63)], int] = Field(
        default_factory=dict, max_length=15
    )
    """Per-client overrides of `requestsPerMinute` (client name → requests per minute, at least 1)."""
    tokens_per_minute: int | None = Field(default=None, ge=1, le=2_000_000_000)
    """LLM tokens (prompt and completion) each client may use per minute through a served name, counted by each
    Gateway proxy replica once a response completes; empty: no limit. agentgateway counts tokens only on a served
    name's route (its AI backend), so a model's own route takes no token limit."""
    client_tokens_per_minute: dict[Annotated[str, Field(pattern=DNS_LABEL, max_length=63)], int] = Field(
        default_factory=dict, max_length=15
    )
    """Per-client overrides of `tokensPerMinute` (client name → tokens per minute, at least 1)."""


class ModelServing(ConfigModel):
    """One model served behind one OpenAI-compatible endpoint."""

    hugging_face_id: str = Field(pattern=_HF_ID)
    """The model's `org/name` on the Hugging Face Hub."""
    revision: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._/-]{1,100}$")
    """A branch, tag or commit to pin the weights to; empty: the default branch."""
    engine: Engine = Engine.VLLM
    """vllm (a Deployment of vLLM), or kserve (an InferenceService; needs a `pool`)."""
    task: Task | None = None
    """`embed`: an embedding model on vLLM's pooling runner, answering /v1/embeddings; `generate`: chat and
    completions. Empty: the catalogue's task for the model, else generate (docs/manual.md "Embedding models")."""
    pool: str | None = None
    """The GPU pool the model runs on; absent: the model runs on CPU (vLLM's CPU build)."""
    min_replicas: int = Field(default=1, ge=0, le=100)
    """Replicas kept running; 0 (scale-to-zero, vllm only) puts KEDA's HTTP add-on in front of the model."""
    max_replicas: int | None = Field(default=None, ge=1, le=100)
    """The autoscaler's ceiling, at least `minReplicas`; empty: `minReplicas` (at least 1)."""
    context_length: int | None = Field(default=None, ge=256, le=10_000_000)
    """vLLM's `--max-model-len`; empty: the model's maximum, or the largest that fits. Set, it is never cut."""
    queue_per_replica: int = Field(default=4, ge=1, le=1000)
    """Requests waiting in vLLM's queue per replica before KEDA adds one (when maxReplicas > minReplicas)."""
    concurrency: int = Field(default=1, ge=1, le=1024)
    """Requests of `contextLength` tokens whose KV cache must fit at once (vLLM refuses to start below one)."""
    served_model_name: str | None = Field(default=None, min_length=1, max_length=200)
    """The `model` value clients send; empty: the `huggingFaceId`. No white space."""
    host: str | None = Field(default=None, pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$", max_length=253)
    """Expose the model outside the cluster on this DNS name, on the stack's Gateway with TLS (manual, "Exposure")."""
    path: str | None = Field(default=None, pattern=r"^(/[a-z0-9._~-]+)+$", max_length=100)
    """With `host`: route only requests under this path prefix to the model (the prefix is removed on the way)."""
    api_paths: list[ApiPath] = Field(default_factory=list, max_length=3)
    """With `host`, instead of `path`: route only these OpenAI paths of the host to the model, unchanged, so that an
    embedding and a chat model share one host and one base URL (docs/manual.md, "Retrieval-augmented example")."""
    canary_of: str | None = None
    """Serve the named model's route too (same host, path and served name), taking `weight` percent of its requests."""
    weight: int | None = Field(default=None, ge=0, le=100)
    """With `canaryOf`: the share of the route's requests, in percent, that this model gets."""
    routing: Routing = Routing.SERVICE
    """How its Gateway route picks a replica: the Service's load balancing, or (`inference`) an InferencePool whose
    endpoint picker reads each replica's queue and cache (stacks/config/rules/routing.py says where)."""
    objectives: dict[
        Annotated[str, Field(pattern=DNS_LABEL, max_length=63)], Annotated[int, Field(ge=-1000, le=1000)]
    ] = Field(default_factory=dict, max_length=20)
    """With `routing: inference`: InferenceObjectives of the model's pool, name → priority. A request naming one in its
    `x-llm-d-inference-objective` header is queued by that priority when the model is saturated (higher first; a
    request naming none has priority 0)."""
    auth: AuthConfig | None = None
    """With `host`: who may call the model through the Gateway, in place of the stack-wide `auth`."""
    public: bool = False
    """With `host`: serve the route to anyone, without authentication (`publicReason` required)."""
    public_reason: str | None = Field(default=None, min_length=10, max_length=300)
    """Why the route needs no authentication; required with `public: true`."""
    load_balancer: LoadBalancerConfig | None = None
    """Expose the model through a LoadBalancer Service restricted to source ranges."""
    clients: list[ClientConfig] = Field(default_factory=list, max_length=20)
    """Pods in the cluster that may call the model (and wake it when it sleeps); no other pod can."""
    cpu_cores: int = Field(default=4, ge=1, le=256)
    """CPU cores requested and limited per replica."""
    memory_gib: int = Field(default=16, ge=1, le=4096, alias="memoryGiB")
    """Memory in GiB requested and limited per replica."""
    architecture: ModelArchitectureConfig | None = None
    """Required on GPU pools for a model the built-in catalogue lacks: the numbers sizing needs."""
    kv_cache_dtype: KvCacheDtype = "auto"
    """`--kv-cache-dtype`: fp8 halves the KV cache per token (GPUs of compute capability 8.9 and up)."""
    slo: SloConfig | None = None
    """Latency objectives at p95 (docs/manual.md, "Observability"), alerted on their error budget's burn rate."""
    cold_start: ColdStartConfig = ColdStartConfig()
    """Where a new replica's weights and image come from (docs/manual.md, "What waking costs")."""
    nodes_per_replica: int | None = Field(default=None, ge=1, le=16)
    """Nodes each replica spans (manual, "Models past one node"); default: the fewest of its pool's that start it."""

    @field_validator("served_model_name")
    @classmethod
    def _no_whitespace(cls, value: str | None) -> str | None:
        if value is not None and any(ch.isspace() for ch in value):
            raise ValueError("must not contain white space")
        return value


class ServedOrder(enum.StrEnum):
    """The order a served name tries its models in."""

    LISTED = "listed"
    CHEAPEST = "cheapest"


MAX_SERVED_CANDIDATES = 8
"""agentgateway v1.4.1 AgentgatewayBackend `spec.ai.groups`: at most 8 priority groups, one per model."""


class ServedName(ConfigModel):
    """One OpenAI `model` name in front of several models of the stack, tried in order with fallback on the stack's
    Gateway (docs/manual.md, "One name, several models")."""

    models: list[Annotated[str, Field(min_length=1, max_length=63)]] = Field(
        min_length=2, max_length=MAX_SERVED_CANDIDATES
    )
    """The models behind the name, by their key under `models`: the first ready one answers, the next on failure."""
    order: ServedOrder = ServedOrder.LISTED
    """`listed`: as written; `cheapest`: by the plan's price of one replica-hour of each model, cheapest first."""
    host: str = Field(pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$", max_length=253)
    """The DNS name clients call, on the stack's Gateway with TLS, as a model's `host`."""
    path: str | None = Field(default=None, pattern=r"^(/[a-z0-9._~-]+)+$", max_length=100)
    """Only requests under this path prefix (removed on the way), as a model's `path`."""
    auth: AuthConfig | None = None
    """Who may call the name, replacing the stack-wide `auth` for its route (as a model's `auth`)."""
    public: bool = False
    """Serve the name's route without authentication; needs `publicReason`."""
    public_reason: str | None = Field(default=None, min_length=10, max_length=300)
    """Why the route needs no authentication; required with `public: true`."""


# registry/repository[:tag]@sha256:<64 hex digits>: the image a digest names can never change under a tag.
class PriceOverride(ConfigModel):
    """A price the stack gives where the catalogue has none or the user pays another (components/catalog/prices.py):
    a machine type's `onDemand` and `spot` USD per hour, or a fixed item's `usd` in the catalogue's unit."""

    on_demand: float | None = Field(default=None, gt=0, le=10_000)
    """A machine type's on-demand price, USD per node-hour."""
    spot: float | None = Field(default=None, gt=0, le=10_000)
    """A machine type's spot price, USD per node-hour (unset: the catalogue's, or on-demand as its upper bound)."""
    usd: float | None = Field(default=None, gt=0, le=10_000)
    """A fixed item's price (a control plane, a NAT gateway, a cache), in the catalogue's unit for that item."""
    source: str | None = Field(default=None, min_length=3, max_length=300)
    """Where the price comes from (a price page, a quote); shown next to it in the cost output."""


_DIGEST_PINNED_IMAGE = r"^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}$"


class VectorStoreConfig(ConfigModel):
    """PostgreSQL with pgvector (CloudNativePG) that only `applicationNamespace` reaches, its credentials delivered
    there as the Secret `vector-store` (libpq's PG* variables)."""

    application_namespace: str = Field(pattern=DNS_LABEL, max_length=63)
    """The application's namespace, which the stack creates (Pod Security "restricted"): the only one whose pods may
    connect to the database."""
    instances: int = Field(default=1, ge=1, le=5)
    """PostgreSQL instances: one primary, the rest streaming replicas that take over when it fails."""
    storage_gib: int = Field(default=20, ge=1, le=16_000, alias="storageGiB")
    """Each instance's volume, encrypted at rest (the stack's encrypted gp3 class on aws; the default Persistent
    Disk and Azure Disk classes, encrypted by the cloud, on gcp and azure)."""
    storage_class: str | None = Field(default=None, pattern=DNS_LABEL, max_length=63)
    """A StorageClass of the cluster instead; required on `existing`, whose classes the stack cannot know to be
    encrypted."""
    cpu_cores: int = Field(default=1, ge=1, le=64)
    """CPU cores requested and limited per instance."""
    memory_gib: int = Field(default=2, ge=1, le=512, alias="memoryGiB")
    """Memory in GiB requested and limited per instance."""


class RawConfig(ConfigModel):
    """The scalar keys of the stack configuration; the maps (`gpuPools`, `models`) are checked entry by
    entry so that one bad pool does not hide the problems of the others."""

    target: Target
    """Where the cluster is: aws (EKS), gcp (GKE), azure (AKS), or existing (a cluster in your kubeconfig)."""
    region: str | None = Field(default=None, pattern=r"^[a-z0-9-]{2,40}$")
    """The cloud's region (components/catalog/regions.py); required for aws, gcp and azure, refused for existing."""
    kubernetes_version: str = "1.34"
    """Kubernetes minor version of the cluster: 1.32, 1.33, 1.34 or 1.35."""
    cluster_name: str | None = Field(default=None, pattern=DNS_LABEL, max_length=40)
    """Name of the cluster; empty: `llm-<stack>`."""
    kubeconfig_context: str | None = Field(default=None, min_length=1, max_length=253)
    """existing: the kubeconfig context to deploy to; empty: the current context."""
    namespace: DnsLabel = "llm-serving"
    """Namespace the models are served from; not one the cluster or the add-ons own. Also names the PriorityClass."""
    public_api_cidrs: list[str] = Field(default_factory=list, max_length=40)
    """Cloud targets: CIDRs that may reach the public API endpoint; empty: the endpoint is private only."""
    public_api_reason: str | None = Field(default=None, min_length=10, max_length=300)
    """Why the API needs a public endpoint (CIS: the endpoint should be private); required with publicApiCidrs."""
    network_cidr: str = "10.0.0.0/16"
    """Cloud targets: the IPv4 range (/16 to /20, in 10.0.0.0/8 or 192.168.0.0/16) of the network the stack creates."""
    availability_zones: int = Field(default=3, ge=2, le=6)
    """Cloud targets: zones for the network and the system pool."""
    existing_subnet_ids: list[str] = Field(default_factory=list, max_length=16)
    """aws: subnet ids; azure: one subnet resource id; empty: the stack creates the network."""
    gcp_project: str | None = Field(default=None, pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
    """gcp only, and then required: the Google Cloud project id."""
    system_instance_type: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{2,60}$")
    """Cloud targets: machine type of the system (add-on) pool; empty: the cloud's default."""
    system_nodes: int = Field(default=2, ge=1, le=10)
    """Cloud targets: system nodes (the autoscaler may add up to two more)."""
    deployer_principal_type: DeployerType | None = None
    """azure: who runs Pulumi and gets the cluster's RBAC Cluster Admin role; empty: user."""
    deployer_group_object_id: str | None = Field(default=None, pattern=_GUID)
    """azure, with deployerPrincipalType group: the group's object id."""
    deletion_protection: bool = True
    """aws, gcp: the cloud refuses to delete the cluster until this is false (AKS has no such setting)."""
    monitoring: bool = False
    """GPU metrics: the DCGM exporter and a ServiceMonitor (Prometheus Operator CRDs needed), or GKE's managed DCGM."""
    prometheus_url: str | None = Field(default=None, pattern=r"^https?://[A-Za-z0-9.:/_-]+$")
    """A Prometheus to read model queues from; empty: the stack installs one when a model autoscales."""
    grafana: bool = False
    """With monitoring: Grafana in the stack's kube-prometheus-stack, with the models' and GPUs' dashboards."""
    model_cache_storage_class: str | None = Field(default=None, pattern=DNS_LABEL, max_length=63)
    """A ReadWriteMany StorageClass for the models' weight cache; empty: the cloud's (AKS Azure Files; EFS or Filestore
    the aws or gcp stack creates) or none (existing: emptyDir)."""
    model_cache_gib: int = Field(default=200, ge=10, le=100_000, alias="modelCacheGiB")
    """Size of each model's weight cache; it can only grow (Kubernetes never shrinks a claim)."""
    tls_cluster_issuer: str | None = Field(default=None, pattern=DNS_LABEL, max_length=63)
    """A cert-manager ClusterIssuer of yours that signs the Gateway's certificates; or set acmeEmail."""
    acme_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,63}$", max_length=254)
    """The stack creates a Let's Encrypt ClusterIssuer (HTTP-01 through the Gateway) registered to this address."""
    existing_gateway: str | None = Field(
        default=None, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
    )
    """`namespace/name` of a Gateway the cluster already runs; empty: the stack installs its own."""
    gateway_internal: bool = False
    """Cloud targets: the stack's Gateway gets a private address in the cluster's network, not a public one."""
    gateway_source_ranges: list[str] = Field(default_factory=list, max_length=40)
    """aws, gcp, azure: CIDR blocks that may reach the stack's public agentgateway Gateway (its Service's
    loadBalancerSourceRanges; on azure also the node subnet's NSG); empty: the whole internet."""
    install_device_plugin: bool = True
    """existing: install the NVIDIA device plugin on the GPU pools; false when the cluster runs one already."""
    vllm_image: str | None = Field(default=None, pattern=_DIGEST_PINNED_IMAGE, max_length=400)
    """vLLM's CUDA image pinned by digest (a mirror's copy, say); empty: the release tag in components/versions.py."""
    vllm_cpu_image: str | None = Field(default=None, pattern=_DIGEST_PINNED_IMAGE, max_length=400)
    """vLLM's CPU image pinned by digest; empty: the release tag in components/versions.py."""
    image_cache: str | None = Field(default=None, max_length=200)
    """aws: an EBS snapshot ID, gcp: a disk image (`global/images/NAME`), holding the GPU models' images, built once
    (docs/manual.md, "Images cached on the node"); GPU pools of models with `coldStart.images: cache` (the default
    when set) start their nodes with it. Empty: no image cache."""
    max_hourly_cost: float | None = Field(default=None, gt=0, le=1_000_000)
    """USD per hour the autoscalers' ceiling may cost at list prices (stacks/budget.py); empty: no limit."""
    max_idle_hourly_cost: float | None = Field(default=None, gt=0, le=1_000_000)
    """USD per hour what runs at minimum scale may cost at list prices; empty: no limit."""


# Top-level keys that hold YAML maps or lists (JSON strings at runtime) rather than scalars.
OBJECT_KEYS = frozenset({"gpuPools", "models", "priceOverrides", "vectorStore", "auth", "servedNames"})


LIST_KEYS = frozenset({"publicApiCidrs", "existingSubnetIds", "gatewaySourceRanges"})


# Keys whose empty default means "not set": only meaningful for some targets.
CLOUD_ONLY_KEYS = ("publicApiCidrs", "publicApiReason", "existingSubnetIds", "gcpProject", "systemInstanceType")


SECRET_KEYS = ("hfToken", *ALERT_RECEIVER_KEYS)
"""Keys that may only come from Pulumi secrets (`pulumi config set --secret`)."""


PATTERN_HINTS = {
    DNS_LABEL: "use lowercase letters, digits and '-', starting with a letter (a Kubernetes name)",
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
    r"^https://[^\s'\"]+$": "use the issuer's https URL, as its tokens' `iss` claim says it",
    r"^https://[a-z0-9.-]+(:[0-9]{1,5})?/[^\s?#]+$": (
        "use the https URL of the issuer's JSON Web Key Set, such as 'https://login.example.com/.well-known/jwks.json'"
    ),
    r"^https?://[A-Za-z0-9.:/_-]+$": (
        "use an http(s) URL of host, port and path, such as "
        "'http://prometheus-operated.monitoring.svc:9090' (no query or credentials)"
    ),
}


CLOUD_OF_TARGET = {Target.AWS: Cloud.AWS, Target.GCP: Cloud.GCP, Target.AZURE: Cloud.AZURE}
"""The catalogue's cloud of each cloud target (`existing` has none)."""
FIELD_NAMES = {field.alias or name: name for name, field in RawConfig.model_fields.items()}
"""Top-level keys as written (camelCase) -> the attribute of `RawConfig`."""
