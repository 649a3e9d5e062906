"""One model's weights copied from the Hugging Face Hub to its prefix in the stack's object storage: a Kubernetes Job.

A Job rather than a documented `make` step: it runs inside the cloud, next to the bucket and with the cluster's
bandwidth, under a workload identity that may write only the model's prefix (no deployer credentials, no copy through
the deployer's machine), with the stack's Hugging Face token; and `pulumi up` waits for it to complete
(pulumi-kubernetes awaits a Job until its Complete condition, provider/pkg/await/job.go) before it creates the
model's Deployment, which depends on it: a replica never starts before its weights are there. The Job is immutable,
so a new revision replaces it, and its script (weights_copy_script.py) copies nothing when the marker says the
revision is there already. Its pod runs on the system pool (no GPU), one shard on disk at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from components.serving import awaits
from components.serving.guards import ModelFootprint
from components.serving.metadata import PART_OF, restricted_container_security, scanner_skips
from components.serving.vllm import image_pin_exceptions
from components.serving.weights import StreamedWeights

SCRIPT = Path(__file__).with_name("weights_copy_script.py")
SCRIPT_DIR = "/opt/llm-platform"
WORK_DIR = "/work"
TOKEN_DIR = "/var/run/secrets/huggingface"
UID = 10001
COPY_DEADLINE_SECONDS = 3 * 3600
"""The longest a copy may run (Qwen2.5-72B, 145 GB, at 15 MB/s from the Hub): the Job's activeDeadlineSeconds and
Pulumi's wait."""
SHARD_ROOM = "40Gi"
"""One file of a checkpoint at a time (the Hub's shards are at most a few GB; 40 GiB leaves room for a large one)."""


@dataclass(frozen=True, kw_only=True)
class WeightsCopyArgs:
    namespace: pulumi.Input[str]
    image: str
    """The vLLM image: it holds huggingface_hub and the cloud SDK whenever it can stream from that cloud."""
    model_id: str
    revision: str | None
    writer: StreamedWeights
    """The model's prefix, with the writer identity's ServiceAccount annotations, labels and credential egress."""
    account_name: str
    """The ServiceAccount the cloud's writer identity is bound to."""
    hf_token_secret: pulumi.Input[str] | None
    node_selector: dict[str, str]


COPY_CPU = 1
COPY_MEMORY_GIB = 4


def copy_footprint() -> ModelFootprint:
    """What a copy Job's pod takes of the serving namespace's quota."""
    return ModelFootprint(pods=1, gpus_per_pod=0, cpu_per_pod=COPY_CPU, memory_gib_per_pod=COPY_MEMORY_GIB)


def copy_job_name(model: str) -> str:
    return f"{model}-weights"


def copy_labels(model: str) -> dict[str, str]:
    return {"app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/name": "weights-copy", "llm-platform/model": model}


class WeightsCopy(pulumi.ComponentResource):
    """The Job `<model>-weights`, its script, ServiceAccount and NetworkPolicy.

    Example::

        WeightsCopy("chat", WeightsCopyArgs(namespace="llm-serving", image=image, model_id="Qwen/Qwen2.5-7B-Instruct",
                    revision=None, writer=writer, account_name="chat-weights", hf_token_secret=None,
                    node_selector={"kubernetes.io/os": "linux"}))
    """

    job: k8s.batch.v1.Job

    def __init__(self, name: str, args: WeightsCopyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:WeightsCopy", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = copy_labels(name)
        account = k8s.core.v1.ServiceAccount(
            f"{name}-weights-sa",
            metadata={
                "name": args.account_name,
                "namespace": args.namespace,
                "labels": labels,
                "annotations": args.writer.account_annotations,
            },
            automount_service_account_token=False,
            opts=child,
        )
        script = k8s.core.v1.ConfigMap(
            f"{name}-weights-script",
            metadata={"name": f"{name}-weights-script", "namespace": args.namespace, "labels": labels},
            data={SCRIPT.name: SCRIPT.read_text()},
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-weights-network-policy",
            metadata={"name": f"{name}-weights", "namespace": args.namespace, "labels": labels},
            spec={
                "podSelector": {"matchLabels": labels},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [],
                "egress": copy_egress(args.writer),
            },
            opts=child,
        )
        volumes: list[dict[str, object]] = [
            {"name": "work", "emptyDir": {"sizeLimit": SHARD_ROOM}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
            {"name": "script", "configMap": {"name": script.metadata.name}},
        ]
        mounts: list[dict[str, object]] = [
            {"name": "work", "mountPath": WORK_DIR},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "script", "mountPath": SCRIPT_DIR, "readOnly": True},
        ]
        if args.hf_token_secret is not None:
            volumes.append(
                {
                    "name": "hf-token",
                    "secret": {"secretName": args.hf_token_secret, "items": [{"key": "token", "path": "token"}]},
                }
            )
            mounts.append({"name": "hf-token", "mountPath": TOKEN_DIR, "readOnly": True})
        self.job = k8s.batch.v1.Job(
            f"{name}-weights-job",
            metadata={
                "name": copy_job_name(name),
                "namespace": args.namespace,
                "labels": labels,
                "annotations": {
                    **awaits.weights_copy(COPY_DEADLINE_SECONDS),
                    # The server's image, so the same waivers when it is tag-pinned (vllm.TAG_PIN_EXCEPTIONS).
                    **scanner_skips(image_pin_exceptions(args.image)),
                },
            },
            spec={
                "backoffLimit": 3,
                "activeDeadlineSeconds": COPY_DEADLINE_SECONDS,
                "template": {
                    "metadata": {"labels": {**labels, **args.writer.pod_labels}},
                    "spec": {
                        "serviceAccountName": account.metadata.name,
                        "automountServiceAccountToken": False,
                        "restartPolicy": "Never",
                        "nodeSelector": args.node_selector,
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": UID,
                            "runAsGroup": UID,
                            "fsGroup": UID,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [
                            {
                                "name": "copy",
                                "image": args.image,
                                "imagePullPolicy": "IfNotPresent",
                                "command": ["python3", f"{SCRIPT_DIR}/{SCRIPT.name}"],
                                "env": copy_environment(args),
                                "resources": {
                                    "requests": {
                                        "cpu": str(COPY_CPU),
                                        "memory": f"{COPY_MEMORY_GIB}Gi",
                                        "ephemeral-storage": SHARD_ROOM,
                                    },
                                    "limits": {
                                        "cpu": str(2 * COPY_CPU),
                                        "memory": f"{COPY_MEMORY_GIB}Gi",
                                        "ephemeral-storage": SHARD_ROOM,
                                    },
                                },
                                "securityContext": restricted_container_security(UID),
                                "volumeMounts": mounts,
                            }
                        ],
                        "volumes": volumes,
                    },
                },
            },
            opts=pulumi.ResourceOptions(parent=self, custom_timeouts=pulumi.CustomTimeouts(create="3h", update="3h")),
        )
        self.register_outputs({})


def copy_environment(args: WeightsCopyArgs) -> list[dict[str, pulumi.Input[str]]]:
    env: list[dict[str, pulumi.Input[str]]] = [
        {"name": "WEIGHTS_URI", "value": args.writer.uri},
        {"name": "HF_MODEL", "value": args.model_id},
        {"name": "HF_REVISION", "value": args.revision or ""},
        {"name": "WORK_DIR", "value": WORK_DIR},
        {"name": "HOME", "value": "/tmp"},
        {"name": "HF_HOME", "value": f"{WORK_DIR}/.hf"},
        {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
        *({"name": key, "value": value} for key, value in args.writer.env),
    ]
    if args.hf_token_secret is not None:
        env.append({"name": "HF_TOKEN_PATH", "value": f"{TOKEN_DIR}/token"})
    return env


def copy_egress(writer: StreamedWeights) -> list[dict[str, object]]:
    """DNS, HTTPS (the Hub and the object storage) except the cloud's metadata endpoint, and the node-local
    credential endpoint of the writer identity."""
    return [
        {
            "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        },
        {
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}],
            "ports": [{"port": 443, "protocol": "TCP"}],
        },
        *writer.credential_egress,
    ]
