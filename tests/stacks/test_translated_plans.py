"""Every example cloud stack, moved to each other cloud by tools/translate.py, plans offline in both modes with no
edit; its report puts sizing and cost of both sides next to each other. Each translation is written and each plan
run once per session (a module fixture), then every test reads them."""

from __future__ import annotations

import os
import shutil
from functools import cache
from pathlib import Path

import pytest

from components.catalog.instances import Cloud
from tests.support import stack_config
from tools.offline import ROOT, Mode, run_program, stack_names
from tools.plan import Plan, build_plan
from tools.translate import compare_plans, write_translation
from tools.translation import Translation, translate

SOURCES = [s for s in stack_names() if stack_config(s)["llm-platform:target"] in {c.value for c in Cloud}]
MOVES = [
    (source, cloud) for source in SOURCES for cloud in Cloud if stack_config(source)["llm-platform:target"] != cloud
]
CLUSTER_TYPES = {
    Cloud.AWS: "llm-platform:clusters:EksCluster",
    Cloud.GCP: "llm-platform:clusters:GkeCluster",
    Cloud.AZURE: "llm-platform:clusters:AksCluster",
}


class Translated:
    """Translations written into one directory with the program, planned on demand and kept."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for name in ("Pulumi.yaml", "__main__.py"):
            os.symlink(ROOT / name, root / name)
        for source in SOURCES:
            shutil.copy(ROOT / f"Pulumi.{source}.yaml", root)
        self.translations: dict[tuple[str, Cloud], Translation] = {}
        self.reports: dict[tuple[str, Cloud], str] = {}
        for source, cloud in MOVES:
            translation = translate(root, source, cloud)
            _, _, self.reports[(source, cloud)] = write_translation(root, translation, root / "reports")
            self.translations[(source, cloud)] = translation
        self.plan = cache(self._plan)

    def _plan(self, stack: str, mode: str) -> Plan:
        return build_plan(run_program(stack, mode, root=self.root))


@pytest.fixture(scope="module")
def translated(tmp_path_factory: pytest.TempPathFactory) -> Translated:
    return Translated(tmp_path_factory.mktemp("translated"))


def test_every_example_cloud_stack_moves_to_both_other_clouds() -> None:
    assert len(SOURCES) >= 3
    assert len(MOVES) == 2 * len(SOURCES)


@pytest.mark.parametrize("mode", Mode.ALL)
@pytest.mark.parametrize(("source", "cloud"), MOVES)
def test_the_translation_plans_with_no_edit(translated: Translated, source: str, cloud: Cloud, mode: str) -> None:
    translation = translated.translations[(source, cloud)]
    plan = translated.plan(translation.stack, mode)
    types = {resource["type"] for resource in plan.document["resources"]}
    assert CLUSTER_TYPES[cloud] in types
    pools = plan.document["outputs"]["gpuPools"]
    assert {name: pool["gpu"] for name, pool in pools.items()} == {c.name: c.gpu.value for c in translation.pools}
    assert set(plan.document["outputs"]["models"]) == set(stack_config(source)["llm-platform:models"])


@pytest.mark.parametrize(("source", "cloud"), MOVES)
def test_the_report_shows_sizing_and_cost_of_both_sides(translated: Translated, source: str, cloud: Cloud) -> None:
    report = translated.reports[(source, cloud)]
    translation = translated.translations[(source, cloud)]
    for name, model in translation.resolved.models.items() if translation.resolved else []:
        assert model.sizing is not None
        row = next(line for line in report.splitlines() if line.startswith(f"| {name} |"))
        assert f"TP {model.sizing.tensor_parallel}, context {model.sizing.context_tokens} |" in row
    idle = next(line for line in report.splitlines() if line.startswith("| idle |"))
    assert idle.count("/h") == 3, "source, target and the difference"
    assert (
        f"{translation.source_cloud.value} {translation.source_region} | {cloud.value} {translation.region}" in report
    )


@pytest.mark.parametrize(("source", "cloud"), MOVES)
def test_the_report_names_the_machine_types_the_plan_creates(translated: Translated, source: str, cloud: Cloud) -> None:
    translation = translated.translations[(source, cloud)]
    plan = translated.plan(translation.stack, Mode.PREVIEW)
    report = translated.reports[(source, cloud)]
    for pool, machine in plan.document["outputs"]["gpuPoolMachines"].items():
        row = next(line for line in report.splitlines() if line.startswith("| ") and f" {pool} |" in line)
        assert f"on {machine['instanceType']}, " in row.split(" | ")[2], pool


def test_the_readme_s_worked_example_is_the_report_the_tool_writes(translated: Translated) -> None:
    manual = (ROOT / "docs" / "manual.md").read_text()
    readme = manual.split("\n## Moving a stack to another cloud\n", 1)[1].split("\n## ", 1)[0]
    report = translated.reports[("prod-aws", Cloud.AZURE)]
    rows = [line for line in report.splitlines() if line.startswith(("| ", "- "))]
    assert rows
    assert [row for row in rows if row not in readme] == []


def test_the_two_plans_compare_as_make_diff_shows_a_change(translated: Translated) -> None:
    translation = translated.translations[("prod-aws", Cloud.AZURE)]
    text = compare_plans(
        translation,
        translated.plan("prod-aws", Mode.PREVIEW).document,
        translated.plan(translation.stack, Mode.PREVIEW).document,
    )
    # Which way the ceiling moves is known only when both sides leave out the same prices (tools/cost_report.py).
    assert "- Cost: this change raises prod-aws -> prod-aws-azure's ceiling" in text or (
        "- Cost: this change moves prod-aws -> prod-aws-azure's ceiling by an amount the diff cannot tell" in text
    )
    assert "- Model qwen-7b: pool l4-spot → a10spot; accelerator L4 → A10" in text
    assert "added `azure-native:containerservice:ManagedCluster::" in text
