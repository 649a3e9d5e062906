"""A model without `pool` on a cloud target runs on CPU, on the system nodes (AKS: its `general` pool, on the same
machine type): one of its pods must fit what such a node leaves to pods, or it never schedules. Only GPU pools get
a machine chosen for their pods; the system machine is the target's default or `systemInstanceType`.

What a node leaves: its allocatable (components/catalog/allocatable.py) less the cloud's own node agents. The
add-ons the stack runs on the system nodes are not subtracted: the pool grows by up to two nodes for them."""

from __future__ import annotations

from collections.abc import Mapping

from components.catalog.allocatable import CLOUD_NODE_AGENTS, MIB_PER_GIB, Resources, allocatable
from components.catalog.instances import Cloud
from components.catalog.system_machines import DEFAULT_SYSTEM_MACHINE, SYSTEM_MACHINES, CpuMachine
from stacks.config.rules import Finding
from stacks.config.schema import ModelServing


def room(cloud: Cloud, machine: CpuMachine) -> Resources:
    """CPU and memory one system node leaves to a model pod."""
    return allocatable(cloud, machine) - CLOUD_NODE_AGENTS[cloud]


def cpu_model_findings(
    cloud: Cloud, system_instance_type: str | None, models: Mapping[str, ModelServing]
) -> list[Finding]:
    on_cpu = {name: model for name, model in models.items() if model.pool is None}
    if not on_cpu:
        return []
    name_of_machine = system_instance_type or DEFAULT_SYSTEM_MACHINE[cloud]
    machines = SYSTEM_MACHINES[cloud]
    machine = machines.get(name_of_machine)
    if machine is None:
        known = ", ".join(repr(m) for m in machines)
        return [
            Finding(
                f"models.{name}.pool",
                f"unset: the model runs on CPU on the system nodes, whose machine {name_of_machine!r} "
                f"(systemInstanceType) is not one whose size the catalogue knows, so its pods cannot be checked to "
                f"fit; give it a GPU pool, or use a systemInstanceType of {known}",
            )
            for name in on_cpu
        ]
    left = room(cloud, machine)
    findings = []
    for name, model in on_cpu.items():
        need = Resources(model.cpu_cores * 1000, model.memory_gib * MIB_PER_GIB)
        if left.holds(need):
            continue
        larger = next((m.name for m in sorted(machines.values(), key=_size) if room(cloud, m).holds(need)), None)
        way = f"set systemInstanceType to {larger!r}" if larger else "no system machine of the catalogue holds it"
        findings.append(
            Finding(
                f"models.{name}",
                f"runs on CPU (no pool), so its pods land on the system nodes ({machine.name}: {machine.vcpus} vCPU, "
                f"{machine.memory_gib} GiB, of which {_cores(left)} CPU and {_gib(left)} GiB are left to pods), but "
                f"one requests {model.cpu_cores} CPU and {model.memory_gib} GiB and would never schedule; give it a "
                f"GPU pool, lower cpuCores and memoryGiB to fit, or {way}",
            )
        )
    return findings


def _size(machine: CpuMachine) -> tuple[int, int]:
    return machine.vcpus, machine.memory_gib


def _cores(resources: Resources) -> str:
    return f"{resources.cpu_millicores / 1000:.2f}".rstrip("0").rstrip(".")


def _gib(resources: Resources) -> str:
    return f"{resources.memory_mib / MIB_PER_GIB:.1f}"
