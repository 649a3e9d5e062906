"""Rules on the models: their keys, pools, clients, exposure and sizing, checked against the pools of the stack."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from components import versions
from components.catalog.instances import Cloud
from components.catalog.models import MODELS, ModelArchitecture
from components.serving.clients import model_pod_labels, selects_all_of
from components.serving.gateway import gateway_ref
from components.serving.route_auth import enforces_policies, gateway_label
from components.sizing import Sizing, best_fit, supports_fp8_kv_cache
from components.sizing_advice import describe_offer, gpus_that_fit, no_fit, too_long
from stacks.config.cloud_checks import (
    check_cidrs,
    check_pool,
    check_top_level,
    label_issues,
)
from stacks.config.issues import (
    ConfigIssue,
    as_issues,
    quoted,
)
from stacks.config.messages import show
from stacks.config.model_plan import (
    model_architecture,
)
from stacks.config.multinode_checks import check_multinode, check_pool_fabric, nodes_that_would
from stacks.config.rules.api_paths import api_path_findings, host_route, shared_host_findings
from stacks.config.rules.auth import auth_findings
from stacks.config.rules.capacity import capacity_findings
from stacks.config.rules.cold_start import cold_start_findings, offered_weights, resolve_cold_start
from stacks.config.rules.cpu_fit import cpu_model_findings
from stacks.config.rules.embedding import embedding_findings, model_task
from stacks.config.rules.exposure import (
    Exposure,
    canary_findings,
    gateway_findings,
)
from stacks.config.rules.labels import reserved_label_findings
from stacks.config.rules.names import ModelNames, host_findings, model_name_findings
from stacks.config.rules.routing import routing_findings
from stacks.config.schema import (
    CLOUD_OF_TARGET,
    DNS_LABEL,
    AuthConfig,
    Engine,
    GpuPool,
    ModelServing,
    RawConfig,
    Routing,
    Task,
)


def check_rules(
    config: RawConfig | None,
    pools: Mapping[str, GpuPool],
    models: Mapping[str, ModelServing],
    pool_names: set[str],
    sizings: Mapping[str, Sizing | None],
    *,
    has_token: bool,
    stack_auth: AuthConfig | None = None,
) -> list[ConfigIssue]:
    """Rules across keys, for every part that has the right shape; `sizings`: each model's on its pool's GPU."""
    issues: list[ConfigIssue] = []
    if config is not None:
        issues.extend(check_top_level(config))
    cloud = CLOUD_OF_TARGET.get(config.target) if config is not None else None
    for name, pool in pools.items():
        issues.extend(check_pool(name, pool))
        issues.extend(check_pool_fabric(cloud, name, pool))
        if config is not None:
            issues.extend(as_issues(reserved_label_findings(config.target.value, name, pool.labels)))
    if config is not None:
        issues.extend(as_issues(gateway_findings(model_exposure(config), models, cloud=cloud)))
    issues.extend(as_issues(canary_findings(models)))
    if config is not None:
        gateway = gateway_ref(existing=config.existing_gateway, cloud=cloud)
        issues.extend(
            as_issues(
                auth_findings(
                    models,
                    stack_auth,
                    gateway_enforces=enforces_policies(gateway),
                    gateway_name=gateway_label(gateway),
                )
            )
        )
    issues.extend(as_issues(embedding_findings(models)))
    issues.extend(as_issues(api_path_findings(models)))
    if config is not None:
        issues.extend(
            as_issues(
                routing_findings(
                    models,
                    cloud=cloud,
                    existing_gateway=config.existing_gateway,
                    kubernetes_version=(
                        config.kubernetes_version
                        if config.kubernetes_version in versions.SUPPORTED_KUBERNETES_VERSIONS
                        else None
                    ),
                )
            )
        )
    if config is not None:
        gpu_image = config.vllm_image or versions.VLLM_GPU_IMAGE
        spans = {name: sizing.nodes for name, sizing in sizings.items() if sizing is not None}
        issues.extend(
            as_issues(
                cold_start_findings(
                    models, cloud=cloud, gpu_image=gpu_image, nodes=spans, image_cache=config.image_cache
                )
            )
        )
    for name, model in models.items():
        issues.extend(check_model(name, model, pools, pool_names, sizings[name], has_token=has_token, cloud=cloud))
    issues.extend(as_issues(capacity_findings(models, pools, sizings)))
    if cloud is not None and config is not None:
        issues.extend(as_issues(cpu_model_findings(cloud, config.system_instance_type, models)))
    issues.extend(check_clients(config.namespace if config is not None else None, models))
    if config is not None:
        gpu_image = config.vllm_image or versions.VLLM_GPU_IMAGE
        names = {
            name: model_object_names(
                model, config.namespace, streams=_streams(model, cloud, gpu_image, _nodes(sizings[name]))
            )
            for name, model in models.items()
        }
        issues.extend(as_issues(model_name_findings(names)))
    # Routes of apiPaths have no prefix: shared_host_findings compares them by path.
    prefixed = {name: (model.host, model.path) for name, model in models.items() if not model.api_paths}
    issues.extend(as_issues(host_findings(prefixed)))
    issues.extend(as_issues(shared_host_findings({name: host_route(model) for name, model in models.items()})))
    return issues


def model_exposure(config: RawConfig) -> Exposure:
    return Exposure(
        tls_cluster_issuer=config.tls_cluster_issuer,
        acme_email=config.acme_email,
        existing_gateway=config.existing_gateway,
        gateway_internal=config.gateway_internal,
        gateway_source_ranges=tuple(config.gateway_source_ranges),
    )


def _nodes(sizing: Sizing | None) -> int:
    return sizing.nodes if sizing is not None else 1


def _streams(model: ModelServing, cloud: Cloud | None, gpu_image: str, nodes: int) -> bool:
    """Whether the model streams its weights, as resolved once its choices are valid (a refused one: not)."""
    offered = offered_weights(
        cloud, model.engine, on_gpu=model.pool is not None, nodes=nodes, embeds=model_task(model) is Task.EMBED
    )
    if model.cold_start.weights is not None and model.cold_start.weights not in offered:
        return False
    return resolve_cold_start(model, cloud, gpu_image, nodes=nodes).streams_weights


def model_object_names(model: ModelServing, namespace: str, *, streams: bool = False) -> ModelNames:
    return ModelNames(
        engine=model.engine.value,
        sleeps=model.min_replicas == 0,
        host=model.host,
        load_balancer=model.load_balancer is not None,
        inference=model.routing is Routing.INFERENCE,
        streams_weights=streams,
        clients_in_namespace=[i for i, client in enumerate(model.clients) if client.namespace in (None, namespace)],
    )


def check_clients(namespace: str | None, models: Mapping[str, ModelServing]) -> list[ConfigIssue]:
    """Each model's clients: valid labels, no repeats, and in the serving namespace (`namespace`, when known) a
    selector that names the calling pods and no model's: the namespace's other pods are the models."""
    issues: list[ConfigIssue] = []
    model_pods = {name: model_pod_labels(model.engine.value, name) for name, model in models.items()}
    for name, model in models.items():
        seen: list[tuple[str | None, dict[str, str]]] = []
        for index, client in enumerate(model.clients):
            path = f"models.{name}.clients[{index}]"
            issues.extend(label_issues(f"{path}.podLabels", client.pod_labels))
            in_serving_namespace = namespace is not None and client.namespace in (None, namespace)
            selected = [other for other, labels in model_pods.items() if selects_all_of(client.pod_labels, labels)]
            if in_serving_namespace and not client.pod_labels:
                issues.append(
                    ConfigIssue(
                        f"{path}.podLabels",
                        f"is required for a client in the serving namespace {namespace!r}: the models run there, and "
                        "every pod of it would be admitted; give labels that only the calling pods carry",
                    )
                )
            elif in_serving_namespace and selected:
                issues.append(
                    ConfigIssue(
                        f"{path}.podLabels",
                        f"{show(client.pod_labels)} selects the pods of model {quoted(selected)} in the serving "
                        "namespace; give labels that only the calling pods carry",
                    )
                )
            key = (client.namespace or namespace, dict(client.pod_labels))
            if key in seen:
                issues.append(ConfigIssue(path, f"repeats clients[{seen.index(key)}]; remove it"))
            seen.append(key)
    return issues


def check_model(
    name: str,
    model: ModelServing,
    pools: Mapping[str, GpuPool],
    pool_names: set[str],
    sizing: Sizing | None,
    *,
    has_token: bool,
    cloud: Cloud | None,
) -> list[ConfigIssue]:
    """One model's keys: its load balancer, name and pool, engine and replicas, then what the catalogue says of it
    (`sizing`: its sizing on its pool's GPU, None when it has none)."""
    path = f"models.{name}"
    return [
        *_load_balancer_issues(path, model, cloud),
        *_name_and_pool_issues(name, path, model, pool_names),
        *_engine_and_replica_issues(name, path, model),
        *_catalogue_issues(path, model, pools, sizing, has_token=has_token, cloud=cloud),
    ]


def _load_balancer_issues(path: str, model: ModelServing, cloud: Cloud | None) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    if model.load_balancer is not None:
        issues.extend(
            check_cidrs(
                f"{path}.loadBalancer.sourceRanges", model.load_balancer.source_ranges, exposes="the model's endpoint"
            )
        )
        if cloud is None and model.load_balancer.internal is not None:
            issues.append(
                ConfigIssue(
                    f"{path}.loadBalancer.internal",
                    "only applies to cloud targets: on 'existing' the cluster's load balancer decides; remove the key",
                )
            )
    return issues


def _name_and_pool_issues(name: str, path: str, model: ModelServing, pool_names: set[str]) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    if not re.match(DNS_LABEL, name) or len(name) > 40:
        issues.append(
            ConfigIssue(
                path,
                f"model name {name!r} must be lowercase letters, digits and '-', start with a letter, "
                "at most 40 characters (it names Kubernetes objects)",
            )
        )
    if model.pool is not None and model.pool not in pool_names:
        allowed = (
            f"one of {quoted(sorted(pool_names))}, or" if pool_names else "a key of gpuPools (none is defined), or"
        )
        issues.append(
            ConfigIssue(
                f"{path}.pool",
                f"{model.pool!r} is not a GPU pool of this stack; use {allowed} remove the key to run on CPU",
            )
        )
    return issues


def _engine_and_replica_issues(name: str, path: str, model: ModelServing) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    if model.engine is Engine.KSERVE and model.pool is None:
        issues.append(
            ConfigIssue(
                f"{path}.engine",
                "'kserve' serves on GPUs only; set models." + name + ".pool, or use engine 'vllm' for CPU",
            )
        )
    if model.min_replicas == 0 and model.engine is Engine.KSERVE:
        issues.append(
            ConfigIssue(
                f"{path}.minReplicas",
                "0 is supported with engine 'vllm' only: KServe's Standard mode has no way to hold requests while "
                "a replica starts. Use 1, or engine 'vllm'",
            )
        )
    if model.min_replicas == 0 and model.load_balancer is not None:
        issues.append(
            ConfigIssue(
                f"{path}.loadBalancer",
                "cannot reach a model that scales to zero: a load balancer sends requests straight to the pods, so "
                "nothing would wake it. Expose it with host (its Gateway route goes through KEDA's HTTP add-on), or "
                "set minReplicas to 1",
            )
        )
    max_replicas = model.max_replicas if model.max_replicas is not None else max(model.min_replicas, 1)
    if max_replicas < model.min_replicas:
        issues.append(
            ConfigIssue(
                f"{path}.maxReplicas",
                f"{max_replicas} is less than minReplicas ({model.min_replicas}); set maxReplicas >= minReplicas",
            )
        )
    return issues


def _catalogue_issues(
    path: str,
    model: ModelServing,
    pools: Mapping[str, GpuPool],
    sizing: Sizing | None,
    *,
    has_token: bool,
    cloud: Cloud | None,
) -> list[ConfigIssue]:
    """The model's architecture (the catalogue's, or its own), its context, its sizing on its pool, its gate."""
    issues: list[ConfigIssue] = []
    architecture = model_architecture(model)
    if architecture and model.context_length and model.context_length > architecture.default_context:
        issues.append(
            ConfigIssue(
                f"{path}.contextLength",
                f"{model.context_length} exceeds what {model.hugging_face_id} supports "
                f"({architecture.default_context} tokens)",
            )
        )
    pool = pools.get(model.pool or "")
    if architecture is None and pool is not None:
        issues.append(
            ConfigIssue(
                f"{path}.architecture",
                f"is required: {model.hugging_face_id} is not in the built-in catalogue{_closest_model(model)}, and "
                "sizing it for a GPU needs parametersBillion, layers, kvHeads, headDim and defaultContext (from its "
                "config.json)",
            )
        )
    if architecture is not None and pool is not None:
        issues.extend(check_sizing(path, model, architecture, model.pool or "", pool, cloud, sizing))
        issues.extend(check_multinode(path, model, model.pool or "", pool, sizing))
    if architecture is not None and architecture.gated and not has_token:
        issues.append(
            ConfigIssue(
                path,
                f"{model.hugging_face_id} is gated on Hugging Face and needs a token; run "
                "`pulumi config set --secret hfToken <token>`",
            )
        )
    return issues


def _closest_model(model: ModelServing) -> str:
    """` (did you mean 'Qwen/Qwen2.5-7B-Instruct'?)` for a Hugging Face id one typo or a case away from the
    catalogue's; ids match case-insensitively on the Hub, but the catalogue is keyed as the Hub writes them."""
    ids = {known.lower(): known for known in MODELS}
    wanted = model.hugging_face_id.lower()
    close = [ids[wanted]] if wanted in ids else difflib.get_close_matches(wanted, list(ids), n=1, cutoff=0.85)
    return f" (did you mean {ids.get(close[0], close[0])!r}?)" if close else ""


def check_sizing(
    path: str,
    model: ModelServing,
    architecture: ModelArchitecture,
    pool_name: str,
    pool: GpuPool,
    cloud: Cloud | None,
    sizing: Sizing | None,
) -> list[ConfigIssue]:
    """The model must start on one node of its pool with `concurrency` requests of its context (components/sizing.py);
    a context set explicitly is never cut."""
    if model.kv_cache_dtype == "fp8" and not supports_fp8_kv_cache(pool.gpu):
        return [
            ConfigIssue(
                f"{path}.kvCacheDtype",
                "fp8 is offered only on GPUs of compute capability 8.9 or later, with fp8 hardware (L4, L40S, H100, "
                f"H200; a project choice: vLLM's Triton backend would emulate it); pool {pool_name!r} has "
                f"{pool.gpu.value}: use auto",
            )
        ]
    if sizing is not None:
        return []
    sharing = pool.sharing.as_sharing()
    best = best_fit(architecture, model.concurrency, pool.gpu, pool.gpus_per_node, sharing, model.kv_cache_dtype)
    if model.context_length is not None and best is not None:
        return [ConfigIssue(f"{path}.contextLength", too_long(model.context_length, best))]
    fitting = gpus_that_fit(architecture, model.context_length, model.concurrency, model.kv_cache_dtype, cloud)
    where = f"on {cloud}" if cloud else "in the catalogue"
    reason = no_fit(
        architecture,
        model.hugging_face_id,
        model.context_length,
        model.concurrency,
        model.kv_cache_dtype,
        pool.gpu,
        pool.gpus_per_node,
        sharing,
    )
    offer = describe_offer(pool.gpu, pool.gpus_per_node, sharing, pool.sharing.mig_profile)
    return [
        ConfigIssue(
            path,
            f"{reason}; pool {pool_name!r} offers {offer}; GPU types that fit on one node {where}: "
            f"{', '.join(fitting) or 'none'} (or lower contextLength or concurrency)"
            + nodes_that_would(model, architecture, pool_name, pool, cloud),
        )
    ]
