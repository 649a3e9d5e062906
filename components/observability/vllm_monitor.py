"""The ServiceMonitor that scrapes one model's vLLM `/metrics`: made by the queue scaler (KEDA reads the queue from
it) or, for a model KEDA does not scale, by the model's observability."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.serving.metadata import PART_OF

SCRAPE_INTERVAL = "15s"


def vllm_service_monitor(
    resource_name: str,
    model: str,
    namespace: pulumi.Input[str],
    service_selector: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    """`<model>-vllm`, selecting the model's Service by its labels, on its `http` port."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version="monitoring.coreos.com/v1",
        kind="ServiceMonitor",
        metadata={"name": f"{model}-vllm", "namespace": namespace, "labels": {"app.kubernetes.io/part-of": PART_OF}},
        spec={
            "selector": {"matchLabels": service_selector},
            "endpoints": [{"port": "http", "path": "/metrics", "interval": SCRAPE_INTERVAL}],
        },
        opts=opts,
    )
