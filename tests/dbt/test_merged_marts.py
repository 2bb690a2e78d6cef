"""The marts merged on what changed (fct_documents, fct_client_category_daily) equal a full
build after the changes that reach rows no new document version names: the as-of date moving
on (the age of open work), a client archived or changing its VAT filing frequency, and a
changed rule (the link template). Each step also shows that it changed the figures it
targets, so a merge that missed the change would fail the comparison."""

from __future__ import annotations

import shutil
from datetime import timedelta

import polars as pl
import pytest

from pipelines.landing.zone import LandingZone, new_batch_id
from tests.dbt.support import MARTS, Warehouse, statuses, table_differences

MERGED = ("fct_documents", "fct_client_category_daily")
OTHER_TEMPLATE = "https://documents.example/{client_id}/{category}/{status}"


def _build(warehouse: Warehouse, *args: str, **kwargs) -> None:
    result = warehouse.dbt("build", *args, "--exclude-resource-type", "unit_test", **kwargs)
    failed = {k: v for k, v in statuses(result).items() if v not in ("success", "pass")}
    assert result.success and not failed, failed


def _differences(incremental: Warehouse, full: Warehouse) -> dict[str, tuple[int, int]]:
    differing = {}
    for mart in MARTS:
        _, only_incremental, only_full = table_differences(incremental.path, full.path,
                                                           f"marts.{mart}")
        if only_incremental or only_full:
            differing[mart] = (only_incremental, only_full)
    return differing


def _land_space_changes(landing, as_of) -> tuple[str, str]:
    """A new spaces batch: one active client with documents archived, another active one
    moved from monthly to quarterly filing. Returns (archived, refiled) client ids."""
    zone = LandingZone(landing)
    spaces = zone.scan("spaces").collect()
    latest = spaces.sort("updated_at", "_batch_id").group_by("id").last()
    with_documents = set(LandingZone(landing).scan_documents().select("space_id")
                         .unique().collect()["space_id"])
    active = latest.filter((pl.col("link_status") == "ACTIVE") & pl.col("id").is_in(with_documents))
    archived = active.sort("id")["id"][0]
    refiled = active.filter(pl.col("vat_filing_frequency") == "MONTHLY").sort("id")["id"][-1]
    batch_id = new_batch_id()
    changed = latest.with_columns(
        link_status=pl.when(pl.col("id") == archived).then(pl.lit("ARCHIVED"))
        .otherwise(pl.col("link_status")),
        vat_filing_frequency=pl.when(pl.col("id") == refiled).then(pl.lit("QUARTERLY"))
        .otherwise(pl.col("vat_filing_frequency")),
        updated_at=pl.when(pl.col("id").is_in([archived, refiled]))
        .then(pl.lit(as_of - timedelta(minutes=1)).dt.replace_time_zone("UTC"))
        .otherwise(pl.col("updated_at")),
        _batch_id=pl.lit(batch_id),
    ).select(spaces.columns)
    with zone.writing():
        zone.land_entity("spaces", changed, batch_id)
    return archived, refiled


@pytest.fixture(scope="module")
def merged(history, tmp_path_factory):
    """The dbt history's warehouse and landing zone taken through three more builds, each
    compared with a full build of the same state."""
    root = tmp_path_factory.mktemp("merged_marts")
    landing = root / "landing"
    shutil.copytree(history.landing, landing)
    incremental = history.incremental.copy(root / "incremental.duckdb")
    steps = {}

    def step(name: str, as_of, extra_vars=None) -> None:
        before = {mart: incremental.query(f"select * from marts.{mart}") for mart in MERGED}
        _build(incremental, landing_dir=landing, as_of=as_of, extra_vars=extra_vars)
        full = Warehouse(root / f"full_{name}.duckdb", root / f"full_{name}-dbt")
        _build(full, "--full-refresh", landing_dir=landing, as_of=as_of, extra_vars=extra_vars)
        after = {mart: incremental.query(f"select * from marts.{mart}") for mart in MERGED}
        steps[name] = {"before": before, "after": after,
                       "differences": _differences(incremental, full)}

    later = history.as_of + timedelta(days=3)
    step("as_of_moved", later)
    archived, refiled = _land_space_changes(landing, later + timedelta(hours=1))
    step("clients_changed", later + timedelta(hours=1))
    step("rule_changed", later + timedelta(hours=1),
         extra_vars={"documents_url_template": OTHER_TEMPLATE})
    return {"steps": steps, "archived": archived, "refiled": refiled}


@pytest.mark.parametrize("name", ["as_of_moved", "clients_changed", "rule_changed"])
def test_every_mart_equals_a_full_build_after_the_step(merged, name):
    assert merged["steps"][name]["differences"] == {}


def test_moving_the_as_of_date_ages_the_open_documents(merged):
    step = merged["steps"]["as_of_moved"]
    ages = [frame.filter(pl.col("open_age_days").is_not_null())
            .select("document_id", "open_age_days") for frame in
            (step["before"]["fct_documents"], step["after"]["fct_documents"])]
    joined = ages[0].join(ages[1], on="document_id", suffix="_after")
    assert joined.height > 0
    assert (joined["open_age_days_after"] - joined["open_age_days"]).unique().to_list() == [3]


def test_an_archived_client_leaves_and_a_refiled_one_moves_period(merged):
    step = merged["steps"]["clients_changed"]
    for mart in MERGED:
        before, after = step["before"][mart], step["after"][mart]
        assert before.filter(pl.col("client_id") == merged["archived"]).height > 0
        assert after.filter(pl.col("client_id") == merged["archived"]).height == 0
    periods = [frame.filter(pl.col("client_id") == merged["refiled"])["vat_period_start"]
               .drop_nulls().unique().sort().to_list()
               for frame in (step["before"]["fct_documents"], step["after"]["fct_documents"])]
    assert periods[0] != periods[1]
    assert all(start.month in (1, 4, 7, 10) for start in periods[1])


def test_a_changed_rule_replaces_every_row(merged):
    step = merged["steps"]["rule_changed"]
    for mart in MERGED:
        urls = step["after"][mart]["action_url"]
        assert urls.len() > 0 and urls.str.starts_with("https://documents.example/").all()
