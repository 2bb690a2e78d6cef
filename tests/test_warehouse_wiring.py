"""The dbt project as Dagster assets: lineage, groups and vars come from one place."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from pipelines.as_of import AS_OF_TAG, MissingAsOf, as_of_tags, run_as_of
from pipelines.assets.warehouse import dbt_vars
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
    variables = dbt_vars(settings)
    assert variables["landing_dir"] == str(tmp_path / "home" / "landing")
    assert variables["warehouse_path"] == str(tmp_path / "home" / "warehouse" / "warehouse.duckdb")
    # The as-of is not a var: a var that changes every run would make dbt re-parse everything.
    assert "as_of" not in variables


def test_a_run_gets_its_as_of_from_the_setting_or_the_moment_it_is_requested():
    fixed = load_settings({"INSIGHTS_AS_OF": "2026-01-31T12:00:00+01:00"})
    assert run_as_of(as_of_tags(fixed.as_of)) == datetime(2026, 1, 31, 11, tzinfo=UTC)
    requested = run_as_of(as_of_tags(load_settings({}).as_of))
    assert (datetime.now(UTC) - requested).total_seconds() < 60
    assert run_as_of({AS_OF_TAG: "2026-02-01T00:00:00+00:00"}) == datetime(2026, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize("tags", [{}, {AS_OF_TAG: ""}, {AS_OF_TAG: "yesterday"},
                                  {AS_OF_TAG: "2026-02-01T00:00:00"}])
def test_a_run_without_a_valid_as_of_is_an_error(tags):
    with pytest.raises(MissingAsOf, match=AS_OF_TAG):
        run_as_of(tags)


def test_every_schedule_tags_its_runs_with_an_as_of():
    for schedule in defs.schedules:
        context = dg.build_schedule_context(scheduled_execution_time=datetime.now(UTC))
        request = next(iter(schedule.evaluate_tick(context).run_requests))
        assert run_as_of(request.tags), schedule.name
