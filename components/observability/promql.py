"""PromQL building blocks shared by alerts and dashboards: one model's series, across vLLM's metric renames."""

from __future__ import annotations

from components.observability.metric_names import vllm_series


def selector(**labels: str) -> str:
    return ",".join(f'{key}="{value}"' for key, value in labels.items())


def vllm(name: str, match: str) -> str:
    """A vLLM series in both spellings (`vllm:` as vLLM names it, `vllm_` where an exporter replaced the colon);
    one of them exists, as in the KEDA queue query."""
    colon, underscore = vllm_series(name)
    return f"({colon}{{{match}}} or {underscore}{{{match}}})"


def vllm_rate(names: tuple[str, ...], suffix: str, match: str, window: str, extra: str = "") -> str:
    """Per-second rate of a vLLM counter or histogram series under any of its names (the current one first: when
    both exist, `or` keeps the left side's series)."""
    match = f"{match},{extra}" if extra else match
    parts = [f"rate({spelling}{suffix}{{{match}}}[{window}])" for name in names for spelling in vllm_series(name)]
    return "(" + " or ".join(parts) + ")"


def le_matcher(bound: float) -> str:
    """Matches a bucket bound however it is spelled: prometheus_client writes `1.0`, Prometheus 3 normalises
    classic-histogram `le` labels to `1` on ingestion, Prometheus 2 keeps `1.0`."""
    spellings = sorted({repr(float(bound)), f"{bound:g}"})
    return 'le=~"' + "|".join(s.replace(".", "\\\\.") for s in spellings) + '"'


def pod_regex(deployment: str) -> str:
    """The Deployment's pods: `<deployment>-<replicaset hash>-<suffix>`, no other Deployment's."""
    return f"{deployment}-[a-z0-9]+-[a-z0-9]+"
