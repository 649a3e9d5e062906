"""Observability keys of the stack configuration: latency objectives, Grafana, alert receivers."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import ConfigError, parse_config


def problems(raw: dict[str, Any], **kwargs: Any) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(raw, stack="test", **kwargs)
    return [str(issue) for issue in error.value.issues]


def stack(**keys: Any) -> dict[str, Any]:
    return {"target": "existing", "models": {"chat": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct"}}, **keys}


def with_slo(**slo: Any) -> dict[str, Any]:
    return stack(models={"chat": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "slo": slo}})


def test_objectives_on_vllms_bucket_bounds_are_accepted() -> None:
    config = parse_config(with_slo(ttftSeconds=0.5, timePerOutputTokenSeconds=0.05), stack="test")
    slo = config.models["chat"].spec.slo
    assert slo is not None
    assert (slo.ttft_seconds, slo.time_per_output_token_seconds) == (0.5, 0.05)


def test_an_objective_between_bucket_bounds_is_refused() -> None:
    assert problems(with_slo(ttftSeconds=0.3)) == [
        "models.chat.slo.ttftSeconds: 0.3, must be a bound of vLLM's histogram buckets (a share of requests is known "
        "only there): 0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, "
        "80, 160, 640, 2560"
    ]
    assert problems(with_slo(timePerOutputTokenSeconds=0.06))[0].startswith(
        "models.chat.slo.timePerOutputTokenSeconds: 0.06, must be a bound of vLLM's histogram buckets"
    )


def test_unknown_objective_keys_are_refused() -> None:
    assert problems(with_slo(p99Seconds=1))[0].startswith("models.chat.slo.p99Seconds: unknown key")


def test_grafana_needs_the_stacks_own_prometheus() -> None:
    why = "they come with the kube-prometheus-stack the stack installs with monitoring: true and no prometheusUrl"
    assert problems(stack(grafana=True)) == [f"grafana: true, needs monitoring: true and no prometheusUrl ({why})"]
    assert problems(stack(grafana=True, monitoring=True, prometheusUrl="http://prometheus.obs:9090")) == [
        f"grafana: true, needs monitoring: true and no prometheusUrl ({why})"
    ]
    parse_config(stack(grafana=True, monitoring=True), stack="test")


@pytest.mark.parametrize(
    "key", ["alertWebhookUrl", "alertSlackWebhookUrl", "alertTeamsWebhookUrl", "alertPagerDutyRoutingKey"]
)
def test_alert_receivers_are_refused_in_plain_text(key: str) -> None:
    assert problems(stack(monitoring=True, **{key: "https://hooks.example.com/x"})) == [
        f"{key}: must be a Pulumi secret, but is stored in plain text; run `pulumi config set --secret {key} <value>`"
    ]


def test_an_alert_receiver_needs_the_stacks_alertmanager() -> None:
    assert problems(stack(alertSlackWebhookUrl="ciphertext"), secret_keys={"alertSlackWebhookUrl": True}) == [
        "alertSlackWebhookUrl: is set, but the stack runs no Alertmanager (they come with the kube-prometheus-stack "
        "the stack installs with monitoring: true and no prometheusUrl); route alerts in your own Alertmanager"
    ]
    parse_config(
        stack(monitoring=True, alertSlackWebhookUrl="ciphertext"),
        stack="test",
        secret_keys={"alertSlackWebhookUrl": True},
    )
