"""Files the repository generates from its own code (the stack-file schema, the configuration reference): the
command that writes one, or with `--check` says whether the committed copy is stale."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.offline import ROOT


def write_or_check(path: Path, text: str, *, module: str, doc: str | None, argv: list[str] | None) -> int:
    """`python -m <module> [--check]`: write `text` to `path`, or with --check exit 1 when the file differs."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed file is stale")
    args = parser.parse_args(argv)
    if args.check:
        if not path.exists() or path.read_text() != text:
            print(f"{path.relative_to(ROOT)} is stale: run `python -m {module}`", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {path.relative_to(ROOT)}")
    return 0
