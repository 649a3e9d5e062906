"""Labels shared by every object the serving stack creates (Kubernetes recommended labels)."""

from __future__ import annotations

PART_OF = "llm-platform"


def model_selector(engine: str, model: str) -> dict[str, str]:
    """The labels that identify one model's pods; Services, policies and budgets select on these."""
    return {"app.kubernetes.io/name": engine, "app.kubernetes.io/instance": model}


def model_labels(engine: str, model: str) -> dict[str, str]:
    return {
        **model_selector(engine, model),
        "app.kubernetes.io/component": "model-server",
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
    }
