"""Exposure through a Gateway the cluster already runs, planned from the dev stack with overrides."""

from __future__ import annotations

from typing import Any

import pytest

from tools.offline import Mode, run_program
from tools.plan import build_plan
from tools.reachability import Network, Pod

EXPOSED = (
    '{"chat": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "host": "chat.example.com", "path": "/chat",'
    ' "auth": {"apiKeyClients": ["app"]}}}'
)


@pytest.fixture(scope="module")
def on_existing_gateway() -> Any:
    return build_plan(
        run_program("dev", Mode.UPDATE, config_overrides={"models": EXPOSED, "existingGateway": "edge/public"})
    )


def _kinds(plan: Any, kind: str) -> list[dict[str, Any]]:
    return [body for body in plan.manifests.values() if body["kind"] == kind]


def test_an_existing_gateway_gets_routes_and_nothing_installed_for_it(on_existing_gateway: Any) -> None:
    charts = {
        r["inputs"]["chart"].rsplit("/", 1)[-1]
        for r in on_existing_gateway.document["resources"]
        if r["type"] == "kubernetes:helm.sh/v3:Release"
    }
    assert not charts & {"gateway-helm", "cert-manager"}
    assert _kinds(on_existing_gateway, "Gateway") == []
    [route] = _kinds(on_existing_gateway, "HTTPRoute")
    # Its listeners are its own: the route names none.
    assert route["spec"]["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "edge", "name": "public"}
    ]
    assert on_existing_gateway.document["outputs"]["models"]["chat"]["publicUrl"] == "https://chat.example.com/chat/v1"


def test_the_existing_gateways_namespace_reaches_the_model_and_no_other_does(on_existing_gateway: Any) -> None:
    network = Network(_kinds(on_existing_gateway, "NetworkPolicy"))
    [deployment] = [d for d in _kinds(on_existing_gateway, "Deployment") if d["metadata"]["name"] == "chat"]
    chat = Pod(
        namespace="llm-serving", labels=deployment["spec"]["template"]["metadata"]["labels"], ports={"http": 8000}
    )
    assert network.ingress_allows(chat, Pod(namespace="edge", labels={"app": "proxy"}), 8000)
    assert not network.ingress_allows(chat, Pod(namespace="ingress-nginx", labels={}), 8000)
