"""Every rule of the stack configuration, with the exact message a user sees."""

from __future__ import annotations

from typing import Any

import pytest

from components import versions
from components.catalog.gpus import GpuType
from components.clusters.contract import SharingMode
from stacks.config import Capacity, ConfigError, Engine, Target, parse_config

DEV_MODEL = "Qwen/Qwen2.5-0.5B-Instruct"
ALL_GPUS = "'T4', 'A10G', 'A10', 'L4', 'L40S', 'A100-40GB', 'A100-80GB', 'H100', 'H100-NVL', 'H200'"


def problems(raw: dict[str, Any], **kwargs: Any) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(raw, stack="test", **kwargs)
    return [str(issue) for issue in error.value.issues]


def existing(**keys: Any) -> dict[str, Any]:
    return {"target": "existing", **keys}


def pool(**keys: Any) -> dict[str, Any]:
    return {"gpu": "L4", **keys}


def model(**keys: Any) -> dict[str, Any]:
    """A model; one exposed with `host` authenticates an API-key client unless the test sets `auth` or `public`
    (an exposed model without either is refused: tests/unit/test_auth_config.py)."""
    if "host" in keys and "auth" not in keys and "public" not in keys:
        keys = {**keys, "auth": {"apiKeyClients": ["app"]}}
    return {"huggingFaceId": DEV_MODEL, **keys}


# --- what a valid configuration becomes ------------------------------------------------------------


def test_minimal_existing_stack_gets_documented_defaults() -> None:
    config = parse_config(existing(), stack="dev")
    assert config.target is Target.EXISTING
    assert config.cluster_name == "llm-dev"
    assert config.namespace == "llm-serving"
    assert config.kubernetes_version == "1.34"
    assert config.models == {}
    assert config.gpu_pools == {}


def test_pool_defaults_are_one_on_demand_gpu_scaling_from_zero() -> None:
    config = parse_config(existing(gpuPools={"l4": pool()}), stack="dev")
    l4 = config.gpu_pools["l4"]
    assert (l4.gpu, l4.gpus_per_node, l4.capacity, l4.min_nodes, l4.max_nodes, l4.priority) == (
        GpuType.L4,
        1,
        Capacity.ON_DEMAND,
        0,
        1,
        10,
    )
    assert l4.sharing.mode is SharingMode.NONE


def test_model_defaults_to_vllm_one_replica_and_the_catalogue_context() -> None:
    config = parse_config(existing(models={"chat": model()}), stack="dev")
    chat = config.models["chat"]
    assert chat.spec.engine is Engine.VLLM
    assert (chat.spec.min_replicas, chat.max_replicas) == (1, 1)
    assert chat.context_length == 32768
    assert chat.served_model_name == DEV_MODEL
    assert chat.pool is None


def test_model_resolves_its_pool() -> None:
    config = parse_config(existing(gpuPools={"l4": pool()}, models={"chat": model(pool="l4")}), stack="dev")
    assert config.models["chat"].pool == config.gpu_pools["l4"]


def test_structured_keys_arrive_as_json_strings_from_pulumi() -> None:
    config = parse_config(existing(models='{"chat": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct"}}'), stack="dev")
    assert list(config.models) == ["chat"]


def test_empty_string_defaults_from_pulumi_yaml_mean_unset() -> None:
    config = parse_config(existing(region="", clusterName="", kubeconfigContext=""), stack="dev")
    assert (config.region, config.cluster_name, config.kubeconfig_context) == (None, "llm-dev", None)


def test_unknown_model_is_served_with_the_architecture_from_config() -> None:
    architecture = {"parametersBillion": 7, "layers": 32, "kvHeads": 8, "headDim": 128, "defaultContext": 8192}
    config = parse_config(
        existing(models={"m": model(huggingFaceId="acme/m-7b", architecture=architecture)}), stack="dev"
    )
    assert config.models["m"].architecture is not None
    assert config.models["m"].context_length == 8192


# --- top-level keys -------------------------------------------------------------------------------


def test_target_is_required() -> None:
    assert problems({}) == ["target: is required"]


def test_target_must_be_a_known_one() -> None:
    assert problems({"target": "gcpp"}) == [
        "target: 'gcpp' is not allowed; use one of 'aws', 'gcp', 'azure', 'existing'; did you mean 'gcp'?"
    ]


def test_cloud_target_requires_a_region() -> None:
    assert problems({"target": "aws"}) == ["region: is required for target 'aws'; set the cloud region"]


def test_region_is_rejected_on_existing_clusters() -> None:
    assert problems(existing(region="us-east-1")) == [
        "region: 'us-east-1' has no effect with target 'existing'; remove the key"
    ]


def test_region_must_look_like_a_region() -> None:
    assert problems({"target": "gcp", "region": "Europe West"}) == [
        "region: 'Europe West' is not valid; use the cloud's region name, such as 'us-east-1', 'europe-west4' "
        "or 'eastus2'",
        # The rules across keys still run without the wrong key, so the next problem shows in the same run.
        "gcpProject: is required for target 'gcp'; set the Google Cloud project id",
    ]


def test_kubeconfig_context_only_applies_to_existing_clusters() -> None:
    assert problems({"target": "azure", "region": "eastus2", "kubeconfigContext": "kind-dev"}) == [
        "kubeconfigContext: is only used with target 'existing' (this stack targets 'azure'); remove the key"
    ]


def test_kubernetes_version_must_be_supported() -> None:
    assert problems(existing(kubernetesVersion="1.20")) == [
        "kubernetesVersion: '1.20' is not supported; use one of '1.32', '1.33', '1.34', '1.35'"
    ]


def test_namespace_must_be_a_kubernetes_name() -> None:
    assert problems(existing(namespace="LLM_serving")) == [
        "namespace: 'LLM_serving' is not valid; use lowercase letters, digits and '-', starting with a letter "
        "(a Kubernetes name)"
    ]


def test_cluster_name_is_limited_to_40_characters() -> None:
    assert problems(existing(clusterName="a" * 41)) == [f"clusterName: '{'a' * 41}' must be at most 40 characters"]


def test_unknown_top_level_key_is_rejected_with_a_suggestion() -> None:
    [message] = problems(existing(nameSpace="x"))
    assert message.startswith("nameSpace: unknown key; allowed keys: target, region, kubernetesVersion,")
    assert message.endswith("Did you mean 'namespace'?")


def test_maps_must_be_maps() -> None:
    assert problems(existing(models="chat")) == ["models: must be a map of names to settings, got 'chat'"]
    assert problems(existing(gpuPools=[1])) == ["gpuPools: must be a map of names to settings, got [1]"]


def test_token_in_plain_text_is_rejected() -> None:
    assert problems(existing(hfToken="hf_plain")) == [
        "hfToken: must be a Pulumi secret, but is stored in plain text; run "
        "`pulumi config set --secret hfToken <value>`"
    ]


def test_token_stored_as_a_secret_is_accepted() -> None:
    parse_config(existing(hfToken="ciphertext"), stack="dev", secret_keys={"hfToken": True})


# --- GPU pools ------------------------------------------------------------------------------------


def test_pool_gpu_must_come_from_the_normalized_list() -> None:
    assert problems(existing(gpuPools={"p": pool(gpu="RTX4090")})) == [
        f"gpuPools.p.gpu: 'RTX4090' is not allowed; use one of {ALL_GPUS}"
    ]


def test_pool_name_must_be_a_short_kubernetes_name() -> None:
    assert problems(existing(gpuPools={"GPU_pool": pool()})) == [
        "gpuPools.GPU_pool: pool name 'GPU_pool' must be lowercase letters, digits and '-', start with a "
        "letter, at most 20 characters"
    ]


def test_pool_max_nodes_must_not_be_below_min_nodes() -> None:
    assert problems(existing(gpuPools={"p": pool(minNodes=3, maxNodes=2)})) == [
        "gpuPools.p.maxNodes: 2 is less than minNodes (3); set maxNodes >= minNodes"
    ]


def test_pool_min_nodes_cannot_be_negative() -> None:
    assert problems(existing(gpuPools={"p": pool(minNodes=-1)})) == [
        "gpuPools.p.minNodes: -1 is out of range; must be >= 0"
    ]


def test_pool_gpus_per_node_must_be_a_whole_number() -> None:
    assert problems(existing(gpuPools={"p": pool(gpusPerNode="two")})) == [
        "gpuPools.p.gpusPerNode: 'two' is not a whole number; use a whole number from 1 to 16"
    ]


def test_pool_capacity_is_spot_or_on_demand() -> None:
    assert problems(existing(gpuPools={"p": pool(capacity="preemptible")})) == [
        "gpuPools.p.capacity: 'preemptible' is not allowed; use one of 'on-demand', 'spot'"
    ]


def test_pool_priority_must_be_positive() -> None:
    assert problems(existing(gpuPools={"p": pool(priority=0)})) == [
        "gpuPools.p.priority: 0 is out of range; must be >= 1"
    ]


def test_time_slicing_needs_replicas() -> None:
    assert problems(existing(gpuPools={"p": pool(sharing={"mode": "time-slicing"})})) == [
        "gpuPools.p.sharing.replicas: is required with mode 'time-slicing' (2 or more pods per GPU)"
    ]


def test_time_slicing_needs_at_least_two_replicas() -> None:
    assert problems(existing(gpuPools={"p": pool(sharing={"mode": "time-slicing", "replicas": 1})})) == [
        "gpuPools.p.sharing.replicas: 1 is out of range; must be >= 2"
    ]


def test_replicas_only_apply_to_time_slicing() -> None:
    assert problems(existing(gpuPools={"p": pool(sharing={"replicas": 4})})) == [
        "gpuPools.p.sharing.replicas: only applies to mode 'time-slicing', not 'none'"
    ]


def test_mig_needs_a_mig_capable_gpu() -> None:
    assert problems(existing(gpuPools={"p": pool(gpu="L4", sharing={"mode": "mig", "migProfile": "1g.10gb"})})) == [
        "gpuPools.p.sharing.mode: 'mig' needs a GPU with Multi-Instance GPU; L4 has none "
        "(MIG-capable: 'A100-40GB', 'A100-80GB', 'H100', 'H100-NVL', 'H200')"
    ]


def test_mig_needs_a_profile() -> None:
    assert problems(existing(gpuPools={"p": pool(gpu="H100", sharing={"mode": "mig"})})) == [
        "gpuPools.p.sharing.migProfile: is required with mode 'mig', e.g. '1g.10gb'"
    ]


def test_mig_profile_only_applies_to_mig() -> None:
    assert problems(existing(gpuPools={"p": pool(sharing={"migProfile": "1g.10gb"})})) == [
        "gpuPools.p.sharing.migProfile: only applies to mode 'mig', not 'none'"
    ]


def test_pool_label_keys_must_be_valid() -> None:
    assert problems(existing(gpuPools={"p": pool(labels={"team name": "x"})})) == [
        "gpuPools.p.labels: 'team name' is not a valid Kubernetes label key"
    ]


def test_pool_label_values_must_be_valid() -> None:
    assert problems(existing(gpuPools={"p": pool(labels={"team": "a b"})})) == [
        "gpuPools.p.labels.team: 'a b' is not a valid label value (at most 63 letters, digits, '-', '_', '.')"
    ]


def test_unknown_pool_key_is_rejected_with_a_suggestion() -> None:
    [message] = problems(existing(gpuPools={"p": pool(maxNode=2)}))
    assert message == (
        "gpuPools.p.maxNode: unknown key; allowed keys: gpu, gpusPerNode, instanceType, zones, capacity, minNodes, "
        "maxNodes, priority, sharing, labels, fabric. Did you mean 'maxNodes'?"
    )


def test_one_bad_pool_does_not_hide_the_problems_of_another() -> None:
    assert problems(existing(gpuPools={"a": pool(gpu="X"), "b": pool(minNodes=2, maxNodes=1)})) == [
        f"gpuPools.a.gpu: 'X' is not allowed; use one of {ALL_GPUS}",
        "gpuPools.b.maxNodes: 1 is less than minNodes (2); set maxNodes >= minNodes",
    ]


# --- models ---------------------------------------------------------------------------------------


def test_model_needs_a_hugging_face_id() -> None:
    assert problems(existing(models={"chat": {}})) == ["models.chat.huggingFaceId: is required"]


def test_hugging_face_id_must_be_org_slash_name() -> None:
    assert problems(existing(models={"chat": model(huggingFaceId="llama3")})) == [
        "models.chat.huggingFaceId: 'llama3' is not valid; use a Hugging Face model id such as "
        "'Qwen/Qwen2.5-0.5B-Instruct'"
    ]


def test_model_name_must_be_a_kubernetes_name() -> None:
    assert problems(existing(models={"Chat.Bot": model()})) == [
        "models.Chat.Bot: model name 'Chat.Bot' must be lowercase letters, digits and '-', start with a letter, "
        "at most 40 characters (it names Kubernetes objects)"
    ]


def test_model_engine_is_vllm_or_kserve() -> None:
    assert problems(existing(models={"chat": model(engine="tgi")})) == [
        "models.chat.engine: 'tgi' is not allowed; use one of 'vllm', 'kserve'"
    ]


def test_model_pool_must_exist() -> None:
    assert problems(existing(gpuPools={"l4": pool()}, models={"chat": model(pool="a100")})) == [
        "models.chat.pool: 'a100' is not a GPU pool of this stack; use one of 'l4', or remove the key to run on CPU"
    ]


def test_model_pool_without_any_pools_says_so() -> None:
    assert problems(existing(models={"chat": model(pool="a100")})) == [
        "models.chat.pool: 'a100' is not a GPU pool of this stack; use a key of gpuPools (none is defined), or "
        "remove the key to run on CPU"
    ]


def test_kserve_needs_a_gpu_pool() -> None:
    assert problems(existing(models={"chat": model(engine="kserve")})) == [
        "models.chat.engine: 'kserve' serves on GPUs only; set models.chat.pool, or use engine 'vllm' for CPU"
    ]


def test_model_max_replicas_must_not_be_below_min() -> None:
    assert problems(existing(models={"chat": model(minReplicas=3, maxReplicas=2)})) == [
        "models.chat.maxReplicas: 2 is less than minReplicas (3); set maxReplicas >= minReplicas"
    ]


def test_model_context_cannot_exceed_what_the_model_supports() -> None:
    assert problems(existing(models={"chat": model(contextLength=65536)})) == [
        "models.chat.contextLength: 65536 exceeds what Qwen/Qwen2.5-0.5B-Instruct supports (32768 tokens)"
    ]


def test_served_model_name_has_no_white_space() -> None:
    assert problems(existing(models={"chat": model(servedModelName="my model")})) == [
        "models.chat.servedModelName: 'my model' must not contain white space"
    ]


def test_gated_model_needs_a_token() -> None:
    architecture = {
        "parametersBillion": 8,
        "layers": 32,
        "kvHeads": 8,
        "headDim": 128,
        "defaultContext": 8192,
        "gated": True,
    }
    assert problems(existing(models={"m": model(huggingFaceId="acme/gated-8b", architecture=architecture)})) == [
        "models.m: acme/gated-8b is gated on Hugging Face and needs a token; run "
        "`pulumi config set --secret hfToken <token>`"
    ]


def test_architecture_needs_every_number() -> None:
    assert problems(existing(models={"m": model(architecture={"layers": 2, "kvHeads": 2, "headDim": 64})})) == [
        "models.m.architecture.parametersBillion: is required",
        "models.m.architecture.defaultContext: is required",
    ]


def test_every_problem_is_reported_at_once() -> None:
    assert len(problems({"target": "aws", "models": {"a": {}, "b": model(engine="x")}})) == 4


def test_every_layer_reports_in_one_run_a_wrong_key_does_not_hide_the_rules_across_keys() -> None:
    # A wrong top-level key, a pool with a wrong key and a model too long for its GPU: the model's problem and the
    # cloud's (A10 is Azure's) show with the keys' own, not one fix at a time.
    raw = {
        "target": "aws",
        "region": "us-east-1",
        "systemNodes": 0,
        "gpuPools": {"l4": pool(maxNodes=0), "a10": pool(gpu="A10")},
        "models": {"m": model(pool="l4", contextLength=400000, cpuCores=6, memoryGiB=24)},
    }
    assert [issue.split(":")[0] for issue in problems(raw)] == [
        "systemNodes",
        "gpuPools.l4.maxNodes",
        "models.m.contextLength",
        "gpuPools.a10.gpu",
    ]


def test_a_rule_never_judges_the_default_that_stands_in_for_a_wrong_key() -> None:
    # systemInstanceType is wrong: the CPU model's fit on the default system machine is not reported.
    raw = {"target": "aws", "region": "us-east-1", "systemInstanceType": "a b", "models": {"m": model()}}
    assert [issue.split(":")[0] for issue in problems(raw)] == ["systemInstanceType"]


def test_error_message_says_nothing_was_created() -> None:
    with pytest.raises(
        ConfigError,
        match=r"^Invalid configuration for stack 'test' \(1 problem\); nothing was created:\n  - target: is required$",
    ):
        parse_config({}, stack="test")


def test_a_vllm_model_may_scale_to_zero() -> None:
    config = parse_config(existing(models={"chat": model(minReplicas=0, maxReplicas=2)}), stack="t")
    assert config.models["chat"].sleeps
    assert (config.models["chat"].spec.min_replicas, config.models["chat"].max_replicas) == (0, 2)


def test_a_model_scaling_to_zero_has_at_most_one_replica_by_default() -> None:
    assert parse_config(existing(models={"chat": model(minReplicas=0)}), stack="t").models["chat"].max_replicas == 1


def test_kserve_models_cannot_scale_to_zero() -> None:
    models = {"chat": model(engine="kserve", pool="l4", minReplicas=0)}
    assert problems(existing(gpuPools={"l4": pool()}, models=models)) == [
        "models.chat.minReplicas: 0 is supported with engine 'vllm' only: KServe's Standard mode has no way to hold "
        "requests while a replica starts. Use 1, or engine 'vllm'"
    ]


def test_a_model_scaling_to_zero_cannot_sit_behind_a_load_balancer() -> None:
    models = {"chat": model(minReplicas=0, loadBalancer={"sourceRanges": ["10.20.0.0/16"]})}
    assert problems(existing(models=models)) == [
        "models.chat.loadBalancer: cannot reach a model that scales to zero: a load balancer sends requests straight "
        "to the pods, so nothing would wake it. Expose it with host (its Gateway route goes through KEDA's HTTP "
        "add-on), or set minReplicas to 1"
    ]


def test_exposed_model_needs_a_certificate_issuer() -> None:
    assert problems(existing(models={"chat": model(host="chat.example.com")})) == [
        "tlsClusterIssuer: is required when a model sets host (chat): the Gateway serves TLS only, with a "
        "certificate from this cert-manager ClusterIssuer; or set acmeEmail and the stack creates a Let's Encrypt "
        "issuer"
    ]


def test_host_must_be_a_dns_name() -> None:
    [message] = problems(existing(tlsClusterIssuer="letsencrypt", models={"chat": model(host="https://chat")}))
    assert message.startswith("models.chat.host: 'https://chat' is not valid")


# --- load balancer exposure ------------------------------------------------------------------------


def test_a_load_balancer_never_admits_the_whole_internet() -> None:
    models = {"chat": model(loadBalancer={"sourceRanges": ["10.20.0.0/16", "0.0.0.0/0"]})}
    assert problems(existing(models=models)) == [
        "models.chat.loadBalancer.sourceRanges[1]: '0.0.0.0/0' would open the model's endpoint to the whole "
        "internet; list the ranges that need it"
    ]


def test_load_balancer_source_ranges_are_cidr_blocks_without_host_bits() -> None:
    models = {"chat": model(loadBalancer={"sourceRanges": ["10.20.0.1/16", "office"]})}
    assert problems(existing(models=models)) == [
        "models.chat.loadBalancer.sourceRanges[0]: '10.20.0.1/16' has host bits set; use '10.20.0.0/16'",
        "models.chat.loadBalancer.sourceRanges[1]: 'office' is not a CIDR block such as '203.0.113.0/24'",
    ]


def test_a_load_balancer_needs_source_ranges() -> None:
    assert problems(existing(models={"chat": model(loadBalancer={"sourceRanges": []})})) == [
        "models.chat.loadBalancer.sourceRanges: [] must list at least 1 item(s)"
    ]


def test_a_load_balancer_admits_at_most_forty_ranges() -> None:
    ranges = [f"10.{index}.0.0/16" for index in range(41)]
    assert problems(existing(models={"chat": model(loadBalancer={"sourceRanges": ranges})})) == [
        "models.chat.loadBalancer.sourceRanges: lists 41 items; must list at most 40"
    ]


def test_internal_load_balancers_are_a_cloud_setting() -> None:
    models = {"chat": model(loadBalancer={"sourceRanges": ["10.20.0.0/16"], "internal": True})}
    assert problems(existing(models=models)) == [
        "models.chat.loadBalancer.internal: only applies to cloud targets: on 'existing' the cluster's load "
        "balancer decides; remove the key"
    ]


# --- clients ------------------------------------------------------------------------------------------


def test_a_model_has_no_clients_unless_the_config_names_them() -> None:
    assert parse_config(existing(models={"chat": model()}), stack="dev").models["chat"].spec.clients == []


def test_clients_are_namespaces_narrowed_by_pod_labels() -> None:
    clients = [{"namespace": "apps"}, {"namespace": "tools", "podLabels": {"app.kubernetes.io/name": "ui"}}]
    config = parse_config(existing(models={"chat": model(clients=clients)}), stack="dev")
    [apps, tools] = config.models["chat"].spec.clients
    assert (apps.namespace, apps.pod_labels) == ("apps", {})
    assert (tools.namespace, tools.pod_labels) == ("tools", {"app.kubernetes.io/name": "ui"})


def test_a_client_without_namespace_is_in_the_serving_namespace_and_must_name_its_pods() -> None:
    assert problems(existing(namespace="models", models={"chat": model(clients=[{}])})) == [
        "models.chat.clients[0].podLabels: is required for a client in the serving namespace 'models': the models "
        "run there, and every pod of it would be admitted; give labels that only the calling pods carry"
    ]


def test_naming_the_serving_namespace_changes_nothing_about_its_rule() -> None:
    assert problems(existing(models={"chat": model(clients=[{"namespace": "llm-serving"}])})) == [
        "models.chat.clients[0].podLabels: is required for a client in the serving namespace 'llm-serving': the "
        "models run there, and every pod of it would be admitted; give labels that only the calling pods carry"
    ]


def test_a_client_in_the_serving_namespace_must_not_select_a_model() -> None:
    models = {
        "chat": model(clients=[{"podLabels": {"app.kubernetes.io/component": "model-server"}}]),
        "code": model(),
    }
    assert problems(existing(models=models)) == [
        'models.chat.clients[0].podLabels: {"app.kubernetes.io/component": "model-server"} selects the pods of '
        "model 'chat', 'code' in the serving namespace; give labels that only the calling pods carry"
    ]


def test_a_client_selector_is_checked_against_kserve_predictor_labels_too() -> None:
    gpu = {"gpuPools": {"l4": pool()}}
    models = {
        "big": model(huggingFaceId="Qwen/Qwen2.5-7B-Instruct", engine="kserve", pool="l4"),
        "chat": model(clients=[{"podLabels": {"component": "predictor"}}]),
    }
    assert problems(existing(models=models, **gpu)) == [
        'models.chat.clients[0].podLabels: {"component": "predictor"} selects the pods of model \'big\' in the '
        "serving namespace; give labels that only the calling pods carry"
    ]


def test_the_same_labels_in_another_namespace_select_no_model() -> None:
    clients = [{"namespace": "apps", "podLabels": {"app.kubernetes.io/component": "model-server"}}]
    assert parse_config(existing(models={"chat": model(clients=clients)}), stack="dev").models["chat"].spec.clients


def test_client_labels_must_be_valid_kubernetes_labels() -> None:
    clients = [{"namespace": "apps", "podLabels": {"team name": "x", "app": "a b"}}]
    assert problems(existing(models={"chat": model(clients=clients)})) == [
        "models.chat.clients[0].podLabels: 'team name' is not a valid Kubernetes label key",
        "models.chat.clients[0].podLabels.app: 'a b' is not a valid label value (at most 63 letters, digits, '-', "
        "'_', '.')",
    ]


def test_a_client_namespace_is_a_kubernetes_name() -> None:
    assert problems(existing(models={"chat": model(clients=[{"namespace": "Apps"}])})) == [
        "models.chat.clients[0].namespace: 'Apps' is not valid; use lowercase letters, digits and '-', starting "
        "with a letter (a Kubernetes name)"
    ]


def test_a_repeated_client_is_reported() -> None:
    clients = [{"namespace": "apps"}, {"namespace": "tools"}, {"namespace": "apps"}]
    assert problems(existing(models={"chat": model(clients=clients)})) == [
        "models.chat.clients[2]: repeats clients[0]; remove it"
    ]


def test_an_unknown_client_key_is_rejected_with_a_suggestion() -> None:
    assert problems(existing(models={"chat": model(clients=[{"namespace": "apps", "podLabel": {}}])})) == [
        "models.chat.clients[0].podLabel: unknown key; allowed keys: namespace, podLabels. Did you mean 'podLabels'?"
    ]


def test_clients_are_a_list() -> None:
    assert problems(existing(models={"chat": model(clients="apps")})) == [
        "models.chat.clients: must be a list, got 'apps'; write one item per line, each starting with '- '"
    ]


# --- images -------------------------------------------------------------------------------------------


def test_configured_images_must_be_pinned_by_digest() -> None:
    assert problems(existing(vllmCpuImage="registry.example/vllm-cpu:v1")) == [
        "vllmCpuImage: 'registry.example/vllm-cpu:v1' is not valid; pin the image by digest: "
        "'registry/repository[:tag]@sha256:<64 hex digits>'"
    ]


def test_a_digest_pinned_image_replaces_the_release_tag() -> None:
    image = "registry.example/vllm-cpu:v1@sha256:" + "0" * 64
    assert parse_config(existing(vllmCpuImage=image), stack="t").vllm_cpu_image == image


def test_images_default_to_the_pinned_release() -> None:
    config = parse_config(existing(), stack="t")
    assert (config.vllm_image, config.vllm_cpu_image) == (versions.VLLM_GPU_IMAGE, versions.VLLM_CPU_IMAGE)
