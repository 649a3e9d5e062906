"""Labels and annotations shared by the objects the serving stack creates."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

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


def platform_namespace(
    resource_name: str, name: str, *, level: str, opts: pulumi.ResourceOptions, warn_restricted: bool = False
) -> k8s.core.v1.Namespace:
    """A namespace for a platform component, with the Pod Security level it needs (P2): `restricted` where the
    component allows it, `baseline` or `privileged` only where its pods need host access."""
    labels = {
        "app.kubernetes.io/part-of": PART_OF,
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": "latest",
    }
    if warn_restricted:
        labels |= {"pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted"}
    return k8s.core.v1.Namespace(resource_name, metadata={"name": name, "labels": labels}, opts=opts)
