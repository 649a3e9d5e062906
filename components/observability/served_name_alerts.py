"""Alerting rules for a served name (`servedNames`): its fallback has been in use for a while, or one of its models
never answers.

Both read agentgateway v1.4.1's `agentgateway_gen_ai_server_request_duration` histogram (crates/agentgateway/src/
telemetry/metrics.rs, under the `agentgateway` prefix of crates/core/src/metrics.rs), one count per LLM request,
labelled with the route (`<namespace>/<name>`, types/agent.rs as_route_name) and `gen_ai_response_model`, the model
that answered (the name its vLLM answers to: the config refuses two models of one served name that share it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

REQUESTS = "agentgateway_gen_ai_server_request_duration_count"
FALLBACK_FOR = "15m"
"""The first model answering none of the name's requests for this long is no blip: it is down, full or evicted."""
IDLE_WINDOW = "3d"
"""A model of the name answering nothing over this window, while the name is called, is paid for and unused."""


def served_name_rules(*, name: str, namespace: str, route: str, models: Sequence[str]) -> dict[str, Any]:
    """The served name's rule group; `models`: the names its models answer as, in the order the gateway tries them."""
    scope = f'route="{namespace}/{route}"'
    first = models[0]
    labels = {"severity": "warning", "served_name": name}
    called = f"sum(increase({REQUESTS}{{{scope}}}[{IDLE_WINDOW}])) > 0"
    return {
        "name": f"llm-platform.served.{name}",
        "rules": [
            {
                "alert": "LlmServedNameFallbackInUse",
                "expr": f'sum(rate({REQUESTS}{{{scope},gen_ai_response_model!="{first}"}}[5m])) > 0'
                f' unless sum(rate({REQUESTS}{{{scope},gen_ai_response_model="{first}"}}[5m])) > 0',
                "for": FALLBACK_FOR,
                "labels": labels,
                "annotations": {
                    "summary": f"Served name {name}: its fallback answers instead of {first}",
                    "description": f"For {FALLBACK_FOR} the requests of '{name}' have been answered by the models "
                    f"after {first}, and none by {first}: it fails (5xx, 429, connection errors) and the gateway "
                    f"keeps evicting it. Look at {first}'s own alerts and pods; clients are served, at the fallback's "
                    "price and quality.",
                },
            },
            *(
                {
                    "alert": "LlmServedNameModelIdle",
                    "expr": f"{called} unless "
                    f'sum(increase({REQUESTS}{{{scope},gen_ai_response_model="{model}"}}[{IDLE_WINDOW}])) > 0',
                    "for": "1h",
                    "labels": {**labels, "answered_as": model},
                    "annotations": {
                        "summary": f"Served name {name}: {model} has answered none of its requests",
                        "description": f"'{name}' has been called in the last {IDLE_WINDOW} and {model} has answered "
                        "none of its requests: a fallback never exercised is not known to work, and its replicas "
                        "are paid for. Send it a request directly, or drop it from the served name.",
                    },
                }
                for model in models
            ),
        ],
    }
