"""The serving sort keys and indexes are declared once, in the marts' dbt YAML (meta.serving),
and both publishers take them from there (pipelines/serving/keys.py)."""

from __future__ import annotations

import json

import pytest

from pipelines.dbt_manifest import ensure_manifest
from pipelines.serving import duckdb_file
from pipelines.serving.keys import ServingKeys, keys_of, serving_keys


@pytest.fixture(scope="module")
def marts() -> dict[str, dict]:
    manifest = json.loads(ensure_manifest().read_text())
    return {node["name"]: node for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["fqn"][1] == "marts"}


def test_every_mart_of_clients_declares_its_order_and_index_on_its_own_columns(marts):
    declared = serving_keys()
    with_clients = {name for name, node in marts.items() if "client_id" in node["columns"]}
    assert set(declared) == with_clients, "marts of clients declare keys, the others none"
    for name, keys in declared.items():
        columns = set(marts[name]["columns"])
        assert keys.sort_by[:1] == keys.index[:1] == ("client_id",), name
        assert set(keys.sort_by) <= columns and set(keys.index) <= columns, name


def test_the_duckdb_publish_orders_by_the_declaration_and_a_wrong_one_is_refused():
    declared = serving_keys()
    columns = {"client_id", "activity_date", "vat_period_start", "document_id"}
    assert duckdb_file._order_by(keys_of("fct_documents", columns, declared).sort_by) == \
        ' order by "client_id", "activity_date", "vat_period_start"'
    assert duckdb_file._order_by(keys_of("dim_team_members", {"user_id"}, declared).sort_by) \
        == ""
    with pytest.raises(RuntimeError, match="sort_by names columns it does not have: "
                                           "activity_date, vat_period_start"):
        keys_of("fct_documents", {"client_id", "document_id"}, declared)
    with pytest.raises(RuntimeError, match="index names columns it does not have: "
                                           "activity_date"):
        keys_of("a_mart", {"client_id"},
                {"a_mart": ServingKeys(index=("client_id", "activity_date"))})
    assert keys_of("no_such_mart", set(), declared).sort_by == ()
