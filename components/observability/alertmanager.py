"""Where alerts go: kube-prometheus-stack's Alertmanager (v0.33.1 in chart 88.1.3), its receivers from config.

The receivers' URLs and keys are Pulumi secrets: they go into a Kubernetes Secret the chart mounts into the
Alertmanager pods (`alertmanagerSpec.secrets`, at /etc/alertmanager/secrets/<name>/) and the configuration names
the files (`url_file`, `api_url_file`, `webhook_url_file`, `routing_key_file`), so no secret is in the Helm values.
The schema has no AlertmanagerConfig CRD to validate against; the chart's `alertmanager.config` is the
Alertmanager configuration file itself (prometheus/alertmanager config/config.go at v0.33.1).
"""

from __future__ import annotations

from typing import Any

SECRET_NAME = "alert-receivers"
MOUNT = f"/etc/alertmanager/secrets/{SECRET_NAME}"

# Config key -> (receiver config list, its file field, the Secret's key).
_RECEIVERS: dict[str, tuple[str, str, str]] = {
    "alertWebhookUrl": ("webhook_configs", "url_file", "webhook-url"),
    "alertSlackWebhookUrl": ("slack_configs", "api_url_file", "slack-webhook-url"),
    "alertTeamsWebhookUrl": ("msteamsv2_configs", "webhook_url_file", "teams-webhook-url"),
    "alertPagerDutyRoutingKey": ("pagerduty_configs", "routing_key_file", "pagerduty-routing-key"),
}


def secret_keys(configured: list[str]) -> dict[str, str]:
    """Config key -> the key of the Secret that holds it."""
    return {key: _RECEIVERS[key][2] for key in configured}


# kube-prometheus-stack 88.1.3's own inhibitions (values.yaml `alertmanager.config.inhibit_rules`), kept whole: Helm
# replaces a list value rather than merging it, so leaving one out drops it. With them, the chart's InfoInhibitor
# (templates/prometheus/rules-1.14/general.rules.yaml: fires, severity "none", while an info alert fires in a
# namespace with no warning or critical alert) silences info alerts, which alone are noise.
CHART_INHIBIT_RULES: list[dict[str, Any]] = [
    {
        "source_matchers": ["severity = critical"],
        "target_matchers": ["severity =~ warning|info"],
        "equal": ["namespace", "alertname"],
    },
    {
        "source_matchers": ["severity = warning"],
        "target_matchers": ["severity = info"],
        "equal": ["namespace", "alertname"],
    },
    {"source_matchers": ["alertname = InfoInhibitor"], "target_matchers": ["severity = info"], "equal": ["namespace"]},
    {"target_matchers": ["alertname = InfoInhibitor"]},
]
NOWHERE = ("Watchdog", "InfoInhibitor")
"""The chart's alerts that exist for their effect, never to be sent: Watchdog (the pipeline is alive) and
InfoInhibitor (general.rules: "should be routed to a null receiver")."""


def alertmanager_config(configured: list[str]) -> dict[str, Any]:
    """The chart's default routing (its inhibitions, Watchdog and InfoInhibitor to nowhere) with every other alert
    to the `platform` receiver, which sends to each configured destination; none configured: `platform` has no
    destination and alerts are seen in Alertmanager's UI."""
    platform: dict[str, Any] = {"name": "platform"}
    for key in configured:
        section, field, secret_key = _RECEIVERS[key]
        platform.setdefault(section, []).append({field: f"{MOUNT}/{secret_key}", "send_resolved": True})
    return {
        "global": {"resolve_timeout": "5m"},
        "inhibit_rules": CHART_INHIBIT_RULES,
        "route": {
            "group_by": ["namespace", "alertname", "model"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "12h",
            "receiver": "platform",
            "routes": [{"receiver": "null", "matchers": [f'alertname = "{alert}"']} for alert in NOWHERE],
        },
        "receivers": [{"name": "null"}, platform],
        "templates": ["/etc/alertmanager/config/*.tmpl"],
    }
