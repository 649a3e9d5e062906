"""Which machine type holds the pods a GPU pool is meant to run: pure functions.

A node offers `nvidia.com/gpu` slots (its GPUs, times the time-slicing replicas or MIG instances per GPU); each
model pod takes as many slots as its tensor parallelism and requests its CPU and memory. The type must leave room
(components/catalog/allocatable.py) for the most CPU, and the most memory, that any mix of those pods filling the
slots can request: otherwise the slots the pool pays for stay empty while pods wait for another node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from components.catalog.allocatable import MIB_PER_GIB, Resources
from components.catalog.instances import InstanceType


@dataclass(frozen=True)
class PodShape:
    """The pods of one model that may land on a pool's nodes."""

    model: str
    slots: int
    """`nvidia.com/gpu` per pod: its tensor parallelism."""
    cpu_cores: int
    memory_gib: int
    most: int
    """The most pods of the model that can exist at once: its maxReplicas, plus a rollout's surge pod."""

    @property
    def requests(self) -> Resources:
        return Resources(self.cpu_cores * 1000, self.memory_gib * MIB_PER_GIB)


@dataclass(frozen=True)
class NodeDemand:
    """What the pods one node can hold at once request, at worst."""

    pods: int
    """The most model pods one node holds."""
    requests: Resources
    """The most CPU and the most memory those pods can request (each its own worst mix)."""
    shapes: tuple[PodShape, ...]
    slots: int

    def describe(self) -> str:
        """`up to 4 pods per node (qwen: 3 CPU, 16 GiB each, at most 4) need 12 CPU and 64 GiB`."""
        parts = "; ".join(
            f"{s.model}: {s.cpu_cores} CPU, {s.memory_gib} GiB each, at most {min(s.most, self.slots // s.slots)}"
            for s in self.shapes
        )
        return (
            f"up to {self.pods} pod{'s' if self.pods != 1 else ''} per node ({parts}) need "
            f"{_cores(self.requests.cpu_millicores)} CPU and {_gib(self.requests.memory_mib)} GiB"
        )


@dataclass(frozen=True)
class PoolFit:
    """A pool's machine type, with what one node must hold and what the type leaves to pods."""

    instance: InstanceType
    demand: NodeDemand
    room: Resources

    def as_output(self) -> dict[str, object]:
        """Plain data for the stack output and the plan summary: CPU in cores, memory in GiB."""
        return {
            "instanceType": self.instance.name,
            "vcpus": self.instance.vcpus,
            "memoryGiB": self.instance.memory_gib,
            "podsPerNode": self.demand.pods,
            "podsNeed": _amounts(self.demand.requests),
            "roomForPods": _amounts(self.room),
        }


def _most(slots: int, shapes: Sequence[PodShape], value: Callable[[PodShape], int]) -> int:
    """The largest sum of `value` over pods whose slots fit in `slots` (a 0/1 knapsack over single pods)."""
    best = [0] * (slots + 1)
    for shape in shapes:
        for _ in range(min(shape.most, slots // shape.slots)):
            for free in range(slots, shape.slots - 1, -1):
                best[free] = max(best[free], best[free - shape.slots] + value(shape))
    return best[slots]


def node_demand(slots: int, shapes: Sequence[PodShape]) -> NodeDemand:
    """The worst case one node of `slots` GPU slots must hold, for the pods that may land on it."""
    fitting = tuple(shape for shape in shapes if 0 < shape.slots <= slots and shape.most > 0)
    return NodeDemand(
        pods=_most(slots, fitting, lambda _: 1),
        requests=Resources(
            cpu_millicores=_most(slots, fitting, lambda s: s.requests.cpu_millicores),
            memory_mib=_most(slots, fitting, lambda s: s.requests.memory_mib),
        ),
        shapes=fitting,
        slots=slots,
    )


def holding(
    candidates: Sequence[InstanceType], demand: NodeDemand, room: Callable[[InstanceType], Resources]
) -> list[InstanceType]:
    """The candidates whose room for pods holds the demand, in the candidates' order."""
    return [instance for instance in candidates if room(instance).holds(demand.requests)]


def describe_room(instance: InstanceType, room: Resources) -> str:
    """`leaves 3.2 CPU and 22 GiB to pods (4 vCPU, 28 GiB, less what ... keep)`."""
    return (
        f"leaves {_cores(max(room.cpu_millicores, 0))} CPU and {_gib(max(room.memory_mib, 0))} GiB to pods "
        f"({instance.vcpus} vCPU, {instance.memory_gib} GiB, less what the VM, the kubelet and the GPU node's "
        "DaemonSets keep)"
    )


def _amounts(resources: Resources) -> dict[str, float]:
    return {
        "cpu": round(resources.cpu_millicores / 1000, 1),
        "memoryGiB": round(resources.memory_mib / MIB_PER_GIB, 1),
    }


def _cores(millicores: int) -> str:
    return f"{millicores / 1000:.1f}".removesuffix(".0")


def _gib(mib: int) -> str:
    return f"{mib / MIB_PER_GIB:.1f}".removesuffix(".0")
