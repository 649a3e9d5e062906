"""The report beside a translated stack: sizing and cost of both sides next to each other, and what changed."""

from __future__ import annotations

from tools.translate import Translation


def render_report(translation: Translation) -> str:
    return "TODO"
