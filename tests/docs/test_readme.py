"""The README is the front door: short, its commands the Makefile's, and every link it gives (a file of the
repository, a section of a page) found where GitHub would look for it."""

from __future__ import annotations

import re

import pytest

from tools.offline import ROOT

README = (ROOT / "README.md").read_text()
LINK = re.compile(r"\]\(([^)\s]+)\)")
RELATIVE = [target for target in LINK.findall(README) if "://" not in target]


def _github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(text: str) -> set[str]:
    outside_code = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return {_github_anchor(heading) for heading in re.findall(r"^#{1,6} (.+)$", outside_code, re.M)}


def test_the_readme_is_a_front_door_not_the_manual() -> None:
    assert 120 <= len(README.splitlines()) <= 250


def test_the_readme_links_the_guides_and_the_manual() -> None:
    targets = {target.split("#", 1)[0] for target in RELATIVE}
    assert {
        "docs/getting-started/laptop.md",
        "docs/getting-started/aws.md",
        "docs/getting-started/gcp.md",
        "docs/getting-started/azure.md",
        "docs/manual.md",
        "docs/reference/configuration.md",
    } <= targets


@pytest.mark.parametrize("target", sorted(set(RELATIVE)))
def test_the_link_resolves_to_a_file_and_section_of_the_repository(target: str) -> None:
    path, _, anchor = target.partition("#")
    file = (ROOT / path).resolve()
    assert file.is_relative_to(ROOT), path
    assert file.exists(), path
    if anchor:
        assert anchor in _anchors(file.read_text()), f"{path} has no section #{anchor}"


def test_the_try_it_block_is_the_two_commands_the_makefile_has() -> None:
    block = README.split("## Try it in 60 seconds, offline\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    assert commands == ["make plan", "make test"]
    targets = set(re.findall(r"^([a-z][-a-z]*):", (ROOT / "Makefile").read_text(), re.M))
    assert {"plan", "test", "docs"} <= targets
