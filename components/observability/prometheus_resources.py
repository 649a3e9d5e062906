"""What each pod of the stack's kube-prometheus-stack (chart 88.1.3) requests and may use, on every target.

The chart leaves every `resources` at `{}` (values.yaml): its pods would be BestEffort, invisible to the scheduler
(a laptop's kind node would be overcommitted without anyone saying so) and the first evicted under memory
pressure. The numbers are the same on every target: what these pods use grows with the series and objects they
watch, and the stack's clusters stay small (a few nodes, a handful of models and GPUs); Prometheus's limit leaves
room for the large ones. Memory has a limit (a leak stops at it); CPU has none: it is compressible, and a limit
would only throttle a rule evaluation or a reload.
"""

from __future__ import annotations

from typing import Any

PROMETHEUS: dict[str, Any] = {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "4Gi"}}
"""Prometheus itself (prometheus.prometheusSpec.resources): the chart's scrapes (kubelet, cAdvisor, the API
server, kube-state-metrics) plus vLLM's and DCGM's series keep a small cluster's head block around 0.5-1 GiB."""

ALERTMANAGER: dict[str, Any] = {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
"""Alertmanager (alertmanager.alertmanagerSpec.resources): a few dozen alerts and their notification log."""

OPERATOR: dict[str, Any] = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}
"""The Prometheus Operator (prometheusOperator.resources): it caches the cluster's monitors, rules and the
Secrets and ConfigMaps they name."""

CONFIG_RELOADER: dict[str, Any] = {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}}
"""The config-reloader the operator adds to the Prometheus and Alertmanager pods, as a sidecar and an init
container (prometheusOperator.prometheusConfigReloader.resources, passed as --config-reloader-* flags; the chart
passes "0", no request at all, when unset): it only watches files and calls a reload endpoint."""

KUBE_STATE_METRICS: dict[str, Any] = {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
"""kube-state-metrics (the subchart's `resources`): one series set per object of the cluster."""

WEBHOOK_CERT_JOBS: dict[str, Any] = {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}}
"""The admission webhook's certificate Jobs, kube-webhook-certgen `create` (pre-install) and `patch`
(post-install) (prometheusOperator.admissionWebhooks.patch.resources): one short-lived process each."""
