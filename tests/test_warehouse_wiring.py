"""The dbt project as Dagster assets: lineage, groups and vars come from one place."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from pipelines.assets.warehouse import AS_OF_TAG, dbt_vars, resolve_as_of
from pipelines.definitions import defs
from pipelines.settings import load_settings


def test_dbt_sources_share_the_landing_asset_keys():
    graph = defs.resolve_asset_graph()
    for entity in ("spaces", "users", "assignments", "documents"):
        landing = dg.AssetKey(["landing", entity])
        staging = dg.AssetKey([f"stg_landing__{entity}"])
        assert graph.get(landing).is_materializable, f"{landing} is not the landing asset"
        assert landing in graph.get(staging).parent_keys


def test_groups_follow_the_model_folders():
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name
              for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    assert groups["stg_landing__documents"] == "staging"
    assert groups["int_documents_latest"] == "intermediate"
    assert groups["marts/fct_documents"] == "marts"
    assert groups["serving/insights_duckdb"] == "serving"
    publish = graph.get(dg.AssetKey(["serving", "insights_duckdb"]))
    assert {k.to_user_string() for k in publish.parent_keys} >= {
        "marts/mart_client_overview", "marts/fct_client_category_daily",
        "marts/mart_vat_period_progress", "marts/mart_team_member_workload",
    }


def test_dbt_gets_absolute_paths_from_the_one_settings_module(tmp_path):
    settings = load_settings({"INSIGHTS_HOME": str(tmp_path / "home")})
    variables = dbt_vars(settings, datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    assert variables["landing_dir"] == str(tmp_path / "home" / "landing")
    assert variables["warehouse_path"] == str(tmp_path / "home" / "warehouse" / "warehouse.duckdb")
    assert variables["as_of"] == "2026-03-31T22:30:00.000000Z"


def test_as_of_comes_from_the_setting_then_the_run_then_the_clock():
    fixed = load_settings({"INSIGHTS_AS_OF": "2026-01-31T12:00:00+01:00"})
    tags = {AS_OF_TAG: "2026-02-01T00:00:00+00:00"}
    assert resolve_as_of(fixed, tags) == datetime(2026, 1, 31, 11, tzinfo=UTC)
    unset = load_settings({})
    assert resolve_as_of(unset, tags) == datetime(2026, 2, 1, tzinfo=UTC)
    assert (datetime.now(UTC) - resolve_as_of(unset, {})).total_seconds() < 60
