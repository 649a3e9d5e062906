"""What the example stacks and the Prometheus stack component plan for observability."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.observability import alertmanager
from components.observability.prometheus import PrometheusStack, PrometheusStackArgs, prometheus_values
from tests.observability.alertmanager_eval import notifies, receiver
from tests.support import Registered, stack_config
from tools.offline import Mode, stack_names
from tools.plan import dashboards

WATCHED = [s for s in stack_names() if stack_config(s).get("llm-platform:monitoring") is True]
PROD = [s for s in stack_names() if s.startswith("prod-")]


def _manifests(plans: dict[Any, Any], stack: str, kind: str) -> list[dict[str, Any]]:
    return [body for body in plans[(stack, Mode.UPDATE)].manifests.values() if body["kind"] == kind]


def _release(plans: dict[Any, Any], stack: str) -> dict[str, Any]:
    resources = plans[(stack, Mode.UPDATE)].document["resources"]
    return next(r for r in resources if r["name"] == "prometheus-release")["inputs"]


def test_every_prod_stack_watches_its_models() -> None:
    assert set(PROD) <= set(WATCHED)


@pytest.mark.parametrize("stack", WATCHED)
def test_every_model_has_its_own_rule_group_and_scrape(plans: dict[Any, Any], stack: str) -> None:
    models = stack_config(stack)["llm-platform:models"]
    groups = {g["name"]: g for rule in _manifests(plans, stack, "PrometheusRule") for g in rule["spec"]["groups"]}
    for name in models:
        alerts = {r["alert"] for r in groups[f"llm-platform.model.{name}"]["rules"]}
        assert {"LlmModelNoReadyReplica", "LlmModelCapacityExhausted", "LlmModelErrorsRising"} <= alerts
    monitors = {m["metadata"]["name"] for m in _manifests(plans, stack, "ServiceMonitor")}
    assert {f"{name}-vllm" for name in models} <= monitors


@pytest.mark.parametrize("stack", WATCHED)
def test_the_stacks_prometheus_evaluates_every_rule_and_alertmanager_runs(plans: dict[Any, Any], stack: str) -> None:
    values = _release(plans, stack)["values"]
    assert values["prometheus"]["prometheusSpec"]["ruleSelectorNilUsesHelmValues"] is False
    assert values["alertmanager"]["enabled"] is True


def test_gpu_alerts_where_the_stack_scrapes_dcgm_and_not_on_gke(plans: dict[Any, Any]) -> None:
    def groups(stack: str) -> set[str]:
        return {g["name"] for rule in _manifests(plans, stack, "PrometheusRule") for g in rule["spec"]["groups"]}

    assert "llm-platform.gpus" in groups("prod-aws")
    assert "llm-platform.gpus" in groups("prod-azure")
    # GKE's managed DCGM metrics go to Managed Prometheus, not to this Prometheus.
    assert "llm-platform.gpus" not in groups("prod-gcp")


@pytest.mark.parametrize("stack", PROD)
def test_prod_stacks_run_grafana_with_a_generated_password_kept_out_of_helm_values(
    plans: dict[Any, Any], stack: str
) -> None:
    values = _release(plans, stack)["values"]
    assert values["grafana"]["enabled"] is True
    assert values["grafana"]["admin"]["existingSecret"] == "grafana-admin"
    assert "adminPassword" not in json.dumps(values)
    secret = next(s for s in _manifests(plans, stack, "Secret") if s["metadata"]["name"] == "grafana-admin")
    assert secret["metadata"]["namespace"] == "monitoring"
    assert secret["stringData"] == {"admin-user": "[secret]", "admin-password": "[secret]"}


@pytest.mark.parametrize("stack", PROD)
def test_prod_stacks_deliver_an_overview_and_one_dashboard_per_model(plans: dict[Any, Any], stack: str) -> None:
    models = stack_config(stack)["llm-platform:models"]
    assert set(dashboards(plans[(stack, Mode.UPDATE)])) == {
        "llm-overview.json",
        *(f"llm-model-{name}.json" for name in models),
    }
    for config_map in _manifests(plans, stack, "ConfigMap"):
        if config_map["metadata"]["name"].startswith("llm-"):
            assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"


def test_every_example_stack_with_models_watches_them() -> None:
    with_models = [s for s in stack_names() if stack_config(s).get("llm-platform:models")]
    assert "dev" in with_models
    assert set(with_models) <= set(WATCHED)


def test_the_laptop_stack_alerts_on_its_cpu_model_without_gpu_parts(plans: dict[Any, Any]) -> None:
    [rule] = _manifests(plans, "dev", "PrometheusRule")
    [group] = rule["spec"]["groups"]
    assert group["name"] == "llm-platform.model.qwen"
    alerts = {r["alert"] for r in group["rules"]}
    assert {"LlmModelNoReadyReplica", "LlmModelErrorsRising", "LlmModelKvCacheNearFull"} <= alerts
    # No GPU pool: no DCGM exporter, no GPU rules, no alert waiting for a GPU.
    assert not {"LlmModelPodPendingForGpu", "LlmModelGpuIdleWhileQueueWaits"} & alerts
    assert "dcgm" not in json.dumps(plans[("dev", Mode.UPDATE)].document).lower()


def test_a_stack_without_monitoring_has_no_alerts() -> None:
    from tools.offline import run_program
    from tools.plan import build_plan

    plan = build_plan(run_program("dev", Mode.UPDATE, config_overrides={"monitoring": "false"}))
    assert not [body for body in plan.manifests.values() if body["kind"] == "PrometheusRule"]
    assert not [r for r in plan.document["resources"] if r["name"] == "prometheus-release"]


def test_without_grafana_or_alerting_the_chart_runs_neither() -> None:
    values = prometheus_values()
    assert values["grafana"] == {"enabled": False}
    assert values["alertmanager"] == {"enabled": False}
    assert "ruleSelectorNilUsesHelmValues" not in values["prometheus"]["prometheusSpec"]


@pytest.mark.parametrize("alerting", [False, True])
def test_every_pod_of_the_chart_requests_cpu_and_memory_and_has_a_memory_limit(alerting: bool) -> None:
    values = prometheus_values(alerting=alerting)
    operator = values["prometheusOperator"]
    sized = [
        values["prometheus"]["prometheusSpec"]["resources"],
        operator["resources"],
        operator["prometheusConfigReloader"]["resources"],
        operator["admissionWebhooks"]["patch"]["resources"],
        values["kube-state-metrics"]["resources"],
    ]
    if alerting:
        sized.append(values["alertmanager"]["alertmanagerSpec"]["resources"])
    for resources in sized:
        assert set(resources["requests"]) == {"cpu", "memory"}
        assert set(resources["limits"]) == {"memory"}


def test_the_chart_scrapes_no_control_plane_part_the_clusters_hide_so_none_alerts_forever() -> None:
    values = prometheus_values(alerting=True)
    for part in ("kubeControllerManager", "kubeScheduler", "kubeEtcd"):
        assert values[part] == {"enabled": False}


def test_alerts_without_receivers_route_to_a_receiver_with_no_destination() -> None:
    config = alertmanager.alertmanager_config([])
    assert config["route"]["receiver"] == "platform"
    assert {"name": "platform"} in config["receivers"]


def test_receivers_read_their_secret_from_the_mounted_secret(under_mocks: Any) -> None:
    def program() -> None:
        PrometheusStack(
            "prometheus",
            PrometheusStackArgs(
                alerting=True,
                receivers={
                    "alertSlackWebhookUrl": pulumi.Output.secret("https://hooks.slack.com/services/T/B/X"),
                    "alertPagerDutyRoutingKey": pulumi.Output.secret("R0UT1NGKEY"),
                },
            ),
        )

    registered: Registered = under_mocks(program)
    values = registered.inputs("kubernetes:helm.sh/v3:Release")["values"]
    platform = next(r for r in values["alertmanager"]["config"]["receivers"] if r["name"] == "platform")
    assert platform["slack_configs"] == [
        {"api_url_file": "/etc/alertmanager/secrets/alert-receivers/slack-webhook-url", "send_resolved": True}
    ]
    assert platform["pagerduty_configs"] == [
        {"routing_key_file": "/etc/alertmanager/secrets/alert-receivers/pagerduty-routing-key", "send_resolved": True}
    ]
    assert values["alertmanager"]["alertmanagerSpec"]["secrets"] == ["alert-receivers"]
    assert "hooks.slack.com" not in json.dumps(values)
    secret = registered.one("kubernetes:core/v1:Secret")
    assert secret.inputs["metadata"]["name"] == "alert-receivers"
    # The whole map is a secret (Pulumi's secret envelope: a signature key and the value).
    assert set(secret.inputs["stringData"]["value"]) == {"slack-webhook-url", "pagerduty-routing-key"}


def test_gpu_series_keep_the_namespace_and_pod_of_the_model_holding_the_gpu() -> None:
    from components.observability.dcgm import service_monitor_spec

    assert service_monitor_spec("nvidia-gpu")["endpoints"][0]["honorLabels"] is True


def test_the_plan_shows_a_secret_maps_keys_and_hides_every_value() -> None:
    from pulumi.runtime import rpc

    from tools.offline import reveal

    wrapped = {rpc._special_sig_key: rpc._special_secret_sig, "value": {"admin-password": "hunter2"}}
    assert reveal({"stringData": wrapped}) == {"stringData": {"admin-password": "[secret]"}}
    assert reveal({rpc._special_sig_key: rpc._special_secret_sig, "value": "hunter2"}) == "[secret]"


def test_a_secret_map_unknown_at_preview_is_checked_as_an_empty_map() -> None:
    from tools.validation import builtin_errors

    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "grafana-admin"}, "stringData": "[secret]"}
    assert builtin_errors(body, "1.34") == []
    assert builtin_errors({**body, "kind": "ConfigMap", "data": "[secret]"}, "1.34") != []


def test_with_prometheus_url_the_rules_and_monitors_still_go_to_the_cluster() -> None:
    from tools.offline import run_program
    from tools.plan import build_plan

    plan = build_plan(
        run_program(
            "prod-aws",
            Mode.UPDATE,
            config_overrides={"prometheusUrl": "http://prometheus.observability:9090", "grafana": "false"},
        )
    )
    kinds = [body["kind"] for body in plan.manifests.values()]
    # Each model, the GPUs, and each model's endpoint picker (`routing: inference`, one InferencePool each).
    expected = len(plan.document["outputs"]["models"]) + 1 + kinds.count("InferencePool")
    assert kinds.count("InferencePool") == 1
    assert kinds.count("PrometheusRule") == expected
    assert not [r for r in plan.document["resources"] if r["name"] == "prometheus-release"]


def test_a_receiver_set_as_a_secret_reaches_alertmanager_and_never_the_plan_in_clear() -> None:
    from tools.offline import run_program
    from tools.plan import build_plan

    hook = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnop"
    plan = build_plan(run_program("prod-aws", Mode.UPDATE, secret_overrides={"alertSlackWebhookUrl": hook}))
    secret = plan.manifests["secret-monitoring-alert-receivers.yaml"]
    assert secret["stringData"] == {"slack-webhook-url": "[secret]"}
    assert hook not in json.dumps(plan.document)
    values = next(r for r in plan.document["resources"] if r["name"] == "prometheus-release")["inputs"]["values"]
    assert values["alertmanager"]["alertmanagerSpec"]["secrets"] == ["alert-receivers"]


def _alert(name: str, severity: str, namespace: str = "llm-serving") -> dict[str, str]:
    return {"alertname": name, "severity": severity, "namespace": namespace}


def test_the_charts_info_inhibitor_is_sent_nowhere() -> None:
    config = alertmanager.alertmanager_config(["alertSlackWebhookUrl"])
    inhibitor = _alert("InfoInhibitor", "none")
    info = _alert("KubeQuotaAlmostFull", "info")
    assert receiver(config, inhibitor) == "null"
    assert not notifies(config, inhibitor, [inhibitor, info])


def test_an_info_alert_is_muted_while_the_info_inhibitor_fires_in_its_namespace() -> None:
    config = alertmanager.alertmanager_config(["alertSlackWebhookUrl"])
    info = _alert("KubeQuotaAlmostFull", "info")
    assert not notifies(config, info, [info, _alert("InfoInhibitor", "none")])
    assert notifies(config, info, [info, _alert("InfoInhibitor", "none", namespace="other")])


def test_a_warning_mutes_the_info_alert_of_the_same_name_and_namespace() -> None:
    config = alertmanager.alertmanager_config(["alertSlackWebhookUrl"])
    info = _alert("KubeQuotaAlmostFull", "info")
    assert not notifies(config, info, [info, _alert("KubeQuotaAlmostFull", "warning")])


def test_warnings_and_critical_alerts_still_reach_the_platform_receiver() -> None:
    config = alertmanager.alertmanager_config(["alertSlackWebhookUrl"])
    critical = _alert("ModelDown", "critical")
    warning = _alert("KvCacheFull", "warning")
    firing = [critical, warning, _alert("InfoInhibitor", "none")]
    assert receiver(config, critical) == receiver(config, warning) == "platform"
    assert notifies(config, critical, firing)
    assert notifies(config, warning, firing)
