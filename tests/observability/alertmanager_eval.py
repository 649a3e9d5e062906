"""Alertmanager's routing and inhibition, as prometheus/alertmanager v0.33.1 applies a configuration to alerts
(dispatch/route.go: the first matching child route unless `continue`; inhibit/inhibit.go: a firing source alert, not
the target itself, with the `equal` labels alike), for the matcher forms the stack writes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')

Alert = Mapping[str, str]


def matches(matchers: Sequence[str], alert: Alert) -> bool:
    for matcher in matchers:
        found = _MATCHER.match(matcher)
        assert found, f"unparsed matcher {matcher!r}"
        name, op, value = found.groups()
        label = alert.get(name, "")
        if op in ("=~", "!~"):
            hit = re.fullmatch(value, label) is not None
            if hit != (op == "=~"):
                return False
        elif (label == value) != (op == "="):
            return False
    return True


def receiver(config: Mapping[str, Any], alert: Alert) -> str:
    """The receiver the alert is sent to (the routes the stack writes have no `continue` and no nesting)."""
    route = config["route"]
    for child in route.get("routes", []):
        assert not child.get("continue"), "the evaluator handles routes without `continue` only"
        assert not child.get("routes"), "the evaluator handles flat routes only"
        if matches(child.get("matchers", []), alert):
            return str(child["receiver"])
    return str(route["receiver"])


def inhibited(config: Mapping[str, Any], alert: Alert, firing: Sequence[Alert]) -> bool:
    """Whether an inhibition rule mutes `alert` while the `firing` alerts fire."""
    for rule in config.get("inhibit_rules", []):
        if not matches(rule.get("target_matchers", []), alert):
            continue
        for source in firing:
            if source is alert or not matches(rule.get("source_matchers", []), source):
                continue
            if all(source.get(label, "") == alert.get(label, "") for label in rule.get("equal", [])):
                return True
    return False


def notifies(config: Mapping[str, Any], alert: Alert, firing: Sequence[Alert]) -> bool:
    """Whether `alert` reaches a receiver with a destination (not the `null` receiver, not inhibited)."""
    return receiver(config, alert) != "null" and not inhibited(config, alert, firing)
