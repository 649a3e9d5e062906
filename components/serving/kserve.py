"""KServe as the other engine: the platform (cert-manager, KServe in Standard mode) and one
InferenceService per model, served by KServe's Hugging Face runtime with its vLLM backend.

A model gets the same sizing, GPU placement, token file, security contexts, probes and graceful shutdown as on
the vLLM engine; KServe creates the Deployment (`<name>-predictor`) and its Service, which KEDA then scales.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.serving import awaits
from components.serving.metadata import PART_OF, model_labels, platform_namespace
from components.serving.pooling import pooling_runtime_flags
from components.serving.vllm import (
    CONTAINER_SECURITY,
    POD_SECURITY,
    PRE_STOP_SLEEP_SECONDS,
    PROBE_PERIOD_SECONDS,
    TERMINATION_GRACE_SECONDS,
    VllmServerArgs,
    disruption_budget,
    environment,
    placement,
    pod_volumes,
    resources,
    rollout_strategy,
    serving_network_policy,
    spread,
)

PORT = 8080
"""KServe's model server port (the predictor Service maps port 80 to it)."""
READY_PATH = "/v2/health/ready"
"""Answers 200 once the model is loaded (KServe's open inference protocol): the probes' and health checks' path."""
# What the API server calls: KServe's controller webhooks (webhook-server 9443), which admit every predictor pod.
API_SERVER_PORTS = {"kserve": (9443,)}
# KServe's model server drains for a fixed 30 s on SIGTERM (ModelServer(grace_period=30) to uvicorn's
# timeout_graceful_shutdown, kserve v0.20.0 python/kserve/kserve/model_server.py); the Hugging Face server takes no
# flag for it, so vLLM's --shutdown-timeout does not apply here. The pod's grace period covers preStop + this.
RUNTIME_DRAIN_SECONDS = 30
DEPLOYMENT_MODE = "Standard"
"""Plain Deployments and Services, no Knative (KServe 0.20 reads the old name, RawDeployment, as this one)."""
CONTROLLER_VALUES = {
    "kserve": {
        "controller": {
            "deploymentMode": DEPLOYMENT_MODE,
            # Otherwise the controller creates an Ingress of class `istio` per InferenceService (the chart's
            # gateway.ingressGateway.className; kube_ingress_reconciler.go at v0.20.0), which nothing here serves:
            # models are exposed through the stack's Gateway or their own LoadBalancer.
            "gateway": {"disableIngressCreation": True},
        }
    }
}
RUNTIME = "llm-platform-huggingface"
"""The stack's ClusterServingRuntime, which every InferenceService names (no auto-selection among runtimes)."""


def runtime_args(args: VllmServerArgs) -> list[str]:
    """Arguments of KServe's Hugging Face server: its own, then vLLM engine arguments it passes through."""
    flags = [
        f"--model_name={args.served_model_name}",
        f"--model_id={args.model_id}",
        "--backend=vllm",
        f"--tensor-parallel-size={args.gpus}",
        f"--gpu-memory-utilization={args.gpu_memory_utilization:g}",
        "--download-dir=/model-cache/hub",
        *pooling_runtime_flags(args.task),
    ]
    if args.revision is not None:
        flags.append(f"--model_revision={args.revision}")
    if args.context_length is not None:
        flags.append(f"--max-model-len={args.context_length}")
    if args.kv_cache_dtype != "auto":
        flags.append(f"--kv-cache-dtype={args.kv_cache_dtype}")
    return flags


def health_probes(startup_budget_seconds: int) -> dict[str, Any]:
    """KServe's model server answers /v2/health/ready once the model is loaded, /v2/health/live while alive; the
    startup probe allows the model's startup budget, as vLLM's does (components/cold_start.py)."""
    ready = {"path": READY_PATH, "port": PORT}
    return {
        "startupProbe": {
            "httpGet": ready,
            "periodSeconds": PROBE_PERIOD_SECONDS,
            "timeoutSeconds": 5,
            "failureThreshold": startup_budget_seconds // PROBE_PERIOD_SECONDS,
        },
        "readinessProbe": {"httpGet": ready, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {
            "httpGet": {"path": "/v2/health/live", "port": PORT},
            "periodSeconds": 15,
            "timeoutSeconds": 10,
            "failureThreshold": 4,
        },
    }


def huggingface_runtime_spec(image: str) -> dict[str, Any]:
    """KServe's Hugging Face runtime as kserve-runtime-configs v0.20.0 renders `kserve-huggingfaceserver` (files/
    runtimes/resources.yaml merged with clusterservingruntimes-patch.yaml, default values), on a pinned image;
    without the chart's unbounded /dev/shm (the predictor mounts a sized one when tensor parallelism needs it)
    and not auto-selected, so that it never competes with a `huggingface` runtime the cluster already has."""
    return {
        "annotations": {"prometheus.kserve.io/path": "/metrics", "prometheus.kserve.io/port": str(PORT)},
        "supportedModelFormats": [{"name": "huggingface", "version": "1", "autoSelect": False}],
        "protocolVersions": ["v2", "v1"],
        "containers": [
            {
                "name": "kserve-container",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "args": ["--model_name={{.Name}}"],
                "env": [{"name": "LMCACHE_USE_EXPERIMENTAL", "value": "True"}],
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "privileged": False,
                    "runAsNonRoot": True,
                    "capabilities": {"drop": ["ALL"]},
                },
                "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
            }
        ],
    }


def inference_service_spec(args: VllmServerArgs, selector: dict[str, str]) -> dict[str, Any]:
    volumes, mounts = pod_volumes(args)
    return {
        "predictor": {
            "minReplicas": args.replicas,
            "maxReplicas": args.max_replicas,
            "deploymentStrategy": rollout_strategy(args),
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "priorityClassName": args.priority_class,
            "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
            "securityContext": POD_SECURITY,
            **placement(args),
            "topologySpreadConstraints": spread(selector),
            "volumes": volumes,
            "model": {
                "modelFormat": {"name": "huggingface"},
                "runtime": RUNTIME,
                "args": runtime_args(args),
                "env": environment(args),
                "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
                "resources": resources(args),
                **health_probes(args.startup_budget_seconds),
                "lifecycle": {"preStop": {"sleep": {"seconds": PRE_STOP_SLEEP_SECONDS}}},
                "securityContext": CONTAINER_SECURITY,
                "volumeMounts": mounts,
            },
        }
    }


class KServePlatform(pulumi.ComponentResource):
    """cert-manager, KServe's CRDs, its controller in Standard mode (plain Deployments, no Knative; the mode
    KServe called RawDeployment before 0.16; pinned charts) and the one ClusterServingRuntime the models use.

    Example::

        KServePlatform("kserve", cert_manager.release, opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    ready: list[pulumi.Resource]
    """What InferenceServices come after (their CRD and the controller's webhooks)."""

    def __init__(self, name: str, cert_manager: pulumi.Resource, opts: pulumi.ResourceOptions | None = None) -> None:
        """`cert_manager`: the stack's cert-manager release, which signs KServe's webhook certificates."""
        super().__init__("llm-platform:serving:KServePlatform", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespaces = {
            ns: platform_namespace(f"{name}-{ns}", ns, level="restricted", api_server_ports=ports, opts=child)
            for ns, ports in API_SERVER_PORTS.items()
        }

        def kserve_chart(
            part: str, chart: str, values: dict[str, Any] | None, after: list[pulumi.Resource]
        ) -> k8s.helm.v3.Release:
            """One of KServe's OCI charts at KServe's version, released under the chart's own name."""
            return k8s.helm.v3.Release(
                f"{name}-{part}",
                name=chart.rsplit("/", 1)[1],
                chart=chart,
                version=versions.KSERVE_VERSION,
                namespace=namespaces["kserve"].metadata.name,
                values=values,
                max_history=5,
                opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            )

        crds = kserve_chart("crds", versions.KSERVE_CRD_CHART, None, [])
        # Its webhook certificates come from cert-manager; its CRDs from the release above.
        controller = kserve_chart("controller", versions.KSERVE_CHART, CONTROLLER_VALUES, [cert_manager, crds])
        # Its CRD comes with the CRD chart; the controller's webhook validates it.
        runtime = k8s.apiextensions.CustomResource(
            f"{name}-huggingface-runtime",
            api_version="serving.kserve.io/v1alpha1",
            kind="ClusterServingRuntime",
            metadata={
                "name": RUNTIME,
                "labels": {"app.kubernetes.io/part-of": PART_OF},
                "annotations": {"serving.kserve.io/server-type": "huggingfaceserver"},
            },
            spec=huggingface_runtime_spec(versions.KSERVE_HUGGINGFACE_IMAGE),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[crds, controller]),
        )
        self.ready = [crds, controller, runtime]
        self.register_outputs({})


@dataclass(frozen=True, kw_only=True)
class KServeModelArgs:
    server: VllmServerArgs
    """The same settings as a vLLM server: sizing, placement, token, replicas."""
    platform_ready: list[pulumi.Resource]
    """KServe's CRDs and controller."""


class KServeModel(pulumi.ComponentResource):
    """One InferenceService (Hugging Face runtime, vLLM backend), its NetworkPolicy and disruption budget.

    Example::

        KServeModel("chat", KServeModelArgs(server=args, platform_ready=platform.ready),
                    opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    base_url: pulumi.Output[str]
    """The in-cluster OpenAI base URL, `http://<name>-predictor.<namespace>.svc.cluster.local/openai/v1`."""
    deployment_name: str
    """The Deployment KServe creates, which KEDA scales."""

    def __init__(self, name: str, args: KServeModelArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:KServeModel", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = model_labels("kserve", name)
        # KServe labels the predictor's pods with the InferenceService's name.
        selector = {"serving.kserve.io/inferenceservice": name}
        k8s.apiextensions.CustomResource(
            f"{name}-inference-service",
            api_version="serving.kserve.io/v1beta1",
            kind="InferenceService",
            metadata={
                "name": name,
                "namespace": args.server.namespace,
                "labels": labels,
                "annotations": {
                    "serving.kserve.io/deploymentMode": DEPLOYMENT_MODE,
                    # Replicas are KEDA's (our ScaledObject on the queue), not KServe's HPA.
                    "serving.kserve.io/autoscalerClass": "external",
                    # Custom resources count as ready at once unless told what to wait for. KServe sets Ready
                    # from its predictor's Deployment (in Standard mode its IngressReady needs no ingress
                    # controller: kserve v0.20.0 kube_ingress_reconciler.go sets it True itself).
                    awaits.WAIT_FOR: "condition=Ready",
                    **awaits.model_workload(
                        progress_deadline_seconds=args.server.progress_deadline_seconds,
                        max_replicas=args.server.max_replicas,
                    ),
                },
            },
            spec=inference_service_spec(args.server, selector),
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.platform_ready),
        )
        serving_network_policy(name, args.server, selector, labels, child)
        disruption_budget(name, args.server, selector, labels, child)
        self.deployment_name = f"{name}-predictor"
        self.base_url = pulumi.Output.format(
            "http://{0}-predictor.{1}.svc.cluster.local/openai/v1", name, args.server.namespace
        )
        self.register_outputs({"baseUrl": self.base_url})
