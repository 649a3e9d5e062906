"""Every example stack, planned offline in preview and update mode through the real `__main__.py`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.catalog.gpus import GpuType
from components.catalog.models import MODELS
from components.clusters.contract import Sharing
from components.sizing import size_model
from stacks.serving import sizing_output
from tools.offline import ROOT, Mode, run_program, stack_names
from tools.plan import build_plan, sizing_lines, summary, write_plan

STACKS = stack_names()
CASES = [(stack, mode) for stack in STACKS for mode in Mode.ALL]
# What a Hugging Face access token looks like (SECURITY.md K1).
TOKEN_PATTERN = re.compile(r"hf_[A-Za-z0-9]{30,}")
FAKE_TOKEN = "hf_" + "Zq8" * 12


def test_there_is_a_dev_stack_and_every_stack_file_is_named_for_pulumi() -> None:
    assert "dev" in STACKS
    assert all(re.fullmatch(r"[a-z0-9-]+", stack) for stack in STACKS)


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_stack_plans_and_serves_at_least_one_model(plans: dict[Any, Any], stack: str, mode: str) -> None:
    plan = plans[(stack, mode)]
    assert (plan.document["stack"], plan.document["mode"]) == (stack, mode)
    assert plan.document["outputs"]["models"], "every example stack serves a model"


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_every_manifest_is_named_and_namespaced_where_it_must_be(plans: dict[Any, Any], stack: str, mode: str) -> None:
    for body in plans[(stack, mode)].manifests.values():
        assert body["metadata"].get("name"), body
        if body["kind"] not in {
            "Namespace",
            "ClusterRole",
            "ClusterRoleBinding",
            "PriorityClass",
            "StorageClass",
            "ComputeClass",
            "ClusterServingRuntime",
            "GatewayClass",
            "ClusterIssuer",
            "ClusterRules",
            "CustomResourceDefinition",
        }:
            assert body["metadata"].get("namespace"), body


@pytest.mark.parametrize("stack", STACKS)
def test_preview_and_update_register_the_same_resources(plans: dict[Any, Any], stack: str) -> None:
    # A resource created inside an `apply` exists only when the output is known: in update mode, not in
    # preview. The same set in both modes shows the PR diff is the whole truth (PULUMI.md §1).
    def inventory(mode: str) -> list[tuple[str, str, str | None]]:
        return [(r["type"], r["name"], r["parent"]) for r in plans[(stack, mode)].document["resources"]]

    assert inventory(Mode.PREVIEW) == inventory(Mode.UPDATE)


@pytest.mark.parametrize("stack", STACKS)
def test_planning_twice_gives_identical_output(plans: dict[Any, Any], stack: str) -> None:
    again = build_plan(run_program(stack, Mode.UPDATE))
    first = plans[(stack, Mode.UPDATE)]
    assert json.dumps(again.document, sort_keys=True) == json.dumps(first.document, sort_keys=True)
    assert again.manifests == first.manifests


@pytest.mark.parametrize("stack", STACKS)
def test_every_in_cluster_resource_uses_the_cluster_provider(plans: dict[Any, Any], stack: str) -> None:
    for resource in plans[(stack, Mode.UPDATE)].document["resources"]:
        if resource["type"].startswith("kubernetes:"):
            assert resource["provider"].startswith("pulumi:providers:kubernetes::"), resource["name"]


@pytest.mark.parametrize("stack", STACKS)
def test_no_token_appears_in_plain_text_anywhere_in_the_plan(stack: str, tmp_path: Path) -> None:
    plan = build_plan(run_program(stack, Mode.UPDATE, secret_overrides={"hfToken": FAKE_TOKEN}))
    write_plan(plan, tmp_path)
    texts = [path.read_text() for path in tmp_path.rglob("*") if path.is_file()] + [summary(plan)]
    assert any('"[secret]"' in text for text in texts), "the token Secret is in the plan, redacted"
    for text in texts:
        assert FAKE_TOKEN not in text
        assert not TOKEN_PATTERN.search(text)


GATED = '{"llama": {"huggingFaceId": "meta-llama/Llama-3.1-8B-Instruct", "cpuCores": 2, "memoryGiB": 8}, ' + (
    '"qwen": {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "cpuCores": 2, "memoryGiB": 8}}'
)
TOKEN_VOLUME = {
    "name": "hf-token",
    "secret": {"secretName": "hf-token", "defaultMode": 0o440, "items": [{"key": "token", "path": "token"}]},
}


def _volumes(plan: Any, deployment: str) -> list[dict[str, Any]]:
    [body] = [b for b in plan.manifests.values() if b["kind"] == "Deployment" and b["metadata"]["name"] == deployment]
    return body["spec"]["template"]["spec"].get("volumes", [])


def test_token_becomes_a_secret_mounted_by_the_gated_models_only() -> None:
    plan = build_plan(
        run_program("dev", Mode.UPDATE, config_overrides={"models": GATED}, secret_overrides={"hfToken": FAKE_TOKEN})
    )
    assert plan.manifests["secret-llm-serving-hf-token.yaml"]["stringData"] == {"token": "[secret]"}
    assert TOKEN_VOLUME in _volumes(plan, "llama")
    assert TOKEN_VOLUME not in _volumes(plan, "qwen")


def test_setting_the_token_leaves_a_model_that_is_not_gated_as_it_was() -> None:
    # A Deployment whose pod template changes rolls its pods: dev's qwen (not gated) must not.
    before = build_plan(run_program("dev", Mode.UPDATE))
    after = build_plan(run_program("dev", Mode.UPDATE, secret_overrides={"hfToken": FAKE_TOKEN}))
    assert "secret-llm-serving-hf-token.yaml" in after.manifests
    assert _template(before, "qwen") == _template(after, "qwen")


def _template(plan: Any, deployment: str) -> dict[str, Any]:
    [body] = [b for b in plan.manifests.values() if b["kind"] == "Deployment" and b["metadata"]["name"] == deployment]
    return body["spec"]["template"]


def test_dev_serves_the_small_model_on_cpu(plans: dict[Any, Any]) -> None:
    outputs = plans[("dev", Mode.UPDATE)].document["outputs"]
    assert outputs["target"] == "existing"
    assert outputs["models"]["qwen"]["accelerator"] == "cpu"
    assert outputs["models"]["qwen"]["baseUrl"] == "http://qwen.llm-serving.svc.cluster.local:8000/v1"


def test_a_sleeping_model_is_called_through_its_wake_alias(plans: dict[Any, Any]) -> None:
    models = plans[("prod-aws", Mode.UPDATE)].document["outputs"]["models"]
    assert models["qwen-32b"]["baseUrl"] == "http://qwen-32b-wake.llm-serving.svc.cluster.local:8080/v1"
    assert models["qwen-7b"]["baseUrl"] == "http://qwen-7b.llm-serving.svc.cluster.local:8000/v1"


def test_summary_lists_models_with_their_sizing(plans: dict[Any, Any]) -> None:
    text = summary(plans[("dev", Mode.UPDATE)])
    assert "qwen: Qwen/Qwen2.5-0.5B-Instruct on vllm, CPU, replicas 1-1, context 4096" in text
    assert "GPU pools: none" in text


def test_summary_shows_each_term_of_the_sizing_and_the_headroom(plans: dict[Any, Any]) -> None:
    text = summary(plans[("prod-aws", Mode.PREVIEW)])
    assert (
        "      per GPU: 21.9 GiB visible x 0.9 = 19.71 GiB budget - weights 14.18 - activations 0.84 "
        "(max-num-batched-tokens 2048) - non-torch 0.15 - CUDA graphs 1 = KV room 3.54 GiB; KV cache needs 0.44, "
        "headroom 3.1 GiB (margin 0.59), dtype bfloat16\n"
    ) in text


def test_summary_says_when_memory_capped_an_unset_context() -> None:
    llama = MODELS["meta-llama/Llama-3.1-8B-Instruct"]
    sizing = size_model(llama, None, 1, GpuType.L4, 1, Sharing())
    [first, _] = sizing_lines(sizing_output(sizing))
    assert f"context {sizing.context_tokens} (the largest that fits: contextLength unset)" in first


def test_the_sizing_output_carries_the_context_vllm_is_given(plans: dict[Any, Any]) -> None:
    models = plans[("prod-aws", Mode.UPDATE)].document["outputs"]["models"]
    sizing = models["qwen-7b"]["sizing"]
    assert (sizing["contextLength"], sizing["contextCappedByMemory"]) == (models["qwen-7b"]["contextLength"], False)
    assert sizing["perGpu"]["kvRoomGiB"] >= sizing["kvCacheGiB"]


def test_summary_shows_each_models_autoscaler_and_exposure_in_preview(plans: dict[Any, Any]) -> None:
    text = summary(plans[("prod-aws", Mode.PREVIEW)])
    assert "autoscaling: KEDA on vLLM's queue: 4 waiting requests per replica\n" in text
    assert "from zero when requests wait at KEDA's HTTP add-on" in text
    assert "exposed: https://llm.example.com/v1 (Gateway, TLS, 90% of the route's requests)" in text
    assert "exposed: https://llm.example.com/v1 (Gateway, TLS, 10% of the route's requests)" in text


@pytest.mark.parametrize("mode", Mode.ALL)
def test_summary_warns_that_a_sleeping_models_first_request_waits_for_a_cold_start(
    plans: dict[Any, Any], mode: str
) -> None:
    # prod-aws: qwen-32b sleeps (minReplicas 0), qwen-7b does not.
    text = summary(plans[("prod-aws", mode)])
    cold_start = plans[("prod-aws", mode)].document["outputs"]["models"]["qwen-32b"]["coldStart"]
    warning = (
        "    warning: minReplicas 0: the first request after the model sleeps waits for a full cold start (node, "
        f"image, weights, engine: predicted {cold_start['seconds'] / 60:.1f} min, held up to "
        f"{cold_start['wakeBudgetSeconds'] // 60} min)"
    )
    assert text.count(warning) == 1
    section = text[text.index("  qwen-32b: ") :]
    assert warning in section.split("\n  qwen-7b: ")[0]


def test_summary_shows_each_models_predicted_cold_start_term_by_term(plans: dict[Any, Any]) -> None:
    text = summary(plans[("prod-aws", Mode.UPDATE)])
    cold_start = plans[("prod-aws", Mode.UPDATE)].document["outputs"]["models"]["qwen-7b"]["coldStart"]
    terms = cold_start["terms"]
    line = (
        f"    cold start: node {terms['node']} s + image {terms['image']} s + weights {terms['weights']} s + engine "
        f"{terms['engine']} s = {cold_start['seconds']} s"
    )
    section = text[text.index("  qwen-7b: ") :]
    assert line in section
    assert "(weights stream, images stream)" in section


# --- the command line ----------------------------------------------------------------------------


def _plan_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.plan", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_cli_writes_plan_json_and_manifests(tmp_path: Path) -> None:
    result = _plan_cli("--stack", "dev", "--mode", "preview", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "plan.json").read_text())
    assert set(document) == {"stack", "mode", "resources", "outputs", "secretDigests"}
    keys = {"type", "name", "parent", "provider", "inputs", "dependencies"}
    assert all(set(r) == keys for r in document["resources"])
    manifests = sorted(path.name for path in (tmp_path / "manifests").iterdir())
    assert "deployment-llm-serving-qwen.yaml" in manifests
    assert (
        yaml.safe_load((tmp_path / "manifests" / "deployment-llm-serving-qwen.yaml").read_text())["kind"]
        == "Deployment"
    )
    assert "Offline plan of stack 'dev' (preview mode)" in result.stdout


def _project_with_stack(tmp_path: Path, stack_yaml: str) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", tmp_path / "__main__.py")
    (tmp_path / "Pulumi.broken.yaml").write_text(stack_yaml)
    return tmp_path


def test_cli_rejects_invalid_config_with_the_message_and_no_traceback(tmp_path: Path) -> None:
    root = _project_with_stack(
        tmp_path,
        "config:\n"
        "  llm-platform:target: existing\n"
        "  llm-platform:models:\n"
        "    chat:\n"
        "      huggingFaceId: Qwen/Qwen2.5-0.5B-Instruct\n"
        "      pool: a100\n",
    )
    result = _plan_cli("--stack", "broken", "--root", str(root), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "models.chat.pool: 'a100' is not a GPU pool of this stack" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists(), "nothing is written for an invalid stack"


def test_cli_names_the_stacks_when_the_stack_file_is_missing(tmp_path: Path) -> None:
    result = _plan_cli("--stack", "nope", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "no stack file Pulumi.nope.yaml; stacks here: " in result.stderr
    assert "dev" in result.stderr.split("stacks here: ")[1]


@pytest.mark.parametrize("stack", ["prod-aws", "prod-gcp"])
def test_cache_claims_wait_for_the_storage_class_the_stack_creates(plans: dict[Any, Any], stack: str) -> None:
    # pulumi-kubernetes awaits a claim until it is Bound unless its StorageClass, read at create time, says
    # WaitForFirstConsumer (pulumi-kubernetes#3130): a claim created before its class would hang `pulumi up`.
    registrations = plans[(stack, Mode.UPDATE)].run.registrations
    [storage_class] = [r for r in registrations if r.type == "kubernetes:storage.k8s.io/v1:StorageClass"]
    claims = [r for r in registrations if r.type == "kubernetes:core/v1:PersistentVolumeClaim"]
    assert claims
    for claim in claims:
        assert storage_class.urn in claim.dependencies, claim.name
