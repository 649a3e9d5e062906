"""The guards around the serving namespace: a PriorityClass for serving, a ResourceQuota sized for the models'
largest scale plus their rollout surge, and a LimitRange for anything that arrives without requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.serving.metadata import PART_OF

# Above ordinary workloads, below the system-*-critical classes of the node agents and the autoscaler.
PRIORITY_VALUE = 100_000


@dataclass(frozen=True)
class ModelFootprint:
    """What one model may hold at its largest: max replicas plus the rollout's surge pod."""

    pods: int
    gpus_per_pod: int
    cpu_per_pod: int
    memory_gib_per_pod: int
    cache_gib: int = 0
    """The model's shared cache claim, if any."""


def quota_hard(footprints: Sequence[ModelFootprint]) -> dict[str, str]:
    """`requests.nvidia.com/gpu` >= (max replicas + surge) x GPUs per pod, summed over models (QTA-1); the
    same for CPU, memory and pods, so a rollout at full scale is never refused at admission."""
    return {
        "requests.nvidia.com/gpu": str(sum(f.pods * f.gpus_per_pod for f in footprints)),
        "requests.cpu": str(sum(f.pods * f.cpu_per_pod for f in footprints)),
        "requests.memory": f"{sum(f.pods * f.memory_gib_per_pod for f in footprints)}Gi",
        "limits.memory": f"{sum(f.pods * f.memory_gib_per_pod for f in footprints)}Gi",
        "pods": str(sum(f.pods for f in footprints)),
        # One shared cache claim per model (QTA-2).
        "persistentvolumeclaims": str(sum(1 for f in footprints if f.cache_gib)),
        "requests.storage": f"{sum(f.cache_gib for f in footprints)}Gi",
    }


@dataclass(frozen=True, kw_only=True)
class ServingGuardsArgs:
    namespace: pulumi.Input[str]
    """The serving namespace; it also names the PriorityClass."""
    footprints: Sequence[ModelFootprint]


class ServingGuards(pulumi.ComponentResource):
    """PriorityClass, ResourceQuota and LimitRange for the serving namespace.

    Example::

        ServingGuards("serving-guards", ServingGuardsArgs(namespace=ns.name, footprints=[ModelFootprint(5, 1, 4, 16)]))
    """

    priority_class_name: pulumi.Output[str]
    """The PriorityClass model pods run with."""

    def __init__(self, name: str, args: ServingGuardsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:ServingGuards", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = {"app.kubernetes.io/part-of": PART_OF}
        priority_class = k8s.scheduling.v1.PriorityClass(
            f"{name}-priority",
            # Named after the serving namespace: PriorityClasses are cluster-wide, and two stacks on one cluster
            # (each with its own namespace) must not claim the same name (creating an existing object fails).
            metadata={"name": args.namespace, "labels": labels},
            value=PRIORITY_VALUE,
            global_default=False,
            # A serving pod waits for room rather than evicting other work: GPUs come from the autoscaler.
            preemption_policy="Never",
            description="LLM model servers: scheduled before batch work, never preempting it.",
            opts=child,
        )
        self.priority_class_name = priority_class.metadata.name
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata={"name": "serving", "namespace": args.namespace, "labels": labels},
            spec={"hard": quota_hard(args.footprints)},
            opts=child,
        )
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata={"name": "defaults", "namespace": args.namespace, "labels": labels},
            spec={
                "limits": [
                    {
                        "type": "Container",
                        "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                        "default": {"cpu": "500m", "memory": "512Mi"},
                    }
                ]
            },
            opts=child,
        )
        self.register_outputs({"priorityClassName": self.priority_class_name})
