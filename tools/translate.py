"""Move a stack to another cloud: `Pulumi.<stack>.yaml` rewritten for aws, gcp or azure, with a report beside it.

    python -m tools.translate --stack prod-aws --to gcp [--region us-east4] [--name prod-aws-gcp] [--force] [--compare]

The translation (tools/translation.py) is checked by the config step before anything is written; the stack file
goes next to the source's, the report (tools/translate_report.py: sizing and cost of both sides) into
build/translate/ and on standard output; --compare also plans both stacks offline and writes their diff as
`make diff` shows one (<name>-plans.md). Nothing is overwritten without --force.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.catalog.instances import Cloud
from tools.offline import ROOT, Mode, run_program
from tools.plan import build_plan
from tools.plan_diff import diff_documents
from tools.plan_diff import render_report as render_plan_diff
from tools.stack_file import StackFileError
from tools.translate_report import render_report
from tools.translation import TranslateError, Translation, render_stack_file, translate


def write_translation(
    root: Path, translation: Translation, report_dir: Path, *, force: bool = False
) -> tuple[Path, Path, str]:
    """Check the translation, then write the stack file and its report; refuse to overwrite without `force`."""
    text = render_stack_file(translation)
    path = root / f"Pulumi.{translation.stack}.yaml"
    report_path = report_dir / f"{translation.stack}.md"
    existing = [p for p in (path, report_path) if p.exists()]
    if existing and not force:
        raise TranslateError(
            f"{', '.join(str(p) for p in existing)}: already there; nothing was written. Give another NAME, or "
            "FORCE=1 to overwrite"
        )
    report = render_report(translation)
    path.write_text(text)
    report_dir.mkdir(parents=True, exist_ok=True)
    report_path.write_text(report)
    return path, report_path, report


def compare_plans(translation: Translation, source_plan: Mapping[str, Any], target_plan: Mapping[str, Any]) -> str:
    """The two offline plans side by side as `make diff` shows a change: resources only one side has, and the GPU
    pools, models and cost that differ (tools/plan_diff.py)."""
    t = translation
    diff = diff_documents(source_plan, target_plan, stack=f"{t.source_stack} -> {t.stack}")
    return render_plan_diff(
        [diff], title=f"Offline plans: {t.source_stack} ({t.source_cloud.value}) against {t.stack} ({t.cloud.value})"
    )


def _compare(root: Path, translation: Translation, report_dir: Path) -> Path:
    plans = [
        build_plan(run_program(stack, Mode.PREVIEW, root=root)).document
        for stack in (translation.source_stack, translation.stack)
    ]
    path = report_dir / f"{translation.stack}-plans.md"
    path.write_text(compare_plans(translation, *plans))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True, help="the stack to move (Pulumi.<stack>.yaml)")
    parser.add_argument("--to", required=True, choices=[cloud.value for cloud in Cloud])
    parser.add_argument("--region", help="the target region (default: the nearest to the source's)")
    parser.add_argument("--name", help="the new stack's name (default: <stack>-<cloud>)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing stack file and report")
    parser.add_argument("--root", type=Path, default=ROOT, help="directory with the stack files")
    parser.add_argument("--report-dir", type=Path, help="where the report goes (default: <root>/build/translate)")
    parser.add_argument("--compare", action="store_true", help="also plan both stacks offline and diff the plans")
    options = parser.parse_args(argv)
    try:
        translation = translate(
            options.root, options.stack, Cloud(options.to), region=options.region, name=options.name
        )
        report_dir = options.report_dir or options.root / "build" / "translate"
        path, report_path, report = write_translation(options.root, translation, report_dir, force=options.force)
    except (TranslateError, StackFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report)
    print(f"Wrote {path} and {report_path}")
    if options.compare:
        print(f"Wrote {_compare(options.root, translation, report_dir)} (the two offline plans compared)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
