"""The offline plan diff (`make diff`), on synthetic changes committed in a temporary copy of the project:
the base commit, then one commit that raises a model's maxReplicas, changes a pool's GPU type, adds a model,
shifts a canary's weight, bumps the vLLM image, rotates a secret, bumps the AWS provider's pin and breaks the dev
stack file."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import diff as plan_diff_cli
from tools.offline import ROOT
from tools.plan_diff import (
    GITHUB_COMMENT_LIMIT,
    REPORT_BUDGET,
    StackDiff,
    diff_documents,
    render_report,
)
from tools.plan_facts import highlights
from tools.plan_headlines import requirement_pins
from tools.replacement_rules import REJECTED, REPLACE, matching_rules

BASE_CIPHERTEXT = "v1:AAAAbaseCiphertextOfTheToken"
ROTATED_CIPHERTEXT = "v1:BBBBrotatedCiphertextOfTheToken"
_IGNORED = shutil.ignore_patterns(
    ".venv*", "build", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"
)


def _git(repo: Path, *args: str) -> None:
    plan_diff_cli.git(repo, "-c", "user.name=test", "-c", "user.email=test@example.com", *args)


def _edit_stack(repo: Path, stack: str, edit: Any) -> None:
    path = repo / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text())
    edit(document["config"])
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def _base(config: dict[str, Any]) -> None:
    config["llm-platform:hfToken"] = {"secure": BASE_CIPHERTEXT}


def _change(config: dict[str, Any]) -> None:
    models = config["llm-platform:models"]
    models["qwen-7b"]["maxReplicas"] = 6
    models["chat-next"]["weight"] = 25
    models["llama-8b"] = {
        "huggingFaceId": "meta-llama/Llama-3.1-8B-Instruct",
        "pool": "l4-spot",
        "minReplicas": 1,
        "maxReplicas": 2,
        "contextLength": 8192,
        "cpuCores": 6,
        "memoryGiB": 24,
    }
    config["llm-platform:gpuPools"]["l4-ondemand"]["gpu"] = "A10G"
    config["llm-platform:hfToken"] = {"secure": ROTATED_CIPHERTEXT}


def _break(config: dict[str, Any]) -> None:
    config["llm-platform:models"]["qwen"]["contextLength"] = -1


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    repo = tmp_path_factory.mktemp("plan-diff") / "repo"
    shutil.copytree(ROOT, repo, ignore=_IGNORED)
    _edit_stack(repo, "prod-aws", _base)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    _edit_stack(repo, "prod-aws", _change)
    _edit_stack(repo, "dev", _break)
    versions = repo / "components" / "versions.py"
    versions.write_text(versions.read_text().replace('VLLM_VERSION = "v0.31.0"', 'VLLM_VERSION = "v0.31.1"'))
    requirements = repo / "requirements.txt"
    pinned = requirement_pins(requirements.read_text())["pulumi-aws"]
    requirements.write_text(requirements.read_text().replace(f"pulumi-aws=={pinned}", "pulumi-aws==99.0.0"))
    _git(repo, "commit", "-qam", "change")
    out = repo / "build" / "diff"
    assert (
        plan_diff_cli.main(["--base", "HEAD~1", "--stacks", "prod-aws,dev", "--repo", str(repo), "--out", str(out)])
        == 0
    )
    report = json.loads((out / "report.json").read_text())
    return {
        "repo": repo,
        "markdown": (out / "report.md").read_text(),
        "json_text": (out / "report.json").read_text(),
        "stacks": {stack["stack"]: stack for stack in report["stacks"]},
    }


def _named(type_: str, name: str, labels: list[str]) -> list[str]:
    """Labels (`type::name`) of that type whose resource name is or starts with `name` (components may suffix it)."""
    return [label for label in labels if label.startswith(f"{type_}::{name}")]


def _changed(stack: dict[str, Any], type_: str, name: str) -> dict[str, Any]:
    labels = _named(type_, name, [change["resource"] for change in stack["changed"]])
    assert len(labels) == 1, [change["resource"] for change in stack["changed"]]
    (change,) = [change for change in stack["changed"] if change["resource"] == labels[0]]
    return {prop["path"]: (prop["before"], prop["after"]) for prop in change["properties"]}


def test_the_base_is_planned_from_a_worktree_that_is_removed_after(synthetic: dict[str, Any]) -> None:
    assert len(plan_diff_cli.git(synthetic["repo"], "worktree", "list").splitlines()) == 1
    assert plan_diff_cli.git(synthetic["repo"], "status", "--porcelain", "--untracked-files=no") == ""


def test_max_replicas_updates_the_scaled_object_and_the_gpu_ceiling(synthetic: dict[str, Any]) -> None:
    aws = synthetic["stacks"]["prod-aws"]
    scaled = _changed(aws, "kubernetes:keda.sh/v1alpha1:ScaledObject", "qwen-7b")
    assert scaled["spec.maxReplicaCount"] == (4, 6)
    assert not [r for r in aws["replacements"] if "ScaledObject" in r["resource"]]
    assert any(
        line.startswith("Model qwen-7b: ") and "replicas 1-4 → 1-6" in line and "GPUs at max scale 4 → 6" in line
        for line in aws["highlights"]
    ), aws["highlights"]


def test_a_rollout_step_shows_both_models_route_weights_and_the_routes_backends(synthetic: dict[str, Any]) -> None:
    aws = synthetic["stacks"]["prod-aws"]
    assert "Model chat-next: route weight 10% → 25%" in aws["highlights"], aws["highlights"]
    assert any(line.startswith("Model qwen-7b: ") and "route weight 90% → 75%" in line for line in aws["highlights"]), (
        aws["highlights"]
    )
    route = _changed(aws, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "qwen-7b")
    # Backends are named by their Service: the models' own.
    assert route["spec.rules[0].backendRefs[qwen-7b].weight"] == (90, 75)
    assert route["spec.rules[0].backendRefs[chat-next].weight"] == (10, 25)
    assert not [r for r in aws["replacements"] if "HTTPRoute" in r["resource"]]


def test_a_pools_gpu_type_replaces_its_node_group_flagged_first(synthetic: dict[str, Any]) -> None:
    aws = synthetic["stacks"]["prod-aws"]
    flagged = [r for r in aws["replacements"] if r["resource"].startswith("aws:eks/nodeGroup:NodeGroup::")]
    assert any(r["path"] == "instanceTypes[0]" and r["effect"] == REPLACE for r in flagged), aws["replacements"]
    assert all("l4-ondemand" in r["resource"] for r in flagged)
    assert all("internal/service/eks/node_group.go" in r["source"] for r in flagged)
    assert any("GPU pool l4-ondemand: GPU L4 → A10G" in line for line in aws["highlights"])
    section = synthetic["markdown"].split("### prod-aws", 1)[1]
    assert section.index("**Replacements**") < section.index("**What changes**") < section.index("<details>")


def test_a_new_model_is_listed_with_its_gpus_and_resources(synthetic: dict[str, Any]) -> None:
    aws = synthetic["stacks"]["prod-aws"]
    assert any(
        line.startswith("Model llama-8b added: ") and "GPUs at max scale 2" in line for line in aws["highlights"]
    ), aws["highlights"]
    assert _named("kubernetes:apps/v1:Deployment", "llama-8b", aws["added"])
    assert _named("kubernetes:keda.sh/v1alpha1:ScaledObject", "llama-8b", aws["added"])


def test_an_image_bump_shows_as_a_version_and_as_the_containers_image(synthetic: dict[str, Any]) -> None:
    aws = synthetic["stacks"]["prod-aws"]
    assert "Image added: docker.io/vllm/vllm-openai:v0.31.1" in aws["highlights"]
    assert "Image no longer used: docker.io/vllm/vllm-openai:v0.31.0" in aws["highlights"]
    deployment = _changed(aws, "kubernetes:apps/v1:Deployment", "qwen-7b")
    images = {path: values for path, values in deployment.items() if path.endswith(".image")}
    assert list(images.values()) == [("docker.io/vllm/vllm-openai:v0.31.0", "docker.io/vllm/vllm-openai:v0.31.1")]
    assert all(path.startswith("spec.template.spec.containers[") for path in images)


def test_a_rotated_secret_shows_as_changed_and_never_its_value(synthetic: dict[str, Any]) -> None:
    aws = synthetic["stacks"]["prod-aws"]
    assert "Secret hfToken rotated (value not shown)" in aws["highlights"]
    secret = _changed(aws, "kubernetes:core/v1:Secret", "")
    assert set(secret.values()) == {("[secret]", "[secret] (changed)")}
    # pulumi-kubernetes replaces a Secret whose data changes, unless its provider sets enableSecretMutable.
    assert any(r["resource"].startswith("kubernetes:core/v1:Secret::") for r in aws["replacements"])
    for text in (synthetic["markdown"], synthetic["json_text"]):
        assert BASE_CIPHERTEXT not in text
        assert ROTATED_CIPHERTEXT not in text
        assert "offline-placeholder" not in text


def test_a_stack_file_invalid_at_the_base_shows_its_errors_there(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=_IGNORED)
    _edit_stack(repo, "dev", _break)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "broken")
    shutil.copy(ROOT / "Pulumi.dev.yaml", repo / "Pulumi.dev.yaml")
    out = tmp_path / "out"
    assert plan_diff_cli.main(["--base", "HEAD", "--stacks", "dev", "--repo", str(repo), "--out", str(out)]) == 0
    (dev,) = json.loads((out / "report.json").read_text())["stacks"]
    assert "models.qwen.contextLength: -1" in dev["errors"]["base"]
    assert "head" not in dev["errors"]
    assert "does not validate at the base" in (out / "report.md").read_text()


def test_an_invalid_stack_file_shows_its_config_errors_not_a_traceback(synthetic: dict[str, Any]) -> None:
    dev = synthetic["stacks"]["dev"]
    assert "models.qwen.contextLength: -1" in dev["errors"]["head"]
    assert "base" not in dev["errors"]
    assert "Traceback" not in synthetic["markdown"]
    assert "does not validate at this change" in synthetic["markdown"].split("### dev", 1)[1]


def _document(resources: int, *, version: str) -> dict[str, Any]:
    return {
        "resources": [
            {
                "type": "kubernetes:core/v1:ConfigMap",
                "name": f"config-{index}",
                "parent": None,
                "provider": None,
                "inputs": {"data": {f"key-{key}": f"{version}-{key}" * 20 for key in range(5)}},
            }
            for index in range(resources)
        ],
        "outputs": {},
    }


def test_a_large_diff_stays_within_a_github_comment_and_points_to_the_json() -> None:
    diffs = [
        diff_documents(_document(1500, version="a"), _document(1500, version="b"), stack=f"stack-{index}")
        for index in range(4)
    ]
    text = render_report(diffs, title="Offline plan diff")
    assert len(text) <= REPORT_BUDGET < GITHUB_COMMENT_LIMIT
    assert "report.json" in text
    assert all(f"### stack-{index}" in text for index in range(4))


def test_a_small_diff_is_short() -> None:
    before = _document(1, version="a")
    after = _document(1, version="a")
    after["resources"][0]["inputs"]["data"]["key-0"] = "changed"
    text = render_report([diff_documents(before, after, stack="dev")], title="Offline plan diff")
    assert len(text) < 1500
    assert "`data.key-0`" in text


def test_a_resource_moved_under_another_component_is_replaced_not_unchanged() -> None:
    # Its URN gains the component's type: Pulumi deletes and creates it unless it is aliased.
    before = _document(1, version="a")
    after = _document(1, version="a")
    after["resources"][0]["parent"] = "llm-platform:serving:Model::qwen"
    result = diff_documents(before, after)
    assert (result.added, result.removed, result.changed) == ([], [], [])
    assert [(r.resource, r.path, r.effect) for r in result.replacements] == [
        ("kubernetes:core/v1:ConfigMap::config-0", "(URN)", REPLACE)
    ]
    assert not result.empty


def test_a_provider_pin_bump_is_stated_first_with_what_the_offline_diff_cannot_show(
    synthetic: dict[str, Any],
) -> None:
    aws = synthetic["stacks"]["prod-aws"]
    headline = aws["highlights"][0]
    assert headline.startswith("Provider versions change (pulumi-aws "), headline
    assert "→ 99.0.0" in headline
    assert "cannot show what the new providers do" in headline


def test_a_change_to_what_computes_the_report_is_said_on_its_first_line(synthetic: dict[str, Any]) -> None:
    first = synthetic["markdown"].splitlines()[0]
    assert first.startswith("> :warning: **This change modifies the code that computed this report**"), first
    assert "`requirements.txt`" in first


def test_the_report_names_the_head_commit_and_when_it_was_computed(synthetic: dict[str, Any]) -> None:
    head = plan_diff_cli.git(synthetic["repo"], "rev-parse", "HEAD")
    assert f"_Head `{head[:12]}`, computed " in synthetic["markdown"]
    document = json.loads(synthetic["json_text"])
    assert document["headCommit"] == head
    assert document["reportCodeChanged"] == ["requirements.txt"]


def test_the_report_names_the_pull_requests_head_and_its_run_on_github(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("x\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "one")
    commit = plan_diff_cli.git(repo, "rev-parse", "HEAD")
    now = datetime.datetime(2026, 1, 2, 3, 4, tzinfo=datetime.UTC)
    environ = {"GITHUB_RUN_ID": "42", "GITHUB_REPOSITORY": "o/r", "PR_HEAD_SHA": "a" * 40}
    (line, blank) = plan_diff_cli.preamble(repo, commit, now, environ)
    assert line == (
        f"_PR head `aaaaaaaaaaaa` (checked out as `{commit[:12]}`), run [42](https://github.com/o/r/actions/runs/42), "
        "computed 2026-01-02 03:04 UTC._"
    )
    assert blank == ""


def test_unknown_values_are_shown_as_unknown() -> None:
    before = _document(1, version="a")
    after = _document(1, version="a")
    after["resources"][0]["inputs"]["data"]["key-0"] = "[unknown]"
    text = render_report([diff_documents(before, after, stack="dev")], title="t")
    assert "→ `[unknown]`" in text


@pytest.mark.parametrize(
    ("type_", "path", "inputs", "effect"),
    [
        ("kubernetes:apps/v1:Deployment", "spec.selector.matchLabels.app", {}, REPLACE),
        ("kubernetes:core/v1:PersistentVolumeClaim", "spec.storageClassName", {}, REPLACE),
        ("kubernetes:core/v1:PersistentVolumeClaim", "spec.accessModes[0]", {}, REPLACE),
        ("kubernetes:core/v1:PersistentVolumeClaim", "spec.volumeMode", {}, REJECTED),
        ("kubernetes:core/v1:ConfigMap", "data.config", {}, REPLACE),
        ("kubernetes:keda.sh/v1alpha1:ScaledObject", "metadata.name", {}, REPLACE),
        ("gcp:container/nodePool:NodePool", "nodeConfig.guestAccelerators[0].type", {}, REPLACE),
        ("azure-native:containerservice:AgentPool", "vmSize", {}, REPLACE),
        ("gcp:container/cluster:Cluster", "subnetwork", {}, REPLACE),
    ],
)
def test_replacement_rules_flag_immutable_fields(type_: str, path: str, inputs: dict[str, Any], effect: str) -> None:
    assert [rule.effect for rule in matching_rules(type_, path, inputs)] == [effect]


@pytest.mark.parametrize(
    ("type_", "path", "provider"),
    [
        ("kubernetes:core/v1:PersistentVolumeClaim", "spec.resources.requests.storage", {}),
        ("kubernetes:apps/v1:Deployment", "spec.replicas", {}),
        ("kubernetes:keda.sh/v1alpha1:ScaledObject", "spec.maxReplicaCount", {}),
        ("kubernetes:core/v1:ConfigMap", "data.config", {"enableConfigMapMutable": "true"}),
        ("gcp:container/nodePool:NodePool", "nodeConfig.machineType", {}),
        ("aws:eks/nodeGroup:NodeGroup", "scalingConfig.maxSize", {}),
    ],
)
def test_replacement_rules_leave_updates_alone(type_: str, path: str, provider: dict[str, Any]) -> None:
    assert matching_rules(type_, path, {}, provider) == []


def test_no_change_reads_as_no_change() -> None:
    text = render_report([StackDiff(stack="dev")], title="t")
    assert "| dev | no change |" in text


def test_a_change_that_moves_the_cost_states_the_ceiling_before_and_after_and_what_drives_it(
    synthetic: dict[str, Any],
) -> None:
    # l4-ondemand moves from L4 to A10G machines: another instance price, so another ceiling.
    aws = synthetic["stacks"]["prod-aws"]
    (line,) = [line for line in aws["highlights"] if line.startswith("Cost: this change ")]
    assert "prod-aws's ceiling from " in line
    assert " to " in line
    assert "l4-ondemand" in line


def test_a_change_that_leaves_the_cost_as_it_was_has_no_cost_line() -> None:
    cost = {"estimated": True, "idle": {"hourly": 1.0}, "ceiling": {"hourly": 2.0}}
    document = {"stack": "s", "resources": [], "outputs": {"cost": cost}}
    diff = diff_documents(document, json.loads(json.dumps(document)), stack="s")
    assert not [line for line in diff.highlights if line.startswith("Cost:")]


def test_the_diff_names_a_models_cold_start_before_and_after() -> None:
    def outputs(seconds: int, weights: str) -> dict[str, Any]:
        cold_start = {"seconds": seconds, "weights": weights, "images": "pull"}
        return {
            "models": {"qwen": {"huggingFaceId": "Qwen/x", "replicas": {"min": 1, "max": 1}, "coldStart": cold_start}}
        }

    lines = highlights(outputs(826, "download"), outputs(553, "stream"), {}, {})
    [line] = [line for line in lines if "cold start" in line]
    assert "cold start 13.8 min (weights download, images pull) → 9.2 min (weights stream, images pull)" in line
