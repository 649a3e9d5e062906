"""Vendor the CRDs the stack's own Gateway needs off GKE into components/serving/crds/gateway-crds.json, where
components/serving/agentgateway.py reads them to create them as resources of the stack:

- Gateway API's standard channel at tools/crd_sources.py GATEWAY_API_VERSION (v1.6.1, the version agentgateway
  v1.4.1 is built against: its go.mod `sigs.k8s.io/gateway-api v1.6.1`), every CRD of config/crd/standard/ that
  config/crd/kustomization.yaml installs (its ValidatingAdmissionPolicy `safe-upgrades` is not a CRD and is left
  out);
- the InferencePool CRD at INFERENCE_EXTENSION_VERSION (the schema schemas/crds/ validates pools against).

agentgateway's charts install neither (its CRD chart holds only its own four CRDs; its Makefile installs Gateway
API and the inference extension from their releases with kubectl, targets gw-api-crds and gie-crds).

    .venv/bin/python -m tools.vendor_gateway_crds --repos /tmp/repos

Each CRD is written as upstream has it, less the descriptions of its schemas (most of its size; the API server
validates the same schema and CEL rules without them).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from tools.crd_sources import GATEWAY_API_VERSION, INFERENCE_EXTENSION_VERSION
from tools.diff import git
from tools.vendor_crds import without_descriptions

TARGET = Path(__file__).resolve().parent.parent / "components" / "serving" / "crds" / "gateway-crds.json"
GATEWAY_API = "kubernetes-sigs/gateway-api"
INFERENCE_EXTENSION = "kubernetes-sigs/gateway-api-inference-extension"
KUSTOMIZATION = "config/crd/kustomization.yaml"
INFERENCE_POOL = "config/crd/bases/inference.networking.k8s.io_inferencepools.yaml"


def crds_in(text: str) -> list[dict[str, Any]]:
    """The CRDs of a manifest, each version's schema without descriptions."""
    found = []
    for document in yaml.safe_load_all(text):
        if not document or document.get("kind") != "CustomResourceDefinition":
            continue
        for version in document["spec"]["versions"]:
            schema = version.get("schema", {}).get("openAPIV3Schema")
            if schema is not None:
                version["schema"]["openAPIV3Schema"] = without_descriptions(schema)
        found.append(document)
    return found


def gateway_api_files(repository: Path) -> list[str]:
    kustomization = yaml.safe_load(git(repository, "show", f"{GATEWAY_API_VERSION}:{KUSTOMIZATION}"))
    return [f"config/crd/{path}" for path in kustomization["resources"] if not path.endswith("_vap_safeupgrades.yaml")]


def vendored(repos: Path) -> dict[str, Any]:
    gateway_api = repos / GATEWAY_API
    crds: list[dict[str, Any]] = []
    sources: list[str] = []
    for path in gateway_api_files(gateway_api):
        crds.extend(crds_in(git(gateway_api, "show", f"{GATEWAY_API_VERSION}:{path}")))
        sources.append(f"{GATEWAY_API} {GATEWAY_API_VERSION} {path}")
    inference = repos / INFERENCE_EXTENSION
    crds.extend(crds_in(git(inference, "show", f"{INFERENCE_EXTENSION_VERSION}:{INFERENCE_POOL}")))
    sources.append(f"{INFERENCE_EXTENSION} {INFERENCE_EXTENSION_VERSION} {INFERENCE_POOL}")
    return {"sources": sources, "note": "schema descriptions removed", "crds": crds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=Path, required=True, help="DIR/<owner>/<name>: a git repository per upstream")
    args = parser.parse_args()
    document = vendored(args.repos)
    TARGET.write_text(json.dumps(document, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {len(document['crds'])} CRDs into {TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
