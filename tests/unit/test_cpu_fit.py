"""A model without a GPU pool on a cloud target must fit a system node (stacks/config/rules/cpu_fit.py)."""

from __future__ import annotations

from typing import Any

import pytest

from components.catalog.allocatable import MIB_PER_GIB, allocatable
from components.catalog.instances import Cloud
from components.catalog.system_machines import DEFAULT_SYSTEM_MACHINE, SYSTEM_MACHINES
from stacks import aws, azure, gcp
from stacks.config import ConfigError, StackConfig, parse_config

REGIONS = {Cloud.AWS: "us-east-1", Cloud.GCP: "us-central1", Cloud.AZURE: "eastus2"}


def stack(cloud: Cloud | str, model: dict[str, Any] | None = None, **keys: Any) -> StackConfig:
    target = cloud.value if isinstance(cloud, Cloud) else cloud
    return parse_config(
        {
            "target": target,
            **({"region": REGIONS[Cloud(target)]} if target != "existing" else {}),
            **({"gcpProject": "llm-platform-demo"} if target == "gcp" else {}),
            "models": {"tiny": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "contextLength": 4096, **(model or {})}},
            **keys,
        },
        stack="cpu",
    )


def problems(cloud: Cloud, model: dict[str, Any] | None = None, **keys: Any) -> list[str]:
    with pytest.raises(ConfigError) as error:
        stack(cloud, model, **keys)
    return [str(issue) for issue in error.value.issues]


def test_the_catalogue_knows_each_targets_default_system_machine() -> None:
    assert DEFAULT_SYSTEM_MACHINE == {
        Cloud.AWS: aws.DEFAULT_SYSTEM_INSTANCE_TYPE,
        Cloud.GCP: gcp.DEFAULT_SYSTEM_INSTANCE_TYPE,
        Cloud.AZURE: azure.DEFAULT_SYSTEM_INSTANCE_TYPE,
    }
    for cloud, machine in DEFAULT_SYSTEM_MACHINE.items():
        assert machine in SYSTEM_MACHINES[cloud]


def test_the_default_cpu_model_never_fits_m7i_large_and_the_message_says_why_and_what_fits() -> None:
    # m7i.large: 2 vCPU, 8 GiB; the model's default request is 4 CPU and 16 GiB.
    assert problems(Cloud.AWS) == [
        "models.tiny: runs on CPU (no pool), so its pods land on the system nodes (m7i.large: 2 vCPU, 8 GiB, of which "
        "1.53 CPU and 6.2 GiB are left to pods), but one requests 4 CPU and 16 GiB and would never schedule; give it "
        "a GPU pool, lower cpuCores and memoryGiB to fit, or set systemInstanceType to 'm7i.2xlarge'"
    ]


@pytest.mark.parametrize("cloud", list(Cloud))
def test_no_cloud_default_system_machine_holds_the_default_cpu_model(cloud: Cloud) -> None:
    [message] = problems(cloud)
    assert message.startswith(
        f"models.tiny: runs on CPU (no pool), so its pods land on the system nodes ({DEFAULT_SYSTEM_MACHINE[cloud]}:"
    )


def test_a_cpu_model_that_fits_the_system_node_plans() -> None:
    config = stack(Cloud.AWS, {"cpuCores": 1, "memoryGiB": 4})
    assert config.models["tiny"].pool is None


def test_the_suggested_larger_system_machine_holds_it() -> None:
    assert stack(Cloud.AWS, systemInstanceType="m7i.2xlarge").models["tiny"].pool is None


def test_a_system_machine_of_unknown_size_cannot_be_checked_and_says_so() -> None:
    [message] = problems(Cloud.AWS, systemInstanceType="c7i.large")
    assert message.startswith(
        "models.tiny.pool: unset: the model runs on CPU on the system nodes, whose machine 'c7i.large' "
        "(systemInstanceType) is not one whose size the catalogue knows"
    )


def test_an_existing_cluster_is_not_checked() -> None:
    assert stack("existing").models["tiny"].pool is None


def test_what_a_system_node_leaves_is_below_its_allocatable() -> None:
    machine = SYSTEM_MACHINES[Cloud.AWS]["m7i.large"]
    left = allocatable(Cloud.AWS, machine)
    # 8 GiB less 7.5 % VM overhead, less 11 MiB x 29 pods (3 ENIs x 9 + 2) + 255 MiB + 100 MiB eviction.
    assert left.memory_mib == int(8 * MIB_PER_GIB * 0.925) - (11 * 29 + 255 + 100)
