"""Dashboards are well-formed Grafana JSON, read the chosen Prometheus, and select each model by its own labels."""

from __future__ import annotations

import json

import promql_parser as p

from components.observability.alerts import ModelWatch
from components.observability.dashboards import model_dashboard, overview_dashboard, queries
from components.observability.promql import pod_regex
from tests.observability.test_promql import selectors

CHAT = ModelWatch(
    name="chat",
    namespace="llm-serving",
    deployment="chat",
    service="chat",
    max_replicas=3,
    queue_per_replica=2,
    startup_budget_seconds=1800,
    on_gpu=True,
    gpu_metrics=True,
)
EMBED = ModelWatch(
    name="embed",
    namespace="llm-serving",
    deployment="embed-predictor",
    service="embed-predictor",
    max_replicas=1,
    queue_per_replica=4,
    startup_budget_seconds=1800,
    on_gpu=False,
    gpu_metrics=True,
)


def test_dashboards_are_json_with_a_uid_title_and_panels() -> None:
    for document in (
        model_dashboard(CHAT),
        model_dashboard(EMBED),
        overview_dashboard([CHAT, EMBED], gpu_metrics=True),
    ):
        assert json.loads(json.dumps(document)) == document
        assert document["uid"]
        assert document["title"]
        assert [panel for panel in document["panels"] if panel["type"] == "timeseries"]


def test_every_panel_reads_the_dashboards_datasource_variable() -> None:
    document = model_dashboard(CHAT)
    assert document["templating"]["list"][0] == document["templating"]["list"][0] | {
        "type": "datasource",
        "name": "datasource",
        "query": "prometheus",
    }
    for panel in document["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert {t["datasource"]["uid"] for t in panel["targets"]} == {"${datasource}"}


def test_every_query_of_a_model_dashboard_selects_that_model() -> None:
    for model in (CHAT, EMBED):
        for expr in queries(model_dashboard(model)):
            for selector in selectors(p.parse(expr)):
                matchers = {(m.name, m.value) for m in selector.matchers.matchers}
                assert ("namespace", model.namespace) in matchers, expr
                assert matchers & {
                    ("service", model.service),
                    ("deployment", model.deployment),
                    ("pod", pod_regex(model.deployment)),
                }, expr


def test_the_overview_selects_exactly_the_stacks_models() -> None:
    for expr in queries(overview_dashboard([CHAT, EMBED], gpu_metrics=False)):
        for selector in selectors(p.parse(expr)):
            matchers = {m.name: m.value for m in selector.matchers.matchers}
            assert matchers.get("service", matchers.get("deployment")) in {
                "chat|embed-predictor",
                "chat|embed",
            }, expr


def test_gpu_panels_only_where_dcgm_is_scraped_and_the_model_has_gpus() -> None:
    def dcgm(document: dict) -> bool:
        return any("DCGM_" in expr for expr in queries(document))

    assert dcgm(model_dashboard(CHAT))
    assert not dcgm(model_dashboard(EMBED))
    assert dcgm(overview_dashboard([CHAT], gpu_metrics=True))
    assert not dcgm(overview_dashboard([CHAT], gpu_metrics=False))
