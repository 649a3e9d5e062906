"""Which HTTPRoute rule a request's host and path select, and the path its backend then sees, as Gateway API v1 defines
them (gateway-api apis/v1/httproute_types.go, HTTPRouteRule and HTTPPathMatch):

- `Exact` matches the path itself; `PathPrefix` matches by path element ("/v1" matches "/v1" and "/v1/models", not
  "/v1x"), a trailing "/" of the prefix ignored.
- Among the matches of every route on the host, an `Exact` match wins, then the `PathPrefix` with the most
  characters; then the oldest route, then namespace/name alphabetically (the plan has no creation times: the name
  decides), then the first rule of the route.
- A `URLRewrite` filter's `ReplacePrefixMatch` replaces the matched prefix (with a `PathPrefix` match only);
  `ReplaceFullPath` replaces the whole path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tools.planned_cluster import BlockedError, Cluster


@dataclass(frozen=True)
class Selected:
    """The route rule a request selects, by which match, and the path its backends receive."""

    route: dict[str, Any]
    rule: dict[str, Any]
    match: Mapping[str, Any]
    forwarded_path: str


def path_matches(match: Mapping[str, Any], path: str) -> bool:
    path_match = match.get("path") or {"type": "PathPrefix", "value": "/"}
    kind, value = path_match.get("type", "PathPrefix"), path_match["value"]
    if kind == "Exact":
        return path == value
    if kind != "PathPrefix":
        raise BlockedError(f"the walk does not model {kind} path matches")
    prefix = value.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def _precedence(match: Mapping[str, Any]) -> tuple[int, int]:
    path_match = match.get("path") or {"type": "PathPrefix", "value": "/"}
    return (1 if path_match.get("type") == "Exact" else 0, len(path_match["value"]))


def select(cluster: Cluster, host: str, path: str) -> Selected:
    """The rule Gateway API's precedence picks for host and path; BlockedError when no route has one (404)."""
    candidates = []
    for route in cluster.kind("HTTPRoute"):
        if host not in (route["spec"].get("hostnames") or []):
            continue
        for index, rule in enumerate(route["spec"]["rules"]):
            for match in rule.get("matches") or [{}]:
                if path_matches(match, path):
                    exact, length = _precedence(match)
                    name = (route["metadata"].get("namespace") or "", route["metadata"]["name"])
                    candidates.append(((-exact, -length, name, index), route, rule, match))
    if not candidates:
        raise BlockedError(f"no HTTPRoute for {host}{path}: 404")
    _, route, rule, match = min(candidates, key=lambda candidate: candidate[0])
    return Selected(route, rule, match, forwarded_path(rule, match, path))


def forwarded_path(rule: Mapping[str, Any], match: Mapping[str, Any], path: str) -> str:
    for rewrite in (f.get("urlRewrite") or {} for f in rule.get("filters") or []):
        replace = rewrite.get("path")
        if not replace:
            continue
        if replace["type"] == "ReplaceFullPath":
            return str(replace["replaceFullPath"])
        prefix = match["path"]["value"].rstrip("/")
        rest = path[len(prefix) :]
        replacement = str(replace["replacePrefixMatch"])
        if replacement.endswith("/") and rest.startswith("/"):
            rest = rest[1:]
        return (replacement + rest) or "/"
    return path
