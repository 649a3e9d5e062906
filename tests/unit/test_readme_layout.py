"""The manual's Layout section names every module of the configuration package and every composition module, so
that a newcomer finds each where the manual says."""

from __future__ import annotations

import pytest

from tools.offline import ROOT

LAYOUT = (ROOT / "docs" / "manual.md").read_text().split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def modules(folder: str) -> list[str]:
    return sorted(path.name for path in (ROOT / folder).glob("*.py") if path.name != "__init__.py")


@pytest.mark.parametrize("name", [*modules("stacks/config"), "rules/"])
def test_the_layout_names_each_module_of_the_config_package(name: str):
    assert name in LAYOUT


@pytest.mark.parametrize("name", [name.removesuffix(".py") for name in modules("stacks")])
def test_the_layout_names_each_composition_module(name: str):
    assert name in LAYOUT


@pytest.mark.parametrize("step", ["**Read**", "**Validate**", "**Resolve**", "**Compose**"])
def test_the_architecture_note_has_a_paragraph_per_step(step: str):
    assert step in LAYOUT
