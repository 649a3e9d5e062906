"""Names that would collide with what the cluster or the stack already has: a GPU pool named like the stack's
own pools, and a model whose Kubernetes objects share a kind and name with another model's or the serving
namespace's. Either fails on `pulumi up` (AlreadyExists, a duplicate resource) or takes over the other's object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from components.autoscaling.http_add_on import wake_service_name
from stacks.config.rules import Finding

# The pools each cloud's cluster code creates besides the GPU pools, by the names a GPU pool would take:
# components/clusters/eks.py (node group `<cluster>-system`), gke.py (node pool `system`), aks.py (the cluster's
# system pool `system` and the agent pool `general`).
STACK_POOLS: dict[str, dict[str, str]] = {
    "aws": {"system": "the system node group"},
    "gcp": {"system": "the system node pool"},
    "azure": {"system": "the system pool", "general": "the add-ons' general pool"},
}

# Objects the serving namespace has besides the models': Kubernetes' own in every namespace, and the stack's
# (components/serving/namespace.py, guards.py).
NAMESPACE_OBJECTS: dict[tuple[str, str], str] = {
    ("ServiceAccount", "default"): "the ServiceAccount Kubernetes creates in every namespace",
    ("ConfigMap", "kube-root-ca.crt"): "the CA ConfigMap Kubernetes creates in every namespace",
    ("NetworkPolicy", "default-deny"): "the namespace's default-deny NetworkPolicy",
    ("ResourceQuota", "serving"): "the namespace's ResourceQuota",
    ("LimitRange", "defaults"): "the namespace's LimitRange",
    ("Secret", "hf-token"): "the Hugging Face token Secret",
    ("PrometheusRule", "platform-alerts"): "the platform's GPU alerts (with `monitoring`)",
    ("ConfigMap", "platform-dashboard"): "the overview dashboard (with `monitoring`)",
}


@dataclass(frozen=True, kw_only=True)
class ModelNames:
    """What decides the names of a model's objects."""

    engine: str
    sleeps: bool
    host: str | None
    load_balancer: bool
    clients_in_namespace: Sequence[int]
    """Indexes of the model's clients in the serving namespace (each gets a `<model>-client-<n>` egress policy)."""
    inference: bool = False
    """`routing: inference`: an InferencePool and its endpoint picker `<model>-epp` (components/serving/
    endpoint_picker.py)."""
    streams_weights: bool = False
    """`coldStart.weights: stream`: its copy Job `<model>-weights` (components/serving/weights_copy.py)."""


def pool_name_findings(target: str, names: Sequence[str]) -> list[Finding]:
    taken = STACK_POOLS.get(target, {})
    return [
        Finding(f"gpuPools.{name}", f"{name!r} is the name of {taken[name]} the stack creates; rename the pool")
        for name in names
        if name in taken
    ]


def model_objects(name: str, model: ModelNames) -> dict[tuple[str, str], str]:
    """Every object a model has in the serving namespace, (kind, name) → what it is (components/serving/*,
    components/autoscaling/keda.py; KServe's controller makes `<name>-predictor`)."""
    objects = {
        ("PodDisruptionBudget", name): "its PodDisruptionBudget",
        ("ScaledObject", name): "its ScaledObject",
        ("NetworkPolicy", f"{name}-serving"): "its NetworkPolicy",
        ("PersistentVolumeClaim", f"{name}-cache"): "its cache claim",
        ("ServiceMonitor", f"{name}-vllm"): "its ServiceMonitor",
        ("PrometheusRule", f"{name}-alerts"): "its alerts (with `monitoring`)",
        ("ConfigMap", f"{name}-dashboard"): "its dashboard (with `monitoring`)",
    }
    if model.engine == "kserve":
        objects[("InferenceService", name)] = "its InferenceService"
        objects[("Deployment", f"{name}-predictor")] = "its predictor Deployment (made by KServe)"
        objects[("Service", f"{name}-predictor")] = "its predictor Service (made by KServe)"
    else:
        objects[("Deployment", name)] = "its Deployment"
        objects[("Service", name)] = "its Service"
        objects[("ServiceAccount", name)] = "its ServiceAccount"
    if model.sleeps:
        objects[("Service", wake_service_name(name))] = "its wake Service"
        objects[("InterceptorRoute", name)] = "its InterceptorRoute"
    if model.host:
        objects[("HTTPRoute", name)] = "its HTTPRoute"
        # components/serving/route_auth.py: its clients' keys, and the Gateway's policy that checks them.
        objects[("Secret", f"{name}-api-keys")] = "its route's API keys"
        objects[("AgentgatewayPolicy", f"{name}-auth")] = "its route's authentication and limits"
        objects[("AgentgatewayBackend", f"{name}-jwks")] = "its route's JWT issuer's key server"
    if model.load_balancer:
        objects[("Service", f"{name}-lb")] = "its load balancer Service"
    if model.inference:
        objects[("InferencePool", name)] = "its InferencePool"
        for kind in ("Deployment", "Service", "ServiceAccount", "ConfigMap", "Role", "RoleBinding", "NetworkPolicy"):
            objects[(kind, f"{name}-epp")] = f"its endpoint picker's {kind}"
        objects[("ServiceMonitor", f"{name}-epp")] = "its endpoint picker's ServiceMonitor (with `monitoring`)"
        objects[("PrometheusRule", f"{name}-epp-alerts")] = "its endpoint picker's alerts (with `monitoring`)"
    if model.streams_weights:
        for kind in ("Job", "ServiceAccount", "NetworkPolicy"):
            objects[(kind, f"{name}-weights")] = f"its weight copy Job's {kind}"
        objects[("ConfigMap", f"{name}-weights-script")] = "its weight copy Job's script"
    for index in model.clients_in_namespace:
        objects[("NetworkPolicy", f"{name}-client-{index}")] = f"its egress NetworkPolicy for clients[{index}]"
    return objects


def model_name_findings(models: Mapping[str, ModelNames]) -> list[Finding]:
    """Each model whose objects would take a name another model or the namespace already has, in config order."""
    owners: dict[tuple[str, str], str] = {key: what for key, what in NAMESPACE_OBJECTS.items()}
    findings = []
    for name, model in models.items():
        objects = model_objects(name, model)
        clashes = [(key, what) for key, what in objects.items() if key in owners]
        for (kind, object_name), what in clashes:
            findings.append(
                Finding(
                    f"models.{name}",
                    f"{kind} {object_name!r} ({what}) is already {owners[(kind, object_name)]}; rename the model",
                )
            )
        for key, what in objects.items():
            owners.setdefault(key, f"the {what.removeprefix('its ')} of model {name!r}")
    return findings


def host_findings(routes: Mapping[str, tuple[str | None, str | None]]) -> list[Finding]:
    """Two routes for one host and path: the Gateway picks one by its own precedence, and requests reach either model
    (a weighted split is `canaryOf`)."""
    first: dict[tuple[str, str | None], str] = {}
    findings = []
    for name, (host, path) in routes.items():
        if host is None:
            continue
        if (host, path) in first:
            where = f"{host!r}" + (f" with path {path!r}" if path else "")
            findings.append(
                Finding(
                    f"models.{name}.host",
                    f"{where} is already the route of model {first[(host, path)]!r}; give each model a host or a path "
                    "of its own, or make it a canaryOf that model to split the traffic by weight",
                )
            )
        first.setdefault((host, path), name)
    return findings
