"""Configuration rules that depend on the target cloud, with the exact messages."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import ConfigError, DeployerType, parse_config


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(raw, stack="test")
    return [str(issue) for issue in error.value.issues]


def aws(**keys: Any) -> dict[str, Any]:
    return {"target": "aws", "region": "us-east-1", **keys}


def gcp(**keys: Any) -> dict[str, Any]:
    return {"target": "gcp", "region": "us-central1", "gcpProject": "llm-platform-demo", **keys}


def azure(**keys: Any) -> dict[str, Any]:
    return {"target": "azure", "region": "eastus2", **keys}


def test_pool_gets_the_smallest_instance_whose_memory_holds_its_gpus() -> None:
    config = parse_config(aws(gpuPools={"l4": {"gpu": "L4"}, "l40s": {"gpu": "L40S"}}), stack="t")
    assert config.pool_instances["l4"].name == "g6.2xlarge"  # g6.xlarge has 16 GiB for a 24 GB GPU
    assert config.pool_instances["l40s"].name == "g6e.2xlarge"


def test_pool_instance_type_can_be_chosen() -> None:
    config = parse_config(
        aws(gpuPools={"l4": {"gpu": "L4", "gpusPerNode": 4, "instanceType": "g6.24xlarge"}}), stack="t"
    )
    assert config.pool_instances["l4"].name == "g6.24xlarge"


def test_gcp_pool_knows_its_accelerator_type() -> None:
    config = parse_config(gcp(gpuPools={"h100": {"gpu": "H100", "gpusPerNode": 8}}), stack="t")
    assert (config.pool_instances["h100"].name, config.pool_instances["h100"].accelerator) == (
        "a3-highgpu-8g",
        "nvidia-h100-80gb",
    )


def test_existing_clusters_resolve_no_instances() -> None:
    assert parse_config({"target": "existing", "gpuPools": {"l4": {"gpu": "L4"}}}, stack="t").pool_instances == {}


def test_gpu_the_cloud_lacks_lists_what_it_offers() -> None:
    assert problems(azure(gpuPools={"l4": {"gpu": "L4"}})) == [
        "gpuPools.l4.gpu: L4 is not offered on azure; azure offers T4 (1/4 per node), A10 (1/2 per node), "
        "A100-40GB (8 per node), A100-80GB (1/2/4/8 per node), H100 (8 per node), H100-NVL (1/2 per node), "
        "H200 (8 per node)"
    ]


def test_gpu_count_the_cloud_lacks_lists_the_counts_it_has() -> None:
    assert problems(gcp(gpuPools={"l4": {"gpu": "L4", "gpusPerNode": 3}})) == [
        "gpuPools.l4.gpusPerNode: L4 comes 1/2/4/8 per node on gcp, not 3"
    ]


def test_instance_type_must_carry_the_pools_gpus() -> None:
    assert problems(aws(gpuPools={"l4": {"gpu": "L4", "gpusPerNode": 4, "instanceType": "g6.xlarge"}})) == [
        "gpuPools.l4.instanceType: 'g6.xlarge' does not carry 4 x L4; use one of 'g6.12xlarge', 'g6.24xlarge'"
    ]


def test_a_dashed_pool_name_is_taken_on_aks_its_agent_pool_gets_a_legal_one() -> None:
    config = parse_config(azure(gpuPools={"a100-spot": {"gpu": "A100-80GB"}}), stack="t")
    assert list(config.gpu_pools) == ["a100-spot"]


def test_two_pools_whose_aks_names_meet_are_refused() -> None:
    pools = {"a100-spot": {"gpu": "A100-80GB"}, "a100spot": {"gpu": "A100-80GB"}, "gen-eral": {"gpu": "T4"}}
    assert problems(azure(gpuPools=pools)) == [
        "gpuPools.a100spot: its AKS agent pool would be named 'a100spot' (AKS takes lowercase letters and digits "
        "only, 12 at most), which is gpuPools.a100-spot's name; rename 'a100spot'",
        "gpuPools.gen-eral: its AKS agent pool would be named 'general' (AKS takes lowercase letters and digits "
        "only, 12 at most), which is the stack's own pool's name; rename 'gen-eral'",
    ]


def test_gcp_needs_a_project() -> None:
    assert problems({"target": "gcp", "region": "us-central1"}) == [
        "gcpProject: is required for target 'gcp'; set the Google Cloud project id"
    ]


def test_gcp_project_only_applies_to_gcp() -> None:
    assert problems(aws(gcpProject="llm-platform-demo")) == [
        "gcpProject: only applies to target 'gcp', not 'aws'; remove the key"
    ]


REASON = "CI runs outside the VPC"


def test_public_api_needs_a_reason() -> None:
    assert problems(aws(publicApiCidrs=["203.0.113.0/24"])) == [
        "publicApiReason: is required with publicApiCidrs: a public API endpoint departs from the CIS benchmarks' "
        "private endpoint, so say why it is needed (e.g. 'CI deploys from 203.0.113.0/24')"
    ]


def test_public_api_reason_without_cidrs_is_rejected() -> None:
    assert problems(aws(publicApiReason=REASON)) == [
        "publicApiReason: only applies with publicApiCidrs; remove the key"
    ]


def test_public_api_cannot_be_open_to_the_internet() -> None:
    assert problems(aws(publicApiCidrs=["0.0.0.0/0"], publicApiReason=REASON)) == [
        "publicApiCidrs[0]: '0.0.0.0/0' would open the Kubernetes API to the whole internet; list the ranges "
        "that need it"
    ]


def test_public_api_cidrs_must_be_cidr_blocks() -> None:
    assert problems(aws(publicApiCidrs=["office"], publicApiReason=REASON)) == [
        "publicApiCidrs[0]: 'office' is not a CIDR block such as '203.0.113.0/24'"
    ]


def test_public_api_cidrs_must_not_have_host_bits() -> None:
    assert problems(aws(publicApiCidrs=["203.0.113.7/24"], publicApiReason=REASON)) == [
        "publicApiCidrs[0]: '203.0.113.7/24' has host bits set; use '203.0.113.0/24'"
    ]


def test_public_api_cidrs_arrive_as_json_from_pulumi() -> None:
    config = parse_config(aws(publicApiCidrs='["203.0.113.0/24"]', publicApiReason=REASON), stack="t")
    assert config.public_api_cidrs == ("203.0.113.0/24",)


def test_network_cidr_must_be_private_and_sized_for_subnets() -> None:
    assert problems(aws(networkCidr="10.0.0.0/24")) == [
        "networkCidr: '10.0.0.0/24' must be an IPv4 range from /16 to /20 inside 10.0.0.0/8 or 192.168.0.0/16 "
        "(172.16.0.0/12 is kept for the clusters' service, pod and control-plane ranges), such as '10.0.0.0/16'"
    ]


def test_network_cidr_stays_clear_of_the_cluster_internal_ranges() -> None:
    assert len(problems(azure(networkCidr="172.20.0.0/16"))) == 1


def test_existing_subnets_must_be_subnet_ids_of_the_cloud() -> None:
    assert problems(aws(existingSubnetIds=["sub-1"])) == [
        "existingSubnetIds[0]: 'sub-1' is not an AWS subnet id such as 'subnet-0abc1234def567890'"
    ]


def test_existing_subnets_are_not_supported_on_gcp_yet() -> None:
    assert problems(gcp(existingSubnetIds=["projects/p/regions/r/subnetworks/s"])) == [
        "existingSubnetIds: is not supported for target 'gcp' yet; remove it to create a network"
    ]


def test_cloud_keys_are_rejected_on_existing_clusters() -> None:
    assert problems(
        {
            "target": "existing",
            "publicApiCidrs": ["203.0.113.0/24"],
            "gpuPools": {"l4": {"gpu": "L4", "instanceType": "g6.xlarge"}},
        }
    ) == [
        "publicApiCidrs: only applies to cloud targets (aws, gcp, azure); remove the key",
        "gpuPools.l4.instanceType: only applies to cloud targets; remove the key",
    ]


def test_availability_zones_are_two_to_six() -> None:
    assert problems(aws(availabilityZones=1)) == ["availabilityZones: 1 is out of range; must be >= 2"]


def test_pool_zones_must_belong_to_the_region() -> None:
    assert problems(gcp(gpuPools={"l4": {"gpu": "L4", "zones": ["us-east1-b"]}})) == [
        "gpuPools.l4.zones: 'us-east1-b' is not a zone of region 'us-central1'; zones are 'us-central1-<letter>', "
        "e.g. 'us-central1-a'"
    ]


def test_pool_zones_only_apply_to_gcp() -> None:
    assert problems(aws(gpuPools={"l4": {"gpu": "L4", "zones": ["us-east-1a"]}})) == [
        "gpuPools.l4.zones: only applies to target 'gcp', not 'aws'; remove the key"
    ]


def test_pool_zone_names_are_checked() -> None:
    assert problems(gcp(gpuPools={"l4": {"gpu": "L4", "zones": ["US Central"]}})) == [
        "gpuPools.l4.zones[0]: 'US Central' is not valid; use a zone name such as 'us-central1-a'"
    ]


def test_aks_takes_exactly_one_existing_subnet() -> None:
    subnet = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes"
    assert problems(azure(existingSubnetIds=[subnet, subnet])) == [
        "existingSubnetIds: AKS places every pool in one node subnet; give exactly one, not 2"
    ]


# --- GPU sharing per cloud --------------------------------------------------------------------------


def test_mig_profile_must_exist_for_the_gpu() -> None:
    assert problems(gcp(gpuPools={"a": {"gpu": "A100-80GB", "sharing": {"mode": "mig", "migProfile": "1g.5gb"}}})) == [
        "gpuPools.a.sharing.migProfile: '1g.5gb' is not a MIG profile of A100-80GB; use one of '1g.10gb', "
        "'2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb'"
    ]


def test_mig_is_not_available_on_eks() -> None:
    assert problems(
        aws(gpuPools={"a": {"gpu": "A100-80GB", "gpusPerNode": 8, "sharing": {"mode": "mig", "migProfile": "1g.10gb"}}})
    ) == [
        "gpuPools.a.sharing.mode: 'mig' is not available on aws: EKS nodes come unpartitioned and partitioning "
        "needs the NVIDIA GPU Operator's MIG manager, which this project does not install; use 'time-slicing' or "
        "whole GPUs"
    ]


def test_aks_mig_takes_only_profiles_it_can_name() -> None:
    assert problems(
        azure(gpuPools={"h": {"gpu": "H100-NVL", "sharing": {"mode": "mig", "migProfile": "1g.24gb"}}})
    ) == [
        "gpuPools.h.sharing.migProfile: AKS cannot partition H100-NVL into '1g.24gb' (it names layouts "
        "MIG1g..MIG7g); use one of '1g.12gb', '2g.24gb', '3g.47gb', '4g.47gb', '7g.94gb'"
    ]


def test_aks_mig_with_a_nameable_profile_is_accepted() -> None:
    parse_config(
        azure(gpuPools={"a": {"gpu": "A100-80GB", "sharing": {"mode": "mig", "migProfile": "1g.10gb"}}}), stack="t"
    )


def test_gke_shares_a_gpu_among_at_most_48_pods() -> None:
    assert problems(gcp(gpuPools={"l4": {"gpu": "L4", "sharing": {"mode": "time-slicing", "replicas": 64}}})) == [
        "gpuPools.l4.sharing.replicas: 64 is more than GKE shares one GPU among (48)"
    ]


def test_install_device_plugin_is_for_existing_clusters_only() -> None:
    assert problems(aws(installDevicePlugin=False)) == [
        "installDevicePlugin: only applies to target 'existing': on 'aws' the stack decides (GKE runs its own "
        "plugin); remove the key"
    ]


def test_model_on_a_time_sliced_gpu_must_fit_its_share() -> None:
    pools = {"t4": {"gpu": "T4", "sharing": {"mode": "time-slicing", "replicas": 8}}}
    models = {"m": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "pool": "t4"}}
    assert problems(azure(gpuPools=pools, models=models)) == [
        "models.m: Qwen/Qwen2.5-0.5B-Instruct does not start: at tensor parallel 1 each GPU's budget of 1.6 GiB holds "
        "weights 0.9 + activations 0.5 + non-torch 0.15 + CUDA graphs 1.0 GiB (float16), leaving -1.0 GiB for the KV "
        "cache, less than 1 request(s) of 32768 tokens need with the 0.5 GiB margin; pool 't4' "
        "offers a 1/8 time-slice of one T4 (1.6 GiB budget); "
        "GPU types that fit on one node on azure: T4 (tensor parallel 1), A10 (tensor parallel 1), A100-40GB (tensor "
        "parallel 1), A100-80GB (tensor parallel 1), H100 (tensor parallel 1), H100-NVL (tensor parallel 1), H200 "
        "(tensor parallel 1) (or lower contextLength or concurrency)"
    ]


def test_model_on_a_mig_instance_must_fit_it() -> None:
    architecture = {"parametersBillion": 8, "layers": 32, "kvHeads": 8, "headDim": 128, "defaultContext": 8192}
    pools = {"a": {"gpu": "A100-80GB", "sharing": {"mode": "mig", "migProfile": "1g.10gb"}}}
    models = {"m": {"huggingFaceId": "acme/m-8b", "pool": "a", "architecture": architecture}}
    [message] = problems(gcp(gpuPools=pools, models=models))
    assert message.startswith("models.m: acme/m-8b does not start: at tensor parallel 1 each GPU's budget of 8.4 GiB")
    assert "pool 'a' offers one 1g.10gb MIG instance of A100-80GB (8.4 GiB budget)" in message


def test_model_too_large_for_its_pool_names_the_gpus_that_would_fit() -> None:
    pools = {"l4": {"gpu": "L4", "gpusPerNode": 4}}
    models = {"big": {"huggingFaceId": "Qwen/Qwen2.5-72B-Instruct", "pool": "l4", "contextLength": 8192}}
    assert problems(aws(gpuPools=pools, models=models)) == [
        "models.big: Qwen/Qwen2.5-72B-Instruct does not start: at tensor parallel 4 each GPU's budget of 19.7 GiB "
        "holds weights 33.9 + activations 0.7 + non-torch 1.00 + CUDA graphs 1.0 GiB (bfloat16), leaving -16.9 GiB "
        "for the KV cache, less than 1 request(s) of 8192 tokens need with the 0.6 GiB margin; pool 'l4' "
        "offers 4 x L4 per node (19.7 GiB budget "
        "each); GPU types that fit on one node on aws: L40S (tensor parallel 4), A100-40GB (tensor parallel 8), "
        "A100-80GB (tensor parallel 4), H100 (tensor parallel 4), H200 (tensor parallel 2) (or lower contextLength "
        "or concurrency)"
    ]


def test_an_explicit_context_too_long_for_the_pool_names_the_largest_that_fits() -> None:
    pools = {"l4": {"gpu": "L4", "gpusPerNode": 1}}
    models = {"m": {"huggingFaceId": "Qwen/Qwen3-8B", "pool": "l4", "contextLength": 40960}}
    assert problems(aws(gpuPools=pools, models=models)) == [
        "models.m.contextLength: 40960 tokens do not fit; the largest context that fits is 14368 (tensor parallel 1, "
        "1 request(s) at once)"
    ]


def test_context_unset_plans_the_largest_that_fits_as_max_model_len() -> None:
    pools = {"l4": {"gpu": "L4", "gpusPerNode": 1}}
    models = {"m": {"huggingFaceId": "Qwen/Qwen3-8B", "pool": "l4"}}
    plan = parse_config(aws(gpuPools=pools, models=models), stack="t").models["m"]
    assert (plan.context_length, plan.sizing.context_is_capped) == (14368, True)


def test_a_model_outside_the_catalogue_declares_its_quantized_weights() -> None:
    def tensor_parallel(weights: str) -> int:
        architecture = {
            "parametersBillion": 70,
            "layers": 80,
            "kvHeads": 8,
            "headDim": 128,
            "defaultContext": 8192,
            "attentionHeads": 64,
            "weights": weights,
        }
        models = {"m": {"huggingFaceId": "acme/m-70b-awq", "pool": "l40s", "architecture": architecture}}
        pools = {"l40s": {"gpu": "L40S", "gpusPerNode": 8}}
        return parse_config(aws(gpuPools=pools, models=models), stack="t").models["m"].sizing.tensor_parallel

    assert (tensor_parallel("bf16"), tensor_parallel("int4")) == (4, 2)


def test_fp8_kv_cache_is_refused_on_gpus_without_fp8() -> None:
    models = {"m": {"huggingFaceId": "Qwen/Qwen2.5-7B-Instruct", "pool": "a", "kvCacheDtype": "fp8"}}
    assert problems(aws(gpuPools={"a": {"gpu": "A10G"}}, models=models)) == [
        "models.m.kvCacheDtype: fp8 is offered only on GPUs of compute capability 8.9 or later, with fp8 hardware "
        "(L4, L40S, H100, H200; a project choice: vLLM's Triton backend would emulate it); pool 'a' has A10G: use auto"
    ]


def test_tensor_parallelism_is_the_smallest_power_of_two_that_fits() -> None:
    pools = {"l4": {"gpu": "L4", "gpusPerNode": 8}}
    models = {"big": {"huggingFaceId": "Qwen/Qwen2.5-32B-Instruct", "pool": "l4", "contextLength": 8192}}
    sizing = parse_config(aws(gpuPools=pools, models=models), stack="t").models["big"].sizing
    assert sizing.tensor_parallel == 4


def test_gpu_model_outside_the_catalogue_needs_its_architecture() -> None:
    models = {"m": {"huggingFaceId": "acme/unknown-7b", "pool": "l4"}}
    assert problems(aws(gpuPools={"l4": {"gpu": "L4"}}, models=models)) == [
        "models.m.architecture: is required: acme/unknown-7b is not in the built-in catalogue, and sizing it for a "
        "GPU needs parametersBillion, layers, kvHeads, headDim and defaultContext (from its config.json)"
    ]


def test_model_cache_defaults_to_the_clouds_shared_class() -> None:
    assert parse_config(azure(), stack="t").model_cache_storage_class == "azurefile-csi-premium"
    assert not parse_config(azure(), stack="t").model_cache_class_created


SERVED = {"m": {"huggingFaceId": "Qwen/Qwen2.5-7B-Instruct", "pool": "l4", "coldStart": {"weights": "download"}}}
"""A model that downloads its weights into the shared cache (one that streams them needs none)."""


def test_stacks_whose_models_all_stream_their_weights_create_no_cache_class() -> None:
    streaming = {"m": {"huggingFaceId": "Qwen/Qwen2.5-7B-Instruct", "pool": "l4"}}
    for raw in (aws, gcp):
        config = parse_config(raw(gpuPools={"l4": {"gpu": "L4"}}, models=streaming), stack="t")
        assert (config.model_cache_storage_class, config.model_cache_class_created) == (None, False)


def test_gcp_stacks_that_serve_models_create_a_filestore_class_in_their_own_network() -> None:
    # GKE's built-in standard-rwx creates instances in the network named `default`, not the cluster's.
    config = parse_config(gcp(gpuPools={"l4": {"gpu": "L4"}}, models=SERVED), stack="t")
    assert (config.model_cache_storage_class, config.model_cache_class_created) == ("filestore-model-cache", True)


def test_gcp_stacks_without_models_create_no_filestore_class() -> None:
    config = parse_config(gcp(), stack="t")
    assert (config.model_cache_storage_class, config.model_cache_class_created) == (None, False)


def test_aws_stacks_that_serve_models_create_an_efs_class_for_the_cache() -> None:
    config = parse_config(aws(gpuPools={"l4": {"gpu": "L4"}}, models=SERVED), stack="t")
    assert (config.model_cache_storage_class, config.model_cache_class_created) == ("efs-model-cache", True)


def test_aws_stacks_without_models_create_no_file_system() -> None:
    config = parse_config(aws(), stack="t")
    assert (config.model_cache_storage_class, config.model_cache_class_created) == (None, False)


def test_a_configured_cache_class_is_used_as_it_is_and_not_created() -> None:
    config = parse_config(
        aws(gpuPools={"l4": {"gpu": "L4"}}, models=SERVED, modelCacheStorageClass="efs-sc"), stack="t"
    )
    assert (config.model_cache_storage_class, config.model_cache_class_created) == ("efs-sc", False)


# --- who deploys an AKS cluster -------------------------------------------------------------------

GROUP_ID = "8d6c5a2e-0b7f-4e1a-9c3d-2f4b6a8e0c1d"


def test_aks_deployer_is_a_user_unless_the_stack_says_otherwise() -> None:
    config = parse_config(azure(), stack="t")
    assert (config.deployer_principal_type, config.deployer_group_object_id) == (DeployerType.USER, None)


def test_aks_deployer_can_be_a_service_principal() -> None:
    config = parse_config(azure(deployerPrincipalType="servicePrincipal"), stack="t")
    assert config.deployer_principal_type is DeployerType.SERVICE_PRINCIPAL


def test_aks_deployer_kinds_are_the_three_entra_id_principals() -> None:
    assert problems(azure(deployerPrincipalType="ServicePrincipal")) == [
        "deployerPrincipalType: 'ServicePrincipal' is not allowed; use one of 'user', 'servicePrincipal', 'group'; "
        "did you mean 'servicePrincipal'?"
    ]


def test_aks_deployer_group_needs_the_groups_object_id() -> None:
    assert problems(azure(deployerPrincipalType="group")) == [
        "deployerGroupObjectId: is required with deployerPrincipalType 'group': the object id of the Entra ID group "
        "whose members run Pulumi (`az ad group show --group <name> --query id`)"
    ]


def test_aks_deployer_group_object_id_is_an_entra_id_object_id() -> None:
    assert problems(azure(deployerPrincipalType="group", deployerGroupObjectId="platform-team")) == [
        "deployerGroupObjectId: 'platform-team' is not valid; use an Entra ID object id such as "
        "'00000000-0000-0000-0000-000000000000'"
    ]


def test_aks_deployer_group_object_id_only_applies_to_groups() -> None:
    assert problems(azure(deployerPrincipalType="servicePrincipal", deployerGroupObjectId=GROUP_ID)) == [
        "deployerGroupObjectId: only applies with deployerPrincipalType 'group'; remove the key"
    ]


def test_aks_deployer_keys_only_apply_to_azure() -> None:
    assert problems(aws(deployerPrincipalType="group", deployerGroupObjectId=GROUP_ID)) == [
        "deployerPrincipalType: only applies to target 'azure', not 'aws'; remove the key",
        "deployerGroupObjectId: only applies to target 'azure', not 'aws'; remove the key",
    ]


def test_aks_pool_labels_stay_out_of_the_prefix_aks_reserves() -> None:
    pools = {"a100": {"gpu": "A100-80GB", "labels": {"kubernetes.azure.com/scalesetpriority": "spot"}}}
    assert problems(azure(gpuPools=pools)) == [
        "gpuPools.a100.labels: 'kubernetes.azure.com/scalesetpriority' is under kubernetes.azure.com/: AKS reserves "
        "it for its own labels; remove it or choose a key of your own"
    ]
