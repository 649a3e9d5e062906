"""A small PromQL evaluator over promql-parser's AST, enough for the stack's alert expressions and honest about
what it leaves out, so that each alert can be fired (and not fired) on synthetic series in a test.

Covered: selectors with =, !=, =~, !~ (lookback 5m); rate, increase (no extrapolation to the window's edges, no
counter resets: synthetic counters are straight lines that start before the window), max_over_time, vector();
sum, max, min, avg, count with `by`; arithmetic and comparisons between scalars and vectors (one-to-one matching, `on`);
and, or, unless (with `on`). Not covered: histogram_quantile, offsets, `@`, `ignoring`, group_left/right, `bool`.
An expression outside this raises NotImplementedError rather than answering wrongly.
"""

from __future__ import annotations

import operator
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import promql_parser as p

Labels = frozenset[tuple[str, str]]
Vector = list[tuple[Labels, float]]
LOOKBACK = 300.0
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": lambda a, b: a / b if b else float("nan") if a == 0 else float("inf"),
}


@dataclass
class Series:
    labels: dict[str, str]
    samples: list[tuple[float, float]] = field(default_factory=list)
    """(seconds, value), in time order."""


def gauge(
    name: str, value: float, *, start: float = -86400 * 4, end: float = 0, step: float = 60, **labels: str
) -> Series:
    count = int((end - start) / step) + 1
    return Series({"__name__": name, **labels}, [(start + i * step, value) for i in range(count)])


def counter(
    name: str, per_second: float, *, start: float = -86400 * 4, end: float = 0, step: float = 60, **labels: str
) -> Series:
    count = int((end - start) / step) + 1
    return Series(
        {"__name__": name, **labels}, [(start + i * step, 1000 + per_second * i * step) for i in range(count)]
    )


def _drop_name(labels: Labels) -> Labels:
    return frozenset(item for item in labels if item[0] != "__name__")


def _matches(series: Series, selector: p.VectorSelector) -> bool:
    if selector.name and series.labels.get("__name__") != selector.name:
        return False
    for matcher in selector.matchers.matchers:
        value = series.labels.get(matcher.name, "")
        op = str(matcher.op)
        if op == "MatchOp.Equal" and value != matcher.value:
            return False
        if op == "MatchOp.NotEqual" and value == matcher.value:
            return False
        if op == "MatchOp.Re" and not re.fullmatch(matcher.value, value):
            return False
        if op == "MatchOp.NotRe" and re.fullmatch(matcher.value, value):
            return False
    return True


class Evaluator:
    def __init__(self, series: list[Series]) -> None:
        self.series = series

    def instant(self, expr: str, at: float) -> Vector | float:
        return self._eval(p.parse(expr), at)

    def _eval(self, node: object, at: float) -> Vector | float:
        if isinstance(node, p.NumberLiteral):
            return float(node.val)
        if isinstance(node, p.VectorSelector):
            out: Vector = []
            for series in self.series:
                if _matches(series, node):
                    recent = [v for t, v in series.samples if at - LOOKBACK < t <= at]
                    if recent:
                        out.append((frozenset(series.labels.items()), recent[-1]))
            return out
        if isinstance(node, p.Call):
            return self._call(node, at)
        if isinstance(node, p.AggregateExpr):
            return self._aggregate(node, at)
        if isinstance(node, p.BinaryExpr):
            return self._binary(node, at)
        if isinstance(node, p.ParenExpr):
            return self._eval(node.expr, at)
        raise NotImplementedError(type(node).__name__)

    def _window(self, selector: p.MatrixSelector, at: float) -> list[tuple[Labels, list[tuple[float, float]]]]:
        start = at - selector.range.total_seconds()
        out = []
        for series in self.series:
            if _matches(series, selector.vector_selector):
                samples = [(t, v) for t, v in series.samples if start < t <= at]
                if samples:
                    out.append((frozenset(series.labels.items()), samples))
        return out

    def _call(self, node: p.Call, at: float) -> Vector:
        name = node.func.name
        if name == "vector":
            value = self._eval(node.args[0], at)
            assert isinstance(value, float)
            return [(frozenset(), value)]
        if name in {"rate", "increase", "max_over_time"}:
            out: Vector = []
            for labels, samples in self._window(node.args[0], at):
                if name == "max_over_time":
                    out.append((_drop_name(labels), max(v for _, v in samples)))
                    continue
                if len(samples) < 2:
                    continue
                (t0, v0), (t1, v1) = samples[0], samples[-1]
                per_second = (v1 - v0) / (t1 - t0)
                seconds = node.args[0].range.total_seconds()
                out.append((_drop_name(labels), per_second if name == "rate" else per_second * seconds))
            return out
        raise NotImplementedError(name)

    def _aggregate(self, node: p.AggregateExpr, at: float) -> Vector:
        vector = self._eval(node.expr, at)
        assert isinstance(vector, list)
        by = list(node.modifier.labels) if node.modifier is not None else []
        if node.modifier is not None and str(node.modifier.type) != "AggModifierType.By":
            raise NotImplementedError("without")
        groups: dict[Labels, list[float]] = defaultdict(list)
        for labels, value in vector:
            groups[frozenset((k, v) for k, v in labels if k in by)].append(value)
        reduce: dict[str, Callable[[list[float]], float]] = {
            "sum": sum,
            "max": max,
            "min": min,
            "avg": lambda values: sum(values) / len(values),
            "count": lambda values: float(len(values)),
        }
        op = str(node.op)
        if op not in reduce:
            raise NotImplementedError(op)
        return [(labels, reduce[op](values)) for labels, values in groups.items()]

    def _binary(self, node: p.BinaryExpr, at: float) -> Vector | float:
        op = str(node.op)
        lhs, rhs = self._eval(node.lhs, at), self._eval(node.rhs, at)
        on = None
        if node.modifier is not None:
            if node.modifier.return_bool or str(node.modifier.card).endswith(("ManyToOne", "OneToMany")):
                raise NotImplementedError("bool, group_left/right")
            if node.modifier.matching is not None:
                if str(node.modifier.matching.type) != "LabelModifierType.Include":
                    raise NotImplementedError("ignoring")
                on = set(node.modifier.matching.labels)

        def key(labels: Labels) -> Labels:
            return frozenset(item for item in _drop_name(labels) if on is None or item[0] in on)

        if op in {"and", "or", "unless"}:
            assert isinstance(lhs, list)
            assert isinstance(rhs, list)
            right = {key(labels) for labels, _ in rhs}
            if op == "and":
                return [(labels, v) for labels, v in lhs if key(labels) in right]
            if op == "unless":
                return [(labels, v) for labels, v in lhs if key(labels) not in right]
            left = {key(labels) for labels, _ in lhs}
            return lhs + [(labels, v) for labels, v in rhs if key(labels) not in left]
        if isinstance(lhs, float) and isinstance(rhs, float):
            if op in _COMPARE:
                raise NotImplementedError("scalar comparison without bool")
            return _ARITHMETIC[op](lhs, rhs)
        if op in _COMPARE:
            if isinstance(rhs, float):
                return [(labels, v) for labels, v in lhs if _COMPARE[op](v, rhs)]  # type: ignore[union-attr]
            if isinstance(lhs, float):
                return [(labels, v) for labels, v in rhs if _COMPARE[op](lhs, v)]
            right = {key(labels): v for labels, v in rhs}
            return [(labels, v) for labels, v in lhs if key(labels) in right and _COMPARE[op](v, right[key(labels)])]
        if isinstance(rhs, float):
            return [(_drop_name(labels), _ARITHMETIC[op](v, rhs)) for labels, v in lhs]  # type: ignore[union-attr]
        if isinstance(lhs, float):
            return [(_drop_name(labels), _ARITHMETIC[op](lhs, v)) for labels, v in rhs]
        right = {key(labels): v for labels, v in rhs}
        return [
            (_drop_name(labels), _ARITHMETIC[op](v, right[key(labels)])) for labels, v in lhs if key(labels) in right
        ]


def _seconds(duration: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return float(duration[:-1]) * units[duration[-1]]


def fires(rule: dict, series: list[Series], at: float = 0, step: float = 60) -> bool:
    """Whether the alert is firing at `at`: its expression returned something at every evaluation over its `for`
    (evaluated every `step` seconds, as Prometheus's rule evaluation interval)."""
    evaluator = Evaluator(series)
    hold = _seconds(rule["for"])
    times = [at - hold + i * step for i in range(int(hold / step) + 1)] if hold else [at]
    for t in times:
        result = evaluator.instant(rule["expr"], t)
        if not isinstance(result, list) or not result:
            return False
    return True
