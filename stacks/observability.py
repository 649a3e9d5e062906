"""What watches the models: alerts, the vLLM scrape and dashboards, wherever the stack has a Prometheus with
`monitoring: true`. Called once per model from stacks/serving.py and once for the platform."""

from __future__ import annotations

import pulumi

from components.clusters.contract import GpuCluster
from components.observability.alerts import ModelWatch, Objective, tpot_objective, ttft_objective
from components.observability.cost_panels import DashboardCost, Hourly
from components.observability.gmp_rules import gke_gpu_alerts
from components.observability.watch import (
    ModelObservability,
    ModelObservabilityArgs,
    PlatformObservability,
    PlatformObservabilityArgs,
)
from components.serving.vllm import STARTUP_BUDGET_SECONDS
from stacks.config import ModelPlan, StackConfig
from stacks.cost import Amount, stack_cost
from stacks.monitoring import Prometheus


def watched(config: StackConfig, prometheus: Prometheus | None) -> bool:
    """Alerts and dashboards need `monitoring` and a Prometheus that evaluates rules."""
    return config.monitoring and prometheus is not None and bool(prometheus.url)


def objectives(model: ModelPlan) -> tuple[Objective, ...]:
    slo = model.spec.slo
    if slo is None:
        return ()
    found = []
    if slo.ttft_seconds is not None:
        found.append(ttft_objective(slo.ttft_seconds))
    if slo.time_per_output_token_seconds is not None:
        found.append(tpot_objective(slo.time_per_output_token_seconds))
    return tuple(found)


def model_watch(
    config: StackConfig, model: ModelPlan, *, deployment: str, service: str, gpu_metrics: bool
) -> ModelWatch:
    return ModelWatch(
        name=model.name,
        namespace=config.namespace,
        deployment=deployment,
        service=service,
        max_replicas=model.max_replicas,
        queue_per_replica=model.spec.queue_per_replica,
        startup_budget_seconds=STARTUP_BUDGET_SECONDS,
        on_gpu=model.spec.pool is not None,
        gpu_metrics=gpu_metrics,
        objectives=objectives(model),
    )


def observe_model(
    config: StackConfig,
    model: ModelPlan,
    *,
    namespace: pulumi.Input[str],
    deployment: str,
    service: str,
    service_selector: dict[str, str],
    scraped: bool,
    prometheus: Prometheus | None,
    provider: pulumi.ProviderResource,
    after: list[pulumi.Resource],
    parent: pulumi.Resource | None = None,
) -> ModelWatch | None:
    """The model's rules, scrape and dashboard; None when the stack watches nothing."""
    if not watched(config, prometheus) or prometheus is None:
        return None
    watch = model_watch(config, model, deployment=deployment, service=service, gpu_metrics=prometheus.gpu_metrics)
    ModelObservability(
        model.name,
        ModelObservabilityArgs(
            namespace=namespace,
            watch=watch,
            service_selector=service_selector,
            scraped=scraped,
            after=[*prometheus.crds_ready, *after],
        ),
        opts=pulumi.ResourceOptions(provider=provider, parent=parent),
    )
    return watch


def observe_platform(
    config: StackConfig,
    watches: list[ModelWatch],
    *,
    namespace: pulumi.Input[str],
    prometheus: Prometheus | None,
    provider: pulumi.ProviderResource,
    parent: pulumi.Resource | None = None,
) -> None:
    """The GPUs' rules and the overview dashboard, in the serving namespace next to the models' own (and, in the
    preview tree, under the serving namespace's component: `parent`)."""
    if not watched(config, prometheus) or prometheus is None:
        return
    if not (prometheus.gpu_metrics or watches):
        return
    PlatformObservability(
        "platform",
        PlatformObservabilityArgs(
            namespace=namespace,
            models=watches,
            gpu_metrics=prometheus.gpu_metrics,
            after=prometheus.crds_ready,
            cost=dashboard_cost(config),
        ),
        opts=pulumi.ResourceOptions(provider=provider, parent=parent),
    )


def observe_gke_gpus(config: StackConfig, cluster: GpuCluster) -> None:
    """On GKE the GPUs' metrics go to Managed Prometheus (GKE's managed DCGM collection, on with `monitoring`), so
    their alerts are rules for its evaluator, not PrometheusRules (components/observability/gmp_rules.py)."""
    if config.monitoring and cluster.gpu_pools:
        gke_gpu_alerts(pulumi.ResourceOptions(provider=cluster.provider))


def _hourly(amount: Amount) -> Hourly:
    return Hourly(amount.usd, len(amount.unknown))


def dashboard_cost(config: StackConfig) -> DashboardCost | None:
    """The overview's prices, from the same cost model as the stack output `cost`; None on an existing cluster."""
    cost = stack_cost(config)
    if cost is None:
        return None
    return DashboardCost(
        replica_usd={
            name: None if model.replica.unknown else model.replica.usd
            for name, model in cost.models.items()
            if model.pool is not None
        },
        idle=_hourly(cost.idle),
        ceiling=_hourly(cost.ceiling),
        prices_as_of=cost.prices_as_of,
        unknown_prices=tuple(dict.fromkeys((*cost.idle.unknown, *cost.ceiling.unknown))),
    )
