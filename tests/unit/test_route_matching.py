"""Which route rule a request selects and the path its backend receives, as Gateway API v1 defines them
(tools/route_matching.py), on made-up routes of one host."""

from __future__ import annotations

from typing import Any

import pytest

from tools.planned_cluster import BlockedError, Cluster
from tools.route_matching import select

HOST = "api.example.com"


def _route(name: str, kind: str, value: str, *, rewrite: dict[str, Any] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"matches": [{"path": {"type": kind, "value": value}}], "backendRefs": [{"name": name}]}
    if rewrite is not None:
        rule["filters"] = [{"type": "URLRewrite", "urlRewrite": {"path": rewrite}}]
    return {
        "kind": "HTTPRoute",
        "metadata": {"namespace": "llm-serving", "name": name},
        "spec": {"hostnames": [HOST], "rules": [rule]},
    }


def _cluster(*routes: dict[str, Any]) -> Cluster:
    return Cluster(cloud=None, manifests=list(routes), nsg_rules=None)


def _chosen(cluster: Cluster, path: str) -> str:
    return str(select(cluster, HOST, path).route["metadata"]["name"])


def test_an_exact_match_wins_over_any_prefix_however_long() -> None:
    cluster = _cluster(
        _route("root", "PathPrefix", "/"),
        _route("long-prefix", "PathPrefix", "/v1/embeddings"),
        _route("exact", "Exact", "/v1/embeddings"),
    )
    assert _chosen(cluster, "/v1/embeddings") == "exact"


def test_the_longest_prefix_wins_among_prefixes() -> None:
    cluster = _cluster(_route("root", "PathPrefix", "/"), _route("large", "PathPrefix", "/large/v1"))
    assert _chosen(cluster, "/large/v1/models") == "large"
    assert _chosen(cluster, "/small/v1/models") == "root"


def test_an_exact_match_takes_only_its_own_path() -> None:
    cluster = _cluster(_route("embed", "Exact", "/v1/embeddings"))
    assert _chosen(cluster, "/v1/embeddings") == "embed"
    for other in ("/v1/embeddings/x", "/v1/embedding", "/v1/models"):
        with pytest.raises(BlockedError, match="404"):
            select(cluster, HOST, other)


def test_a_prefix_matches_whole_path_elements_only() -> None:
    cluster = _cluster(_route("v1", "PathPrefix", "/v1/"))
    assert _chosen(cluster, "/v1") == "v1"
    assert _chosen(cluster, "/v1/models") == "v1"
    with pytest.raises(BlockedError):
        select(cluster, HOST, "/v1x/models")


def test_equal_matches_go_to_the_first_route_by_namespace_and_name() -> None:
    cluster = _cluster(_route("zeta", "PathPrefix", "/v1"), _route("alpha", "PathPrefix", "/v1"))
    assert _chosen(cluster, "/v1/models") == "alpha"


@pytest.mark.parametrize(
    ("prefix", "replacement", "path", "forwarded"),
    [
        ("/large/v1", "/v1", "/large/v1/models", "/v1/models"),
        ("/large", "/", "/large/v1/models", "/v1/models"),
        ("/large", "/", "/large", "/"),
    ],
)
def test_a_prefix_rewrite_replaces_the_matched_prefix(prefix: str, replacement: str, path: str, forwarded: str) -> None:
    rewrite = {"type": "ReplacePrefixMatch", "replacePrefixMatch": replacement}
    cluster = _cluster(_route("large", "PathPrefix", prefix, rewrite=rewrite))
    assert select(cluster, HOST, path).forwarded_path == forwarded
