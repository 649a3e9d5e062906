"""The stack configuration: one typed model, parsed once at the edge.

`load_config()` reads the `llm-platform:*` keys of the running stack, checks every rule, and returns a
frozen `StackConfig`, or raises `ConfigError` listing every problem (key path, value given, what is
allowed) before any resource exists. Everything after this module works with typed values only.

Keys are camelCase in `Pulumi.<stack>.yaml` and snake_case attributes here.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from components import versions
from components.catalog.instances import Cloud, InstanceType
from components.node_fit import PoolFit
from stacks.config.cloud_checks import check_cloud, check_deployer
from stacks.config.inputs import decoded_json, namespace_near_misses, secret_in_plain_key, token_problem
from stacks.config.issues import ConfigError, ConfigIssue
from stacks.config.messages import describe, key_path, show
from stacks.config.model_checks import check_rules
from stacks.config.model_plan import ModelPlan, NodeShare, RouteMember, RoutePlan, fit_instances, plan_model
from stacks.config.observability import ALERT_RECEIVER_KEYS, check_slo, check_stack
from stacks.config.rules.exposure import RETIRED_KEYS
from stacks.config.schema import (
    CLOUD_OF_TARGET,
    LIST_KEYS,
    OBJECT_KEYS,
    PATTERN_HINTS,
    SECRET_KEYS,
    Capacity,
    ConfigModel,
    DeployerType,
    Engine,
    GpuPool,
    ModelServing,
    RawConfig,
    Routing,
    Target,
)

# What the rest of the program imports from here: the config's types, and its errors.
__all__ = [
    "SECRET_KEYS",
    "Capacity",
    "ConfigError",
    "ConfigIssue",
    "DeployerType",
    "Engine",
    "GpuPool",
    "ModelPlan",
    "ModelServing",
    "NodeShare",
    "RouteMember",
    "RoutePlan",
    "Routing",
    "StackConfig",
    "Target",
    "load_config",
    "parse_config",
]

PROJECT = "llm-platform"

PROJECT = "llm-platform"


@dataclass(frozen=True, kw_only=True)
class StackConfig:
    project: str
    stack: str
    target: Target
    region: str | None
    kubernetes_version: str
    cluster_name: str
    kubeconfig_context: str | None
    namespace: str
    public_api_cidrs: tuple[str, ...]
    network_cidr: str
    availability_zones: int
    existing_subnet_ids: tuple[str, ...]
    gcp_project: str | None
    system_instance_type: str | None
    system_nodes: int
    deployer_principal_type: DeployerType
    """azure: the kind of principal that runs Pulumi."""
    deployer_group_object_id: str | None
    """azure, group deployers: the group that gets the Cluster Admin role; None: whoever runs Pulumi."""
    deletion_protection: bool
    monitoring: bool
    install_device_plugin: bool
    vllm_image: str
    """vLLM's CUDA image: the configured digest, or the release tag of components/versions.py."""
    vllm_cpu_image: str
    prometheus_url: str | None
    model_cache_storage_class: str | None
    """ReadWriteMany class for the weight cache (the cloud's default resolved by the target); None: emptyDir."""
    model_cache_class_created: bool
    """The stack creates `model_cache_storage_class` itself (EFS on aws, Filestore on gcp); otherwise the cluster
    has it."""
    model_cache_gib: int
    tls_cluster_issuer: str | None
    acme_email: str | None
    existing_gateway: str | None
    gateway_internal: bool
    gpu_pools: Mapping[str, GpuPool]
    pool_instances: Mapping[str, InstanceType]
    """Cloud targets: each GPU pool's machine type, resolved from the catalogue; empty for `existing`."""
    pool_fits: Mapping[str, PoolFit]
    """Cloud targets: why each pool's type was chosen (what its nodes must hold, what they leave to pods)."""
    models: Mapping[str, ModelPlan]
    hf_token: pulumi.Output[str] | None
    """A Pulumi secret, or None when the stack sets no token."""
    max_hourly_cost: float | None = None
    max_idle_hourly_cost: float | None = None
    grafana: bool = False
    alert_receivers: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    """ALERT_RECEIVER_KEYS set in the stack -> their Pulumi secrets."""

    @property
    def cloud(self) -> Cloud | None:
        """The cloud of a cloud target; None for `existing`."""
        return CLOUD_OF_TARGET.get(self.target)


def load_config() -> StackConfig:
    """Read and check the running stack's configuration. Raises ConfigError on any problem."""
    stack = pulumi.get_stack()
    all_config = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    raw = {key.split(":", 1)[1]: value for key, value in all_config.items() if key.startswith(f"{PROJECT}:")}
    is_secret = {key: pulumi.runtime.is_config_secret(f"{PROJECT}:{key}") for key in raw}
    token = pulumi.Config(PROJECT).get_secret("hfToken") if "hfToken" in raw else None
    receivers = {key: pulumi.Config(PROJECT).require_secret(key) for key in ALERT_RECEIVER_KEYS if key in raw}
    return parse_config(
        raw,
        stack=stack,
        project=pulumi.get_project(),
        secret_keys=is_secret,
        hf_token=token,
        other_keys=[key for key in all_config if not key.startswith(f"{PROJECT}:")],
        alert_receivers=receivers,
    )


def parse_config(
    raw: Mapping[str, Any],
    *,
    stack: str,
    project: str = PROJECT,
    secret_keys: Mapping[str, bool] | None = None,
    hf_token: pulumi.Output[str] | None = None,
    other_keys: Iterable[str] = (),
    alert_receivers: Mapping[str, pulumi.Output[str]] | None = None,
) -> StackConfig:
    """Check raw config values (strings as Pulumi passes them, or already-decoded values). `secret_keys` says which
    keys Pulumi marked secret; `other_keys` are the full keys of other namespaces."""
    issues = [ConfigIssue(key, message) for key, message in namespace_near_misses(other_keys, project)]
    values: dict[str, Any] = {}
    unread: set[str] = set()
    for key, value in raw.items():
        is_secret = (secret_keys or {}).get(key, False)
        if key in RETIRED_KEYS and value != "":
            issues.append(ConfigIssue(key, RETIRED_KEYS[key]))
            continue
        if key in SECRET_KEYS:
            problem = token_problem(value, is_secret=is_secret, key=key)
            if problem:
                issues.append(ConfigIssue(key, problem))
            continue
        if is_secret:
            issues.append(ConfigIssue(key, secret_in_plain_key(key, SECRET_KEYS)))
            unread.add(key)
            continue  # never read: any message about it would show the secret
        if value == "":
            continue  # Pulumi.yaml declares optional scalars with an empty default, and YAML null arrives as "": unset.
        if key in OBJECT_KEYS:
            if isinstance(value, str):
                with contextlib.suppress(json.JSONDecodeError):
                    value = json.loads(value)
            if not isinstance(value, dict):
                issues.append(ConfigIssue(key, f"must be a map of names to settings, got {show(value)}"))
                continue
        if key in LIST_KEYS and isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        values[key] = decoded_json(value)

    top, top_issues = _validate(RawConfig, {k: v for k, v in values.items() if k not in OBJECT_KEYS}, ())
    issues.extend(top_issues)
    pools: dict[str, GpuPool] = {}
    models: dict[str, ModelServing] = {}
    for key, schema, parsed_items in (("gpuPools", GpuPool, pools), ("models", ModelServing, models)):
        for name, body in (values.get(key) or {}).items():
            item, item_issues = _validate(schema, body, (key, name))
            issues.extend(item_issues)
            if item is not None:
                parsed_items[name] = item  # type: ignore[index]
    pool_names = set((values.get("gpuPools") or {}).keys())
    issues.extend(check_rules(top, pools, models, pool_names, has_token=_has_token(raw, hf_token)))
    issues.extend(ConfigIssue(i.path, i.message) for name, model in models.items() for i in check_slo(name, model.slo))
    if top is not None:
        receivers = [key for key in ALERT_RECEIVER_KEYS if key in raw]
        issues.extend(
            ConfigIssue(issue.path, issue.message)
            for issue in check_stack(
                monitoring=top.monitoring, prometheus_url=top.prometheus_url, grafana=top.grafana, receivers=receivers
            )
        )
        issues.extend(check_cloud(top, pools))
        issues.extend(check_deployer(top))
    instances, fit_issues = fit_instances(top, pools, models) if top is not None else ({}, [])
    issues.extend(fit_issues)
    if issues or top is None:
        raise ConfigError(stack, _one_issue_per_unread_key(issues, unread))
    cache_class, cache_class_created = _model_cache_class(top, serves_models=bool(models))
    return StackConfig(
        project=project,
        stack=stack,
        target=top.target,
        region=top.region,
        kubernetes_version=top.kubernetes_version,
        cluster_name=top.cluster_name or f"llm-{stack}".lower()[:40],
        kubeconfig_context=top.kubeconfig_context,
        namespace=top.namespace,
        public_api_cidrs=tuple(top.public_api_cidrs),
        network_cidr=top.network_cidr,
        availability_zones=top.availability_zones,
        existing_subnet_ids=tuple(top.existing_subnet_ids),
        gcp_project=top.gcp_project,
        system_instance_type=top.system_instance_type,
        system_nodes=top.system_nodes,
        deployer_principal_type=top.deployer_principal_type or DeployerType.USER,
        deployer_group_object_id=top.deployer_group_object_id,
        deletion_protection=top.deletion_protection,
        monitoring=top.monitoring,
        install_device_plugin=top.install_device_plugin,
        vllm_image=top.vllm_image or versions.VLLM_GPU_IMAGE,
        vllm_cpu_image=top.vllm_cpu_image or versions.VLLM_CPU_IMAGE,
        prometheus_url=top.prometheus_url,
        model_cache_storage_class=cache_class,
        model_cache_class_created=cache_class_created,
        model_cache_gib=top.model_cache_gib,
        tls_cluster_issuer=top.tls_cluster_issuer,
        acme_email=top.acme_email,
        existing_gateway=top.existing_gateway,
        gateway_internal=top.gateway_internal,
        gpu_pools=pools,
        pool_instances={name: fit.instance for name, fit in instances.items()},
        pool_fits=instances,
        models={name: plan_model(name, spec, pools, models, top.namespace) for name, spec in models.items()},
        hf_token=hf_token,
        max_hourly_cost=top.max_hourly_cost,
        max_idle_hourly_cost=top.max_idle_hourly_cost,
        grafana=top.grafana,
        alert_receivers=dict(alert_receivers or {}),
    )


def _one_issue_per_unread_key(issues: list[ConfigIssue], unread: set[str]) -> list[ConfigIssue]:
    """A key refused unread (a secret where none belongs) says only that: the rules that miss it ("is required")
    would mislead."""
    reported: set[str] = set()
    kept = []
    for issue in issues:
        key = re.split(r"[.\[]", issue.path, maxsplit=1)[0]
        if key in unread:
            if key in reported:
                continue
            reported.add(key)
        kept.append(issue)
    return kept


def _has_token(raw: Mapping[str, Any], hf_token: pulumi.Output[str] | None) -> bool:
    if "hfToken" in raw:
        return isinstance(raw["hfToken"], str) and bool(raw["hfToken"].strip())
    return hf_token is not None


def _validate(schema: type[ConfigModel], body: Any, prefix: tuple[str, ...]) -> tuple[Any, list[ConfigIssue]]:
    try:
        return schema.model_validate(body), []
    except ValidationError as error:
        return None, _issues_from_pydantic(error, schema, prefix)


# ReadWriteMany classes that come with the cluster: Azure Files (built into AKS). EKS has none and GKE's built-in
# Filestore classes create instances in the network named `default`, not the cluster's: the aws and gcp stacks
# create one (EFS; Filestore in the cluster's VPC) when a model needs it. On `existing` clusters caches stay
# emptyDir unless modelCacheStorageClass names a class.
_DEFAULT_RWX_CLASS = {Target.AZURE: "azurefile-csi-premium"}
_CREATED_RWX_CLASS = {Target.AWS: "efs-model-cache", Target.GCP: "filestore-model-cache"}


def _model_cache_class(top: RawConfig, *, serves_models: bool) -> tuple[str | None, bool]:
    """The models' cache class, and whether the stack creates it."""
    if top.model_cache_storage_class is not None:
        return top.model_cache_storage_class, False
    if top.target in _DEFAULT_RWX_CLASS:
        return _DEFAULT_RWX_CLASS[top.target], False
    if top.target in _CREATED_RWX_CLASS and serves_models:
        return _CREATED_RWX_CLASS[top.target], True
    return None, False


# --- pydantic's errors, in the project's words ----------------------------------------------------


def _issues_from_pydantic(error: ValidationError, root: type[BaseModel], prefix: tuple[str, ...]) -> list[ConfigIssue]:
    return [
        ConfigIssue(key_path(prefix + tuple(item["loc"])), describe(item, root, PATTERN_HINTS))
        for item in error.errors(include_url=False)
    ]
