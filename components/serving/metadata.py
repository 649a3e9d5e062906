"""Labels and annotations shared by the objects the serving stack creates."""

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


def scanner_skips(reasons: dict[str, str]) -> dict[str, str]:
    """Annotations that tell checkov which of its checks does not apply to this object, and why.

    The reason travels with the object, so a reviewer of the manifest sees it where the check would fire.
    """
    return {f"checkov.io/skip{index}": f"{check}={reason}" for index, (check, reason) in enumerate(reasons.items(), 1)}
