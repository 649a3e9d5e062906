"""The vendored CRD schemas (schemas/crds/) are the ones tools/crd_sources.py names, at the versions the stacks pin:
SOURCES.md, which tools/vendor_crds.py writes with the schemas, must be what the sources list gives today."""

from __future__ import annotations

from tools.crd_sources import CRD_SCHEMA_DIR, SOURCES
from tools.vendor_crds import sources_table, without_descriptions


def _rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| schema ")]


def test_sources_md_names_each_schema_at_the_ref_pinned_today() -> None:
    recorded = _rows((CRD_SCHEMA_DIR / "SOURCES.md").read_text())
    by_file = {row.split(" | ")[0].removeprefix("| "): row for row in recorded}
    expected = {f"{s.repo}|{s.path}|{s.ref}" for s in SOURCES}
    found = {"|".join(row.removesuffix(" |").split(" | ")[1:]) for row in recorded}
    assert found == expected, "bumped a version? run python -m tools.vendor_crds"
    assert sorted(by_file) == sorted(str(path.relative_to(CRD_SCHEMA_DIR)) for path in CRD_SCHEMA_DIR.rglob("*.json"))


def test_sources_table_has_one_row_per_schema_file() -> None:
    table = sources_table([("a-x.io-v1.json", SOURCES[0])])
    assert _rows(table) == [f"| a-x.io-v1.json | {SOURCES[0].repo} | {SOURCES[0].path} | {SOURCES[0].ref} |"]


def test_stripping_descriptions_keeps_a_property_named_description_and_the_rules() -> None:
    schema = {
        "description": "an object",
        "properties": {"description": {"description": "its own", "type": "string", "default": "x"}},
        "x-kubernetes-validations": [{"rule": "has(self.description)", "message": "m"}],
    }
    assert without_descriptions(schema) == {
        "properties": {"description": {"type": "string", "default": "x"}},
        "x-kubernetes-validations": [{"rule": "has(self.description)", "message": "m"}],
    }
