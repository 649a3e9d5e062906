"""Moving a stack to another cloud (tools/translate.py): what is kept, what is renamed or dropped, what is refused,
and that no secret value is ever written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.catalog.gpus import GpuType
from components.catalog.instances import Cloud
from components.catalog.prices import CATALOGUE
from components.catalog.regions import REGIONS
from tools.offline import ROOT
from tools.translate import main, write_translation
from tools.translation import (
    GCP_PROJECT_PLACEHOLDER,
    TranslateError,
    choose_region,
    pool_name,
    read_source,
    translate,
)

CIPHERTEXT = "v1:c2VjcmV0LWNpcGhlcnRleHQtdGhhdC1tdXN0LW5vdC1tb3Zl"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for path in ROOT.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _written(root: Path, stack: str, to: Cloud, **options: Any) -> tuple[dict[str, Any], str, str]:
    translation = translate(root, stack, to, **options)
    path, _, report = write_translation(root, translation, root / "reports")
    text = path.read_text()
    return yaml.safe_load(text)["config"], text, report


def test_the_default_region_is_the_nearest_to_the_source() -> None:
    assert choose_region(Cloud.AWS, "us-east-1", Cloud.GCP, None)[0] == "us-east4"
    assert choose_region(Cloud.GCP, "us-central1", Cloud.AZURE, None)[0] == "centralus"
    assert choose_region(Cloud.AZURE, "eastus2", Cloud.AWS, None)[0] == "us-east-1"


def test_a_given_region_must_be_one_of_the_target_clouds() -> None:
    with pytest.raises(TranslateError, match=r"REGION='eastus2' is not a public gcp region; use one of .*us-central1"):
        choose_region(Cloud.AWS, "us-east-1", Cloud.GCP, "eastus2")


def test_every_metro_names_public_regions_only() -> None:
    from components.catalog.nearest_regions import METROS

    for metro in METROS:
        for cloud in Cloud:
            assert metro.region(cloud) in REGIONS[cloud], (metro.where, cloud)


def test_aks_pool_names_are_lowercase_letters_and_digits_of_at_most_12() -> None:
    assert pool_name("l4-spot", GpuType.L4, GpuType.A10, Cloud.AZURE, []) == "a10spot"
    assert pool_name("l4-ondemand", GpuType.L4, GpuType.L4, Cloud.AZURE, []) == "l4ondemand"
    assert pool_name("h100-reserved-big", GpuType.H100, GpuType.H100, Cloud.AZURE, []) == "h100reserved"
    assert pool_name("8-gpus", GpuType.H100, GpuType.H100, Cloud.AZURE, []) == "gpu8gpus"
    assert pool_name("l4-spot", GpuType.L4, GpuType.A10, Cloud.AZURE, ["a10spot"]) == "a10spot2"


def test_a_pool_named_after_its_gpu_is_renamed_with_the_gpu_and_dashes_stay_off_azure() -> None:
    assert pool_name("l40s", GpuType.L40S, GpuType.H100, Cloud.GCP, []) == "h100"
    assert pool_name("l4-spot", GpuType.L4, GpuType.L4, Cloud.GCP, []) == "l4-spot"


def test_capacity_node_counts_and_priorities_are_kept(root: Path) -> None:
    source, _ = read_source(root / "Pulumi.prod-aws.yaml")
    config, _, _ = _written(root, "prod-aws", Cloud.AZURE)
    pools = {
        (p["capacity"], p["minNodes"], p["maxNodes"], p["priority"]) for p in config["llm-platform:gpuPools"].values()
    }
    assert pools == {(p["capacity"], p["minNodes"], p["maxNodes"], p["priority"]) for p in source["gpuPools"].values()}


def test_model_keys_are_unchanged_but_for_the_renamed_pool(root: Path) -> None:
    source, _ = read_source(root / "Pulumi.prod-aws.yaml")
    config, _, _ = _written(root, "prod-aws", Cloud.AZURE)
    models = config["llm-platform:models"]
    assert {name: {k: v for k, v in m.items() if k != "pool"} for name, m in models.items()} == {
        name: {k: v for k, v in m.items() if k != "pool"} for name, m in source["models"].items()
    }
    assert models["qwen-7b"]["pool"] == "a10spot"


def test_azure_only_keys_are_dropped_with_a_note(root: Path) -> None:
    translation = translate(root, "prod-azure", Cloud.AWS)
    assert "deployerPrincipalType" not in translation.config
    assert any(note.startswith("deployerPrincipalType 'servicePrincipal'") for note in translation.notes)


def test_gke_only_keys_and_inference_routing_are_dropped_with_a_note(root: Path) -> None:
    translation = translate(root, "prod-gcp", Cloud.AZURE)
    assert "gcpProject" not in translation.config
    assert all("zones" not in pool for pool in translation.config["gpuPools"].values())
    assert "routing" not in translation.config["models"]["qwen-7b"]
    assert any("routing 'inference'" in note for note in translation.notes)


def test_a_stack_moved_to_gcp_gets_a_project_to_replace(root: Path) -> None:
    translation = translate(root, "prod-aws", Cloud.GCP)
    assert translation.config["gcpProject"] == GCP_PROJECT_PLACEHOLDER
    assert any("replace it with your project id" in note for note in translation.notes)


def test_a_pool_whose_gpu_no_machine_fits_takes_the_next_option_and_says_why(root: Path) -> None:
    # prod-azure's T4 pool holds four time-sliced replicas of 3 CPU and 16 GiB: no N1 machine with one T4 holds them.
    translation = translate(root, "prod-azure", Cloud.GCP, region="us-central1")
    t4 = next(choice for choice in translation.pools if choice.source_name == "t4")
    assert (t4.gpu, t4.gpus) == (GpuType.L4, 1)
    assert t4.reason.startswith("no gcp machine with 1 x T4 holds the pool's pods (the fit rules)")


def _prices_without(cloud: Cloud, region: str, types: set[str]) -> dict[str, Any]:
    document = json.loads(CATALOGUE.read_text())
    absent = {
        "usdPerHour": "unknown",
        "source": "test",
        "date": "2026-12-07",
        "note": "absent from the source for this region",
    }
    document["instances"] = [
        r for r in document["instances"] if not (r["cloud"] == cloud.value and r["region"] == region)
    ]
    document["instances"] += [
        {"cloud": cloud.value, "region": region, "instanceType": name, "onDemand": absent, "spot": absent}
        for name in types
    ]
    return document


def test_refuses_a_pool_whose_gpu_and_stand_ins_the_region_does_not_sell(root: Path) -> None:
    # Azure sells no L4; its stand-ins there are the A10 and the A100 40GB: here neither is sold in eastus2.
    prices = _prices_without(
        Cloud.AZURE, "eastus2", {"Standard_NV36ads_A10_v5", "Standard_NV72ads_A10_v5", "Standard_ND96asr_v4"}
    )
    with pytest.raises(TranslateError) as refused:
        translate(root, "prod-aws", Cloud.AZURE, prices=prices)
    message = str(refused.value)
    assert message.startswith("gpuPools.l4-ondemand.gpu L4 x 1: azure eastus2 sells neither it nor a stand-in")
    assert "Standard_NV36ads_A10_v5: not sold in eastus2" in message
    assert "Give REGION=" in message


def test_refuses_a_stack_on_an_existing_cluster_and_a_move_to_its_own_cloud(root: Path) -> None:
    with pytest.raises(TranslateError, match="target 'existing' is not a cloud"):
        translate(root, "dev", Cloud.AWS)
    with pytest.raises(TranslateError, match="prod-aws is already on aws"):
        translate(root, "prod-aws", Cloud.AWS)


def test_never_overwrites_without_force(root: Path) -> None:
    path = root / "Pulumi.prod-aws-gcp.yaml"
    path.write_text("config: {}\n")
    translation = translate(root, "prod-aws", Cloud.GCP)
    with pytest.raises(TranslateError, match=r"already there; nothing was written.*FORCE=1"):
        write_translation(root, translation, root / "reports")
    assert path.read_text() == "config: {}\n"
    write_translation(root, translation, root / "reports", force=True)
    assert "llm-platform:target: gcp" in path.read_text()


def _with_secrets(root: Path) -> None:
    path = root / "Pulumi.prod-aws.yaml"
    path.write_text(
        path.read_text()
        + f"  llm-platform:hfToken:\n    secure: {CIPHERTEXT}\n"
        + f"  llm-platform:alertSlackWebhookUrl:\n    secure: {CIPHERTEXT}x\n"
    )


def test_no_secret_value_is_ever_written(root: Path) -> None:
    _with_secrets(root)
    config, text, report = _written(root, "prod-aws", Cloud.GCP)
    for written in (text, report):
        assert CIPHERTEXT not in written
        assert "placeholder" not in written
    assert "llm-platform:hfToken" not in config
    assert "llm-platform:alertSlackWebhookUrl" not in config


def test_each_secret_is_named_with_the_command_that_sets_it(root: Path) -> None:
    _with_secrets(root)
    _, text, report = _written(root, "prod-aws", Cloud.GCP)
    for key in ("hfToken", "alertSlackWebhookUrl"):
        assert f"pulumi config set --secret {key} --stack prod-aws-gcp" in text
        assert f"pulumi config set --secret {key} --stack prod-aws-gcp" in report


def test_the_command_line_reports_a_refusal_without_a_traceback(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(root), "--stack", "nope", "--to", "gcp"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: STACK='nope': no Pulumi.nope.yaml")
    assert "Traceback" not in error


MIG_STACK = """config:
  llm-platform:target: azure
  llm-platform:region: eastus2
  llm-platform:gpuPools:
    mig:
      gpu: A100-80GB
      gpusPerNode: 1
      sharing:
        mode: mig
        migProfile: 1g.10gb
  llm-platform:models:
    small:
      huggingFaceId: Qwen/Qwen2.5-0.5B-Instruct
      pool: mig
      contextLength: 4096
"""


def test_mig_sharing_is_dropped_on_eks_with_a_note(root: Path) -> None:
    (root / "Pulumi.mig.yaml").write_text(MIG_STACK)
    translation = translate(root, "mig", Cloud.AWS)
    assert all("sharing" not in pool for pool in translation.config["gpuPools"].values())
    assert any("MIG is not available on EKS" in note for note in translation.notes)


def test_a_cluster_name_that_names_the_cloud_is_renamed_with_a_note(root: Path) -> None:
    translation = translate(root, "prod-aws", Cloud.GCP)
    assert translation.config["clusterName"] == "llm-prod-gcp"
    assert "clusterName 'llm-prod-aws' is 'llm-prod-gcp' (it named the cloud)" in translation.notes


def test_a_pool_whose_gpu_cannot_hold_its_model_takes_the_next_option_and_says_why(root: Path) -> None:
    # prod-azure's qwen-32b (Qwen2.5-32B, 8192 tokens, 2 at once) on one H100 leaves less KV room than its context
    # needs with the sizing margin: the translation moves its pool on instead of failing the config step.
    translation = translate(root, "prod-azure", Cloud.AWS)
    spot = next(choice for choice in translation.pools if choice.source_name == "a100spot")
    assert (spot.gpu, spot.gpus) != (GpuType.H100, 1)
    assert "fits model qwen-32b (sizing: models.qwen-32b.contextLength)" in spot.reason


def test_a_model_s_image_delivery_is_left_to_the_target_cloud_with_a_note(root: Path) -> None:
    # EKS's FastImagePull has no AKS equivalent in azure-native 3.29.0: `images: stream` is refused on azure.
    source = root / "Pulumi.prod-aws.yaml"
    document = yaml.safe_load(source.read_text())
    document["config"]["llm-platform:models"]["qwen-7b"]["coldStart"] = {"images": "stream"}
    source.write_text(yaml.safe_dump(document, sort_keys=False))
    translation = translate(root, "prod-aws", Cloud.AZURE)
    assert "coldStart" not in translation.config["models"]["qwen-7b"]
    assert any(note.startswith("models.qwen-7b.coldStart.images 'stream'") for note in translation.notes)


def test_an_image_cache_is_dropped_with_a_note_to_build_one_on_the_target(root: Path) -> None:
    source = root / "Pulumi.prod-aws.yaml"
    document = yaml.safe_load(source.read_text())
    document["config"]["llm-platform:imageCache"] = "snap-0123456789abcdef0"
    source.write_text(yaml.safe_dump(document, sort_keys=False))
    translation = translate(root, "prod-aws", Cloud.GCP)
    assert "imageCache" not in translation.config
    assert any(note.startswith("imageCache 'snap-0123456789abcdef0': the aws snapshot") for note in translation.notes)
