"""Models past one node: LeaderWorkerSet's controller and CRD, and one LeaderWorkerSet per such model, a group of
one leader and N-1 workers per replica, each on its own node, restarted as one.

The launch: vLLM v0.31.0's native multiprocess backend, not Ray. With `--nnodes N` vLLM picks the `mp` executor
on CUDA by itself (config/parallel.py: `elif current_platform.is_cuda() and self.nnodes > 1: backend = "mp"`);
node r runs ranks r*TP .. r*TP+TP-1 (engine/arg_utils.py), which with TP = the node's GPUs and PP = N keeps each
tensor-parallel all-reduce on NVLink and sends only stage boundaries over the fabric. The leader (`--node-rank 0`)
serves the API; the workers run `--headless` (entrypoints/cli/serve.py `run_headless`: no API server). Ray would
add a head, a GCS and its own health model on top of LeaderWorkerSet's, for nothing the group needs.

The CRD: Helm never updates a chart's crds/ and a chart move once deleted the CRD with every LeaderWorkerSet in
it (kubernetes-sigs/lws#880). The stack creates the CRD itself from the vendored file (tools/vendor_lws_crd.py),
never deletes it (retain_on_delete), and installs the chart with `skip_crds`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.serving import awaits
from components.serving.fabric_pods import FabricPod
from components.serving.metadata import model_labels, model_selector, platform_namespace
from components.serving.vllm import (
    CONTAINER_SECURITY,
    POD_SECURITY,
    PORT,
    PRE_STOP_SLEEP_SECONDS,
    TERMINATION_GRACE_SECONDS,
    VllmServerArgs,
    environment,
    model_service,
    placement,
    pod_volumes,
    probes,
    resources,
    serving_network_policy,
    vllm_args,
)

NAMESPACE = "lws-system"
"""The chart's namespace: the vendored CRD's conversion webhook names `lws-webhook-service` in it."""
WEBHOOK_PORT = 9443
"""The controller's webhook server (chart values `service.port`), which the API server calls."""
CRD_FILE = Path(__file__).with_name("crds") / "leaderworkersets.json"
MASTER_PORT = 29501
"""vLLM's `--master-port` default (config/parallel.py ParallelConfig.master_port), the leader's rendezvous."""
LEADER_ADDRESS = "$(LWS_LEADER_ADDRESS)"
"""The LWS pod webhook injects LWS_LEADER_ADDRESS (`<name>-<group>.<subdomain>.<namespace>`) and LWS_WORKER_INDEX
into every container (pkg/utils/pod/pod_utils.go `AddLWSVariables`); the kubelet expands $(VAR) in args."""
WORKER_INDEX_LABEL = "leaderworkerset.sigs.k8s.io/worker-index"
GROUP_READY = "condition=Available"
RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
CHART_VALUES: dict[str, Any] = {
    # The chart's podSecurityContext sets runAsNonRoot only; Pod Security `restricted` (lws-system's level) also
    # asks for a seccomp profile, without which the controller's pods are refused.
    "podSecurityContext": RESTRICTED_POD,
    "securityContext": RESTRICTED_CONTAINER,
    # The chart's values.yaml says `tag: main`, `pullPolicy: Always`; only the published chart is rewritten to the
    # release (hack/push-chart.sh). Pinned here so a chart from source or a mirror cannot run `main`.
    "image": {
        "manager": {
            "repository": versions.LWS_IMAGE_REPOSITORY,
            "tag": versions.LWS_VERSION,
            "pullPolicy": "IfNotPresent",
        }
    },
}


@functools.cache
def crd_body() -> dict[str, Any]:
    """The vendored CRD, as tools/vendor_lws_crd.py wrote it."""
    return json.loads(CRD_FILE.read_text())["crd"]


class LwsPlatform(pulumi.ComponentResource):
    """LeaderWorkerSet's CRD (a resource of the stack, kept on delete) and its controller (pinned chart, CRDs
    skipped), in `lws-system`.

    Example::

        LwsPlatform("lws", opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    ready: list[pulumi.Resource]
    """What LeaderWorkerSets come after: the CRD and the controller, whose webhooks admit them."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:LwsPlatform", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        body = crd_body()
        crd = k8s.apiextensions.v1.CustomResourceDefinition(
            f"{name}-crd",
            metadata={**body["metadata"], "annotations": {**body["metadata"].get("annotations", {})}},
            spec=body["spec"],
            # Deleting the CRD deletes every LeaderWorkerSet: never, even when the stack drops it.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        namespace = platform_namespace(
            f"{name}-namespace", NAMESPACE, level="restricted", api_server_ports=(WEBHOOK_PORT,), opts=child
        )
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name="lws",
            chart=versions.LWS_CHART,
            version=versions.LWS_VERSION,
            namespace=namespace.metadata.name,
            skip_crds=True,
            values=CHART_VALUES,
            max_history=5,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[crd]),
        )
        self.crd = crd
        self.release = release
        self.ready = [crd, release]
        self.register_outputs({})


@dataclass(frozen=True, kw_only=True)
class GroupArgs:
    server: VllmServerArgs
    nodes: int
    """Nodes per replica: the group's size and vLLM's --pipeline-parallel-size and --nnodes."""
    fabric: FabricPod
    """What each pod adds for its node's GPU network (components/serving/fabric_pods.py)."""
    platform_ready: list[pulumi.Resource]


def group_flags(nodes: int, rank: str) -> list[str]:
    """What a group member adds to the server's flags: the pipeline over the nodes and its place in it."""
    flags = [
        "--pipeline-parallel-size",
        str(nodes),
        "--nnodes",
        str(nodes),
        "--node-rank",
        rank,
        "--master-addr",
        LEADER_ADDRESS,
        "--master-port",
        str(MASTER_PORT),
    ]
    return flags if rank == "0" else [*flags, "--headless"]


def shared_memory_gib(args: VllmServerArgs) -> int:
    """NCCL's and vLLM's worker processes exchange through /dev/shm; a group member runs a node's worth of them."""
    return max(16, 2 * args.gpus)


def group_pod(
    args: GroupArgs, labels: dict[str, str], *, leader: bool, service_account: pulumi.Input[str]
) -> dict[str, Any]:
    """The leader's or a worker's pod template: the same image, flags and GPUs; only the leader serves HTTP."""
    server = args.server
    volumes, mounts = pod_volumes(server)
    volumes = [v for v in volumes if v["name"] != "dshm"]
    mounts = [m for m in mounts if m["name"] != "dshm"]
    volumes.append({"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": f"{shared_memory_gib(server)}Gi"}})
    mounts.append({"name": "dshm", "mountPath": "/dev/shm"})
    fabric = args.fabric
    volumes += fabric.volumes
    mounts += fabric.mounts
    amounts = resources(server)
    for key in ("requests", "limits"):
        amounts[key].update(fabric.resources)
    security = CONTAINER_SECURITY
    if fabric.capabilities:
        security = {**security, "capabilities": {**security["capabilities"], "add": list(fabric.capabilities)}}
    rank = "0" if leader else "$(LWS_WORKER_INDEX)"
    container: dict[str, Any] = {
        "name": "vllm",
        "image": server.image,
        "imagePullPolicy": "IfNotPresent",
        **({"command": list(fabric.command)} if fabric.command else {}),
        "args": [*vllm_args(server), *group_flags(args.nodes, rank)],
        "env": [*environment(server), *fabric.env],
        "resources": amounts,
        "securityContext": security,
        "volumeMounts": mounts,
    }
    if leader:
        container["ports"] = [{"name": "http", "containerPort": PORT, "protocol": "TCP"}]
        container.update(probes())
        container["lifecycle"] = {"preStop": {"sleep": {"seconds": PRE_STOP_SLEEP_SECONDS}}}
    return {
        "metadata": {"labels": labels, **({"annotations": dict(fabric.annotations)} if fabric.annotations else {})},
        "spec": {
            "serviceAccountName": service_account,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
            "priorityClassName": server.priority_class,
            "securityContext": POD_SECURITY,
            **placement(server),
            **({"affinity": dict(fabric.affinity)} if fabric.affinity else {}),
            "containers": [container, *fabric.sidecars],
            "volumes": volumes,
        },
    }


def leader_worker_set_spec(name: str, args: GroupArgs, service_account: pulumi.Input[str]) -> dict[str, Any]:
    """One group per replica, `size` = its nodes; a pod's restart recreates its whole group (a vLLM rank lost
    mid-collective never rejoins: the others hang in NCCL); a rollout replaces one group at a time and never
    surges (a surge group would need N more fabric nodes)."""
    labels = model_labels("vllm", name)
    leader = group_pod(args, labels, leader=True, service_account=service_account)
    worker = group_pod(args, labels, leader=False, service_account=service_account)
    return {
        "replicas": args.server.replicas,
        "startupPolicy": "LeaderCreated",
        "rolloutStrategy": {
            "type": "RollingUpdate",
            "rollingUpdateConfiguration": {"maxUnavailable": 1, "maxSurge": 0},
        },
        "leaderWorkerTemplate": {
            "size": args.nodes,
            "restartPolicy": "RecreateGroupOnPodRestart",
            "leaderTemplate": leader,
            "workerTemplate": worker,
        },
        "networkConfig": {"subdomainPolicy": "Shared"},
    }


def group_ingress(name: str) -> list[dict[str, Any]]:
    """The group's own pods reach each other on every port: NCCL's and vLLM's rendezvous pick theirs at run time."""
    return [{"from": [{"podSelector": {"matchLabels": model_selector("vllm", name)}}]}]


class LeaderWorkerSetServer(pulumi.ComponentResource):
    """A model past one node behind vLLM's OpenAI-compatible API: one LeaderWorkerSet, a Service on the leaders
    only, the serving NetworkPolicy plus the group's own traffic.

    Example::

        LeaderWorkerSetServer("deepseek", GroupArgs(server=args, nodes=2, fabric=FabricPod(), platform_ready=[]))
    """

    base_url: pulumi.Output[str]
    service_name: pulumi.Output[str]

    def __init__(self, name: str, args: GroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:LeaderWorkerSetServer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        server = args.server
        labels = model_labels("vllm", name)
        selector = model_selector("vllm", name)
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={"name": name, "namespace": server.namespace, "labels": labels},
            automount_service_account_token=False,
            opts=child,
        )
        self.leader_worker_set = k8s.apiextensions.CustomResource(
            f"{name}-leader-worker-set",
            api_version="leaderworkerset.x-k8s.io/v1",
            kind="LeaderWorkerSet",
            metadata={
                "name": name,
                "namespace": server.namespace,
                "labels": labels,
                # A custom resource is awaited only on a named condition (awaits.py); LWS sets Available once every
                # group is ready (api/leaderworkerset/v1 LeaderWorkerSetAvailable).
                "annotations": {
                    awaits.WAIT_FOR: GROUP_READY,
                    **awaits.model_workload(
                        progress_deadline_seconds=server.progress_deadline_seconds, max_replicas=server.max_replicas
                    ),
                },
            },
            spec=leader_worker_set_spec(name, args, account.metadata.name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.platform_ready),
        )
        # The leader alone serves: workers run headless.
        service = model_service(name, server.namespace, labels, {**selector, WORKER_INDEX_LABEL: "0"}, child)
        serving_network_policy(name, server, selector, labels, child)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-group-policy",
            metadata={"name": f"{name}-group", "namespace": server.namespace, "labels": labels},
            spec={
                "podSelector": {"matchLabels": selector},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": group_ingress(name),
                "egress": [{"to": [{"podSelector": {"matchLabels": selector}}]}],
            },
            opts=child,
        )
        self.service_name = service.metadata.name
        self.base_url = pulumi.Output.format(
            "http://{0}.{1}.svc.cluster.local:{2}/v1", service.metadata.name, service.metadata.namespace, PORT
        )
        self.register_outputs({"baseUrl": self.base_url})
