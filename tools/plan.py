"""The offline plan: what `pulumi up` would register for a stack, without a cloud, cluster or CLI.

    python -m tools.plan --stack dev [--mode preview|update] [--out build/plan/dev]

Writes `plan.json` (every resource with its inputs as the provider would receive them, secrets shown as
"[secret]"), `manifests/` (one YAML file per Kubernetes object), `dashboards/` (the Grafana dashboards, to import
elsewhere) and prints a summary. Invalid stack configuration exits with status 2 and the configuration message,
without a traceback.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml

from tools import heap
from tools.cost_report import summary_lines
from tools.offline import (
    ROOT,
    Mode,
    ProgramRun,
    Registration,
    reveal,
    run_program,
    secret_digests,
    stack_names,
)
from tools.stack_file import StackFileError

_STACK_URN_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Plan:
    run: ProgramRun
    document: dict[str, Any]
    manifests: dict[str, dict[str, Any]]
    """File name → Kubernetes object."""


def _resource_label(registration: Registration) -> str:
    return f"{registration.type}::{registration.name}"


def _label_by_urn(registrations: list[Registration]) -> dict[str, str]:
    return {registration.urn: _resource_label(registration) for registration in registrations}


def _parent(registration: Registration, labels: dict[str, str]) -> str | None:
    if not registration.parent_urn or registration.parent_urn.endswith(f"{_STACK_URN_TYPE}::"):
        return None
    return labels.get(registration.parent_urn, _STACK_URN_TYPE)


def _provider(registration: Registration, labels: dict[str, str]) -> str | None:
    if not registration.custom or registration.type.startswith("pulumi:providers:"):
        return None
    if not registration.provider_ref:
        return "default"
    urn = registration.provider_ref.rsplit("::", 1)[0]
    return labels.get(urn, urn)


def is_kubernetes_object(registration: Registration) -> bool:
    return (
        registration.custom
        and registration.type.startswith("kubernetes:")
        and not registration.type.startswith("kubernetes:helm.sh/")
        and "kind" in registration.inputs
    )


def manifest_file_name(body: dict[str, Any]) -> str:
    metadata = body.get("metadata") or {}
    parts = [body["kind"], metadata.get("namespace"), metadata.get("name")]
    return "-".join(str(part) for part in parts if part).lower().replace(":", "-") + ".yaml"


def secret_digests_by_resource(registrations: list[Registration]) -> dict[str, dict[str, str]]:
    """`type::name` → {input path: digest} for each secret input, so that a plan diff can tell a changed secret
    from an unchanged one without either value: offline, a secret from the stack file is a placeholder derived from
    its ciphertext (tools/offline.py), and a digest of it reveals nothing of the secret."""
    digests: dict[str, dict[str, str]] = {}
    for registration in registrations:
        found = secret_digests(registration.inputs)
        if found:
            digests[_resource_label(registration)] = found
    return digests


def build_plan(run: ProgramRun) -> Plan:
    labels = _label_by_urn(run.registrations)
    ordered = sorted(run.registrations, key=lambda r: (r.type, r.name))
    resources = [
        {
            "type": registration.type,
            "name": registration.name,
            "parent": _parent(registration, labels),
            "provider": _provider(registration, labels),
            "inputs": reveal(registration.inputs),
            # What its inputs come from: a plan diff cascades a replacement along these (tools/plan_cascade.py).
            "dependencies": sorted({labels.get(urn, urn) for urn in registration.dependencies}),
        }
        for registration in ordered
    ]
    manifests: dict[str, dict[str, Any]] = {}
    for registration in ordered:
        if is_kubernetes_object(registration):
            body = reveal(registration.inputs)
            manifests[manifest_file_name(body)] = body
    document = {
        "stack": run.stack,
        "mode": run.mode,
        "resources": resources,
        "outputs": run.outputs,
        "secretDigests": secret_digests_by_resource(ordered),
    }
    return Plan(run=run, document=document, manifests=manifests)


def write_plan(plan: Plan, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    (out / "manifests").mkdir(parents=True)
    (out / "plan.json").write_text(json.dumps(plan.document, indent=2, sort_keys=True) + "\n")
    for file_name, body in plan.manifests.items():
        (out / "manifests" / file_name).write_text(yaml.safe_dump(body, sort_keys=True))
    found = dashboards(plan)
    if found:
        (out / "dashboards").mkdir()
        for file_name, document in found.items():
            (out / "dashboards" / file_name).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def dashboards(plan: Plan) -> dict[str, dict[str, Any]]:
    """The Grafana dashboards the stack delivers (ConfigMaps labelled for Grafana's sidecar), by file name: what
    `dashboards/` holds, to import into a Grafana elsewhere."""
    from components.observability.prometheus import DASHBOARD_LABEL

    found: dict[str, dict[str, Any]] = {}
    for body in plan.manifests.values():
        labels = body.get("metadata", {}).get("labels") or {}
        if body.get("kind") == "ConfigMap" and labels.get(DASHBOARD_LABEL[0]) == DASHBOARD_LABEL[1]:
            for file_name, text in (body.get("data") or {}).items():
                found[file_name] = json.loads(text)
    return found


def summary(plan: Plan) -> str:
    outputs = plan.document["outputs"]
    lines = [
        f"Offline plan of stack '{plan.run.stack}' ({plan.run.mode} mode): {len(plan.document['resources'])} resources"
    ]
    counts = collections.Counter(resource["type"] for resource in plan.document["resources"])
    for type_, count in sorted(counts.items()):
        lines.append(f"  {count:3d}  {type_}")
    pools = outputs.get("gpuPools") or {}
    lines.append(f"GPU pools: {len(pools) or 'none'}")
    for name, pool in pools.items():
        capacity = "spot" if pool["spot"] else "on-demand"
        lines.append(
            f"  {name}: {pool['gpusPerNode']} x {pool['gpu']} ({pool['gpuMemoryGiB']} GiB each) per node, {capacity}, "
            f"{pool['nodes']['min']}-{pool['nodes']['max']} nodes, priority {pool['priority']}"
        )
        machine = (outputs.get("gpuPoolMachines") or {}).get(name)
        if machine:
            need, room = machine["podsNeed"], machine["roomForPods"]
            lines.append(
                f"    machine: {machine['instanceType']} ({machine['vcpus']} vCPU, {machine['memoryGiB']} GiB); "
                f"model pods per node: up to {machine['podsPerNode']}, needing {need['cpu']:g} CPU and "
                f"{need['memoryGiB']:g} GiB of the {room['cpu']:g} CPU and {room['memoryGiB']:g} GiB it leaves to pods"
            )
    if "autoscaling" in outputs:
        autoscaling = outputs["autoscaling"]
        lines.append(f"Autoscaler priorities: {autoscaling['mechanism']}")
        if autoscaling["order"]:
            lines.append("  grows first: " + " > ".join(" = ".join(tier) for tier in autoscaling["order"]))
    if "devicePlugin" in outputs:
        lines.append(f"GPU device plugin: {outputs['devicePlugin']}")
    models = outputs.get("models") or {}
    lines.append(f"Models: {len(models) or 'none'}")
    for name, model in models.items():
        placement = (
            f"{model['gpusPerReplica']} x {model['accelerator']} on pool {model['pool']}" if model["pool"] else "CPU"
        )
        lines.append(
            f"  {name}: {model['huggingFaceId']} on {model['engine']}, {placement}, "
            f"replicas {model['replicas']['min']}-{model['replicas']['max']}, context {model['contextLength']}, "
            f"served as '{model['servedModelName']}'"
            + (", for embeddings (/v1/embeddings)" if model.get("task") == "embed" else "")
        )
        if model.get("group"):
            group = model["group"]
            lines.append(f"    group: {group['workload']}, {group['layout']} per replica, fabric {group['fabric']}")
        sizing = model.get("sizing")
        if sizing:
            lines.extend(sizing_lines(sizing))
        if model.get("coldStart"):
            lines.append(cold_start_line(model["coldStart"]))
        lines.append(f"    autoscaling: {model['autoscaling']}")
        if model["replicas"]["min"] == 0:
            lines.append(f"    warning: {_cold_start_warning(plan, name)}")
        if model.get("publicUrl"):
            weight = model.get("routeWeight")
            share = f", {weight}% of the route's requests" if weight is not None and weight != 100 else ""
            lines.append(f"    exposed: {model['publicUrl']} (Gateway, TLS{share})")
        if model.get("loadBalancerUrl") or _load_balancer_service(plan, name):
            lines.append(f"    exposed: {_load_balancer_line(plan, name)}")
        if "reachableBy" in model:
            lines.append(f"    reachable by: {model['reachableBy']}")
    if outputs.get("gateway"):
        lines.append(_gateway_line(outputs["gateway"]))
    for name, served in (outputs.get("servedNames") or {}).items():
        lines.extend(served_name_lines(name, served))
    if "cost" in outputs:
        lines.extend(summary_lines(outputs["cost"]))
    if plan.run.files.placeholders:
        keys = ", ".join(key.split(":", 1)[1] for key in plan.run.files.placeholders)
        lines.append(f"Secrets replaced by placeholders: {keys}")
    return "\n".join(lines)


def served_name_lines(name: str, served: dict[str, Any]) -> list[str]:
    """A served name: where clients call it, and its models in the order the gateway tries them, with their price."""
    return [
        f"Served name '{name}': {served['publicUrl']}, models tried in order ({served['order']}):",
        *(
            f"  {index}. {model['model']} (as '{model['servedModelName']}'), {replica_hour(model['usdPerReplicaHour'])}"
            for index, model in enumerate(served["models"], start=1)
        ),
    ]


def replica_hour(usd: float | None) -> str:
    return f"${usd:,.2f} per replica-hour" if usd is not None else "price per replica-hour unknown"


def _gateway_line(gateway: dict[str, Any]) -> str:
    """Where to point the exposed hosts: how to read the Gateway's address once the cloud assigns it. An offline
    plan never knows it (an update's address is the mock runtime's invention), so no sentence telling the user to
    act names one."""
    return (
        f"Gateway {gateway['namespace']}/{gateway['name']} ({gateway['implementation']}): point "
        f"{', '.join(gateway['hosts'])} at its address, once assigned: {gateway['addressCommand']}"
    )


def _load_balancer_service(plan: Plan, model: str) -> dict[str, Any] | None:
    """The model's LoadBalancer Service in the plan (components/serving: `<model>-lb`)."""
    return next(
        (
            body
            for body in plan.manifests.values()
            if body["kind"] == "Service"
            and body.get("spec", {}).get("type") == "LoadBalancer"
            and body["metadata"].get("name") == f"{model}-lb"
        ),
        None,
    )


def _load_balancer_line(plan: Plan, model: str) -> str:
    """The model's load balancer and how to read its address once assigned (never the mock's address)."""
    service = _load_balancer_service(plan, model)
    if service is None:
        return "through its load balancer (source ranges only), at http://<its address>/v1"
    meta = service["metadata"]
    command = (
        f"kubectl -n {meta['namespace']} get service {meta['name']} -o jsonpath="
        "'{.status.loadBalancer.ingress[*].ip}{.status.loadBalancer.ingress[*].hostname}'"
    )
    return f"through its load balancer (source ranges only), at http://<its address>/v1 once assigned: {command}"


def _cold_start_warning(plan: Plan, model: str) -> str:
    """What a model that scales to zero costs its first caller: a whole start (its prediction), held at most as long
    as its wake budget."""
    cold_start = (plan.document["outputs"].get("models", {}).get(model) or {}).get("coldStart") or {}
    total = cold_start.get("seconds")
    predicted = f"predicted {total / 60:.1f} min" if total is not None else "not predicted"
    wake = cold_start.get("wakeBudgetSeconds")
    held = f", held up to {wake // 60} min" if wake is not None else ""
    return (
        "minReplicas 0: the first request after the model sleeps waits for a full cold start (node, image, "
        f"weights, engine: {predicted}{held})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="dev", help=f"one of: {', '.join(stack_names())}")
    parser.add_argument("--mode", default=Mode.UPDATE, choices=Mode.ALL)
    parser.add_argument("--out", type=Path, help="output directory (default: build/plan/<stack>)")
    parser.add_argument("--root", type=Path, default=ROOT, help="directory with Pulumi.yaml and the stack files")
    options = parser.parse_args(argv)
    out = options.out or ROOT / "build" / "plan" / options.stack
    heap.collect_less_often()
    heap.keep_what_is_alive()
    try:
        run = run_program(options.stack, options.mode, root=options.root)
    except (FileNotFoundError, StackFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except pulumi.RunError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    plan = build_plan(run)
    write_plan(plan, out)
    print(summary(plan))
    print(f"Wrote {out / 'plan.json'} and {len(plan.manifests)} manifests in {out / 'manifests'}")
    return 0


def cold_start_line(cold_start: dict[str, Any]) -> str:
    """A new replica's predicted start, term by term (components/cold_start.py), and what bounds it."""
    terms = " + ".join(
        f"{name} {'?' if seconds is None else f'{seconds} s'}" for name, seconds in cold_start["terms"].items()
    )
    total = cold_start["seconds"]
    predicted = f"{total} s ({total / 60:.1f} min)" if total is not None else "not predicted"
    assumed = f"; not measured for this case: {', '.join(cold_start['assumed'])}" if cold_start["assumed"] else ""
    return (
        f"    cold start: {terms} = {predicted} (weights {cold_start['weights']}, images {cold_start['images']}); "
        f"startup probe {cold_start['startupBudgetSeconds'] // 60} min, wake {cold_start['wakeBudgetSeconds'] // 60} "
        f"min{assumed}"
    )


def sizing_lines(sizing: dict[str, Any]) -> list[str]:
    """Each term of vLLM's memory accounting on one GPU of a replica, and what is left (components/sizing.py)."""
    gpu = sizing["perGpu"]
    context = f"context {sizing['contextLength']}" + (
        " (the largest that fits: contextLength unset)" if sizing["contextCappedByMemory"] else ""
    )
    return [
        f"    sizing: tensor parallel {sizing['tensorParallel']}, {context}, {sizing['concurrency']} request(s) at "
        f"once, --gpu-memory-utilization {sizing['gpuMemoryUtilization']}, KV cache {sizing['kvCacheDtype']}",
        f"      per GPU: {gpu['visibleGiB']} GiB visible x {sizing['gpuMemoryUtilization']} = {gpu['budgetGiB']} GiB "
        f"budget - weights {gpu['weightsGiB']} - activations {gpu['activationGiB']} "
        f"(max-num-batched-tokens {gpu['maxNumBatchedTokens']}) - non-torch {gpu['nonTorchGiB']} - CUDA graphs "
        f"{gpu['cudaGraphGiB']} = KV room {gpu['kvRoomGiB']} GiB; KV cache needs {sizing['kvCacheGiB']}, "
        f"headroom {sizing['headroomGiB']} GiB (margin {gpu['marginGiB']}), dtype {gpu['dtype']}"
        + (f", MoE kernel {gpu['moeKernel']}" if gpu["moeKernel"] else ""),
    ]


if __name__ == "__main__":
    sys.exit(main())
