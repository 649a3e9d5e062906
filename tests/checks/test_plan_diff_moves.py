"""The big moves a plan diff must state first, each from one synthetic change of prod-aws planned offline against
the stack as committed: a region change, a Kubernetes minor, a namespace move, a model cache deleted; and, on
synthetic plans, a resource moved under another component and a replacement that cascades."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.diff import plan_tree
from tools.offline import ROOT, UNKNOWN_SHOWN_AS
from tools.plan_diff import StackDiff, diff_documents, diff_plan_dirs, render_report
from tools.replacement_rules import REPLACE

STACK = "prod-aws"
_IGNORED = shutil.ignore_patterns(
    ".venv*", "build", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", "tests"
)


def _region(config: dict[str, Any]) -> None:
    config["llm-platform:region"] = "us-west-2"


def _kubernetes_minor(config: dict[str, Any]) -> None:
    config["llm-platform:kubernetesVersion"] = "1.35"


def _namespace(config: dict[str, Any]) -> None:
    config["llm-platform:namespace"] = "llm-models"


def _drop_model(config: dict[str, Any]) -> None:
    # chat-next downloads its weights into a cache claim on EFS (the others stream theirs from S3).
    models = config["llm-platform:models"]
    del models["chat-next"]


SCENARIOS: dict[str, Callable[[dict[str, Any]], None]] = {
    "region": _region,
    "kubernetes": _kubernetes_minor,
    "namespace": _namespace,
    "cache": _drop_model,
}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plan-moves")


@pytest.fixture(scope="module")
def moves(work: Path) -> dict[str, StackDiff]:
    """Each scenario's diff against the committed stack, which is planned once (into `work`/base)."""
    tree = work / "tree"
    shutil.copytree(ROOT, tree, ignore=_IGNORED)
    stack_file = tree / f"Pulumi.{STACK}.yaml"
    committed = stack_file.read_text()
    assert plan_tree(tree, STACK, work / "base") is None
    diffs = {}
    for name, edit in SCENARIOS.items():
        document = yaml.safe_load(committed)
        edit(document["config"])
        stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
        error = plan_tree(tree, STACK, work / name)
        assert error is None, error
        diffs[name] = diff_plan_dirs(work / "base", work / name, stack=STACK)
    return diffs


def _replaced(diff: StackDiff) -> set[str]:
    return {r.resource for r in diff.replacements if r.effect == REPLACE}


def test_a_region_change_has_its_own_headline_first(moves: dict[str, StackDiff]) -> None:
    headline = moves["region"].highlights[0]
    assert headline.startswith("Region us-east-1 → us-west-2: a new cluster, network and model caches"), headline


def test_a_region_change_replaces_every_resource_of_the_aws_provider(moves: dict[str, StackDiff]) -> None:
    diff = moves["region"]
    replaced = _replaced(diff)
    for kind in ("aws:ec2/vpc:Vpc", "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:efs/fileSystem"):
        assert any(label.startswith(kind) for label in replaced), kind
    provider = [r for r in diff.replacements if r.resource == "pulumi:providers:aws::aws"]
    assert [(r.path, r.effect) for r in provider] == [("region", REPLACE)]
    assert "internal/provider/sdkv2/region.go" in provider[0].source


def test_a_region_change_warns_that_the_kubernetes_objects_are_not_recreated(moves: dict[str, StackDiff]) -> None:
    # The EKS cluster is replaced, and its Kubernetes provider keeps clusterIdentifier llm-prod-aws.
    assert any(r.startswith("aws:eks/cluster:Cluster::") for r in _replaced(moves["region"]))
    assert (
        moves["region"]
        .highlights[1]
        .startswith(
            "The cluster is replaced but its Kubernetes provider keeps clusterIdentifier llm-prod-aws: no Kubernetes "
            "object is recreated"
        )
    )
    assert not any(r.startswith("pulumi:providers:kubernetes::") for r in _replaced(moves["region"]))


def test_a_region_change_replaces_subnets_by_their_zone_and_cascades_to_their_node_groups(
    moves: dict[str, StackDiff],
) -> None:
    diff = moves["region"]
    subnets = [r for r in diff.replacements if r.resource.startswith("aws:ec2/subnet:Subnet::")]
    assert {r.path for r in subnets} >= {"availabilityZone"}
    assert all("vpc_subnet.go" in r.source for r in subnets if r.path == "availabilityZone")


def test_a_region_change_destroys_the_model_caches_data_and_says_so_first(moves: dict[str, StackDiff]) -> None:
    diff = moves["region"]
    assert any(label.startswith("aws:efs/fileSystem:FileSystem::") for label in diff.destroys_data)
    section = render_report([diff], title="t").split(f"### {STACK}", 1)[1]
    assert section.index("**Destroys data**") < section.index("**Replacements**")


def test_a_region_whose_prices_are_unknown_states_no_direction_for_the_cost(moves: dict[str, StackDiff]) -> None:
    (line,) = [line for line in moves["region"].highlights if line.startswith("Cost: ")]
    assert line.startswith("Cost: this change moves prod-aws's ceiling by an amount the diff cannot tell"), line
    assert "unknown after it: " in line
    assert "in us-west-2" in line
    # Neither a direction nor an amount for a part whose price became unknown.
    for misleading in (" lowers ", " raises ", "-$"):
        assert misleading not in line, line


def test_resources_replaced_with_their_provider_read_as_one_line(moves: dict[str, StackDiff]) -> None:
    text = render_report([moves["region"]], title="t")
    (line,) = [line for line in text.splitlines() if "replaced because its provider" in line]
    assert line.startswith("- :warning: "), line
    assert "`pulumi:providers:aws::aws` is replaced" in line, line


def test_a_kubernetes_minor_says_the_control_plane_then_every_node_group_rolls(moves: dict[str, StackDiff]) -> None:
    diff = moves["kubernetes"]
    assert diff.highlights[0] == (
        "Kubernetes 1.34 → 1.35: the control plane upgrades first, then every node pool (4) rolls its nodes, "
        "evicting each model's pods (read the upgrade notes in docs/manual.md and the API removals)"
    )
    # An in-place upgrade: nothing is replaced.
    assert not _replaced(diff)


def test_a_namespace_move_recreates_every_object_in_it_and_names_the_caches(moves: dict[str, StackDiff]) -> None:
    diff = moves["namespace"]
    (headline,) = [line for line in diff.highlights if line.startswith("Namespace ")]
    assert headline.startswith("Namespace llm-serving → llm-models: every object in it is deleted and created again")
    assert "downloads its weights again" in headline
    claims = [r for r in diff.replacements if r.resource.startswith("kubernetes:core/v1:PersistentVolumeClaim::")]
    assert claims
    assert all(r.path == "metadata.namespace" for r in claims)
    assert any(label.startswith("kubernetes:core/v1:PersistentVolumeClaim::") for label in diff.destroys_data)


def test_a_namespace_move_creates_before_it_deletes(moves: dict[str, StackDiff]) -> None:
    # pulumi-kubernetes deletes first only when name and namespace stay: a move creates the new object first.
    moved = [r for r in moves["namespace"].replacements if r.path == "metadata.namespace"]
    assert moved
    assert not any(r.delete_first for r in moved)


def test_a_deleted_model_cache_is_under_destroys_data(moves: dict[str, StackDiff]) -> None:
    diff = moves["cache"]
    assert [label for label in diff.destroys_data if "chat-next" in label], diff.destroys_data
    text = render_report([diff], title="t")
    assert "**Destroys data**" in text
    assert text.index("**Destroys data**") < text.index("**What changes**")


# Synthetic plans: a re-parent, a rename, a cascade.


def _resource(type_: str, name: str, parent: str | None = None, **inputs: Any) -> dict[str, Any]:
    return {"type": type_, "name": name, "parent": parent, "provider": None, "inputs": inputs, "dependencies": []}


def _component(type_: str, name: str) -> dict[str, Any]:
    return _resource(type_, name)


def test_a_resource_moved_under_a_component_of_another_type_is_replaced_unless_aliased() -> None:
    config = _resource("kubernetes:core/v1:ConfigMap", "settings", None, data={"a": "1"})
    moved = {**config, "parent": "llm-platform:serving:Model::qwen"}
    base = {"resources": [_component("llm-platform:serving:Model", "qwen"), config], "outputs": {}}
    head = {"resources": [_component("llm-platform:serving:Model", "qwen"), moved], "outputs": {}}
    diff = diff_documents(base, head)
    (move,) = diff.replacements
    assert (move.resource, move.path, move.effect) == ("kubernetes:core/v1:ConfigMap::settings", "(URN)", REPLACE)
    assert "`kubernetes:core/v1:ConfigMap` → `llm-platform:serving:Model$kubernetes:core/v1:ConfigMap`" in move.cause
    assert "aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]" in move.cause
    assert "No change" not in render_report([diff], title="t")


def test_a_move_between_two_components_of_one_type_keeps_the_urn() -> None:
    # The URN holds the parents' types, not their names: nothing is replaced.
    config = _resource("kubernetes:core/v1:ConfigMap", "settings", "llm-platform:serving:Model::qwen", data={})
    moved = {**config, "parent": "llm-platform:serving:Model::llama"}
    parents = [_component("llm-platform:serving:Model", "qwen"), _component("llm-platform:serving:Model", "llama")]
    diff = diff_documents({"resources": [*parents, config]}, {"resources": [*parents, moved]})
    assert diff.replacements == []


def test_a_rename_is_reported_with_the_alias_that_keeps_the_resource() -> None:
    before = _resource("aws:iam/role:Role", "llm-node-role", None, path="/")
    after = _resource("aws:iam/role:Role", "llm-nodes-role", None, path="/")
    before["inputs"]["name"], after["inputs"]["name"] = "llm-node-role", "llm-nodes-role"
    diff = diff_documents({"resources": [before]}, {"resources": [after]})
    (rename,) = diff.replacements
    assert rename.resource == "aws:iam/role:Role::llm-nodes-role"
    assert 'aliases=[pulumi.Alias(name="llm-node-role")]' in rename.cause


def _network(vpc_cidr: str) -> dict[str, Any]:
    vpc = _resource("aws:ec2/vpc:Vpc", "vpc", None, cidrBlock=vpc_cidr)
    subnet = _resource("aws:ec2/subnet:Subnet", "private-0", None, cidrBlock="10.0.0.0/19", vpcId=UNKNOWN_SHOWN_AS)
    subnet["dependencies"] = ["aws:ec2/vpc:Vpc::vpc"]
    group = _resource("aws:eks/nodeGroup:NodeGroup", "gpu", None, subnetIds=[UNKNOWN_SHOWN_AS], scalingConfig={})
    group["dependencies"] = ["aws:ec2/subnet:Subnet::private-0"]
    tag = _resource("aws:autoscaling/tag:Tag", "gpu-tag", None, autoscalingGroupName=UNKNOWN_SHOWN_AS)
    tag["dependencies"] = ["aws:eks/nodeGroup:NodeGroup::gpu"]
    return {"resources": [vpc, subnet, group, tag], "outputs": {}}


def test_a_replaced_vpc_cascades_to_its_subnets_and_their_node_groups() -> None:
    diff = diff_documents(_network("10.0.0.0/16"), _network("10.1.0.0/16"))
    by_resource = {r.resource: r for r in diff.replacements}
    assert by_resource["aws:ec2/vpc:Vpc::vpc"].path == "cidrBlock"
    assert by_resource["aws:ec2/subnet:Subnet::private-0"].cause == (
        "depends on `aws:ec2/vpc:Vpc::vpc`, replaced, and takes `vpcId` unknown in a preview, which replace it"
    )
    assert "node_group.go" in by_resource["aws:eks/nodeGroup:NodeGroup::gpu"].source
    # A tag whose unknown input no rule replaces on is updated, not replaced.
    assert "aws:autoscaling/tag:Tag::gpu-tag" not in by_resource
    assert "**3 replaced**" in render_report([diff], title="t")


def test_an_unchanged_vpc_cascades_nothing() -> None:
    diff = diff_documents(_network("10.0.0.0/16"), _network("10.0.0.0/16"))
    assert diff.replacements == []
    assert diff.empty


def test_a_dashboards_replacement_is_rated_below_real_ones() -> None:
    def dashboard(text: str) -> dict[str, Any]:
        metadata = {"name": "qwen-dashboard", "namespace": "llm-serving", "labels": {"grafana_dashboard": "1"}}
        return _resource("kubernetes:core/v1:ConfigMap", "qwen-dashboard", None, metadata=metadata, data={"d": text})

    diff = diff_documents({"resources": [dashboard("a")]}, {"resources": [dashboard("b")]})
    (item,) = diff.replacements
    assert item.harmless
    text = render_report([diff], title="t")
    assert ":warning:" not in text
    assert "replaced harmlessly" in text
    assert "**1 replaced**" not in text


def test_a_replacement_of_a_fixed_name_says_it_deletes_before_it_creates() -> None:
    def claim(storage_class: str) -> dict[str, Any]:
        metadata = {"name": "qwen-cache", "namespace": "llm-serving"}
        spec = {"storageClassName": storage_class}
        return _resource("kubernetes:core/v1:PersistentVolumeClaim", "qwen-cache", None, metadata=metadata, spec=spec)

    diff = diff_documents({"resources": [claim("efs")]}, {"resources": [claim("efs-2")]})
    (item,) = diff.replacements
    assert item.delete_first
    assert "deleted before the new one is created (its name is fixed)" in render_report([diff], title="t")


def test_a_long_value_that_differs_late_shows_where_it_differs() -> None:
    before = _resource("kubernetes:core/v1:ConfigMap", "c", None, data={"k": "x" * 200 + "OLD"})
    after = _resource("kubernetes:core/v1:ConfigMap", "c", None, data={"k": "x" * 200 + "NEW"})
    text = render_report([diff_documents({"resources": [before]}, {"resources": [after]})], title="t")
    (line,) = [line for line in text.splitlines() if line.startswith("  - `data.k`: ")]
    assert "OLD" in line, line
    assert "NEW" in line, line


def test_the_report_carries_its_preamble_before_the_title() -> None:
    text = render_report([StackDiff(stack="dev")], title="t", preamble=["first line", ""])
    assert text.startswith("first line\n\n## t")


def test_a_plan_records_what_each_resource_depends_on(moves: dict[str, StackDiff], work: Path) -> None:
    resources = json.loads((work / "base" / "plan.json").read_text())["resources"]
    subnets = [r for r in resources if r["type"] == "aws:ec2/subnet:Subnet"]
    assert subnets
    assert all(r["dependencies"] == ["aws:ec2/vpc:Vpc::llm-prod-aws-vpc"] for r in subnets)
