"""A served name's alerts fire on synthetic series of agentgateway's request counts that show the trouble and stay
quiet on healthy ones (promql_eval.py's evaluator)."""

from __future__ import annotations

from components.observability.served_name_alerts import FALLBACK_FOR, REQUESTS, served_name_rules
from tests.observability.promql_eval import Series, counter, fires

NS = "llm-serving"
RULES = served_name_rules(name="chat", namespace=NS, route="served-chat", models=["qwen-small", "qwen-7b"])
ROUTE = f"{NS}/served-chat"


def fallback_rule() -> dict:
    return next(r for r in RULES["rules"] if r["alert"] == "LlmServedNameFallbackInUse")


def idle_rule(model: str) -> dict:
    return next(
        r for r in RULES["rules"] if r["alert"] == "LlmServedNameModelIdle" and r["labels"]["answered_as"] == model
    )


def answered(model: str, per_second: float, *, start: float = -86400 * 4, route: str = ROUTE) -> Series:
    return counter(REQUESTS, per_second, start=start, route=route, gen_ai_response_model=model)


def test_every_alert_is_a_warning_naming_its_served_name() -> None:
    assert RULES["name"] == "llm-platform.served.chat"
    assert {(r["labels"]["severity"], r["labels"]["served_name"]) for r in RULES["rules"]} == {("warning", "chat")}


def test_fallback_in_use_fires_when_only_the_later_models_answer() -> None:
    assert fires(fallback_rule(), [answered("qwen-7b", 2.0)])


def test_fallback_in_use_is_quiet_while_the_first_model_answers_too() -> None:
    # A few requests retried onto the fallback while the first one serves: a blip, not the fallback in use.
    assert not fires(fallback_rule(), [answered("qwen-small", 2.0), answered("qwen-7b", 0.1)])


def test_fallback_in_use_waits_its_minutes() -> None:
    recent = -60 * (int(FALLBACK_FOR[:-1]) - 5)
    assert not fires(fallback_rule(), [answered("qwen-small", 0.0), answered("qwen-7b", 2.0, start=recent)])


def test_fallback_in_use_ignores_other_routes() -> None:
    assert not fires(fallback_rule(), [answered("qwen-7b", 2.0, route=f"{NS}/qwen-7b")])


def test_a_model_that_answers_nothing_while_the_name_is_called_is_idle() -> None:
    assert fires(idle_rule("qwen-7b"), [answered("qwen-small", 2.0)])


def test_a_model_that_answered_some_requests_is_not_idle() -> None:
    assert not fires(idle_rule("qwen-7b"), [answered("qwen-small", 2.0), answered("qwen-7b", 0.001)])


def test_no_model_is_idle_when_nobody_calls_the_name() -> None:
    assert not fires(idle_rule("qwen-7b"), [answered("qwen-small", 0.0)])
