"""GKE's way to order pools: one custom ComputeClass per group of stand-in pools (GKE has no priority expander).

The class lists its node pools as prioritised rungs; the autoscaler grows the first rung that can take the
pod, then the next. `whenUnsatisfiable: DoNotScaleUp`: when no GPU pool can grow, pods wait rather than land on
general-purpose machines (FACTS §2: ScaleUpAnyway falls back to E2 with node auto-provisioning).
Pods select the class with the node label `cloud.google.com/compute-class`, which the pools carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.clusters.contract import GpuPoolInfo
from components.serving.metadata import PART_OF


def compute_class_spec(pools: list[GpuPoolInfo]) -> dict[str, Any]:
    """Rungs in priority order, highest first; equal priorities by name, so the order never changes by itself."""
    ordered = sorted(pools, key=lambda pool: (-pool.priority, pool.name))
    return {
        "priorities": [{"nodepools": [pool.name]} for pool in ordered],
        "nodePoolAutoCreation": {"enabled": False},
        "whenUnsatisfiable": "DoNotScaleUp",
    }


def classes(pools: Mapping[str, GpuPoolInfo]) -> dict[str, list[GpuPoolInfo]]:
    """The pools of each group (the group names the class)."""
    grouped: dict[str, list[GpuPoolInfo]] = {}
    for pool in pools.values():
        grouped.setdefault(pool.group, []).append(pool)
    return dict(sorted(grouped.items()))


@dataclass(frozen=True, kw_only=True)
class GpuComputeClassesArgs:
    pools: Mapping[str, GpuPoolInfo]
    """The cluster's GPU pools; one class per group."""


class GpuComputeClasses(pulumi.ComponentResource):
    """One `cloud.google.com/v1` ComputeClass per group of GPU pools.

    Example::

        GpuComputeClasses("priorities", GpuComputeClassesArgs(pools=cluster.gpu_pools),
                          opts=pulumi.ResourceOptions(provider=cluster.provider))
    """

    class_names: list[str]
    """Names of the classes, one per group."""

    def __init__(self, name: str, args: GpuComputeClassesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:autoscaling:GpuComputeClasses", name, None, opts)
        self.class_names = []
        for group, pools in classes(args.pools).items():
            k8s.apiextensions.CustomResource(
                f"{name}-{group}",
                api_version="cloud.google.com/v1",
                kind="ComputeClass",
                metadata={"name": group, "labels": {"app.kubernetes.io/part-of": PART_OF}},
                spec=compute_class_spec(pools),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.class_names.append(group)
        self.register_outputs({"classNames": self.class_names})
