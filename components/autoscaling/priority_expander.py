"""The cluster-autoscaler's priority expander: which node group to grow first (EKS and AKS).

The autoscaler reads the ConfigMap `cluster-autoscaler-priority-expander` from its own namespace: under
`priorities`, a map from a positive integer to regexes matched against node-group ids; the highest matching
number wins, and a tie is broken at random (kubernetes/autoscaler expander/priority/readme.md, FACTS §2).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

CONFIG_MAP_NAME = "cluster-autoscaler-priority-expander"
NAMESPACE = "kube-system"


@dataclass(frozen=True)
class PoolPriority:
    pool: str
    priority: int
    regex: str
    """Matches exactly the pool's node-group id (ASG name, VMSS name)."""


def asg_regex(asg_name: str) -> str:
    """EKS: the managed node group's Auto Scaling group, whose name embeds a random suffix, hence read from the
    node group's outputs rather than guessed from its name (FACTS §2, kubernetes/autoscaler#3871)."""
    return f"^{_escape(asg_name)}$"


def vmss_regex(pool: str) -> str:
    """AKS: scale sets are named `aks-<pool>-<digits>-vmss`; anchored, so pool `a100` never matches `a100spot`."""
    return f"^aks-{_escape(pool)}-[0-9]+-vmss$"


def _escape(name: str) -> str:
    """Escape what a Go regexp would read as an operator (names here hold letters, digits, '-' and '.')."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", name)


def priorities_text(pools: Sequence[PoolPriority]) -> str:
    """The `priorities` document: highest priority first; pools that share a priority share its list (the
    autoscaler picks among them at random), sorted so the same config always gives the same text."""
    tiers: dict[int, list[str]] = {}
    for pool in pools:
        tiers.setdefault(pool.priority, []).append(pool.regex)
    lines = []
    for priority in sorted(tiers, reverse=True):
        lines.append(f"{priority}:")
        lines.extend(f"  - '{regex}'" for regex in sorted(tiers[priority]))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class PriorityExpanderArgs:
    pools: Mapping[str, tuple[int, pulumi.Input[str]]]
    """Pool name -> (priority, regex of its node-group id); a regex may be an Output (EKS reads ASG names
    from the node groups)."""


class PriorityExpander(pulumi.ComponentResource):
    """The `cluster-autoscaler-priority-expander` ConfigMap in kube-system.

    Example::

        PriorityExpander("priorities", PriorityExpanderArgs({"l4-spot": (50, vmss_regex("l4spot"))}))
    """

    config_map_name: pulumi.Output[str]
    """Name of the ConfigMap (always `cluster-autoscaler-priority-expander`)."""

    def __init__(self, name: str, args: PriorityExpanderArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:autoscaling:PriorityExpander", name, None, opts)
        names = list(args.pools)
        text = pulumi.Output.all(*(regex for _, regex in args.pools.values())).apply(
            lambda regexes: priorities_text(
                [PoolPriority(pool, args.pools[pool][0], regex) for pool, regex in zip(names, regexes, strict=True)]
            )
        )
        config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={
                "name": CONFIG_MAP_NAME,
                "namespace": NAMESPACE,
                "labels": {"app.kubernetes.io/part-of": "llm-platform"},
            },
            data={"priorities": text},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.config_map_name = config_map.metadata.name
        self.register_outputs({"configMapName": self.config_map_name})
