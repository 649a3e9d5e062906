"""GPU metrics: NVIDIA's DCGM exporter on the GPU nodes, and a ServiceMonitor for the Prometheus Operator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import versions
from components.serving.metadata import PART_OF

PORT = 9400
RELEASE_NAME = "dcgm-exporter"


def dcgm_values() -> dict[str, Any]:
    return {
        # Our ServiceMonitor below is a plain object: reviewed in the plan and validated against its CRD.
        "serviceMonitor": {"enabled": False},
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "nvidia.com/gpu.present", "operator": "In", "values": ["true"]}]}
                    ]
                }
            }
        },
        "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
        "priorityClassName": "system-node-critical",
    }


def service_monitor_spec(namespace: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "dcgm-exporter"}},
        "namespaceSelector": {"matchNames": [namespace]},
        # The exporter labels each GPU's series with the namespace and pod that hold the GPU
        # (internal/pkg/transformation/kubernetes.go at 4.5.3-4.8.2); without honorLabels Prometheus would rename
        # them exported_namespace/exported_pod and put the exporter's own there, and no alert or dashboard could
        # tell which model's GPU it is.
        "endpoints": [{"port": "metrics", "interval": "15s", "scrapeTimeout": "10s", "honorLabels": True}],
    }


@dataclass(frozen=True, kw_only=True)
class DcgmExporterArgs:
    namespace: pulumi.Input[str]
    """The GPU node agents' namespace (privileged: the exporter runs as root with SYS_ADMIN for profiling)."""
    after: list[pulumi.Resource] = field(default_factory=list)
    """What installs the ServiceMonitor CRD (the Prometheus stack), when this program installs it."""


class DcgmExporter(pulumi.ComponentResource):
    """DCGM exporter DaemonSet on GPU nodes (port 9400) and its ServiceMonitor.

    Example::

        DcgmExporter("gpu-metrics", DcgmExporterArgs(namespace="nvidia-gpu"), opts=pulumi.ResourceOptions(provider=p))
    """

    def __init__(self, name: str, args: DcgmExporterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:observability:DcgmExporter", name, None, opts)
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,
            chart="dcgm-exporter",
            version=versions.DCGM_EXPORTER_CHART,
            repository_opts={"repo": versions.DCGM_EXPORTER_REPO},
            namespace=args.namespace,
            values=dcgm_values(),
            max_history=5,
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata={
                "name": RELEASE_NAME,
                "namespace": args.namespace,
                "labels": {"app.kubernetes.io/part-of": PART_OF},
            },
            spec=service_monitor_spec(args.namespace),
            # The Service it selects comes with the release; the CRD with the Prometheus stack.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[release, *args.after]),
        )
        self.register_outputs({})
