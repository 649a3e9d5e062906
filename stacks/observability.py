"""What watches the models: alerts, the vLLM scrape and dashboards, wherever the stack has a Prometheus with
`monitoring: true`. Called once per model from stacks/serving.py and once for the platform."""

from __future__ import annotations

import pulumi

from components.clusters.contract import GpuCluster
from components.observability.alerts import ModelWatch
from components.observability.cost_panels import DashboardCost, Hourly
from components.observability.gmp_rules import gke_gpu_alerts
from components.observability.watch import (
    ModelObservability,
    ModelObservabilityArgs,
    PlatformObservability,
    PlatformObservabilityArgs,
)
from stacks.config import ModelPlan, StackConfig
from stacks.cost import Amount, StackCost
from stacks.monitoring import Prometheus


def watched(monitoring: bool, prometheus: Prometheus | None) -> bool:
    """Alerts and dashboards need `monitoring` and a Prometheus that evaluates rules."""
    return monitoring and prometheus is not None and bool(prometheus.url)


def model_watch(model: ModelPlan, *, deployment: str, service: str, gpu_metrics: bool) -> ModelWatch:
    return ModelWatch(
        name=model.name,
        namespace=model.namespace,
        deployment=deployment,
        service=service,
        max_replicas=model.max_replicas,
        queue_per_replica=model.spec.queue_per_replica,
        # No ready replica for longer than a wake from zero may take (the prediction's, components/cold_start.py).
        startup_budget_seconds=model.wake_budget_seconds,
        on_gpu=model.spec.pool is not None,
        gpu_metrics=gpu_metrics,
        objectives=model.objectives,
        group_nodes=model.sizing.nodes if model.sizing is not None else 1,
        kv_cache=model.keeps_kv_cache,
    )


def observe_model(
    model: ModelPlan,
    *,
    monitoring: bool,
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
    if not watched(monitoring, prometheus) or prometheus is None:
        return None
    watch = model_watch(model, deployment=deployment, service=service, gpu_metrics=prometheus.gpu_metrics)
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
    cost: StackCost | None,
    namespace: pulumi.Input[str],
    prometheus: Prometheus | None,
    provider: pulumi.ProviderResource,
    parent: pulumi.Resource | None = None,
) -> None:
    """The GPUs' rules and the overview dashboard, in the serving namespace next to the models' own (and, in the
    preview tree, under the serving namespace's component: `parent`); `cost`: the stack's, as its `cost` output
    shows it."""
    if not watched(config.monitoring, prometheus) or prometheus is None:
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
            cost=dashboard_cost(cost),
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


def dashboard_cost(cost: StackCost | None) -> DashboardCost | None:
    """The overview's prices: the stack output `cost`'s, as panels show them; None on an existing cluster."""
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
