"""One model served by vLLM's OpenAI-compatible server: Deployment, Service, ServiceAccount, NetworkPolicy.

The pod spec is built by pure functions (`vllm_args`, `rollout_strategy`, `probes`) so that each rule
is tested on its own; the component only wires them to Kubernetes objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.clusters.contract import GpuPlacement
from components.serving import awaits
from components.serving.clients import Client
from components.serving.guards import ModelFootprint
from components.serving.metadata import (
    METRICS_NAMESPACES,
    model_labels,
    model_selector,
    namespace_peer,
    restricted_container_security,
    scanner_skips,
)
from components.serving.pooling import pooling_flags
from components.serving.route_auth import vllm_key_flags, vllm_key_volume
from components.serving.weights import StreamedWeights, streaming_flags

PORT = 8000
HEALTH_PATH = "/health"
"""Answers 200 once the model is loaded: the probes' path, and the load balancers' health checks."""
UID = 10001
"""Non-root user the server runs as; above 10000 so it maps to no user of the node."""

# Shutdown, in the order it happens: the endpoint is removed while preStop sleeps, then vLLM drains
# in-flight requests for up to SHUTDOWN_TIMEOUT, then the kubelet kills. The grace period must be
# strictly longer than both together (../shared/SECURITY.md §4.5, R3).
PRE_STOP_SLEEP_SECONDS = 15
SHUTDOWN_TIMEOUT_SECONDS = 60
TERMINATION_GRACE_SECONDS = PRE_STOP_SLEEP_SECONDS + SHUTDOWN_TIMEOUT_SECONDS + 15

# The startup probe's budget when nothing predicts it; a model's own is twice its predicted load and engine start, at
# least this when it downloads from the Hub (whose throughput is the least certain figure), and as long as a large
# download needs (components/cold_start.py, `startup_budget_seconds`). Liveness only starts after it (§4.1, R2).
STARTUP_BUDGET_SECONDS = 1800
PROBE_PERIOD_SECONDS = 10
# The startup probe's clock starts only once the image is pulled, after any node scale-up: one rollout step
# (a new pod ready) may take up to twice the budget before Kubernetes calls the rollout stalled (per model:
# VllmServerArgs.progress_deadline_seconds).
PROGRESS_DEADLINE_SECONDS = 2 * STARTUP_BUDGET_SECONDS

# Hugging Face token, when the stack has one: a file, never an environment variable (K1).
TOKEN_DIR = "/var/run/secrets/huggingface"
MODEL_CACHE_DIR = "/model-cache"
CPU_KV_CACHE_GIB = 2
"""KV cache the CPU backend reserves (VLLM_CPU_KVCACHE_SPACE); counted in the memory request."""


TAG_PIN_EXCEPTIONS = {
    "CKV_K8S_43": "pinned to a release tag in components/versions.py; a digest cannot be resolved and "
    "verified without registry access (set vllmImage/vllmCpuImage to pin one)",
    "CKV_K8S_15": "IfNotPresent: the image is pinned to a release tag, and re-pulling several GB on every "
    "start would lengthen each cold start",
}
"""Scanner checks waived for a tag-pinned vLLM image, each with its reason (K2 holds as such with a digest)."""


def image_pin_exceptions(image: str) -> dict[str, str]:
    return {} if "@sha256:" in image else TAG_PIN_EXCEPTIONS


@dataclass(frozen=True, kw_only=True)
class VllmServerArgs:
    namespace: pulumi.Input[str]
    """Namespace to serve from."""
    image: str
    """Pinned vLLM image: the GPU build when `pool` is set, the CPU build otherwise."""
    model_id: str
    """Hugging Face id of the model."""
    served_model_name: str
    """The `model` value OpenAI clients send."""
    replicas: int
    """Replicas to run (the minimum when an autoscaler manages the Deployment)."""
    max_replicas: int
    """The most replicas that may ever run; used to decide whether a rollout may surge."""
    cpu_surge: bool = True
    """On CPU: the nodes can make room for one more replica during a rollout (a cloud target's autoscaled
    system pool). False on a cluster whose spare capacity the stack cannot know (`existing`)."""
    autoscaled: bool = False
    """KEDA owns the replica count: the Deployment leaves `replicas` to it (Pulumi would reset it each update)."""
    context_length: int | None = None
    """`--max-model-len`; None: the model's own maximum."""
    revision: str | None = None
    """Model revision (branch, tag or commit) to pin the weights to."""
    placement: GpuPlacement | None = None
    """GPU pools to run on (the model's pool and its stand-ins); None: CPU nodes."""
    gpus: int = 1
    """GPUs per replica (the tensor-parallel size); ignored on CPU."""
    gpu_memory_utilization: float = 0.9
    """`--gpu-memory-utilization`: vLLM's share of each GPU (less on a time-sliced GPU); ignored on CPU."""
    kv_cache_dtype: str = "auto"
    """`--kv-cache-dtype`: auto (the model's dtype) or fp8 (half the bytes per token; sizing counts it so).
    Quantized weights need no flag: vLLM reads the format from the checkpoint's `quantization_config`."""
    cpu_cores: int = 4
    """CPU cores requested (and limited to) per replica."""
    memory_gib: int = 16
    """Memory requested (and limited to) per replica, GiB."""
    hf_token_secret: pulumi.Input[str] | None = None
    """Name of a Secret with key `token` in the namespace, or None for public models."""
    priority_class: pulumi.Input[str] | None = None
    """PriorityClass of the pods (ServingGuards')."""
    cache_claim: pulumi.Input[str] | None = None
    """A ReadWriteMany claim holding the weight cache, shared by the replicas; None: an emptyDir per pod."""
    metrics_from_namespaces: tuple[str, ...] = METRICS_NAMESPACES
    """Namespaces whose pods may scrape /metrics (Prometheus Operator; GKE Managed Prometheus's collectors)."""
    clients: tuple[Client, ...] = ()
    """Pods that may call the API: the configured clients, the ingress controller of an exposed model, the HTTP
    add-on's interceptor of a sleeping one. No other pod, of the namespace or elsewhere, may."""
    clients_from_cidrs: tuple[str, ...] = ()
    """Client address ranges that may call the API (through a load balancer that keeps the client's address)."""
    startup_budget_seconds: int = STARTUP_BUDGET_SECONDS
    """How long the startup probe waits for /health (the model's predicted weights and engine start, twice over;
    components/cold_start.py)."""
    weights: StreamedWeights | None = None
    """Weights streamed from the stack's object storage; None: downloaded from the Hub into the cache."""

    @property
    def progress_deadline_seconds(self) -> int:
        return 2 * self.startup_budget_seconds

    task: str = "generate"
    """`embed`: vLLM's pooling runner, answering /v1/embeddings (components/serving/pooling.py)."""
    api_key_route: str | None = None
    """Behind a Gateway that checks no key itself: the route whose Secret holds the clients' keys, which vLLM checks
    (`--api-key` from a mounted config file, components/serving/route_auth.py)."""
    max_queued_requests: int | None = None
    """`--max-num-queued-reqs`: past this many requests in flight (running and waiting) a replica answers 503 at
    once instead of queueing (vLLM v0.31 config/scheduler.py), which a served name's gateway takes as saturation and
    falls back on; None: vLLM's unbounded queue."""


def vllm_args(args: VllmServerArgs) -> list[pulumi.Input[str]]:
    """The server's command-line arguments: the model from the Hub (into the cache), or streamed from its prefix in
    the stack's object storage (components/serving/weights.py)."""
    flags: list[pulumi.Input[str]] = [
        args.model_id if args.weights is None else args.weights.uri,
        "--served-model-name",
        args.served_model_name,
        "--port",
        str(PORT),
        "--shutdown-timeout",
        str(SHUTDOWN_TIMEOUT_SECONDS),
        *pooling_flags(args.task),
    ]
    if args.weights is not None:
        flags += streaming_flags(args.gpus if args.placement is not None else 1)
    else:
        flags += ["--download-dir", f"{MODEL_CACHE_DIR}/hub"]
        if args.revision is not None:
            flags += ["--revision", args.revision]
    if args.context_length is not None:
        flags += ["--max-model-len", str(args.context_length)]
    if args.max_queued_requests is not None:
        flags += ["--max-num-queued-reqs", str(args.max_queued_requests)]
    if args.placement is not None:
        flags += ["--tensor-parallel-size", str(args.gpus)]
        flags += ["--gpu-memory-utilization", f"{args.gpu_memory_utilization:g}"]
        if args.kv_cache_dtype != "auto":
            flags += ["--kv-cache-dtype", args.kv_cache_dtype]
    if args.api_key_route is not None:
        flags += vllm_key_flags()
    return flags


def rollout_strategy(args: VllmServerArgs) -> dict[str, object]:
    """Surge one pod when the capacity for it can exist, otherwise replace in place.

    A surge pod needs a spare GPU. When the pools' largest size cannot hold one more replica than the
    model may run, a surge would stay Pending until the progress deadline, so the rollout takes one
    replica down first instead (SECURITY.md §4.2, R4). On CPU the same holds where the stack cannot
    know the nodes' spare capacity (a laptop's kind node holds one model pod, not two).
    """
    if args.placement is None:
        surge = 1 if args.cpu_surge else 0
        return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": 1 - surge}}
    if surge_pods(args.placement.capacity(args.gpus), args.max_replicas):
        return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}


def surge_pods(capacity: int | None, max_replicas: int) -> int:
    """Pods a rollout adds beyond `max_replicas`: one when the pools' `capacity` (replicas at their largest; None on
    CPU nodes, which no pool bounds) holds one more, else none. GPU node sizing counts the same pod."""
    return 1 if capacity is None or capacity >= max_replicas + 1 else 0


def probes(startup_budget_seconds: int = STARTUP_BUDGET_SECONDS) -> dict[str, object]:
    """httpGet probes on /health, which answers only once the model is loaded (SECURITY.md §4.1)."""
    health = {"path": HEALTH_PATH, "port": "http"}
    return {
        "startupProbe": {
            "httpGet": health,
            "periodSeconds": PROBE_PERIOD_SECONDS,
            "timeoutSeconds": 5,
            "failureThreshold": startup_budget_seconds // PROBE_PERIOD_SECONDS,
        },
        "readinessProbe": {"httpGet": health, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {"httpGet": health, "periodSeconds": 15, "timeoutSeconds": 10, "failureThreshold": 4},
    }


def footprint(args: VllmServerArgs) -> ModelFootprint:
    """Pods at the largest scale plus the rollout's surge, with what each requests."""
    surge = rollout_strategy(args)["rollingUpdate"]["maxSurge"]  # type: ignore[index]
    return ModelFootprint(
        pods=args.max_replicas + int(surge),
        gpus_per_pod=args.gpus if args.placement is not None else 0,
        cpu_per_pod=args.cpu_cores,
        memory_gib_per_pod=args.memory_gib,
    )


def environment(args: VllmServerArgs) -> list[dict[str, pulumi.Input[str]]]:
    env: list[dict[str, pulumi.Input[str]]] = [
        # The root filesystem is read-only: every cache goes to a mounted volume.
        {"name": "HOME", "value": "/tmp"},
        # UID 10001 has no passwd entry; getpass.getuser() (torch's compile cache) then needs LOGNAME.
        {"name": "LOGNAME", "value": "vllm"},
        {"name": "HF_HOME", "value": f"{MODEL_CACHE_DIR}/huggingface"},
        {"name": "VLLM_NO_USAGE_STATS", "value": "1"},
        {"name": "DO_NOT_TRACK", "value": "1"},
    ]
    if args.placement is None:
        env.append({"name": "VLLM_CPU_KVCACHE_SPACE", "value": str(CPU_KV_CACHE_GIB)})
    if args.hf_token_secret is not None:
        env.append({"name": "HF_TOKEN_PATH", "value": f"{TOKEN_DIR}/token"})
    if args.weights is not None:
        env.extend({"name": name, "value": value} for name, value in args.weights.env)
    return env


def resources(args: VllmServerArgs) -> dict[str, dict[str, str]]:
    amounts = {"cpu": str(args.cpu_cores), "memory": f"{args.memory_gib}Gi"}
    if args.placement is not None:
        # Extended resources cannot be overcommitted: request must equal limit (GPU-1).
        amounts["nvidia.com/gpu"] = str(args.gpus)
    return {"requests": dict(amounts), "limits": dict(amounts)}


def pod_volumes(args: VllmServerArgs) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    volumes: list[dict[str, object]] = [
        # Also holds torch.compile's cache (HOME is /tmp).
        {"name": "tmp", "emptyDir": {"sizeLimit": "4Gi"}},
        (
            {"name": "model-cache", "persistentVolumeClaim": {"claimName": args.cache_claim}}
            if args.cache_claim is not None
            else {"name": "model-cache", "emptyDir": {"sizeLimit": "100Gi"}}
        ),
    ]
    mounts: list[dict[str, object]] = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "model-cache", "mountPath": MODEL_CACHE_DIR},
    ]
    shared_memory = shared_memory_gib(args)
    if shared_memory:
        # The container runtime's default /dev/shm is 64 MiB; it counts against the memory limit.
        volumes.append({"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": f"{shared_memory}Gi"}})
        mounts.append({"name": "dshm", "mountPath": "/dev/shm"})
    if args.hf_token_secret is not None:
        volumes.append(
            {
                "name": "hf-token",
                "secret": {
                    "secretName": args.hf_token_secret,
                    "defaultMode": 0o440,
                    "items": [{"key": "token", "path": "token"}],
                },
            }
        )
        mounts.append({"name": "hf-token", "mountPath": TOKEN_DIR, "readOnly": True})
    if args.api_key_route is not None:
        volume, mount = vllm_key_volume(args.api_key_route)
        volumes.append(volume)
        mounts.append(mount)
    return volumes, mounts


CONTAINER_SECURITY = restricted_container_security(UID)
POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": UID,
    "runAsGroup": UID,
    "fsGroup": UID,
    # A 100 GB cache would otherwise be chown-ed on every start (SECURITY.md §4.6).
    "fsGroupChangePolicy": "OnRootMismatch",
    "seccompProfile": {"type": "RuntimeDefault"},
}


def spread(selector: dict[str, str]) -> list[dict[str, object]]:
    """Spread replicas over nodes when possible; GPUs are scarce, so never leave a pod Pending for it."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector},
        }
    ]


def model_service(
    name: str, namespace: str, labels: dict[str, str], selector: dict[str, str], opts: pulumi.ResourceOptions
) -> k8s.core.v1.Service:
    """The model's ClusterIP Service on vLLM's port: what routes, clients and the wake path address."""
    return k8s.core.v1.Service(
        f"{name}-service",
        metadata={"name": name, "namespace": namespace, "labels": labels, "annotations": awaits.model_service()},
        spec={
            "type": "ClusterIP",
            "selector": selector,
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
        opts=opts,
    )


def serving_network_policy(
    name: str, args: VllmServerArgs, selector: dict[str, str], labels: dict[str, str], opts: pulumi.ResourceOptions
) -> k8s.networking.v1.NetworkPolicy:
    """The model's pods accept its clients and Prometheus on the API port, nothing else; they send to DNS and to
    HTTPS (the Hugging Face Hub), never to the cloud metadata endpoint (N1)."""
    return k8s.networking.v1.NetworkPolicy(
        f"{name}-network-policy",
        metadata={"name": f"{name}-serving", "namespace": args.namespace, "labels": labels},
        spec={
            "podSelector": {"matchLabels": selector},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": serving_ingress_rules(args),
            "egress": [
                {
                    "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                },
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}],
                    "ports": [{"port": 443, "protocol": "TCP"}],
                },
                *(args.weights.credential_egress if args.weights is not None else ()),
            ],
        },
        opts=opts,
    )


def serving_ingress_rules(args: VllmServerArgs) -> list[dict[str, object]]:
    """Who may connect to the API port: the clients and the load balancer's source ranges, then Prometheus, which
    scrapes /metrics on the same port. A rule whose peers are empty would admit every source, so there is none."""
    clients = [
        *(client.peer() for client in args.clients),
        *({"ipBlock": {"cidr": cidr}} for cidr in args.clients_from_cidrs),
    ]
    scrapers = [namespace_peer(namespace) for namespace in args.metrics_from_namespaces]
    return [{"from": peers, "ports": [{"port": "http", "protocol": "TCP"}]} for peers in (clients, scrapers) if peers]


def disruption_budget(
    name: str, args: VllmServerArgs, selector: dict[str, str], labels: dict[str, str], opts: pulumi.ResourceOptions
) -> k8s.policy.v1.PodDisruptionBudget:
    """One pod at a time may be evicted (drains, scale-down), whatever the replica count, so a drain never
    waits forever (R6, SECURITY.md §4.3); pods that are not ready never block it."""
    return k8s.policy.v1.PodDisruptionBudget(
        f"{name}-disruption-budget",
        metadata={"name": name, "namespace": args.namespace, "labels": labels},
        spec={"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "AlwaysAllow", "selector": {"matchLabels": selector}},
        opts=opts,
    )


def shared_memory_gib(args: VllmServerArgs) -> int:
    """/dev/shm to mount: the CPU backend's processes exchange tensors through it (vLLM's CPU docs run with
    --shm-size=4g), and tensor-parallel GPU workers use it for NCCL. None for a single GPU."""
    if args.placement is None:
        return 2
    return 16 if args.gpus > 1 else 0


def placement(args: VllmServerArgs) -> dict[str, object]:
    if args.placement is None:
        return {"nodeSelector": {"kubernetes.io/os": "linux"}}
    return {
        "nodeSelector": {"kubernetes.io/os": "linux", **args.placement.node_selector},
        "tolerations": [toleration.as_input() for toleration in args.placement.tolerations],
    }


class VllmServer(pulumi.ComponentResource):
    """A model behind vLLM's OpenAI-compatible API, reachable in the cluster at `base_url`.

    Example::

        VllmServer("chat", VllmServerArgs(namespace=ns.name, image=versions.VLLM_CPU_IMAGE,
                   model_id="Qwen/Qwen2.5-0.5B-Instruct", served_model_name="qwen", replicas=1, max_replicas=1))
    """

    base_url: pulumi.Output[str]
    """The in-cluster OpenAI base URL, `http://<service>.<namespace>.svc.cluster.local:8000/v1`."""
    service_name: pulumi.Output[str]
    """Name of the ClusterIP Service in front of the model."""

    def __init__(self, name: str, args: VllmServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:VllmServer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = model_labels("vllm", name)
        selector = model_selector("vllm", name)

        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={
                "name": name,
                "namespace": args.namespace,
                "labels": labels,
                **({"annotations": args.weights.account_annotations} if args.weights is not None else {}),
            },
            automount_service_account_token=False,
            opts=child,
        )
        volumes, mounts = pod_volumes(args)
        container = {
            "name": "vllm",
            "image": args.image,
            "imagePullPolicy": "IfNotPresent",
            "args": vllm_args(args),
            "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
            "env": environment(args),
            "resources": resources(args),
            **probes(args.startup_budget_seconds),
            "lifecycle": {"preStop": {"sleep": {"seconds": PRE_STOP_SLEEP_SECONDS}}},
            "securityContext": CONTAINER_SECURITY,
            "volumeMounts": mounts,
        }
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={
                "name": name,
                "namespace": args.namespace,
                "labels": labels,
                "annotations": {
                    **awaits.model_workload(
                        progress_deadline_seconds=args.progress_deadline_seconds, max_replicas=args.max_replicas
                    ),
                    **scanner_skips(image_pin_exceptions(args.image)),
                },
            },
            spec={
                **({} if args.autoscaled else {"replicas": args.replicas}),
                "revisionHistoryLimit": 3,
                "progressDeadlineSeconds": args.progress_deadline_seconds,
                "strategy": rollout_strategy(args),
                "selector": {"matchLabels": selector},
                "template": {
                    "metadata": {"labels": {**labels, **(args.weights.pod_labels if args.weights is not None else {})}},
                    "spec": {
                        "serviceAccountName": account.metadata.name,
                        "automountServiceAccountToken": False,
                        "enableServiceLinks": False,
                        "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
                        "priorityClassName": args.priority_class,
                        "securityContext": POD_SECURITY,
                        **placement(args),
                        "topologySpreadConstraints": spread(selector),
                        "containers": [container],
                        "volumes": volumes,
                    },
                },
            },
            opts=child,
        )
        service = model_service(name, args.namespace, labels, selector, child)
        serving_network_policy(name, args, selector, labels, child)
        disruption_budget(name, args, selector, labels, child)
        self.service_name = service.metadata.name
        self.base_url = pulumi.Output.format(
            "http://{0}.{1}.svc.cluster.local:{2}/v1", service.metadata.name, service.metadata.namespace, PORT
        )
        self.deployment_name = deployment.metadata.name
        self.register_outputs({"baseUrl": self.base_url})
