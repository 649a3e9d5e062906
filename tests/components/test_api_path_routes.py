"""A route of `apiPaths`: OpenAI paths matched exactly and passed on unchanged, so that two models share a host."""

from __future__ import annotations

import pytest

from components.catalog.instances import Cloud
from components.serving.gateway import gateway_ref
from components.serving.routes import Backend, route_spec

AGENTGATEWAY = gateway_ref(existing=None, cloud=Cloud.AWS)
EMBED = Backend(model="embed", service="embed", namespace=None, port=8000, weight=100)


def test_an_api_path_route_matches_each_path_exactly_and_rewrites_nothing() -> None:
    spec = route_spec(
        gateway=AGENTGATEWAY,
        host="llm.example.com",
        path=None,
        backends=(EMBED,),
        timeout_seconds=900,
        api_paths=("/v1/embeddings",),
    )
    [rule] = spec["rules"]
    assert rule["matches"] == [{"path": {"type": "Exact", "value": "/v1/embeddings"}}]
    assert "filters" not in rule
    assert spec["hostnames"] == ["llm.example.com"]


def test_a_route_of_both_a_prefix_and_api_paths_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not both"):
        route_spec(
            gateway=AGENTGATEWAY,
            host="llm.example.com",
            path="/small",
            backends=(EMBED,),
            timeout_seconds=900,
            api_paths=("/v1/embeddings",),
        )
