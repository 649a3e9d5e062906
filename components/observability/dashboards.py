"""Grafana dashboards built in code (grafana-foundation-sdk's typed builders): one overview and one per model.

Every query reads the Prometheus chosen in the dashboard's `datasource` variable (the chart's Grafana names its
Prometheus `prometheus`; an imported copy picks its own), and selects a model by the labels its alerts use.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from grafana_foundation_sdk.builders import dashboard, prometheus, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from components.observability.alerts import ModelWatch, model_selector
from components.observability.cost_panels import DashboardCost, replica_cost_panel, stack_cost_panel
from components.observability.promql import pod_regex, vllm, vllm_rate

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
QUANTILES = (0.5, 0.95, 0.99)


def _panel(title: str, unit: str, queries: Sequence[tuple[str, str]], width: int = 8) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(DATASOURCE).height(8).span(width)
    for index, (expr, legend) in enumerate(queries):
        panel = panel.with_target(
            prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(chr(ord("A") + index)).datasource(DATASOURCE)
        )
    return panel


def _quantiles(names: tuple[str, ...], match: str, by: str = "") -> list[tuple[str, str]]:
    group = f"le{', ' + by if by else ''}"
    return [
        (
            f"histogram_quantile({q:g}, sum by ({group}) ({vllm_rate(names, '_bucket', match, '5m')}))",
            f"p{q * 100:.0f}" + (f" {{{{{by}}}}}" if by else ""),
        )
        for q in QUANTILES
    ]


def _base(uid: str, title: str) -> dashboard.Dashboard:
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .tags(["llm-platform"])
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
    )


def model_dashboard(model: ModelWatch) -> dict[str, Any]:
    """One model: traffic, latency percentiles, queue, replicas, KV cache and, when DCGM is scraped, its GPUs."""
    match = model_selector(model)
    ttft = ("vllm:time_to_first_token_seconds",)
    tpot = ("vllm:request_time_per_output_token_seconds", "vllm:time_per_output_token_seconds")
    e2e = ("vllm:e2e_request_latency_seconds",)
    deployment = f'namespace="{model.namespace}",deployment="{model.deployment}"'
    built = (
        _base(f"llm-model-{model.name}", f"LLM model: {model.name}")
        .with_row(dashboard.Row("Traffic"))
        .with_panel(
            _panel(
                "Requests per second",
                "reqps",
                [
                    (f"sum by (status) (rate(http_requests_total{{{match}}}[5m]))", "{{status}}"),
                ],
            )
        )
        .with_panel(
            _panel(
                "Tokens per second",
                "short",
                [
                    (f"sum({vllm_rate(('vllm:generation_tokens',), '_total', match, '5m')})", "generated"),
                    (f"sum({vllm_rate(('vllm:prompt_tokens',), '_total', match, '5m')})", "prompt"),
                ],
            )
        )
        .with_panel(
            _panel(
                "Requests waiting and running",
                "short",
                [
                    (f"sum({vllm('vllm:num_requests_waiting', match)})", "waiting"),
                    (f"sum({vllm('vllm:num_requests_running', match)})", "running"),
                ],
            )
        )
        .with_row(dashboard.Row("Latency"))
        .with_panel(_panel("Time to first token", "s", _quantiles(ttft, match)))
        .with_panel(_panel("Time per output token", "s", _quantiles(tpot, match)))
        .with_panel(_panel("End-to-end latency", "s", _quantiles(e2e, match)))
        .with_row(dashboard.Row("Capacity"))
        .with_panel(
            _panel(
                "Replicas",
                "short",
                [
                    (f"kube_deployment_spec_replicas{{{deployment}}}", "desired"),
                    (f"kube_deployment_status_replicas_available{{{deployment}}}", "ready"),
                ],
            )
        )
        .with_panel(
            _panel(
                "KV cache usage",
                "percentunit",
                [
                    (
                        f"max by (pod) ({vllm('vllm:kv_cache_usage_perc', match)}"
                        f" or {vllm('vllm:gpu_cache_usage_perc', match)})",
                        "{{pod}}",
                    )
                ],
            )
        )
        .with_panel(
            _panel(
                "Preemptions per minute",
                "short",
                [(f"sum({vllm_rate(('vllm:num_preemptions',), '_total', match, '5m')}) * 60", "preemptions")],
            )
        )
    )
    if model.on_gpu and model.gpu_metrics:
        pods = f'namespace="{model.namespace}",pod=~"{pod_regex(model.deployment)}"'
        built = (
            built.with_row(dashboard.Row("GPUs"))
            .with_panel(
                _panel("GPU utilisation", "percent", [(f"DCGM_FI_DEV_GPU_UTIL{{{pods}}}", "{{pod}} gpu {{gpu}}")])
            )
            .with_panel(
                _panel("GPU memory used", "decmbytes", [(f"DCGM_FI_DEV_FB_USED{{{pods}}}", "{{pod}} gpu {{gpu}}")])
            )
            .with_panel(
                _panel("GPU temperature", "celsius", [(f"DCGM_FI_DEV_GPU_TEMP{{{pods}}}", "{{pod}} gpu {{gpu}}")])
            )
        )
    return _to_dict(built)


def overview_dashboard(
    models: Sequence[ModelWatch], *, gpu_metrics: bool, cost: DashboardCost | None = None
) -> dict[str, Any]:
    """Every model side by side (by the `service` label of its Service), what they cost (`cost`: the plan's list
    prices; None on an existing cluster, whose machines the stack does not choose), and every GPU."""
    namespaces = sorted({model.namespace for model in models})
    services = "|".join(sorted(model.service for model in models))
    match = f'namespace=~"{"|".join(namespaces)}",service=~"{services}"'
    deployments = "|".join(sorted(model.deployment for model in models))
    built = (
        _base("llm-overview", "LLM platform: overview")
        .with_row(dashboard.Row("Models"))
        .with_panel(
            _panel(
                "Requests per second",
                "reqps",
                [(f"sum by (service) (rate(http_requests_total{{{match}}}[5m]))", "{{service}}")],
            )
        )
        .with_panel(
            _panel(
                "Generated tokens per second",
                "short",
                [
                    (
                        f"sum by (service) ({vllm_rate(('vllm:generation_tokens',), '_total', match, '5m')})",
                        "{{service}}",
                    )
                ],
            )
        )
        .with_panel(
            _panel(
                "Requests waiting",
                "short",
                [(f"sum by (service) ({vllm('vllm:num_requests_waiting', match)})", "{{service}}")],
            )
        )
        .with_panel(
            _panel(
                "Time to first token, p95",
                "s",
                [
                    (
                        "histogram_quantile(0.95, sum by (le, service) "
                        f"({vllm_rate(('vllm:time_to_first_token_seconds',), '_bucket', match, '5m')}))",
                        "{{service}}",
                    )
                ],
            )
        )
        .with_panel(
            _panel(
                "End-to-end latency, p95",
                "s",
                [
                    (
                        "histogram_quantile(0.95, sum by (le, service) "
                        f"({vllm_rate(('vllm:e2e_request_latency_seconds',), '_bucket', match, '5m')}))",
                        "{{service}}",
                    )
                ],
            )
        )
        .with_panel(
            _panel(
                "Ready replicas",
                "short",
                [
                    (
                        f'kube_deployment_status_replicas_available{{namespace=~"{"|".join(namespaces)}",'
                        f'deployment=~"{deployments}"}}',
                        "{{deployment}}",
                    )
                ],
            )
        )
    )
    if cost is not None:
        built = built.with_row(dashboard.Row("Cost")).with_panel(stack_cost_panel(models, cost, DATASOURCE))
        replicas = replica_cost_panel(models, cost, DATASOURCE)
        if replicas is not None:
            built = built.with_panel(replicas)
    if gpu_metrics:
        built = (
            built.with_row(dashboard.Row("GPUs"))
            .with_panel(_panel("GPU utilisation", "percent", [("DCGM_FI_DEV_GPU_UTIL", "{{Hostname}} gpu {{gpu}}")]))
            .with_panel(_panel("GPU memory used", "decmbytes", [("DCGM_FI_DEV_FB_USED", "{{Hostname}} gpu {{gpu}}")]))
            .with_panel(
                _panel("XID errors (last code)", "none", [("DCGM_FI_DEV_XID_ERRORS", "{{Hostname}} gpu {{gpu}}")])
            )
        )
    return _to_dict(built)


def _to_dict(built: dashboard.Dashboard) -> dict[str, Any]:
    return json.loads(json.dumps(built.build(), cls=JSONEncoder))


def queries(document: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard's panels."""
    return [
        target["expr"]
        for panel in document.get("panels", [])
        for target in panel.get("targets", [])
        if "expr" in target
    ]
