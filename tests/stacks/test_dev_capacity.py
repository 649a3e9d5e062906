"""The dev stack on a laptop's kind cluster: what its pods request, rollouts included, fits what the manual asks
the reader's Docker engine to give kind's node. The planned manifests give the stack's own pods; a Helm release's
pods are not in the plan, so they are counted from the release's values, pod by pod, as the pinned chart renders
them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from components import versions
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


Values = dict[str, Any]


def value(values: Values, path: str, default: Any = None) -> Any:
    """A Helm value by its dotted path ("prometheusOperator.resources"), or the chart's default."""
    node: Any = values
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


@dataclass(frozen=True)
class ChartPod:
    """One pod a chart runs: where its containers' resources are set in the values, how many run during an
    install or upgrade."""

    what: str
    containers: tuple[str, ...]
    """Values paths of the `resources` of the containers running side by side."""
    replicas: Callable[[Values], int]
    surge: int
    """Extra pods while a Deployment rolls (RollingUpdate, 25% of 1 rounds up to 1); a StatefulSet and a Job: 0."""
    runs: Callable[[Values], bool] = lambda _: True


_RELOADER = "prometheusOperator.prometheusConfigReloader.resources"

# kube-prometheus-stack 88.1.3 (charts/kube-prometheus-stack/templates, values.yaml; kube-state-metrics 8.1.3).
# The operator adds a config-reloader to the Prometheus and Alertmanager pods as a sidecar and as an init container
# with the same resources (prometheus-operator v0.93.0 pkg/prometheus/server/statefulset.go,
# pkg/alertmanager/statefulset.go): a pod requests the larger of its init containers and the sum of the others,
# so the sidecar counts once.
KUBE_PROMETHEUS_STACK = (
    ChartPod(
        "the operator (Deployment, replicas: 1 in the template)", ("prometheusOperator.resources",), lambda _: 1, 1
    ),
    ChartPod(
        "kube-state-metrics (Deployment)",
        ("kube-state-metrics.resources",),
        lambda v: int(value(v, "kube-state-metrics.replicas", 1)),
        1,
    ),
    ChartPod(
        "Prometheus (StatefulSet: replicas x shards)",
        ("prometheus.prometheusSpec.resources", _RELOADER),
        lambda v: (
            int(value(v, "prometheus.prometheusSpec.replicas", 1))
            * int(value(v, "prometheus.prometheusSpec.shards", 1))
        ),
        0,
    ),
    ChartPod(
        "Alertmanager (StatefulSet)",
        ("alertmanager.alertmanagerSpec.resources", _RELOADER),
        lambda v: int(value(v, "alertmanager.alertmanagerSpec.replicas", 1)),
        0,
        runs=lambda v: bool(value(v, "alertmanager.enabled", True)),
    ),
    ChartPod(
        "the webhook certificate Jobs (create before, patch after the install: one at a time)",
        ("prometheusOperator.admissionWebhooks.patch.resources",),
        lambda _: 1,
        0,
    ),
)
NOT_COUNTED = {
    # Workloads of the chart the list above leaves out: each must be off (defaults: values.yaml at 88.1.3).
    "nodeExporter.enabled": True,
    "grafana.enabled": True,
    "thanosRuler.enabled": False,
    "crds.upgradeJob.enabled": False,
    "prometheusOperator.admissionWebhooks.deployment.enabled": False,
    "windowsMonitoring.enabled": False,
}


def release_pods(values: Values) -> list[tuple[str, int, Decimal, Decimal]]:
    """Each pod of kube-prometheus-stack with these values: what it is, how many at once, its CPU and GiB."""
    pods = []
    for pod in KUBE_PROMETHEUS_STACK:
        if not pod.runs(values):
            continue
        containers = []
        for path in pod.containers:
            resources = value(values, path, {})
            assert resources.get("requests"), f"{pod.what}: no requests at {path}, the pod would be BestEffort"
            containers.append({"resources": resources})
        cpu, memory = pod_requests({"containers": containers})
        pods.append((pod.what, pod.replicas(values) + pod.surge, cpu, memory))
    return pods


def dev_releases(plans: dict[Any, Any]) -> list[dict[str, Any]]:
    resources = plans[("dev", Mode.UPDATE)].document["resources"]
    return [r["inputs"] for r in resources if r["type"] == "kubernetes:helm.sh/v3:Release"]


def stated() -> tuple[int, int]:
    [(cpu, memory)] = STATED.findall(" ".join((ROOT / "docs" / "manual.md").read_text().split()))
    return int(cpu), int(memory)


def test_the_dev_stack_runs_no_workload_the_count_below_misses(plans: dict[Any, Any]) -> None:
    kinds = {body["kind"] for body in plans[("dev", Mode.UPDATE)].manifests.values()}
    assert not kinds & {"DaemonSet", "StatefulSet", "Job", "CronJob", "Pod", "ReplicaSet"}
    releases = dev_releases(plans)
    assert [(r["chart"], r["version"]) for r in releases] == [
        ("kube-prometheus-stack", versions.PROMETHEUS_STACK_CHART)
    ]
    assert versions.PROMETHEUS_STACK_CHART == "88.1.3", "re-read the chart's workloads for KUBE_PROMETHEUS_STACK"
    for path, default in NOT_COUNTED.items():
        assert value(releases[0]["values"], path, default) is False, f"{path}: a workload this test does not count"


def test_every_pod_of_the_dev_stacks_prometheus_requests_cpu_and_memory(plans: dict[Any, Any]) -> None:
    [release] = dev_releases(plans)
    for what, _, cpu, memory in release_pods(release["values"]):
        assert cpu > 0, what
        assert memory > 0, what


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
    for release in dev_releases(plans):
        for _, pods, pod_cpu, pod_memory in release_pods(release["values"]):
            cpu += pods * pod_cpu
            memory += pods * pod_memory
    stated_cpu, stated_memory = stated()
    assert cpu <= stated_cpu, f"the dev stack needs {cpu} CPUs during a rollout"
    assert memory <= stated_memory, f"the dev stack needs {memory:.1f} GiB during a rollout"


def test_the_readmes_laptop_leaves_a_gibibyte_beyond_what_the_pods_request(plans: dict[Any, Any]) -> None:
    # Memory that no request counts: the API server requests none (kubeadm's manifests) and uses several hundred
    # MiB; the kubelet and containerd run in kind's node container outside any pod.
    memory = KIND_SYSTEM_MEMORY_GIB
    for body in plans[("dev", Mode.UPDATE)].manifests.values():
        if body["kind"] == "Deployment":
            memory += pod_requests(body["spec"]["template"]["spec"])[1]
    [release] = dev_releases(plans)
    memory += sum((pods * pod_memory for _, pods, _, pod_memory in release_pods(release["values"])), Decimal(0))
    assert memory + 1 <= stated()[1]
