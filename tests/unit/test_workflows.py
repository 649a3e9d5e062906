"""The GitHub workflows (.github/workflows): which stacks they cover, what they may do, what they run."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import pytest
import yaml

from tools.offline import ROOT, stack_names

WORKFLOWS = ROOT / ".github" / "workflows"
# The stack that needs a laptop's cluster: no runner can preview or deploy it.
LOCAL_STACKS = {"dev"}
STACK_WORKFLOWS = ("preview.yml", "deploy.yml")
# (workflow, job) of every job that runs Pulumi against a stack.
STACK_JOBS = (("preview.yml", "preview"), ("deploy.yml", "plan"), ("deploy.yml", "deploy"))
# Jobs that hold the read-only preview identity, and the one that holds the deploying identity.
PREVIEW_JOBS = (("preview.yml", "preview"), ("deploy.yml", "plan"))
ACTION_INPUTS = ROOT / ".github" / "action-inputs.json"
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


def _job(name: str, job: str) -> dict[str, Any]:
    return _workflow(name)["jobs"][job]


def _job_steps_using(name: str, job: str, action: str) -> list[dict[str, Any]]:
    return [step for step in _job(name, job)["steps"] if step.get("uses", "").split("@")[0] == action]


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


@pytest.mark.parametrize(("name", "job"), STACK_JOBS)
def test_stack_matrix_is_every_stack_file_but_the_local_one(name: str, job: str) -> None:
    include = _job(name, job)["strategy"]["matrix"]["include"]
    assert sorted(entry["stack"] for entry in include) == [s for s in stack_names() if s not in LOCAL_STACKS]


@pytest.mark.parametrize(("name", "job"), STACK_JOBS)
def test_stack_matrix_names_each_stacks_cloud_region_and_the_clouds_backend(name: str, job: str) -> None:
    for entry in _job(name, job)["strategy"]["matrix"]["include"]:
        config = _stack_config(entry["stack"])
        assert entry["cloud"] == config["llm-platform:target"], entry
        # configure-aws-credentials needs the region; the other clouds' logins take none.
        assert entry.get("region") == (config["llm-platform:region"] if entry["cloud"] == "aws" else None), entry
        assert entry["backend"] == f"${{{{ vars.PULUMI_BACKEND_URL_{entry['cloud'].upper()} }}}}", entry


def test_preview_plan_and_deploy_cover_the_same_stacks_the_same_way() -> None:
    preview, plan, deploy = (_job(name, job)["strategy"]["matrix"] for name, job in STACK_JOBS)
    assert preview == plan == deploy


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
        (
            "deploy.yml",
            {},
            {"plan": {"contents": "read", "id-token": "write"}, "deploy": {"contents": "read", "id-token": "write"}},
        ),
    ],
)
def test_permissions_are_the_least_each_workflow_needs(
    name: str, workflow_permissions: dict[str, str], job_permissions: dict[str, Any]
) -> None:
    workflow = _workflow(name)
    assert workflow["permissions"] == workflow_permissions
    assert {job: spec.get("permissions") for job, spec in workflow["jobs"].items()} == job_permissions


@pytest.mark.parametrize("name", sorted(path.name for path in WORKFLOWS.glob("*.yml")))
def test_no_workflow_reads_a_secret(name: str) -> None:
    # Cloud credentials come from OIDC and the stacks' secrets are encrypted with each cloud's KMS: a repository
    # secret would reach every workflow any branch adds, a passphrase every job that can read it.
    text = (WORKFLOWS / name).read_text()
    assert "secrets." not in text
    assert "PULUMI_CONFIG_PASSPHRASE" not in text


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
    assert diff["env"] == {
        "BASE_SHA": "${{ github.event.pull_request.base.sha }}",
        # The report names the PR's head (tools/diff.py preamble).
        "PR_HEAD_SHA": "${{ github.event.pull_request.head.sha }}",
    }
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


def test_comment_script_posts_only_on_an_open_pull_request() -> None:
    script = _steps_using(_workflow("plan-diff-comment.yml"), "actions/github-script")[0]["with"]["script"]
    assert "if (pr.state !== 'open') {" in script
    assert script.index("pr.state !== 'open'") < script.index("createComment")


def test_comment_script_defangs_the_report_before_posting_it() -> None:
    # The report is computed by the PR's own code: no mention, raw HTML (but the folding tags) or image survives.
    script = _steps_using(_workflow("plan-diff-comment.yml"), "actions/github-script")[0]["with"]["script"]
    assert "const text = defang(report.text);" in script
    for rule in (
        r".replace(/<!--[\s\S]*?-->/g, '')",
        r".replace(/<(?!\/?(details|summary)>)[^>]*>/gi, '')",
        r".replace(/!\[([^\]]*)\]\([^)]*\)/g, '[image removed: $1]')",
        r".replace(/@(?=[A-Za-z0-9])/g, '@\u200b')",
    ):
        assert rule in script, rule


def test_preview_runs_only_for_branches_of_this_repository() -> None:
    workflow = _workflow("preview.yml")
    assert _trigger(workflow) == {"pull_request": None}
    assert workflow["jobs"]["preview"]["if"] == "github.event.pull_request.head.repo.full_name == github.repository"


def test_deploy_runs_on_pushes_to_main_behind_each_stacks_environment() -> None:
    workflow = _workflow("deploy.yml")
    assert _trigger(workflow) == {"push": {"branches": ["main"]}}
    assert workflow["jobs"]["deploy"]["environment"] == "${{ matrix.stack }}"


def test_one_deployment_per_stack_at_a_time_never_cancelled_half_way() -> None:
    job = _job("deploy.yml", "deploy")
    assert job["concurrency"] == {"group": "deploy-${{ matrix.stack }}", "cancel-in-progress": False}


def test_previews_are_grouped_by_pull_request_and_stack_and_a_newer_push_cancels_the_older() -> None:
    # A DIY-backend preview takes no lock and writes no state: nothing is left half-done when it is cancelled, and
    # one PR's preview never holds up another's.
    assert _job("preview.yml", "preview")["concurrency"] == {
        "group": "preview-${{ github.event.pull_request.number }}-${{ matrix.stack }}",
        "cancel-in-progress": True,
    }
    assert _job("deploy.yml", "plan")["concurrency"] == {
        "group": "plan-${{ matrix.stack }}",
        "cancel-in-progress": True,
    }


@pytest.mark.parametrize(
    ("name", "job", "command"), [("deploy.yml", "plan", "preview"), ("deploy.yml", "deploy", "up")]
)
def test_pulumi_runs_the_stack_with_the_pinned_cli(name: str, job: str, command: str) -> None:
    (pulumi,) = _job_steps_using(name, job, "pulumi/actions")
    assert pulumi["with"]["command"] == command
    assert pulumi["with"]["stack-name"] == "${{ matrix.stack }}"
    assert pulumi["with"]["pulumi-version"] == _pinned_pulumi()
    assert pulumi["with"]["cloud-url"] == "${{ matrix.backend }}"
    assert pulumi["with"]["diff"] is True
    # What the approver reads (plan), what happened (deploy).
    assert pulumi["with"]["comment-on-summary"] is True


def test_the_preview_installs_the_pinned_cli_and_runs_it_on_the_stacks_backend() -> None:
    (install,) = _job_steps_using("preview.yml", "preview", "pulumi/actions")
    assert install["with"] == {"pulumi-version": _pinned_pulumi()}
    (run,) = [step for step in _job("preview.yml", "preview")["steps"] if step.get("id") == "preview"]
    assert run["shell"] == "bash"
    assert run["env"]["BACKEND"] == "${{ matrix.backend }}"
    assert run["env"]["STACK"] == "${{ matrix.stack }}"
    assert run["run"].splitlines() == [
        'pulumi login --non-interactive "$BACKEND"',
        'pulumi preview --non-interactive --stack "$STACK" --diff --color never 2>&1 | tee "$RUNNER_TEMP/preview.txt"',
    ]


def test_the_preview_comment_names_its_commit_and_run_is_posted_on_failure_and_found_past_30_comments() -> None:
    (post,) = _job_steps_using("preview.yml", "preview", "actions/github-script")
    assert post["if"] == "always()"
    assert post["env"] == {"OUTCOME": "${{ steps.preview.outcome }}", "STACK": "${{ matrix.stack }}"}
    script = post["with"]["script"]
    assert "${{" not in script
    assert "pr.head.sha.slice(0, 12)" in script
    assert "context.runId" in script
    assert "github.paginate(github.rest.issues.listComments" in script
    assert "per_page: 100" in script
    assert "process.env.OUTCOME !== 'success'" in script


@pytest.mark.parametrize(("name", "job"), STACK_JOBS)
def test_an_empty_backend_variable_fails_the_job_first_naming_the_variable(name: str, job: str) -> None:
    first = _job(name, job)["steps"][0]
    assert first["env"] == {"BACKEND": "${{ matrix.backend }}", "CLOUD": "${{ matrix.cloud }}"}
    assert 'if [ -z "$BACKEND" ]; then' in first["run"]
    assert "PULUMI_BACKEND_URL_${CLOUD^^} is empty" in first["run"]
    assert "exit 1" in first["run"]


@pytest.mark.parametrize(("name", "job"), STACK_JOBS)
def test_no_job_creates_a_stack_the_one_time_setup_creates_them(name: str, job: str) -> None:
    # upsert would create a missing stack with the passphrase secrets provider and no passphrase; the preview
    # identity cannot write state at all. The manual's setup creates each stack with its cloud's KMS.
    for step in _job_steps_using(name, job, "pulumi/actions"):
        assert "upsert" not in step["with"]
    setup = (ROOT / "docs" / "manual.md").read_text().split("### One-time setup", 1)[1].split("\n## ", 1)[0]
    for entry in _job(name, job)["strategy"]["matrix"]["include"]:
        assert f"pulumi stack init {entry['stack']} --secrets-provider=" in setup, entry["stack"]


def test_the_deploy_waits_for_a_plan_written_to_the_run_summary() -> None:
    deploy, plan = _job("deploy.yml", "deploy"), _job("deploy.yml", "plan")
    assert deploy["needs"] == "plan"
    assert deploy["environment"] == "${{ matrix.stack }}"
    # Ungated: the approver reads it while the deploy job waits.
    assert "environment" not in plan


def _longest_wait_seconds(plans: dict[tuple[str, str], Any], stack: str) -> int:
    found: list[int] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "pulumi.com/timeoutSeconds":
                    found.append(int(item))
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for resource in plans[(stack, "update")].document["resources"]:
        walk(resource["inputs"])
    return max(found, default=0)


GITHUB_HOSTED_JOB_LIMIT_MINUTES = 360
"""A job on a GitHub-hosted runner is stopped after 6 h."""
BEFORE_THE_MODELS_SECONDS = 3600
"""What a first deploy does before any model rolls out: the cluster, its pools, the add-ons' charts."""


def test_a_deploy_outlasts_the_programs_longest_wait_and_its_credentials_outlast_the_job(
    plans: dict[tuple[str, str], Any],
) -> None:
    job = _job("deploy.yml", "deploy")
    timeout = job["timeout-minutes"] * 60
    for entry in job["strategy"]["matrix"]["include"]:
        assert timeout >= _longest_wait_seconds(plans, entry["stack"]) + BEFORE_THE_MODELS_SECONDS, entry["stack"]
    assert job["timeout-minutes"] <= GITHUB_HOSTED_JOB_LIMIT_MINUTES
    (aws,) = _job_steps_using("deploy.yml", "deploy", "aws-actions/configure-aws-credentials")
    assert aws["with"]["role-duration-seconds"] >= timeout


@pytest.mark.parametrize(("name", "job"), PREVIEW_JOBS)
def test_preview_credentials_outlast_the_preview(name: str, job: str) -> None:
    (aws,) = _job_steps_using(name, job, "aws-actions/configure-aws-credentials")
    assert aws["with"]["role-duration-seconds"] >= _job(name, job)["timeout-minutes"] * 60


@pytest.mark.parametrize(("name", "job"), STACK_JOBS)
def test_google_and_azure_credentials_renew_themselves_for_the_whole_job(name: str, job: str) -> None:
    # google-github-actions/auth without token_format writes a credentials file that fetches a fresh GitHub token
    # at each refresh; an access token (token_format) would expire after access_token_lifetime.
    (google,) = _job_steps_using(name, job, "google-github-actions/auth")
    assert "token_format" not in google["with"]
    # azure-native through OIDC (ARM_USE_OIDC) asks GitHub for a fresh token; the CLI session cannot renew.
    steps = [
        step
        for step in _job(name, job)["steps"]
        if step.get("id") == "preview" or "pulumi/actions" in step.get("uses", "")
    ]
    runner = next(step for step in steps if "env" in step)
    assert runner["env"]["ARM_USE_OIDC"] == "${{ matrix.cloud == 'azure' }}"
    identity = "DEPLOY" if job == "deploy" else "PREVIEW"
    assert runner["env"]["ARM_CLIENT_ID"] == f"${{{{ vars.AZURE_{identity}_CLIENT_ID }}}}"


def test_pulumi_action_is_major_version_7() -> None:
    for name in STACK_WORKFLOWS:
        line = next(line for line in (WORKFLOWS / name).read_text().splitlines() if "uses: pulumi/actions@" in line)
        assert line.split(" # ")[1].startswith("v7."), line


@pytest.mark.parametrize(("name", "job"), STACK_JOBS)
def test_each_cloud_logs_in_by_oidc_only(name: str, job: str) -> None:
    logins = {
        "aws": ("aws-actions/configure-aws-credentials", {"role-to-assume", "aws-region", "role-duration-seconds"}),
        "gcp": ("google-github-actions/auth", {"workload_identity_provider", "service_account"}),
        "azure": ("azure/login", {"client-id", "tenant-id", "subscription-id"}),
    }
    for cloud, (action, inputs) in logins.items():
        (step,) = _job_steps_using(name, job, action)
        assert step["if"] == f"matrix.cloud == '{cloud}'"
        # No key, secret or credentials file: the action falls back to the job's OIDC token.
        assert set(step["with"]) == inputs


@pytest.mark.parametrize(("name", "job"), STACK_JOBS)
def test_each_cloud_gets_the_credential_plugin_its_kubeconfig_calls(name: str, job: str) -> None:
    # EKS's kubeconfig calls `aws` (on the runners already), GKE's gke-gcloud-auth-plugin, AKS's kubelogin.
    (gcloud,) = _job_steps_using(name, job, "google-github-actions/setup-gcloud")
    assert (gcloud["if"], gcloud["with"]) == ("matrix.cloud == 'gcp'", {"install_components": "gke-gcloud-auth-plugin"})
    (kubelogin,) = _job_steps_using(name, job, "azure/use-kubelogin")
    assert kubelogin["if"] == "matrix.cloud == 'azure'"
    assert re.fullmatch(r"v\d+\.\d+\.\d+", kubelogin["with"]["kubelogin-version"])


def test_preview_and_deploy_trust_different_identities() -> None:
    # A preview runs unreviewed branch code: it must not hold the identity that deploys; the deploy's plan needs
    # no more than a preview does.
    for name, job in STACK_JOBS:
        text = yaml.safe_dump(_job(name, job))
        mine, other = ("DEPLOY", "PREVIEW") if job == "deploy" else ("PREVIEW", "DEPLOY")
        for role in ("AWS_{}_ROLE_ARN", "GCP_{}_SERVICE_ACCOUNT", "AZURE_{}_CLIENT_ID"):
            assert role.format(mine) in text, (name, job, role)
            assert role.format(other) not in text, (name, job, role)


def _pinned_steps() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.name, step)
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for step in _steps(_workflow(path.name))
        if "uses" in step
    ]


def test_every_pinned_action_has_its_inputs_vendored_and_nothing_else() -> None:
    # `python -m tools.action_inputs` regenerates the file after a pin moves.
    vendored = json.loads(ACTION_INPUTS.read_text())
    assert set(vendored) == {step["uses"] for _, step in _pinned_steps()}


@pytest.mark.parametrize(("name", "step"), _pinned_steps(), ids=lambda value: value if isinstance(value, str) else "")
def test_every_with_key_is_an_input_of_the_pinned_action(name: str, step: dict[str, Any]) -> None:
    # actionlint checks inputs by tag for popular actions only, and zizmor offline skips what needs the action's
    # source: an input the pinned commit does not declare would be ignored, with a warning nobody reads.
    inputs = json.loads(ACTION_INPUTS.read_text())[step["uses"]]
    assert set(step.get("with") or {}) <= set(inputs["inputs"]), (name, step["uses"])
    assert set(inputs["requiredWithoutDefault"]) <= set(step.get("with") or {}), (name, step["uses"])


def test_the_vendored_inputs_know_what_the_issue_found() -> None:
    # pulumi/actions v7 at its pin declares upsert (default false) and edit-pr-comment, and no `stack`.
    vendored = json.loads(ACTION_INPUTS.read_text())
    (pulumi,) = [inputs for pin, inputs in vendored.items() if pin.startswith("pulumi/actions@")]
    assert {"upsert", "edit-pr-comment", "comment-on-summary", "cloud-url"} <= set(pulumi["inputs"])
    assert "stack" not in pulumi["inputs"]
