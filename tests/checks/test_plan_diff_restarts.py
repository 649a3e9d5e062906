"""The plan diff says "restarts N models" when a change rolls model pods (tools/plan_diff.restarted_models), and
setting the Hugging Face token rolls only the gated models' (stacks/serving.py mounts it there only)."""

from __future__ import annotations

import json
from typing import Any

from tools.offline import Mode, run_program
from tools.plan import build_plan
from tools.plan_diff import diff_documents, restarted_models

FAKE_TOKEN = "hf_" + "Zq8" * 12
QWEN = {"huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct", "cpuCores": 4, "memoryGiB": 8}
LLAMA = {"huggingFaceId": "meta-llama/Llama-3.1-8B-Instruct", "cpuCores": 4, "memoryGiB": 8}


def dev(models: dict[str, Any], *, token: bool = False) -> dict[str, Any]:
    run = run_program(
        "dev",
        Mode.PREVIEW,
        config_overrides={"models": json.dumps(models)},
        secret_overrides={"hfToken": FAKE_TOKEN} if token else None,
    )
    return build_plan(run).document


def test_a_change_to_a_models_pods_says_it_restarts_it() -> None:
    base = dev({"qwen": {**QWEN, "contextLength": 4096}, "other": {**QWEN, "contextLength": 4096}})
    head = dev({"qwen": {**QWEN, "contextLength": 2048}, "other": {**QWEN, "contextLength": 4096}})
    assert restarted_models(base, head) == ["qwen"]
    assert (
        "restarts 1 model: qwen (its pod template changes: the rollout replaces every pod, each pays a cold start)"
        in diff_documents(base, head, "dev").highlights
    )


def test_setting_the_token_restarts_no_model_that_is_not_gated() -> None:
    # qwen is not gated: the token's Secret is added, qwen's pods stay (a gated model cannot plan without it).
    base, head = dev({"qwen": QWEN}), dev({"qwen": QWEN}, token=True)
    assert any(label.endswith("hf-token") for label in diff_documents(base, head, "dev").added)
    assert restarted_models(base, head) == []


def test_a_gated_model_mounts_the_token_and_an_ungated_one_does_not() -> None:
    plan = dev({"qwen": QWEN, "llama": LLAMA}, token=True)
    mounts = {
        resource["inputs"]["metadata"]["name"]: [
            volume["name"] for volume in resource["inputs"]["spec"]["template"]["spec"].get("volumes", [])
        ]
        for resource in plan["resources"]
        if resource["type"] == "kubernetes:apps/v1:Deployment"
    }
    assert "hf-token" in mounts["llama"]
    assert "hf-token" not in mounts["qwen"]


def test_a_change_that_only_scales_restarts_nothing() -> None:
    base = dev({"qwen": {**QWEN, "maxReplicas": 1}})
    head = dev({"qwen": {**QWEN, "maxReplicas": 3}})
    assert restarted_models(base, head) == []
    assert not any(line.startswith("restarts") for line in diff_documents(base, head, "dev").highlights)
