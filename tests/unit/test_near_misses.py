"""'Did you mean': a region written as the portal shows it, a GPU name in another case or cut short, a Hugging Face
id a typo away from the catalogue's, and an unknown top-level key told every key the stack file takes."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import ConfigError, parse_config
from stacks.config.schema import OBJECT_KEYS, SECRET_KEYS, RawConfig

GPU_NAMES = "'T4', 'A10G', 'A10', 'L4', 'L40S', 'A100-40GB', 'A100-80GB', 'H100', 'H100-NVL', 'H200'"


def problems(**keys: Any) -> list[str]:
    raw = {
        "target": "azure",
        "region": "eastus2",
        "gpuPools": {"t4": {"gpu": "T4"}},
        "models": {"small": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "pool": "t4", "contextLength": 4096}},
        **keys,
    }
    with pytest.raises(ConfigError) as error:
        parse_config(raw, stack="near")
    return [str(issue) for issue in error.value.issues]


def test_an_azure_region_written_as_its_display_name_is_told_the_api_name() -> None:
    [message] = problems(region="East US 2")
    assert message.endswith("; did you mean 'eastus2' (the azure API name)?")


@pytest.mark.parametrize(("written", "meant"), [("t4", "'T4'"), ("h100-nvl", "'H100-NVL'")])
def test_a_gpu_name_in_another_case_is_told_its_spelling(written: str, meant: str) -> None:
    assert problems(gpuPools={"t4": {"gpu": written}})[0] == (
        f"gpuPools.t4.gpu: '{written}' is not allowed; use one of {GPU_NAMES}; did you mean {meant}?"
    )


def test_a_gpu_name_cut_short_is_told_the_gpus_it_begins() -> None:
    [message] = problems(gpuPools={"t4": {"gpu": "A100"}})
    assert message.endswith("; did you mean 'A100-40GB' or 'A100-80GB'?")


@pytest.mark.parametrize("written", ["Qwen/Qwen2.5-0.5B-Instruc", "qwen/qwen2.5-0.5b-instruct"])
def test_a_hugging_face_id_near_the_catalogues_is_told_the_catalogues(written: str) -> None:
    model = {"huggingFaceId": written, "pool": "t4", "contextLength": 4096}
    [message] = problems(models={"small": model})
    assert message.startswith(
        f"models.small.architecture: is required: {written} is not in the built-in catalogue (did you mean "
        "'Qwen/Qwen2.5-0.5B-Instruct'?), and sizing it"
    )


def test_a_hugging_face_id_far_from_the_catalogue_gets_no_guess() -> None:
    model = {"huggingFaceId": "acme/private-model", "pool": "t4", "contextLength": 4096}
    [message] = problems(models={"small": model})
    assert "did you mean" not in message


def test_an_unknown_top_level_key_lists_every_key_the_stack_file_takes() -> None:
    [message] = problems(regoin="eastus2")
    listed = message.split("allowed keys: ", 1)[1].split(". Did you mean", 1)[0].split(", ")
    every = [field.alias or name for name, field in RawConfig.model_fields.items()]
    assert sorted(listed) == sorted({*every, *OBJECT_KEYS, *SECRET_KEYS})
    assert message.endswith("Did you mean 'region'?")
