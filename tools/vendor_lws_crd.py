"""Vendor LeaderWorkerSet's CRD at the pinned release (components/versions.py LWS_VERSION) into
components/serving/crds/, where components/serving/leader_worker_set.py reads it to create the CRD as a resource
of the stack (the chart goes in with its CRDs skipped).

    git --git-dir <a clone of kubernetes-sigs/lws> fetch --tags
    .venv/bin/python -m tools.vendor_lws_crd <the clone's git dir>

The file is the chart's `crds/leaderworkerset.x-k8s.io_leaderworkersets.yaml` at the tag, with every
`description` removed (1.3 MB of the PodTemplateSpec's documentation; the API server validates the same schema
and CEL rules without them), written as compact JSON with the tag it came from.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from components import versions

CHART_CRD = "charts/lws/crds/leaderworkerset.x-k8s.io_leaderworkersets.yaml"
TARGET = Path(__file__).resolve().parent.parent / "components" / "serving" / "crds" / "leaderworkersets.json"


def without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: without_descriptions(value) for key, value in node.items() if key != "description"}
    if isinstance(node, list):
        return [without_descriptions(item) for item in node]
    return node


def vendored(git_dir: str, tag: str) -> dict[str, Any]:
    git = shutil.which("git")
    if git is None:
        raise SystemExit("git is not on PATH")
    text = subprocess.run(
        [git, "--git-dir", git_dir, "show", f"{tag}:{CHART_CRD}"], check=True, capture_output=True, text=True
    ).stdout
    crd = without_descriptions(yaml.safe_load(text))
    return {"source": f"kubernetes-sigs/lws {tag} {CHART_CRD}, descriptions removed", "crd": crd}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    document = vendored(argv[0], versions.LWS_VERSION)
    TARGET.write_text(json.dumps(document, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
