"""The GPU machine catalogue and the subnet arithmetic: data sanity and properties."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.catalog.gpus import GPUS, GpuType
from components.catalog.instances import INSTANCES, Cloud, InstanceType, choose_instance, offered
from components.catalog.models import MODELS
from components.clusters.network import gke_ranges, subnet_plan


@pytest.mark.parametrize("cloud", list(Cloud))
def test_instance_names_are_unique_per_cloud(cloud: Cloud) -> None:
    names = [instance.name for instance in INSTANCES[cloud]]
    assert len(names) == len(set(names))


def test_every_listed_gpu_is_offered_somewhere_and_the_required_ones_everywhere_they_exist() -> None:
    offered_anywhere = {gpu for cloud in Cloud for gpu in offered(cloud)}
    assert offered_anywhere == set(GpuType)
    for gpu in ("T4", "A100-40GB", "A100-80GB", "H100", "H200"):
        assert all(GpuType(gpu) in offered(cloud) for cloud in Cloud), gpu


def test_gcp_instances_name_their_accelerator_and_others_do_not() -> None:
    assert all(i.accelerator for i in INSTANCES[Cloud.GCP])
    assert not any(i.accelerator for cloud in (Cloud.AWS, Cloud.AZURE) for i in INSTANCES[cloud])


@pytest.mark.parametrize("cloud", list(Cloud))
def test_default_choice_carries_the_asked_gpus_and_prefers_enough_host_memory(cloud: Cloud) -> None:
    for gpu, counts in offered(cloud).items():
        for count in counts:
            chosen = choose_instance(cloud, gpu, count)
            assert chosen is not None
            assert (chosen.gpu, chosen.gpus) == (gpu, count)
            roomy = [
                i
                for i in INSTANCES[cloud]
                if i.gpu is gpu and i.gpus == count and i.memory_gib >= GPUS[gpu].memory_gib * count
            ]
            if roomy:
                assert chosen.memory_gib == min(i.memory_gib for i in roomy)


def test_default_choice_is_the_smallest_type_that_holds_the_pools_pods() -> None:
    def holds(instance: InstanceType) -> bool:
        return instance.vcpus >= 8

    assert choose_instance(Cloud.AZURE, GpuType.T4, 1, holds=holds).name == "Standard_NC8as_T4_v3"
    assert choose_instance(Cloud.AZURE, GpuType.T4, 1, holds=lambda _: False) is None


def test_a_named_instance_must_match_gpu_and_count() -> None:
    assert choose_instance(Cloud.AWS, GpuType.L4, 4, "g6.12xlarge").name == "g6.12xlarge"
    assert choose_instance(Cloud.AWS, GpuType.L4, 1, "g6.12xlarge") is None
    assert choose_instance(Cloud.AWS, GpuType.T4, 4, "g6.12xlarge") is None


@given(
    prefix=st.integers(min_value=16, max_value=20),
    zones=st.integers(min_value=1, max_value=6),
    base=st.sampled_from(["10.0.0.0", "10.64.0.0", "192.168.0.0"]),
)
def test_subnets_fit_the_network_and_never_overlap(prefix: int, zones: int, base: str) -> None:
    network = ipaddress.ip_network(f"{base}/{prefix}", strict=False)
    plan = subnet_plan(str(network), zones)
    subnets = [ipaddress.ip_network(cidr) for cidr in plan.private + plan.public]
    assert len(plan.private) == len(plan.public) == zones
    assert all(subnet.subnet_of(network) for subnet in subnets)
    assert all(not a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1 :])


@given(prefix=st.integers(min_value=16, max_value=20))
def test_gke_ranges_fit_the_network_and_never_overlap(prefix: int) -> None:
    network = ipaddress.ip_network(f"10.0.0.0/{prefix}")
    ranges = [ipaddress.ip_network(r) for r in vars(gke_ranges(str(network))).values()]
    assert all(r.subnet_of(network) for r in ranges)
    assert all(not a.overlaps(b) for i, a in enumerate(ranges) for b in ranges[i + 1 :])


def test_subnet_plan_rejects_impossible_zone_counts() -> None:
    with pytest.raises(ValueError, match="zones must be 1 to 6, got 7"):
        subnet_plan("10.0.0.0/16", 7)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_each_models_parameter_count_recomputed_from_its_config_matches_its_card(model: str) -> None:
    architecture = MODELS[model]
    recomputed = architecture.recomputed_parameters()
    assert recomputed is not None
    assert recomputed / 1e9 == pytest.approx(architecture.parameters_billion, rel=0.03)


def test_the_catalogue_has_what_people_serve_now() -> None:
    for model in (
        "Qwen/Qwen3-8B",
        "Qwen/Qwen3-32B",
        "Qwen/Qwen3-30B-A3B",
        "openai/gpt-oss-20b",
        "openai/gpt-oss-120b",
        "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8",
        "RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic",
        "mistralai/Mistral-Small-24B-Instruct-2501",
        "google/gemma-3-12b-it",
        "google/gemma-3-27b-it",
    ):
        assert model in MODELS, model


def test_sliding_layers_are_some_of_the_layers_and_have_a_window() -> None:
    for name, architecture in MODELS.items():
        assert 0 <= architecture.sliding_layers < architecture.layers, name
        assert (architecture.sliding_layers > 0) == (architecture.sliding_window is not None), name


def test_every_gpu_records_its_nvidia_smi_total_below_its_data_sheet_size() -> None:
    for gpu, spec in GPUS.items():
        assert spec.nvidia_smi_mib <= spec.memory_gib * 1024, gpu
