"""What matters to this project in a change, in words, from two plans' stack outputs and resources: GPUs per pool
and per model, sizing, exposure, images and chart versions (tools/plan.py's summary reads the same outputs).
tools/plan_diff.py states these under "What changes"."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tools.offline import UNKNOWN_SHOWN_AS

VALUE_WIDTH = 80


def as_text(value: Any) -> str:
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text.replace("\n", "\\n").replace("`", "'")


def short(value: Any, width: int = VALUE_WIDTH) -> str:
    text = as_text(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _gpus(count: Any, factor: Any) -> Any:
    if isinstance(count, int | float) and isinstance(factor, int | float):
        return int(count * factor)
    return UNKNOWN_SHOWN_AS


def _model_facts(model: Mapping[str, Any]) -> dict[str, Any]:
    replicas = model.get("replicas") or {}
    per = model.get("gpusPerReplica") or 0
    sizing = model.get("sizing") or {}
    return {
        "Hugging Face id": model.get("huggingFaceId"),
        "engine": model.get("engine"),
        "pool": model.get("pool"),
        "accelerator": model.get("accelerator"),
        "GPUs per replica": per,
        "replicas": f"{replicas.get('min')}-{replicas.get('max')}",
        "GPUs at min scale": _gpus(replicas.get("min"), per),
        "GPUs at max scale": _gpus(replicas.get("max"), per),
        "tensor parallel": sizing.get("tensorParallel"),
        # Past one node: the stages across nodes (absent before multi-node serving: one node).
        "pipeline parallel": sizing.get("pipelineParallel", 1) if sizing else None,
        "context": model.get("contextLength"),
        "public URL": model.get("publicUrl"),
        # A rollout's step: the share of its Gateway route's requests.
        "route weight": f"{model['routeWeight']}%" if model.get("routeWeight") is not None else None,
        "load balancer URL": model.get("loadBalancerUrl"),
        "cold start": _cold_start(model.get("coldStart")),
    }


def _cold_start(cold_start: Mapping[str, Any] | None) -> str | None:
    """A model's predicted cold start, as the plan diff shows it ("cold start 13.8 min → 9.2 min")."""
    if not cold_start:
        return None
    seconds = cold_start.get("seconds")
    predicted = f"{seconds / 60:.1f} min" if isinstance(seconds, int | float) else "not predicted"
    return f"{predicted} (weights {cold_start.get('weights')}, images {cold_start.get('images')})"


def _pool_facts(pool: Mapping[str, Any], machine: Mapping[str, Any] | None) -> dict[str, Any]:
    nodes = pool.get("nodes") or {}
    per = pool.get("gpusPerNode")
    return {
        "GPU": pool.get("gpu"),
        "GPUs per node": per,
        "machine": (machine or {}).get("instanceType"),
        "capacity": "spot" if pool.get("spot") else "on-demand",
        "nodes": f"{nodes.get('min')}-{nodes.get('max')}",
        "GPUs at min scale": _gpus(nodes.get("min"), per),
        "GPUs at max scale": _gpus(nodes.get("max"), per),
    }


def _fact_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    return "; ".join(
        f"{name} {short(before.get(name))} → {short(after.get(name))}"
        for name in after
        if before.get(name) != after.get(name)
    )


def _pool_ceiling(outputs: Mapping[str, Any]) -> tuple[int, int]:
    low = high = 0
    for pool in (outputs.get("gpuPools") or {}).values():
        nodes, per = pool.get("nodes") or {}, pool.get("gpusPerNode") or 0
        low += int((nodes.get("min") or 0) * per)
        high += int((nodes.get("max") or 0) * per)
    return low, high


def _walk_images(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "image" and isinstance(item, str):
                found.add(item)
            else:
                _walk_images(item, found)
    elif isinstance(value, list):
        for item in value:
            _walk_images(item, found)


def _versions(document: Mapping[str, Any]) -> tuple[set[str], dict[str, str]]:
    images: set[str] = set()
    charts: dict[str, str] = {}
    for resource in document.get("resources") or []:
        inputs = resource.get("inputs") or {}
        if resource["type"].startswith("kubernetes:helm.sh/"):
            charts[str(inputs.get("name") or resource["name"])] = f"{inputs.get('chart')} {inputs.get('version')}"
        if resource["type"].startswith("kubernetes:") and not resource["type"].startswith("kubernetes:helm.sh/"):
            _walk_images(inputs, images)
    return images, charts


def _served_order(served: Mapping[str, Any]) -> str:
    """`qwen-7b ($0.98/h) > qwen3-8b ($2.24/h)`: the models in the order the gateway tries them."""
    return " > ".join(
        f"{model['model']} (${model['usdPerReplicaHour']:,.2f}/h)"
        if model.get("usdPerReplicaHour") is not None
        else f"{model['model']} (price unknown)"
        for model in served.get("models") or []
    )


def served_name_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Each served name added, removed, or whose order or prices change, with the order and each model's price per
    replica-hour."""
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            lines.append(f"Served name {name} added ({after[name]['order']}): {_served_order(after[name])}")
        elif name not in after:
            lines.append(f"Served name {name} removed")
        elif _served_order(before[name]) != _served_order(after[name]) or before[name] != after[name]:
            lines.append(
                f"Served name {name} ({after[name]['order']}): {_served_order(before[name])} → "
                f"{_served_order(after[name])}"
            )
    return lines


def highlights(
    before: Mapping[str, Any], after: Mapping[str, Any], base: Mapping[str, Any], head: Mapping[str, Any]
) -> list[str]:
    lines: list[str] = []
    old_low, old_high = _pool_ceiling(before)
    new_low, new_high = _pool_ceiling(after)
    if (old_low, old_high) != (new_low, new_high):
        lines.append(f"GPU nodes' GPUs, all pools: {old_low}-{old_high} → {new_low}-{new_high} (min-max scale)")
    old_pools, new_pools = before.get("gpuPools") or {}, after.get("gpuPools") or {}
    old_machines, new_machines = before.get("gpuPoolMachines") or {}, after.get("gpuPoolMachines") or {}
    for name in sorted(set(old_pools) | set(new_pools)):
        if name not in old_pools:
            facts = _pool_facts(new_pools[name], new_machines.get(name))
            lines.append(f"GPU pool {name} added: " + ", ".join(f"{k} {short(v)}" for k, v in facts.items()))
        elif name not in new_pools:
            lines.append(f"GPU pool {name} removed")
        else:
            change = _fact_changes(
                _pool_facts(old_pools[name], old_machines.get(name)),
                _pool_facts(new_pools[name], new_machines.get(name)),
            )
            if change:
                lines.append(f"GPU pool {name}: {change}")
    old_models, new_models = before.get("models") or {}, after.get("models") or {}
    for name in sorted(set(old_models) | set(new_models)):
        if name not in old_models:
            facts = _model_facts(new_models[name])
            shown = ", ".join(f"{k} {short(v)}" for k, v in facts.items() if v not in (None, ""))
            lines.append(f"Model {name} added: {shown}")
        elif name not in new_models:
            lines.append(f"Model {name} removed ({old_models[name].get('huggingFaceId')})")
        else:
            change = _fact_changes(_model_facts(old_models[name]), _model_facts(new_models[name]))
            if change:
                lines.append(f"Model {name}: {change}")
    lines.extend(served_name_changes(before.get("servedNames") or {}, after.get("servedNames") or {}))
    old_images, old_charts = _versions(base)
    new_images, new_charts = _versions(head)
    for image in sorted(new_images - old_images):
        lines.append(f"Image added: {image}")
    for image in sorted(old_images - new_images):
        lines.append(f"Image no longer used: {image}")
    for release in sorted(set(old_charts) | set(new_charts)):
        if old_charts.get(release) != new_charts.get(release):
            lines.append(f"Helm release {release}: {old_charts.get(release)} → {new_charts.get(release)}")
    return lines
