"""MkDocs hooks of the documentation site (mkdocs.yml): a page may link a file of the repository outside `docs/`
(`../examples/`, `../tools/prices.py`), which works where the Markdown is read on GitHub but is not a page of the
site; the site shows such a link as its text, so the strict build checks every link that stays a link."""

from __future__ import annotations

import posixpath
import re
from typing import Any

from mkdocs.structure.files import Files

# A relative link: neither a URL nor an anchor of the same page.
_RELATIVE_LINK = re.compile(r"\[([^\]]+)\]\((?![a-z]+:|#)([^)\s]+)\)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    page_dir = posixpath.dirname(page.file.src_uri)

    def _site_link(match: re.Match[str]) -> str:
        text, target = match.groups()
        resolved = posixpath.normpath(posixpath.join(page_dir, target.split("#", 1)[0]))
        return match.group(0) if not resolved.startswith("../") and resolved != ".." else text

    return _RELATIVE_LINK.sub(_site_link, markdown)
