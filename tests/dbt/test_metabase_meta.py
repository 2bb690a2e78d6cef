"""Every mart column carries the table metadata dbt-metabase pushes to Metabase (docs/metabase.md):
a semantic type, a visibility, and for foreign keys a target that exists."""

from __future__ import annotations

import json

import pytest

from pipelines.dbt_manifest import ensure_manifest

SEMANTIC_TYPES = {None, "type/PK", "type/FK", "type/Category", "type/Name", "type/Email",
                  "type/Country", "type/URL", "type/Quantity", "type/Score", "type/Percentage",
                  "type/CreationDate", "type/CreationTimestamp", "type/JoinTimestamp"}
VISIBILITY = {"normal", "details-only", "sensitive"}


@pytest.fixture(scope="module")
def marts() -> dict[str, dict]:
    manifest = json.loads(ensure_manifest().read_text())
    return {node["name"]: node for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["fqn"][1] == "marts"}


def _meta(column: dict) -> dict:
    return column.get("meta") or {}  # where dbt-metabase reads it in the manifest


def test_every_mart_column_has_a_semantic_type_and_a_visibility(marts):
    assert len(marts) == 10
    missing = [f"{name}.{column}" for name, node in marts.items()
               for column, spec in node["columns"].items()
               if "metabase.semantic_type" not in _meta(spec)
               or _meta(spec).get("metabase.visibility_type") not in VISIBILITY]
    assert missing == []
    unknown = {_meta(spec)["metabase.semantic_type"] for node in marts.values()
               for spec in node["columns"].values()} - SEMANTIC_TYPES
    assert unknown == set()


def test_each_mart_has_an_entity_key_or_foreign_keys_and_every_target_exists(marts):
    keys = {name: [column for column, spec in node["columns"].items()
                   if _meta(spec)["metabase.semantic_type"] in ("type/PK", "type/FK")]
            for name, node in marts.items()}
    assert [name for name, columns in keys.items() if not columns] == []
    for name, node in marts.items():
        for column, spec in node["columns"].items():
            meta = _meta(spec)
            if meta["metabase.semantic_type"] != "type/FK":
                continue
            schema, table = meta["metabase.fk_target_table"].split(".")
            assert schema == "marts" and table in marts, f"{name}.{column}"
            target = marts[table]["columns"][meta["metabase.fk_target_field"]]
            assert _meta(target)["metabase.semantic_type"] == "type/PK", f"{name}.{column}"


def test_every_mart_and_column_is_described(marts):
    assert [name for name, node in marts.items() if not node["description"].strip()] == []
    assert [f"{name}.{column}" for name, node in marts.items()
            for column, spec in node["columns"].items() if not spec["description"].strip()] == []
