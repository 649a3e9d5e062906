"""`servedNames`: one OpenAI `model` name in front of several models, and what each model behind it must be.

A served name becomes one AgentgatewayBackend whose priority groups are its models (components/serving/
served_names.py), so a model behind it must be reachable as one provider of that backend: a Service of the serving
namespace (or its InferencePool) that answers every request of the same API. What cannot be that is refused here,
with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping

from components.catalog.instances import Cloud
from components.serving.gateway import GatewayRef
from components.serving.served_names import resource_name, served_names_refusal
from stacks.config.rules import Finding
from stacks.config.rules.embedding import model_task
from stacks.config.schema import ModelServing, ServedName, ServedOrder


def served_name_findings(
    served: Mapping[str, ServedName],
    models: Mapping[str, ModelServing],
    *,
    cloud: Cloud | None,
    gateway: GatewayRef,
    has_tls_issuer: bool,
) -> list[Finding]:
    findings: list[Finding] = []
    if not served:
        return findings
    refusal = served_names_refusal(gateway)
    if refusal is not None:
        return [Finding("servedNames", refusal)]
    if not has_tls_issuer:
        findings.append(
            Finding(
                "tlsClusterIssuer",
                f"is required with servedNames ({', '.join(served)}): the Gateway serves TLS only, with a certificate "
                "from this cert-manager ClusterIssuer; or set acmeEmail and the stack creates a Let's Encrypt issuer",
            )
        )
    routes = {(model.host, model.path or ""): name for name, model in models.items() if model.host}
    for name, entry in served.items():
        findings.extend(_candidate_findings(name, entry, models))
        path = f"servedNames.{name}"
        if resource_name(name) in models:
            findings.append(
                Finding(
                    path,
                    f"its route and backend are named '{resource_name(name)}', like the model of that name's route; "
                    "rename one",
                )
            )
        if entry.order is ServedOrder.CHEAPEST and cloud is None:
            findings.append(
                Finding(
                    f"{path}.order",
                    "'cheapest' orders by the plan's price of a replica-hour, and on an existing cluster the stack "
                    "chooses no machines and has no price; use 'listed'",
                )
            )
        taken = routes.get((entry.host, entry.path or ""))
        if taken is not None:
            findings.append(
                Finding(
                    f"{path}.host",
                    f"'{entry.host}{entry.path or ''}' is model '{taken}'s route already; give the served name its own "
                    "host or path",
                )
            )
        routes[(entry.host, entry.path or "")] = f"servedNames.{name}"
    return findings


def _candidate_findings(name: str, entry: ServedName, models: Mapping[str, ModelServing]) -> list[Finding]:
    findings: list[Finding] = []
    seen: dict[str, str] = {}
    canaries = {model.canary_of for model in models.values() if model.canary_of}
    for index, candidate in enumerate(entry.models):
        path = f"servedNames.{name}.models[{index}]"
        model = models.get(candidate)
        if model is None:
            known = ", ".join(sorted(models)) or "none"
            findings.append(Finding(path, f"'{candidate}' is not a model of this stack (models: {known})"))
            continue
        if candidate in entry.models[:index]:
            findings.append(Finding(path, f"'{candidate}' is listed twice; each model is one fallback step"))
            continue
        findings.extend(Finding(path, f"'{candidate}' {reason}") for reason in _why_not_a_candidate(model))
        if candidate in canaries:
            findings.append(
                Finding(
                    path,
                    f"'{candidate}' has a canary: agentgateway v1.4.1 splits a priority group's providers by their "
                    "health and latency, not by weight, so the canary's weight would not hold behind the served "
                    "name; finish the rollout first (the model's own host keeps its split)",
                )
            )
        served_as = model.served_model_name or model.hugging_face_id
        if served_as in seen:
            findings.append(
                Finding(
                    path,
                    f"'{candidate}' answers as '{served_as}' like '{seen[served_as]}': the fallback alerts tell the "
                    "models apart by the name that answered; give one a servedModelName of its own",
                )
            )
        seen.setdefault(served_as, candidate)
    tasks = {candidate: model_task(models[candidate]).value for candidate in entry.models if candidate in models}
    if len(set(tasks.values())) > 1:
        shown = ", ".join(f"{candidate} ({task})" for candidate, task in tasks.items())
        findings.append(
            Finding(
                f"servedNames.{name}.models",
                f"mixes tasks: {shown}; one name answers one API (embeddings or chat), so its models share a task",
            )
        )
    return findings


def _why_not_a_candidate(model: ModelServing) -> list[str]:
    reasons = []
    if model.canary_of is not None:
        reasons.append(
            f"is a canary of '{model.canary_of}': it takes a share of its primary's route; list the primary, or "
            "make this one a model of its own"
        )
    if model.min_replicas == 0:
        reasons.append(
            "sleeps (minReplicas 0): it wakes only behind KEDA's interceptor in another namespace, and a provider of "
            "an AgentgatewayBackend reaches only the serving namespace; give it minReplicas 1"
        )
    return reasons
