"""GPU alerts on GKE: a ClusterRules object for Google Cloud Managed Service for Prometheus's rule evaluator, which
reads GKE's managed DCGM series where they are stored (Managed Prometheus), unlike the stack's own Prometheus.

ClusterRules, not Rules: the evaluator adds `namespace="<the Rules' namespace>"` to every selector of a namespaced
Rules object (GoogleCloudPlatform/prometheus-engine pkg/operator/apis/monitoring/v1/rules_config.go, `scope`), and
the DCGM series are not in the serving namespace. ClusterRules add only this cluster's project_id, location and
cluster, so a rule must not set those labels itself (the operator rejects the rule).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.observability.alerts import gke_gpu_rules
from components.serving.metadata import PART_OF

NAME = "llm-platform-gpus"
SCOPE_LABELS = ("project_id", "location", "cluster")
"""Labels the evaluator adds to every selector and result of a ClusterRules object."""


def cluster_rules_body() -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.googleapis.com/v1",
        "kind": "ClusterRules",
        "metadata": {"name": NAME, "labels": {"app.kubernetes.io/part-of": PART_OF}},
        "spec": {"groups": [gke_gpu_rules()]},
    }


def gke_gpu_alerts(opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
    """The platform's GPU rules on GKE. The ClusterRules CRD comes with Managed Prometheus, which the cluster
    enables (components/clusters/gke.py), so nothing in this program installs it."""
    body = cluster_rules_body()
    return k8s.apiextensions.CustomResource(
        f"{NAME}-rules",
        api_version=body["apiVersion"],
        kind=body["kind"],
        metadata=body["metadata"],
        spec=body["spec"],
        opts=opts,
    )
