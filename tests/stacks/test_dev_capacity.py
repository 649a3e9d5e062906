"""The dev stack on a laptop's kind cluster: what its pods request, rollouts included, fits what the README asks
the reader's Docker engine to give kind's node."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from tools.offline import ROOT, Mode

# What kind's node runs before the stack: kubeadm's static pods (kube-apiserver 250m, kube-controller-manager
# 200m, kube-scheduler 100m, etcd 100m and 100Mi: kubernetes cmd/kubeadm/app/phases/controlplane/manifests.go,
# etcd/local.go), CoreDNS (2 x 100m and 70Mi, kubeadm's addon manifest) and kindnet (100m and 50Mi,
# kubernetes-sigs/kind pkg/build/nodeimage/const_cni.go). kube-proxy and local-path-provisioner request nothing.
KIND_SYSTEM_CPU = Decimal("0.95")
KIND_SYSTEM_MEMORY_GIB = Decimal(290) / 1024
STATED = re.compile(r"gives kind's node\s+(\d+) CPUs and (\d+) GiB of memory")
_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "m": Decimal("0.001")}


def quantity(value: str) -> Decimal:
    """A Kubernetes quantity ("4", "500m", "8Gi") as a number of cores or bytes."""
    for suffix, factor in sorted(_UNITS.items(), key=lambda item: -len(item[0])):
        if value.endswith(suffix):
            return Decimal(value[: -len(suffix)]) * Decimal(factor)
    return Decimal(value)


def pod_requests(pod: dict[str, Any]) -> tuple[Decimal, Decimal]:
    containers = pod["containers"] + pod.get("initContainers", [])
    requests = [c.get("resources", {}).get("requests", {}) for c in containers]
    cpu = sum((quantity(r.get("cpu", "0")) for r in requests), Decimal(0))
    memory = sum((quantity(r.get("memory", "0")) for r in requests), Decimal(0))
    return cpu, memory / 2**30


def test_the_dev_stack_runs_nothing_but_plain_kubernetes_objects(plans: dict[Any, Any]) -> None:
    # Helm releases' pods are not in the plan: counting the stack's needs below would miss them.
    types = {resource["type"] for resource in plans[("dev", Mode.UPDATE)].document["resources"]}
    assert not any(type_.startswith("kubernetes:helm.sh/") for type_ in types)
    kinds = {body["kind"] for body in plans[("dev", Mode.UPDATE)].manifests.values()}
    assert not kinds & {"DaemonSet", "StatefulSet", "Job", "CronJob", "Pod", "ReplicaSet"}


def test_what_the_dev_stack_requests_during_a_rollout_fits_what_the_readme_asks_for(plans: dict[Any, Any]) -> None:
    cpu, memory = KIND_SYSTEM_CPU, KIND_SYSTEM_MEMORY_GIB
    for body in plans[("dev", Mode.UPDATE)].manifests.values():
        if body["kind"] == "Deployment":
            spec = body["spec"]
            surge = spec["strategy"]["rollingUpdate"]["maxSurge"]
            pods = int(spec.get("replicas", 1)) + int(surge)
            pod_cpu, pod_memory = pod_requests(spec["template"]["spec"])
            cpu += pods * pod_cpu
            memory += pods * pod_memory
    [(stated_cpu, stated_memory)] = STATED.findall(" ".join((ROOT / "README.md").read_text().split()))
    assert cpu <= int(stated_cpu), f"the dev stack needs {cpu} CPUs during a rollout"
    assert memory <= int(stated_memory), f"the dev stack needs {memory:.1f} GiB during a rollout"
