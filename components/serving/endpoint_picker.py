"""`routing: inference`: a model's InferencePool and its endpoint picker (EPP), which the Gateway asks, request by
request, which replica to send to (the shortest queue, the most free KV cache, a cached prefix).

The picker is llm-d-router's released image, deployed as plain objects rather than its chart: the chart
(llm-d-router-gateway at v0.10.0, templates in config/charts/routerlib) sets no security context and offers none,
which the serving namespace's Pod Security "restricted" refuses. What is written here follows that chart at v0.10.0
(routerlib templates _deployment.yaml, _rbac.yaml, _leader-election-rbac.yaml, _service.yaml, _config.yaml,
_inferencepool.yaml; llm-d-router-gateway templates rbac.yaml): the arguments, the ports (9002 ext-proc, 9003 gRPC
health, 9090 metrics), two replicas with leader election under the Recreate strategy, the Roles and the default
scheduling profile in the `llm-d.ai/v1alpha1` config API. The chart's gke.yaml (GKE's HealthCheckPolicy and
GCPBackendPolicy) is for GKE's managed Gateway, which the stack no longer uses: agentgateway is its Gateway on GKE too.

Leader election: only the leader is Ready (cmd/epp/runner/health.go at v0.10.0: the `readiness` service needs
`isLeader`), so the Service sends ext-proc to the leader alone and the standby takes over when its lease lapses.
Hence no PodDisruptionBudget: one counts Ready pods, and with one Ready pod of two any budget either allows nothing
(the leader's node never drains) or protects nothing. And Pulumi waits for one Ready replica, not two.

Fail-open: the pool's `endpointPickerRef.failureMode` is FailOpen, so when the picker does not answer the Gateway
sends the request to a replica of the pool by its own load balancing instead of failing it. agentgateway v1.4.1 reads
it so (controller/pkg/agentgateway/plugins/inference_plugin.go: FailOpen, else FAIL_CLOSED; crates/agentgateway/src/
proxy/httpproxy.rs select_service_target_port: a failed-open request goes to a random endpoint of the pool). It calls
the picker over TLS without verifying it (inference_plugin.go, "inferencetls"), which the picker serves by default
(`--secure-serving`, pkg/epp/server/options.go); llm-d-router's charts turn it off only for their standalone
agentgateway proxy, which this is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.observability.picker_alerts import picker_rules as picker_alert_rules
from components.observability.vllm_monitor import SCRAPE_INTERVAL
from components.observability.watch import prometheus_rule
from components.serving.awaits import SKIP_AWAIT, WAIT_FOR
from components.serving.clients import Client
from components.serving.guards import ModelFootprint
from components.serving.inference_objectives import API_VERSION as OBJECTIVE_API_VERSION
from components.serving.inference_objectives import FLOW_CONTROL_GATE, objective_spec
from components.serving.metadata import (
    DNS_EGRESS,
    METRICS_NAMESPACES,
    PART_OF,
    namespace_peer,
    restricted_container_security,
    scanner_skips,
)

EXT_PROC_PORT = 9002
"""The picker's external-processing (gRPC, Envoy's ext_proc API) port, which the Gateway's proxies call."""
HEALTH_PORT = 9003
"""Its gRPC health server, for the kubelet's probes: `liveness` (the process answers) and `readiness` (the leader,
synced with its pool), the services the chart probes with more than one replica."""
METRICS_PORT = 9090
REPLICAS = 2
"""A leader and a standby (`--ha-enable-leader-election`, lease `epp-<namespace>-<pool>.llm-d.ai`)."""
UID = 65532
"""distroless `nonroot`, the picker image's base (Dockerfile.epp at v0.10.0: BASE_IMAGE
gcr.io/distroless/static:nonroot, USER 65532:65532)."""
MODE_LABEL = {"llm-d.ai/igw-mode": "llm-d-router-gateway"}
"""The chart's mode label on the picker and its pods, for a picker behind a Gateway's InferencePool."""
CPU_CORES, MEMORY_GIB = 1, 2
"""Per picker pod; the chart asks 4 cores and 8 GiB, sized for scale tests at high request rates."""
API_SERVER_PORT = 443
METADATA_ENDPOINT = "169.254.169.254/32"
SCANNER_EXCEPTIONS = {
    "CKV_K8S_43": "pinned to a release tag in components/versions.py; a digest cannot be resolved and verified "
    "without registry access",
    "CKV_K8S_38": "the picker watches its InferencePool and the pool's pods through the API server, with its token",
}
"""Scanner checks waived for the picker's Deployment, each with its reason."""
PLUGINS_FILE = "default-plugins.yaml"
# The chart's default scheduling profile for vLLM over HTTP (routerlib/templates/_config.yaml at v0.10.0): score by
# queue, KV-cache use and prefix-cache hits, reading each replica's vLLM /metrics on its serving port.
PLUGINS = """\
apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: prefix-cache-scorer
- type: metrics-data-source
  parameters:
    scheme: "http"
    path: "/metrics"
    insecureSkipVerify: true
- type: core-metrics-extractor
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
    weight: 2
  - pluginRef: kv-cache-utilization-scorer
    weight: 2
  - pluginRef: prefix-cache-scorer
    weight: 3
"""


def plugins_config(*, flow_control: bool) -> str:
    """The picker's configuration: the chart's default profile, with flow control (which orders a saturated pool's
    requests by their objective's priority) when the pool has objectives; its defaults fill in the rest (the
    utilization saturation detector, FCFS ordering: pkg/epp/config/loader/defaults.go, flowcontrol.go)."""
    return PLUGINS + (f"featureGates:\n- {FLOW_CONTROL_GATE}\n" if flow_control else "")


def picker_name(model: str) -> str:
    """The picker's Deployment, Service, ServiceAccount, ConfigMap, Role, RoleBinding and NetworkPolicy."""
    return f"{model}-epp"


def picker_selector(model: str) -> dict[str, str]:
    """The picker's pods: an instance of its own, which no selector of the model's matches."""
    return {"app.kubernetes.io/name": "endpoint-picker", "app.kubernetes.io/instance": picker_name(model)}


def picker_client(namespace: str, model: str) -> Client:
    """The picker's pods as a caller of the model: it scrapes vLLM's /metrics on the serving port."""
    return Client(namespace=namespace, pod_labels=picker_selector(model))


def picker_footprint() -> ModelFootprint:
    """What one picker holds in the serving namespace's quota: its leader and standby (Recreate: never a third
    during a rollout)."""
    return ModelFootprint(pods=REPLICAS, gpus_per_pod=0, cpu_per_pod=CPU_CORES, memory_gib_per_pod=MEMORY_GIB)


def pool_spec(model: str, selector: dict[str, str], port: int) -> dict[str, Any]:
    """The model's replicas as one pool, behind the model's picker, open to the Gateway when the picker is not."""
    return {
        "selector": {"matchLabels": dict(selector)},
        "targetPorts": [{"number": port}],
        "appProtocol": "http",
        "endpointPickerRef": {
            "kind": "Service",
            "name": picker_name(model),
            "port": {"number": EXT_PROC_PORT},
            "failureMode": "FailOpen",
        },
    }


def picker_args(model: str, namespace: str) -> list[str]:
    """The chart's arguments for a pool-backed picker with more than one replica (routerlib/templates/
    _deployment.yaml at v0.10.0)."""
    return [
        "--pool-name",
        model,
        "--pool-namespace",
        namespace,
        "--pool-group",
        "inference.networking.k8s.io",
        "--zap-encoder",
        "json",
        "--config-file",
        f"/config/{PLUGINS_FILE}",
        "--ha-enable-leader-election",
        "--grpc-health-port",
        str(HEALTH_PORT),
        "--v=1",
        "--tracing=false",
        # Prometheus scrapes without a token (the chart's `monitoring.prometheus.auth.enabled: false`); the
        # picker's NetworkPolicy admits only the metrics namespaces on this port.
        "--metrics-endpoint-auth=false",
    ]


READ = ["get", "watch", "list"]


def picker_rules() -> list[dict[str, Any]]:
    """What the picker may do in its namespace (v0.10.0: routerlib _rbac.yaml, llm-d-router-gateway rbac.yaml,
    routerlib _leader-election-rbac.yaml): read the pool's pods and the pool, read the objectives and rewrites in
    both groups (it reconciles `llm-d.ai` when that CRD exists, the legacy group otherwise), and hold its lease."""
    return [
        {"apiGroups": [""], "resources": ["pods"], "verbs": READ},
        {"apiGroups": ["inference.networking.k8s.io"], "resources": ["inferencepools"], "verbs": READ},
        {
            "apiGroups": ["inference.networking.x-k8s.io", "llm-d.ai"],
            "resources": ["inferenceobjectives", "inferencemodelrewrites"],
            "verbs": READ,
        },
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
        },
        {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
    ]


CONTAINER_SECURITY = restricted_container_security(UID)
LEADER_READY = {WAIT_FOR: "jsonpath={.status.readyReplicas}=1"}
"""What Pulumi waits for on the picker's Deployment: its leader Ready (pulumi-kubernetes 4.18.4 on: `waitFor` takes
precedence over the Deployment's own wait, pulumi/pulumi-kubernetes#3329)."""


def picker_pod_spec(model: str, namespace: str, priority_class: pulumi.Input[str] | None) -> dict[str, Any]:
    """One picker container under Pod Security "restricted", with the chart's ports, probes and environment."""
    return {
        "serviceAccountName": picker_name(model),
        # The chart's grace period: as long as the longest a pool's pod takes to go (its comment).
        "terminationGracePeriodSeconds": 130,
        "enableServiceLinks": False,
        "priorityClassName": priority_class,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "containers": [
            {
                "name": "epp",
                "image": versions.ENDPOINT_PICKER_IMAGE,
                # The chart's policy; the image is small, unlike a model server's.
                "imagePullPolicy": "Always",
                "args": picker_args(model, namespace),
                "ports": [
                    {"name": "grpc", "containerPort": EXT_PROC_PORT, "protocol": "TCP"},
                    {"name": "grpc-health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
                    {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
                ],
                "livenessProbe": {
                    "grpc": {"port": HEALTH_PORT, "service": "liveness"},
                    "initialDelaySeconds": 5,
                    "periodSeconds": 10,
                },
                "readinessProbe": {"grpc": {"port": HEALTH_PORT, "service": "readiness"}, "periodSeconds": 2},
                "env": [
                    {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                ],
                "resources": {
                    "requests": {"cpu": str(CPU_CORES), "memory": f"{MEMORY_GIB}Gi"},
                    "limits": {"cpu": str(CPU_CORES), "memory": f"{MEMORY_GIB}Gi"},
                },
                "securityContext": CONTAINER_SECURITY,
                "volumeMounts": [{"name": "plugins", "mountPath": "/config", "readOnly": True}],
            }
        ],
        "volumes": [{"name": "plugins", "configMap": {"name": picker_name(model)}}],
    }


def picker_policy_spec(
    model: str,
    *,
    model_selector: dict[str, str],
    model_port: int,
    proxies: Client | None = None,
) -> dict[str, Any]:
    """The picker admits the Gateway's proxies (agentgateway's pods, on every cloud) on ext-proc and gRPC health
    and Prometheus on its metrics port, and sends only to DNS, the model's pods
    on the serving port (vLLM's /metrics) and the API server (to watch the pool and its pods and hold its lease;
    its address is not known at plan time, so any but the metadata endpoint on 443, as the models' own policy
    allows)."""
    return {
        "podSelector": {"matchLabels": picker_selector(model)},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [proxies.peer()] if proxies is not None else [],
                "ports": [{"protocol": "TCP", "port": EXT_PROC_PORT}, {"protocol": "TCP", "port": HEALTH_PORT}],
            },
            {
                "from": [namespace_peer(namespace) for namespace in METRICS_NAMESPACES],
                "ports": [{"protocol": "TCP", "port": METRICS_PORT}],
            },
        ],
        "egress": [
            DNS_EGRESS,
            {
                "to": [{"podSelector": {"matchLabels": dict(model_selector)}}],
                "ports": [{"protocol": "TCP", "port": model_port}],
            },
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [METADATA_ENDPOINT]}}],
                "ports": [{"protocol": "TCP", "port": API_SERVER_PORT}],
            },
        ],
    }


@dataclass(frozen=True, kw_only=True)
class EndpointPickerArgs:
    namespace: pulumi.Input[str]
    namespace_name: str
    model_selector: dict[str, str]
    """The model's pods: the pool's members."""
    model_port: int
    """The port they serve (and expose /metrics) on."""
    proxies: Client | None = None
    """The Gateway's proxies (agentgateway's pods): they call the picker from there."""
    priority_class: pulumi.Input[str] | None
    after: list[pulumi.Resource]
    objectives: Mapping[str, int] = field(default_factory=dict)
    """The pool's InferenceObjectives, name → priority; with any, the picker's flow control is on."""
    objectives_after: list[pulumi.Resource] = field(default_factory=list)
    """What installs the InferenceObjective CRD, which the picker must find when it starts."""
    monitoring_after: list[pulumi.Resource] | None = None
    """What installs the Prometheus Operator's CRDs, when a Prometheus of the stack scrapes the picker and evaluates
    its alerts; None: the stack watches nothing."""


class EndpointPicker(pulumi.ComponentResource):
    """The InferencePool `<model>` over the model's pods and its picker `<model>-epp`.

    Example::

        EndpointPicker("chat", EndpointPickerArgs(namespace=ns, namespace_name="llm-serving",
                       model_selector={"app.kubernetes.io/instance": "chat"}, model_port=8000,
                       proxies=gateway.proxies, priority_class=None, after=[]))
    """

    def __init__(self, name: str, args: EndpointPickerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:EndpointPicker", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=args.after)
        picker = picker_name(name)
        labels = {
            **picker_selector(name),
            **MODE_LABEL,
            "app.kubernetes.io/component": "endpoint-picker",
            "app.kubernetes.io/part-of": PART_OF,
        }

        def metadata(object_name: str) -> dict[str, Any]:
            return {"name": object_name, "namespace": args.namespace, "labels": labels}

        pool = k8s.apiextensions.CustomResource(
            f"{name}-pool",
            api_version="inference.networking.k8s.io/v1",
            kind="InferencePool",
            metadata=metadata(name),
            spec=pool_spec(name, args.model_selector, args.model_port),
            opts=child,
        )
        account = k8s.core.v1.ServiceAccount(f"{name}-epp-sa", metadata=metadata(picker), opts=child)
        role = k8s.rbac.v1.Role(f"{name}-epp-role", metadata=metadata(picker), rules=picker_rules(), opts=child)
        k8s.rbac.v1.RoleBinding(
            f"{name}-epp-binding",
            metadata=metadata(picker),
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": picker},
            subjects=[{"kind": "ServiceAccount", "name": picker, "namespace": args.namespace_name}],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.after, role, account]),
        )
        plugins = k8s.core.v1.ConfigMap(
            f"{name}-epp-config",
            metadata=metadata(picker),
            data={PLUGINS_FILE: plugins_config(flow_control=bool(args.objectives))},
            opts=child,
        )
        for objective, priority in args.objectives.items():
            k8s.apiextensions.CustomResource(
                f"{name}-objective-{objective}",
                api_version=OBJECTIVE_API_VERSION,
                kind="InferenceObjective",
                metadata={
                    "name": objective,
                    "namespace": args.namespace,
                    # The model's, as its pool is: what exists for the model carries its instance.
                    "labels": {
                        "app.kubernetes.io/instance": name,
                        "app.kubernetes.io/component": "inference-objective",
                        "app.kubernetes.io/part-of": PART_OF,
                    },
                },
                spec=objective_spec(name, priority),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.after, *args.objectives_after, pool]),
            )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-epp-network-policy",
            metadata=metadata(picker),
            spec=picker_policy_spec(
                name,
                model_selector=args.model_selector,
                model_port=args.model_port,
                proxies=args.proxies,
            ),
            opts=child,
        )
        # Awaited until its leader is Ready: its image, its nodes and its pool are the cluster's and the stack's, so
        # a picker that never leads fails `pulumi up` rather than routing silently without it. Not the default wait
        # (every replica available), which the standby, never Ready, would time out.
        k8s.apps.v1.Deployment(
            f"{name}-epp",
            metadata={**metadata(picker), "annotations": {**scanner_skips(SCANNER_EXCEPTIONS), **LEADER_READY}},
            spec={
                "replicas": REPLICAS,
                "revisionHistoryLimit": 3,
                # The chart's Recreate: the old leader goes at once and a new one takes over (a rolling update would
                # wait on the standby, which is never Ready).
                "strategy": {"type": "Recreate"},
                "selector": {"matchLabels": picker_selector(name)},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": picker_pod_spec(name, args.namespace_name, args.priority_class),
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*args.after, *args.objectives_after, pool, plugins, role, account]
            ),
        )
        # Not awaited: the standby is always a NotReady endpoint, and the Deployment's wait covers the leader.
        k8s.core.v1.Service(
            f"{name}-epp-service",
            metadata={**metadata(picker), "annotations": {SKIP_AWAIT: "true"}},
            spec={
                "type": "ClusterIP",
                "selector": picker_selector(name),
                "ports": [
                    {
                        "name": "grpc-ext-proc",
                        "port": EXT_PROC_PORT,
                        "targetPort": EXT_PROC_PORT,
                        "protocol": "TCP",
                        "appProtocol": "kubernetes.io/h2c",
                    },
                    {"name": "http-metrics", "port": METRICS_PORT, "targetPort": METRICS_PORT, "protocol": "TCP"},
                ],
            },
            opts=child,
        )
        if args.monitoring_after is not None:
            watched = pulumi.ResourceOptions(parent=self, depends_on=[*args.after, *args.monitoring_after])
            k8s.apiextensions.CustomResource(
                f"{name}-epp-monitor",
                api_version="monitoring.coreos.com/v1",
                kind="ServiceMonitor",
                metadata=metadata(picker),
                spec={
                    "selector": {"matchLabels": picker_selector(name)},
                    "endpoints": [{"port": "http-metrics", "path": "/metrics", "interval": SCRAPE_INTERVAL}],
                },
                opts=watched,
            )
            rules = picker_alert_rules(model=name, namespace=args.namespace_name, deployment=picker, service=picker)
            prometheus_rule(picker, args.namespace, rules, watched)
        self.pool = pool
        self.register_outputs({})
