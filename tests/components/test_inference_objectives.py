"""The InferenceObjective CRD the stack installs is llm-d-router v0.10.0's, with the schema admission checks against."""

from __future__ import annotations

import json

from components.serving.inference_objectives import HEADER, SCHEMA_FILE, objective_crd_spec
from tools.crd_sources import CRD_SCHEMA_DIR, LLM_D_ROUTER_VERSION, SOURCES


def test_the_crd_is_the_llm_d_group_the_picker_reconciles() -> None:
    spec = objective_crd_spec()
    assert (spec["group"], spec["names"]["plural"], spec["scope"]) == ("llm-d.ai", "inferenceobjectives", "Namespaced")
    [version] = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha2", True, True)


def test_the_crd_carries_the_vendored_schema_of_the_pickers_release() -> None:
    [version] = objective_crd_spec()["versions"]
    assert SCHEMA_FILE.parent == CRD_SCHEMA_DIR
    assert version["schema"]["openAPIV3Schema"] == json.loads(SCHEMA_FILE.read_text())
    [source] = [s for s in SOURCES if s.path.endswith("llm-d.ai_inferenceobjectives.yaml")]
    assert (
        (source.repo, source.ref) == ("llm-d/llm-d-router", LLM_D_ROUTER_VERSION) == ("llm-d/llm-d-router", "v0.10.0")
    )


def test_a_request_names_its_objective_in_llm_ds_header() -> None:
    # pkg/epp/metadata/consts.go at v0.10.0: ObjectiveKey.
    assert HEADER == "x-llm-d-inference-objective"
