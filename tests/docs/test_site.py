"""The documentation site: it builds in strict mode (no broken link or anchor, no page left out of the navigation),
its configuration reference is the one the config model generates, it has an entry for each alert, and no page
points outside the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools.config_reference import PAGE_PATH, reference_page
from tools.offline import ROOT

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("**/*.md"))
PUBLISHED = [*PAGES, ROOT / "README.md"]  # the README links into docs/ and examples/ as GitHub shows it
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_configuration_reference_is_what_the_config_model_generates() -> None:
    assert PAGE_PATH.read_text() == reference_page(), "run `python -m tools.config_reference`"


def test_the_site_builds_in_strict_mode_with_no_warning(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    assert (tmp_path / "site" / "manual" / "index.html").exists()
    assert (tmp_path / "site" / "reference" / "configuration" / "index.html").exists()


def _alert_names() -> list[str]:
    sources = [
        ROOT / "components" / "observability" / name
        for name in ("alerts.py", "picker_alerts.py", "served_name_alerts.py")
    ]
    source = "".join(path.read_text() for path in sources)
    return sorted(set(re.findall(r'"((?:Llm|Gpu)[A-Z][A-Za-z]+)"', source)))


def test_the_alerts_are_found() -> None:
    assert len(_alert_names()) >= 13
    assert "LlmModelNoReadyReplica" in _alert_names()


@pytest.mark.parametrize("alert", _alert_names())
def test_troubleshooting_has_an_entry_for_the_alert(alert: str) -> None:
    page = (DOCS / "operations" / "troubleshooting.md").read_text()
    assert f"\n## `{alert}`\n" in page


@pytest.mark.parametrize("page", PUBLISHED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_refers_to_a_file_outside_the_repository(page: Path) -> None:
    text = page.read_text()
    assert "../shared" not in text
    assert "/work/" not in text
    outside = [
        target
        for target in LINK.findall(text)
        if "://" not in target and not (page.parent / target).resolve().is_relative_to(ROOT)
    ]
    assert outside == []


@pytest.mark.parametrize("case", ["laptop", "aws", "gcp", "azure"])
def test_each_getting_started_guide_goes_from_login_to_curl_and_back(case: str) -> None:
    guide = (DOCS / "getting-started" / f"{case}.md").read_text()
    # Each a command at the start of a line of a block (or the section's title), in the order a reader runs them.
    steps = [
        "\npulumi login",
        "\npulumi up",
        "\ncurl -s http://localhost:8000/v1/chat/completions",
        "## When it does not start",
        "\npulumi destroy",
        "\npulumi stack rm",
    ]
    positions = [guide.find(step) for step in steps]
    assert -1 not in positions, dict(zip(steps, positions, strict=True))
    assert positions == sorted(positions)
