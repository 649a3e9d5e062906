"""InferenceObjectives: named priorities within a model's InferencePool, and the CRD they need.

The endpoint picker (llm-d-router v0.10.0) reconciles InferenceObjectives of `llm-d.ai/v1alpha2` when that CRD
exists and the legacy `inference.networking.x-k8s.io` group only when it does not (pkg/epp/controller/
inferenceobjective_reconciler.go; release note of llm-d-router#1449). No cluster installs the `llm-d.ai` CRD, so the
stack does, from the schema tools/vendor_crds.py vendored from that release (config/crd/bases/
llm-d.ai_inferenceobjectives.yaml): the same schema admission checks the objectives against. The picker looks
for the CRD once, when it starts (pkg/epp/server/controller_manager.go: without it, "Skipping its reconciler"),
so the CRD comes before every picker.

A request names its objective in the `x-llm-d-inference-objective` header (pkg/epp/metadata/consts.go; the
`x-gateway-inference-objective` spelling is the deprecated alias), and the picker strips it before the model sees
it. Priorities only order requests when the picker's flow control is on (the `flowControl` feature gate, off by
default: cmd/epp/runner/runner.go), which a picker with objectives turns on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.serving.metadata import PART_OF

GROUP = "llm-d.ai"
VERSION = "v1alpha2"
API_VERSION = f"{GROUP}/{VERSION}"
HEADER = "x-llm-d-inference-objective"
"""The request header that names a request's objective."""
FLOW_CONTROL_GATE = "flowControl"
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "crds" / f"inferenceobjective-{GROUP}-{VERSION}.json"


def objective_crd_spec() -> dict[str, Any]:
    """The CRD as llm-d-router v0.10.0 defines it: its names, scope, printer columns and status subresource, with
    the vendored structural schema (descriptions left out)."""
    return {
        "group": GROUP,
        "names": {
            "kind": "InferenceObjective",
            "listKind": "InferenceObjectiveList",
            "plural": "inferenceobjectives",
            "singular": "inferenceobjective",
        },
        "scope": "Namespaced",
        "versions": [
            {
                "name": VERSION,
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": json.loads(SCHEMA_FILE.read_text())},
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"jsonPath": ".spec.poolRef.name", "name": "Inference Pool", "type": "string"},
                    {"jsonPath": ".spec.priority", "name": "Priority", "type": "string"},
                    {"jsonPath": ".metadata.creationTimestamp", "name": "Age", "type": "date"},
                ],
            }
        ],
    }


def objective_crd(opts: pulumi.ResourceOptions) -> k8s.apiextensions.v1.CustomResourceDefinition:
    return k8s.apiextensions.v1.CustomResourceDefinition(
        "inference-objectives-crd",
        metadata={"name": f"inferenceobjectives.{GROUP}", "labels": {"app.kubernetes.io/part-of": PART_OF}},
        spec=objective_crd_spec(),
        opts=opts,
    )


def objective_spec(pool: str, priority: int) -> dict[str, Any]:
    """An objective of the pool `pool` (an InferencePool of the objective's namespace)."""
    return {
        "poolRef": {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": pool},
        "priority": priority,
    }
