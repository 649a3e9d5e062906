"""MkDocs hooks of the documentation site (mkdocs.yml): the README is published as the page `manual.md`, so the
concept pages link its sections (and the strict build checks each anchor) instead of copying them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

README = Path(__file__).resolve().parent.parent / "README.md"
MANUAL = "manual.md"

# A README link into the repository: `docs/<page>` is a page of the site; any other path (`examples/`) is a file
# the site does not publish, kept as its text.
_REPOSITORY_LINK = re.compile(r"\[([^\]]+)\]\((?!https?:|#)([^)]+)\)")


def on_files(files: Files, config: Any) -> Files:
    files.append(File.generated(config, MANUAL, abs_src_path=str(README)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    if page.file.src_uri != MANUAL:
        return markdown
    return _REPOSITORY_LINK.sub(_site_link, markdown)


def _site_link(match: re.Match[str]) -> str:
    text, target = match.groups()
    if target.startswith("docs/"):
        return f"[{text}]({target.removeprefix('docs/')})"
    return text
