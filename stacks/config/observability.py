"""Observability settings of the stack configuration: per-model latency objectives, Grafana, alert receivers.

The pydantic models are referenced from stacks/config/loader.py; the cross-key rules run from its `parse_config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from components.observability.alerts import OBJECTIVE_BUCKETS

if TYPE_CHECKING:
    import pulumi

ALERT_RECEIVER_KEYS = ("alertWebhookUrl", "alertSlackWebhookUrl", "alertTeamsWebhookUrl", "alertPagerDutyRoutingKey")
"""Where Alertmanager sends alerts; each a Pulumi secret (a URL or key that lets anyone post there)."""


class SloConfig(BaseModel):
    """Latency objectives at p95: 95% of requests within each bound, alerted on their error budget's burn rate."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True, use_attribute_docstrings=True
    )

    ttft_seconds: float | None = Field(default=None, gt=0)
    """Time to first token."""
    time_per_output_token_seconds: float | None = Field(default=None, gt=0)
    """Time per output token after the first (decode speed as a user sees it)."""
    request_latency_seconds: float | None = Field(default=None, gt=0)
    """Whole-request latency: what an embedding model (`task: embed`) is held to; from 0.3 s (vLLM's buckets)."""


@dataclass(frozen=True)
class ObservabilityIssue:
    path: str
    message: str


def _bounds(values: tuple[float, ...]) -> str:
    return ", ".join(f"{value:g}" for value in values)


def check_slo(name: str, slo: SloConfig | None) -> list[ObservabilityIssue]:
    """An objective's bound must be one of vLLM's bucket bounds: the share of requests within any other is unknown."""
    if slo is None:
        return []
    issues = []
    for key, value in (
        ("ttftSeconds", slo.ttft_seconds),
        ("timePerOutputTokenSeconds", slo.time_per_output_token_seconds),
        ("requestLatencySeconds", slo.request_latency_seconds),
    ):
        if value is not None and value not in OBJECTIVE_BUCKETS[key]:
            issues.append(
                ObservabilityIssue(
                    f"models.{name}.slo.{key}",
                    f"{value:g}, must be a bound of vLLM's histogram buckets (a share of requests is known only "
                    f"there): {_bounds(OBJECTIVE_BUCKETS[key])}",
                )
            )
    return issues


def check_stack(
    *, monitoring: bool, prometheus_url: str | None, grafana: bool, receivers: list[str]
) -> list[ObservabilityIssue]:
    """Grafana and alert receivers live in the kube-prometheus-stack the stack installs with `monitoring: true`."""
    issues = []
    owned = monitoring and prometheus_url is None
    why = "they come with the kube-prometheus-stack the stack installs with monitoring: true and no prometheusUrl"
    if grafana and not owned:
        issues.append(ObservabilityIssue("grafana", f"true, needs monitoring: true and no prometheusUrl ({why})"))
    for key in receivers:
        if not owned:
            issues.append(
                ObservabilityIssue(
                    key,
                    f"is set, but the stack runs no Alertmanager ({why}); route alerts in your own Alertmanager",
                )
            )
    return issues


@dataclass(frozen=True)
class AlertReceivers:
    """Alert destinations, each a Pulumi secret; empty: alerts show in Alertmanager's and Prometheus's UIs only."""

    secrets: Mapping[str, pulumi.Output[str]]
    """Config key (ALERT_RECEIVER_KEYS) -> its secret value."""
