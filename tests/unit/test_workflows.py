"""The GitHub workflows (.github/workflows): which stacks they cover, what they may do, what they run."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.offline import ROOT, stack_names

WORKFLOWS = ROOT / ".github" / "workflows"
# The stack that needs a laptop's cluster: no runner can preview or deploy it.
LOCAL_STACKS = {"dev"}
STACK_WORKFLOWS = ("preview.yml", "deploy.yml")
# Every cloud credential comes from OIDC; the passphrase of the state's secrets is the only secret any workflow reads.
ALLOWED_SECRETS = {"PULUMI_CONFIG_PASSPHRASE"}
# `uses: owner/repo@<40 hex> # vX.Y.Z`: a tag can be moved to other code, a commit cannot.
PINNED_USE = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(?:\.\d+)*$")


def _workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _trigger(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean true.
    return workflow[True]


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _steps_using(workflow: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in _steps(workflow) if step.get("uses", "").split("@")[0] == action]


def _stack_config(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def _pinned_pulumi() -> str:
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line)
    return pins["pulumi"]


def _project_python() -> str:
    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["target-version"]
    return f"{target[2]}.{target[3:]}"


def test_there_are_exactly_the_four_workflows() -> None:
    assert sorted(path.name for path in WORKFLOWS.iterdir()) == [
        "deploy.yml",
        "plan-diff-comment.yml",
        "plan-diff.yml",
        "preview.yml",
    ]


@pytest.mark.parametrize("name", STACK_WORKFLOWS)
def test_stack_matrix_is_every_stack_file_but_the_local_one(name: str) -> None:
    include = _workflow(name)["jobs"][name.removesuffix(".yml")]["strategy"]["matrix"]["include"]
    assert sorted(entry["stack"] for entry in include) == [s for s in stack_names() if s not in LOCAL_STACKS]


@pytest.mark.parametrize("name", STACK_WORKFLOWS)
def test_stack_matrix_names_each_stacks_cloud_region_and_the_clouds_backend(name: str) -> None:
    for entry in _workflow(name)["jobs"][name.removesuffix(".yml")]["strategy"]["matrix"]["include"]:
        config = _stack_config(entry["stack"])
        assert entry["cloud"] == config["llm-platform:target"], entry
        # configure-aws-credentials needs the region; the other clouds' logins take none.
        assert entry.get("region") == (config["llm-platform:region"] if entry["cloud"] == "aws" else None), entry
        assert entry["backend"] == f"${{{{ vars.PULUMI_BACKEND_URL_{entry['cloud'].upper()} }}}}", entry


def test_preview_and_deploy_cover_the_same_stacks_the_same_way() -> None:
    preview = _workflow("preview.yml")["jobs"]["preview"]["strategy"]["matrix"]
    deploy = _workflow("deploy.yml")["jobs"]["deploy"]["strategy"]["matrix"]
    assert preview == deploy


@pytest.mark.parametrize("name", sorted(path.name for path in WORKFLOWS.glob("*.yml")))
def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment(name: str) -> None:
    lines = [line for line in (WORKFLOWS / name).read_text().splitlines() if re.match(r"^\s*(- )?uses:", line)]
    assert len(lines) == len([step for step in _steps(_workflow(name)) if "uses" in step])
    assert [line for line in lines if not PINNED_USE.match(line)] == []


def test_each_action_is_pinned_to_one_commit_across_workflows() -> None:
    pins: dict[str, set[str]] = {}
    for path in WORKFLOWS.glob("*.yml"):
        for step in _steps(_workflow(path.name)):
            if "uses" in step:
                action, commit = step["uses"].split("@")
                pins.setdefault(action, set()).add(commit)
    assert {action: commits for action, commits in pins.items() if len(commits) > 1} == {}


@pytest.mark.parametrize(
    ("name", "workflow_permissions", "job_permissions"),
    [
        ("plan-diff.yml", {"contents": "read"}, {"test": None, "diff": None}),
        ("plan-diff-comment.yml", {}, {"comment": {"actions": "read", "pull-requests": "write"}}),
        ("preview.yml", {}, {"preview": {"contents": "read", "id-token": "write", "pull-requests": "write"}}),
        ("deploy.yml", {}, {"deploy": {"contents": "read", "id-token": "write"}}),
    ],
)
def test_permissions_are_the_least_each_workflow_needs(
    name: str, workflow_permissions: dict[str, str], job_permissions: dict[str, Any]
) -> None:
    workflow = _workflow(name)
    assert workflow["permissions"] == workflow_permissions
    assert {job: spec.get("permissions") for job, spec in workflow["jobs"].items()} == job_permissions


@pytest.mark.parametrize("name", sorted(path.name for path in WORKFLOWS.glob("*.yml")))
def test_secrets_are_only_the_state_passphrase(name: str) -> None:
    assert set(re.findall(r"secrets\.(\w+)", (WORKFLOWS / name).read_text())) <= ALLOWED_SECRETS


@pytest.mark.parametrize("name", ["plan-diff.yml", "plan-diff-comment.yml"])
def test_plan_diff_workflows_read_no_secret(name: str) -> None:
    assert "secrets." not in (WORKFLOWS / name).read_text()


@pytest.mark.parametrize("name", sorted(path.name for path in WORKFLOWS.glob("*.yml")))
def test_checkouts_leave_no_token_in_the_clone(name: str) -> None:
    for step in _steps_using(_workflow(name), "actions/checkout"):
        assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("name", sorted(path.name for path in WORKFLOWS.glob("*.yml")))
def test_python_is_the_version_the_project_targets(name: str) -> None:
    for step in _steps_using(_workflow(name), "actions/setup-python"):
        assert step["with"] == {"python-version": _project_python()}


def test_plan_diff_runs_on_every_pull_request_forks_included() -> None:
    workflow = _workflow("plan-diff.yml")
    assert _trigger(workflow) == {"pull_request": None}
    assert all("if" not in job for job in workflow["jobs"].values())


def test_plan_diff_runs_the_tests_and_diffs_against_the_pull_requests_base() -> None:
    jobs = _workflow("plan-diff.yml")["jobs"]
    assert [step["run"] for step in jobs["test"]["steps"] if "run" in step] == ["make test"]
    diff = next(step for step in jobs["diff"]["steps"] if step.get("run", "").startswith("make diff"))
    assert diff["run"] == 'make diff BASE="$BASE_SHA"'
    assert diff["env"] == {"BASE_SHA": "${{ github.event.pull_request.base.sha }}"}
    checkout = _steps_using({"jobs": {"diff": jobs["diff"]}}, "actions/checkout")[0]
    assert checkout["with"]["fetch-depth"] == 0


def test_plan_diff_uploads_the_report_with_the_pull_request_number() -> None:
    steps = _workflow("plan-diff.yml")["jobs"]["diff"]["steps"]
    record = next(step for step in steps if "pr-number" in step.get("run", ""))
    assert record["env"] == {"PR_NUMBER": "${{ github.event.pull_request.number }}"}
    assert record["run"] == "printf '%s\\n' \"$PR_NUMBER\" > build/diff/pr-number"
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == "plan-diff"
    assert upload["with"]["path"] == "build/diff/"
    assert steps.index(record) < steps.index(upload)


def test_comment_workflow_is_triggered_by_the_plan_diff_run() -> None:
    assert _trigger(_workflow("plan-diff-comment.yml")) == {
        "workflow_run": {"workflows": ["plan-diff"], "types": ["completed"]}
    }


def test_comment_workflow_never_checks_out_or_runs_code() -> None:
    steps = _steps(_workflow("plan-diff-comment.yml"))
    assert [step["uses"].split("@")[0] for step in steps] == ["actions/download-artifact", "actions/github-script"]
    assert all("run" not in step for step in steps)


def test_comment_workflow_reads_the_artifact_of_the_triggering_run() -> None:
    download = _steps_using(_workflow("plan-diff-comment.yml"), "actions/download-artifact")[0]
    assert download["with"]["name"] == "plan-diff"
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"


def test_comment_script_takes_nothing_from_expressions() -> None:
    # The artifact and the event reach the script as data (files, context.payload), never spliced into its code.
    script = _steps_using(_workflow("plan-diff-comment.yml"), "actions/github-script")[0]["with"]["script"]
    assert "${{" not in script


def test_comment_script_bounds_the_comment_to_githubs_limit_and_checks_the_pr_number() -> None:
    script = _steps_using(_workflow("plan-diff-comment.yml"), "actions/github-script")[0]["with"]["script"]
    assert "const LIMIT = 65536;" in script
    assert "/^[1-9][0-9]{0,9}$/.test(number)" in script
    assert "pr.head.sha !== run.head_sha" in script


def test_preview_runs_only_for_branches_of_this_repository() -> None:
    workflow = _workflow("preview.yml")
    assert _trigger(workflow) == {"pull_request": None}
    assert workflow["jobs"]["preview"]["if"] == "github.event.pull_request.head.repo.full_name == github.repository"


def test_deploy_runs_on_pushes_to_main_behind_each_stacks_environment() -> None:
    workflow = _workflow("deploy.yml")
    assert _trigger(workflow) == {"push": {"branches": ["main"]}}
    assert workflow["jobs"]["deploy"]["environment"] == "${{ matrix.stack }}"


@pytest.mark.parametrize(("name", "group"), [("preview.yml", "preview"), ("deploy.yml", "deploy")])
def test_one_run_per_stack_at_a_time_never_cancelled_half_way(name: str, group: str) -> None:
    job = _workflow(name)["jobs"][group]
    assert job["concurrency"] == {"group": f"{group}-${{{{ matrix.stack }}}}", "cancel-in-progress": False}


@pytest.mark.parametrize(
    ("name", "command", "inputs"),
    [
        ("preview.yml", "preview", {"comment-on-pr": True, "edit-pr-comment": True, "diff": True}),
        ("deploy.yml", "up", {"diff": True}),
    ],
)
def test_pulumi_runs_the_stack_with_the_pinned_cli(name: str, command: str, inputs: dict[str, bool]) -> None:
    (pulumi,) = _steps_using(_workflow(name), "pulumi/actions")
    assert pulumi["with"]["command"] == command
    assert pulumi["with"]["stack-name"] == "${{ matrix.stack }}"
    assert pulumi["with"]["pulumi-version"] == _pinned_pulumi()
    assert pulumi["with"]["cloud-url"] == "${{ matrix.backend }}"
    assert {key: pulumi["with"][key] for key in inputs} == inputs
    assert pulumi["env"] == {"PULUMI_CONFIG_PASSPHRASE": "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"}


def test_pulumi_action_is_major_version_7() -> None:
    for name in STACK_WORKFLOWS:
        line = next(line for line in (WORKFLOWS / name).read_text().splitlines() if "uses: pulumi/actions@" in line)
        assert line.split(" # ")[1].startswith("v7."), line


@pytest.mark.parametrize("name", STACK_WORKFLOWS)
def test_each_cloud_logs_in_by_oidc_only(name: str) -> None:
    workflow = _workflow(name)
    logins = {
        "aws": ("aws-actions/configure-aws-credentials", {"role-to-assume", "aws-region"}),
        "gcp": ("google-github-actions/auth", {"workload_identity_provider", "service_account"}),
        "azure": ("azure/login", {"client-id", "tenant-id", "subscription-id"}),
    }
    for cloud, (action, inputs) in logins.items():
        (step,) = _steps_using(workflow, action)
        assert step["if"] == f"matrix.cloud == '{cloud}'"
        # No key, secret or credentials file: the action falls back to the job's OIDC token.
        assert set(step["with"]) == inputs


@pytest.mark.parametrize("name", STACK_WORKFLOWS)
def test_each_cloud_gets_the_credential_plugin_its_kubeconfig_calls(name: str) -> None:
    # EKS's kubeconfig calls `aws` (on the runners already), GKE's gke-gcloud-auth-plugin, AKS's kubelogin.
    workflow = _workflow(name)
    (gcloud,) = _steps_using(workflow, "google-github-actions/setup-gcloud")
    assert (gcloud["if"], gcloud["with"]) == ("matrix.cloud == 'gcp'", {"install_components": "gke-gcloud-auth-plugin"})
    (kubelogin,) = _steps_using(workflow, "azure/use-kubelogin")
    assert kubelogin["if"] == "matrix.cloud == 'azure'"
    assert re.fullmatch(r"v\d+\.\d+\.\d+", kubelogin["with"]["kubelogin-version"])


def test_preview_and_deploy_trust_different_identities() -> None:
    # A preview runs unreviewed branch code: it must not hold the identity that deploys.
    preview, deploy = (Path(WORKFLOWS / name).read_text() for name in STACK_WORKFLOWS)
    for role in ("AWS_PREVIEW_ROLE_ARN", "GCP_PREVIEW_SERVICE_ACCOUNT", "AZURE_PREVIEW_CLIENT_ID"):
        assert role in preview
        assert role not in deploy
        assert role.replace("PREVIEW", "DEPLOY") in deploy
