"""Alerting rules for a model's endpoint picker (`routing: inference`): it is down, or it is slow to decide.

Both are warnings: the pool fails open, so without its picker the Gateway still serves every request, balanced by
its own round robin instead of by queue, KV cache and prefix; and a slow picker adds its delay to every request's
time to first token. Series are llm-d-router v0.10.0's (pkg/epp/metrics/llm_d_router_metrics.go: the `llm_d_epp`
subsystem) and kube-state-metrics'.
"""

from __future__ import annotations

from typing import Any

from components.observability.promql import selector

DOWN_FOR = "5m"
DECISION_SECONDS = 0.05
"""A scheduling decision slower than this is slow: a bucket bound of `llm_d_epp_scheduler_e2e_duration_seconds`
(0.1 ms to 0.1 s), far above the picker's usual fraction of a millisecond."""
SLOW_SHARE = 0.01
"""Slow decisions above this share (p99 above DECISION_SECONDS) for SLOW_FOR raise the alert."""
SLOW_FOR = "10m"
DECISIONS = "llm_d_epp_scheduler_e2e_duration_seconds"


def picker_rules(*, model: str, namespace: str, deployment: str, service: str) -> dict[str, Any]:
    """The picker's rule group: `deployment` and `service` are the picker's (its Service names the scrape job)."""
    labels = {"severity": "warning", "model": model}
    workload = selector(namespace=namespace, deployment=deployment)
    scrape = selector(namespace=namespace, job=service)
    within = f'sum(rate({DECISIONS}_bucket{{{scrape},le="{DECISION_SECONDS:g}"}}[5m]))'
    total = f"sum(rate({DECISIONS}_count{{{scrape}}}[5m]))"
    return {
        "name": f"llm-platform.picker.{model}",
        "rules": [
            {
                "alert": "LlmEndpointPickerDown",
                "expr": f"kube_deployment_spec_replicas{{{workload}}} > 0"
                f" and on(namespace, deployment) kube_deployment_status_replicas_available{{{workload}}} == 0",
                "for": DOWN_FOR,
                "labels": labels,
                "annotations": {
                    "summary": f"The endpoint picker of {model} has no leader",
                    "description": f"No picker of {model} has been Ready (the leader is the only Ready one) for "
                    f"{DOWN_FOR}. The pool fails open: requests still flow, spread by the Gateway without regard "
                    "to queues, KV cache or prefixes, so latency rises under load. Read the picker's logs "
                    f"(kubectl logs -n {namespace} deploy/{deployment}) and events.",
                },
            },
            {
                "alert": "LlmEndpointPickerSlow",
                "expr": f"(1 - {within} / {total}) > {SLOW_SHARE:g}",
                "for": SLOW_FOR,
                "labels": labels,
                "annotations": {
                    "summary": f"The endpoint picker of {model} is slow to decide",
                    "description": f"More than {SLOW_SHARE:.0%} of {model}'s scheduling decisions have taken "
                    f"longer than {DECISION_SECONDS * 1000:g} ms for {SLOW_FOR}, a delay added to every request. "
                    "Look at the picker's CPU (its limit throttles it) and at llm_d_epp_plugin_duration_seconds "
                    "for the slow plugin.",
                },
            },
        ],
    }
