"""`routing: inference`: where a model's Gateway route may go through an InferencePool and its endpoint picker.

The stack's own Gateway routes to InferencePools on every target: agentgateway (conformant to the inference extension;
components/serving/agentgateway.py), on GKE too, where the InferencePool CRD is the cluster's (GKE's Gateway API
channel installs it from 1.34; the stack does not write CRDs GKE reconciles). What stays refused, each for its
reason:

- an existing Gateway (`existingGateway`): which implementation it is, and whether it reads InferencePools, is not
  known to the stack;
- an engine other than vLLM (KServe): the endpoint picker scores replicas on vLLM's own metrics;
- a sleeping model: a pool's requests go straight to its ready replicas (agentgateway, even failing open, picks an
  endpoint of the pool: crates/agentgateway/src/proxy/httpproxy.rs select_service_target_port), never through KEDA's
  interceptor, so a model with no replica is never woken.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from components.catalog.instances import Cloud
from stacks.config.rules import Finding

INFERENCE = "inference"
GKE_MINIMUM = (1, 34)
"""GKE installs the InferencePool v1 CRD itself from 1.34.0-gke.1626000 (llm-d.ai docs/resources/gateway/gke,
step 1; docs/resources/gateway/install-crds: "GKE automatically installs all GA CRDs for Gateway API and Gateway API
Inference Extension on GKE versions 1.34.0-gke.1626000 or later"); before, agentgateway would find no pool to read."""


class _Model(Protocol):
    host: str | None
    canary_of: str | None
    min_replicas: int
    objectives: Mapping[str, int]

    @property
    def routing(self) -> str: ...

    @property
    def engine(self) -> str: ...


def routing_findings(
    models: Mapping[str, _Model],
    *,
    cloud: Cloud | None,
    existing_gateway: str | None,
    kubernetes_version: str | None,
) -> list[Finding]:
    """Every model with `routing: inference` is routed by the stack's own Gateway, served by vLLM, and awake.
    `kubernetes_version`: the stack's, once the version rule has accepted it; None: refused there, not read here."""
    findings: list[Finding] = _objective_findings(models)
    for name, model in models.items():
        if model.routing != INFERENCE:
            continue
        path = f"models.{name}.routing"
        primary = models.get(model.canary_of) if model.canary_of is not None else None
        if not (model.host or (primary is not None and primary.host)):
            findings.append(
                Finding(path, "'inference' applies to a model behind a Gateway route: set host (or canaryOf)")
            )
        if existing_gateway is not None:
            findings.append(
                Finding(
                    path,
                    f"'inference' needs the stack's own Gateway, not existingGateway {existing_gateway!r}: whether an "
                    "existing Gateway routes to an InferencePool is not known to the stack; remove the key or "
                    "existingGateway",
                )
            )
        elif cloud is Cloud.GCP and kubernetes_version is not None and _minor(kubernetes_version) < GKE_MINIMUM:
            findings.append(
                Finding(
                    path,
                    f"'inference' needs kubernetesVersion 1.34 or later on gcp (GKE installs the InferencePool CRD "
                    f"from 1.34.0-gke.1626000), not {kubernetes_version!r}",
                )
            )
        engine = str(model.engine)
        if engine != "vllm":
            findings.append(
                Finding(
                    path,
                    f"'inference' needs engine 'vllm', not {engine!r}: the endpoint picker reads vLLM's "
                    "metrics on the pods of the pool",
                )
            )
        if model.min_replicas == 0:
            findings.append(
                Finding(
                    path,
                    "'inference' cannot wake a sleeping model: the Gateway sends a pool's requests straight to its "
                    "ready replicas, never through KEDA's interceptor, so with minReplicas 0 they fail until "
                    "something else wakes it; set minReplicas to 1 or more, or remove the key",
                )
            )
    return findings


def _objective_findings(models: Mapping[str, _Model]) -> list[Finding]:
    """Objectives belong to a model's pool, and are objects of the serving namespace: one name, one model."""
    findings: list[Finding] = []
    owner: dict[str, str] = {}
    for name, model in models.items():
        path = f"models.{name}.objectives"
        if model.objectives and model.routing != INFERENCE:
            findings.append(
                Finding(
                    path, "objectives prioritise requests in an InferencePool: set routing: inference, or remove them"
                )
            )
        for objective in model.objectives:
            if objective in owner:
                findings.append(
                    Finding(
                        f"{path}.{objective}",
                        f"{objective!r} is already an objective of model {owner[objective]!r}: InferenceObjectives "
                        "share the serving namespace, so each name may belong to one model",
                    )
                )
            else:
                owner[objective] = name
    return findings


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)
