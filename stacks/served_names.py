"""The stack's served names (`servedNames`): each one's models in the order the gateway tries them, priced from the
plan, deployed as one ServedNameRoute, and reported in the `servedNames` stack output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.observability.served_name_alerts import served_name_rules
from components.observability.watch import prometheus_rule
from components.serving.gateway import GatewayRef
from components.serving.metadata import PART_OF
from components.serving.routes import REQUEST_TIMEOUT_SECONDS
from components.serving.served_names import (
    Candidate,
    ServedNameRoute,
    ServedNameRouteArgs,
    ordered,
    proxy_monitor_spec,
    resource_name,
)
from stacks.config import RouteMember, ServedOrder, StackConfig, Task
from stacks.cost import StackCost
from stacks.model import service_endpoint


def candidate_models(config: StackConfig) -> set[str]:
    """The models some served name sends requests to: the Gateway's proxies must reach them."""
    return {model for entry in config.served_names.values() for model in entry.models}


def saturation_limits(config: StackConfig, cost: StackCost | None) -> dict[str, int]:
    """Requests in flight per replica past which a model that a served name can fall back from answers 503 at once
    (its gateway then tries the next model): the batch vLLM runs at once (`max_num_seqs`, from its sizing) plus the
    queue at which KEDA adds a replica. The last model of every served name keeps vLLM's unbounded queue (slow beats
    refused when nothing is left to fall back to), and so do CPU models, whose batch the stack does not size."""
    limits: dict[str, int] = {}
    for name in config.served_names:
        for candidate in candidates(config, name, cost)[:-1]:
            model = config.models[candidate.model]
            if model.sizing is not None:
                limits[candidate.model] = model.sizing.terms.max_num_seqs + model.spec.queue_per_replica
    last = {candidates(config, name, cost)[-1].model for name in config.served_names}
    return {model: limit for model, limit in limits.items() if model not in last}


def served_hosts(config: StackConfig) -> list[str]:
    return [entry.host for entry in config.served_names.values()]


def replica_price(cost: StackCost | None, model: str) -> float | None:
    """The plan's USD per replica-hour of the model; None off a cloud or when a price it needs is unknown."""
    if cost is None or model not in cost.models:
        return None
    replica = cost.models[model].replica
    return None if replica.unknown else round(replica.usd, 4)


def candidates(config: StackConfig, name: str, cost: StackCost | None) -> tuple[Candidate, ...]:
    """The served name's models in the order the gateway tries them."""
    entry = config.served_names[name]
    listed = []
    for model_name in entry.models:
        model = config.models[model_name]
        service, port = service_endpoint(
            RouteMember(
                name=model_name,
                weight=100,
                sleeps=model.sleeps,
                engine=model.spec.engine,
                through_pool=model.through_pool,
            )
        )
        listed.append(
            Candidate(
                model=model_name,
                served_model_name=model.served_model_name,
                service=service,
                port=port,
                pool=model.through_pool,
                usd_per_replica_hour=replica_price(cost, model_name),
            )
        )
    return ordered(listed, cheapest=entry.order is ServedOrder.CHEAPEST)


def deploy_served_names(
    config: StackConfig,
    *,
    gateway: GatewayRef | None,
    namespace: pulumi.Input[str],
    cost: StackCost | None,
    after: list[pulumi.Resource],
    alerts_after: list[pulumi.Resource] | None,
    keys: Mapping[str, pulumi.Output[str]],
    opts: pulumi.ResourceOptions,
) -> dict[str, str]:
    """Each served name's route on the stack's Gateway, and its alerts when the stack's Prometheus Operator evaluates
    them (`alerts_after`: what installs its CRDs; None: no operator); its public OpenAI base URL by name."""
    if gateway is None:
        return {}
    monitor = proxy_monitor_spec(gateway)
    if alerts_after is not None and monitor is not None and config.served_names:
        k8s.apiextensions.CustomResource(
            "gateway-proxies-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata={
                "name": "gateway-proxies",
                "namespace": namespace,
                "labels": {"app.kubernetes.io/part-of": PART_OF},
            },
            spec=monitor,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=alerts_after)),
        )
    urls = {}
    for name, entry in config.served_names.items():
        ordered_models = candidates(config, name, cost)
        route = ServedNameRoute(
            name,
            ServedNameRouteArgs(
                namespace=namespace,
                namespace_name=config.namespace,
                gateway=gateway,
                host=entry.host,
                path=entry.path,
                candidates=ordered_models,
                embed=config.models[entry.models[0]].task is Task.EMBED,
                timeout_seconds=REQUEST_TIMEOUT_SECONDS,
                after=after,
                access=config.route_access[resource_name(name)],
                keys=keys,
            ),
            opts=opts,
        )
        urls[name] = route.url
        if alerts_after is not None:
            rules = served_name_rules(
                name=name,
                namespace=config.namespace,
                route=resource_name(name),
                models=[candidate.served_model_name for candidate in ordered_models],
            )
            prometheus_rule(
                resource_name(name),
                namespace,
                rules,
                pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=route, depends_on=alerts_after)),
            )
    return urls


def served_names_output(config: StackConfig, cost: StackCost | None, urls: Mapping[str, str]) -> dict[str, Any]:
    """The `servedNames` stack output: per name, its URL, its order rule and its models in order with their price
    per replica-hour (what the plan summary and the plan diff show)."""
    return {
        name: {
            "publicUrl": urls.get(name),
            "order": entry.order.value,
            "models": [
                {
                    "model": candidate.model,
                    "servedModelName": candidate.served_model_name,
                    "usdPerReplicaHour": candidate.usd_per_replica_hour,
                }
                for candidate in candidates(config, name, cost)
            ],
        }
        for name, entry in config.served_names.items()
    }
