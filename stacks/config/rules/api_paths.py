"""`apiPaths`: several models on one host, each on the OpenAI paths of its task, matched exactly and passed on
unchanged (an embedding model on /v1/embeddings, a chat model on /v1/chat/completions: one base URL for both).

A route of `apiPaths` may share its host with other routes of `apiPaths` only: next to a catch-all route (a host
with no path) or a path prefix that covers one of its paths, which model answers a request would depend on the
Gateway's precedence rules (an exact match wins over any prefix), not on what the stack file says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stacks.config.rules import Finding
from stacks.config.rules.embedding import model_task
from stacks.config.schema import ModelServing, Task

TASK_PATHS: dict[Task, tuple[str, ...]] = {
    Task.EMBED: ("/v1/embeddings",),
    Task.GENERATE: ("/v1/chat/completions", "/v1/completions"),
}
"""OpenAI paths vLLM v0.31.0 answers per runner: entrypoints/pooling/factories.py mounts /v1/embeddings for the
`embed` task, entrypoints/generate/api_router.py /v1/chat/completions and /v1/completions (and /v1/responses, which
is not offered here)."""


def api_path_findings(models: Mapping[str, ModelServing]) -> list[Finding]:
    """Each model's `apiPaths` on its own: with a host, without `path`, each once and served by its task."""
    findings: list[Finding] = []
    for name, model in models.items():
        if not model.api_paths:
            continue
        key = f"models.{name}.apiPaths"
        if model.canary_of is not None:
            findings.append(Finding(key, f"a canary serves the route of {model.canary_of!r}; remove apiPaths"))
            continue
        if not model.host:
            findings.append(Finding(key, "only applies with host: the paths are matched on the Gateway's route"))
        if model.path:
            findings.append(
                Finding(
                    key,
                    f"and path {model.path!r} both choose what of the host reaches the model; keep one: path (a "
                    "prefix, removed on the way) or apiPaths (OpenAI paths, passed on unchanged)",
                )
            )
        repeated = sorted({path for path in model.api_paths if model.api_paths.count(path) > 1})
        if repeated:
            findings.append(Finding(key, f"lists {repeated} more than once; name each path once"))
        task = model_task(model)
        unserved = [path for path in model.api_paths if path not in TASK_PATHS[task]]
        if unserved:
            findings.append(
                Finding(
                    key,
                    f"{unserved} is not served by a model of task {task.value!r}, which answers only "
                    f"{list(TASK_PATHS[task])}",
                )
            )
    return findings


@dataclass(frozen=True, kw_only=True)
class HostRoute:
    """What one model's route takes of its host."""

    host: str | None
    path: str | None
    api_paths: tuple[str, ...]
    task: Task


def host_route(model: ModelServing) -> HostRoute:
    return HostRoute(host=model.host, path=model.path, api_paths=tuple(model.api_paths), task=model_task(model))


def shared_host_findings(routes: Mapping[str, HostRoute]) -> list[Finding]:
    """Routes of `apiPaths` share a host with no other route that could take their paths."""
    findings: list[Finding] = []
    exact_owner: dict[tuple[str, str], str] = {}
    for name, route in routes.items():
        if route.host is None or not route.api_paths:
            continue
        for api_path in route.api_paths:
            owner = exact_owner.setdefault((route.host, api_path), name)
            if owner != name:
                findings.append(
                    Finding(
                        f"models.{name}.apiPaths",
                        f"{api_path!r} on {route.host!r} is already the route of model {owner!r}; one model per "
                        "path, or make this model a canaryOf that model to split the traffic by weight",
                    )
                )
    for name, route in routes.items():
        if route.host is None or route.api_paths:
            continue
        covered = sorted(
            (api_path, owner)
            for (host, api_path), owner in exact_owner.items()
            if host == route.host and (route.path is None or f"{api_path}/".startswith(f"{route.path}/"))
        )
        if covered:
            taken = ", ".join(f"{api_path} (model {owner!r})" for api_path, owner in covered)
            where = "every path of the host" if route.path is None else f"the prefix {route.path!r}"
            findings.append(
                Finding(
                    f"models.{name}.host",
                    f"{route.host!r}: this model takes {where}, which covers {taken}; which model answers would "
                    "depend on the Gateway's precedence. On a host with apiPaths, give every model apiPaths "
                    f"(e.g. {list(TASK_PATHS[route.task])}), or use another host",
                )
            )
    return findings
