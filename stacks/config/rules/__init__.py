"""Configuration rules kept out of stacks/config/loader.py, one topic a module. Each returns `Finding`s, which
stacks/config/loader.py turns into `ConfigIssue`s (`key.path: value, what is allowed`)."""

from __future__ import annotations

from typing import NamedTuple


class Finding(NamedTuple):
    path: str
    message: str
