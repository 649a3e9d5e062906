"""Every example of examples/ plans offline in both modes, as if copied next to Pulumi.yaml (the way the guides
use them), serves the models it names, and is linked from the documentation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from stacks.config.loader import PROJECT
from tests.docs.stack_files import EXAMPLES, example_stack_files, stack_name
from tools.offline import ROOT, Mode, run_program
from tools.plan import Plan, build_plan, summary

# examples/multinode/ and examples/rag/ are planned by tests/checks/test_multinode_stacks.py and test_rag_stacks.py.
PLANNED_ELSEWHERE = {"multinode", "rag"}
EXAMPLE_FILES = [path for path in example_stack_files() if path.parent.name not in PLANNED_ELSEWHERE]
GATED_EXAMPLES_TOKEN = {"hfToken": "hf_example_token"}
CLUSTER_TYPES = {
    "aws": "llm-platform:clusters:EksCluster",
    "gcp": "llm-platform:clusters:GkeCluster",
    "azure": "llm-platform:clusters:AksCluster",
}
COMMON_CASES = {
    "laptop": "existing",
    "aws-8b": "aws",
    "gcp-8b": "gcp",
    "azure-8b": "azure",
    "aws-70b-scale-to-zero": "aws",
    "canary": "gcp",
    "exposed-tls": "aws",
}


@pytest.fixture(scope="module")
def example_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("examples")
    for name in ("Pulumi.yaml", "__main__.py"):
        os.symlink(ROOT / name, root / name)
    for path in EXAMPLE_FILES:
        os.symlink(path, root / path.name)
    return root


def _config(path: Path) -> dict[str, object]:
    return yaml.safe_load(path.read_text())["config"]


def _plan(root: Path, path: Path, mode: str) -> Plan:
    # A gated model's token is a secret the reader sets with `pulumi config set --secret hfToken`; never in the file.
    return build_plan(run_program(stack_name(path), mode, root=root, secret_overrides=GATED_EXAMPLES_TOKEN))


def test_each_common_case_has_its_example_in_a_folder_of_its_own() -> None:
    found = {path.parent.name: stack_name(path) for path in EXAMPLE_FILES}
    assert {case: found.get(case) for case in COMMON_CASES} == {case: case for case in COMMON_CASES}
    assert {case: _config(EXAMPLES / case / f"Pulumi.{case}.yaml")[f"{PROJECT}:target"] for case in COMMON_CASES} == (
        COMMON_CASES
    )


@pytest.mark.parametrize("mode", Mode.ALL)
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=stack_name)
def test_the_example_plans_and_serves_its_models(example_root: Path, path: Path, mode: str) -> None:
    config = _config(path)
    plan = _plan(example_root, path, mode)
    types = {resource["type"] for resource in plan.document["resources"]}
    target = config[f"{PROJECT}:target"]
    assert target == "existing" or CLUSTER_TYPES[str(target)] in types
    assert set(plan.document["outputs"]["models"]) == set(config[f"{PROJECT}:models"])  # type: ignore[arg-type]
    # The plan says who can reach each model (issue 23).
    reachable = [line for line in summary(plan).splitlines() if line.startswith("    reachable by: ")]
    assert len(reachable) == len(plan.document["outputs"]["models"])


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=stack_name)
def test_the_example_is_linked_from_the_docs(path: Path) -> None:
    docs = "\n".join(page.read_text() for page in (ROOT / "docs").glob("**/*.md"))
    assert f"examples/{path.parent.name}/{path.name}" in docs
