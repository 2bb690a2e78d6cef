"""The generated world: determinism, coverage of every enum, and version invariants."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from pipelines.simulator import World, WorldConfig, build_world
from pipelines.simulator.vocab import (
    ACCOUNTING_STATUSES,
    CATEGORIES,
    INTAKE_CHANNELS,
    LINK_STATUSES,
    ROLES,
)
from tests.simulator.support import ANCHOR


def with_neighbours(versions: pl.DataFrame) -> pl.DataFrame:
    return versions.with_columns(
        previous_updated=pl.col("updated_at").shift(1).over("document_id"),
        next_updated=pl.col("updated_at").shift(-1).over("document_id"),
    )


def test_same_config_gives_identical_frames(small_sim_world: World) -> None:
    again = build_world(small_sim_world.config)
    assert again.versions.equals(small_sim_world.versions)
    assert again.spaces.equals(small_sim_world.spaces)
    assert again.assignments.equals(small_sim_world.assignments)
    assert again.spaces_at(ANCHOR) == small_sim_world.spaces_at(ANCHOR)
    other_seed = build_world(WorldConfig(seed=12, clients=24, history_days=200, anchor=ANCHOR))
    assert not other_seed.versions.equals(small_sim_world.versions)


def test_chunks_equal_the_full_frame(small_sim_world: World) -> None:
    chunks = list(small_sim_world.iter_version_chunks(clients_per_chunk=1))
    assert len(chunks) >= 1
    assert pl.concat(chunks).equals(small_sim_world.versions)


def test_every_enum_value_is_present(world: World) -> None:
    spaces = world.spaces_at(ANCHOR)
    assert {s["link_status"] for s in spaces} == set(LINK_STATUSES)
    assert {role for u in world.users_at(ANCHOR) for role in u["roles"]} == set(ROLES)
    versions = world.versions
    assert set(versions["category"].drop_nulls()) == set(CATEGORIES)
    assert set(versions["accounting_status"].drop_nulls()) == set(ACCOUNTING_STATUSES)
    assert set(versions["intake_channel"].drop_nulls()) == set(INTAKE_CHANNELS)
    assert {s["vat_filing_frequency"] for s in spaces} == {"MONTHLY", "QUARTERLY", "ANNUAL", "NONE"}


def test_space_mix_is_plausible(world: World) -> None:
    spaces = world.spaces_at(ANCHOR)
    active = sum(s["link_status"] == "ACTIVE" for s in spaces) / len(spaces)
    belgian = sum(s["country"] == "BE" for s in spaces) / len(spaces)
    assert 0.65 <= active <= 0.85 and 0.6 <= belgian <= 0.8
    for space in spaces:
        assert space["type"] == "BUSINESS"
        if space["country"] == "FR":
            assert 15 <= space["vat_deadline_day"] <= 24
    assert any(not s["name"].isascii() for s in spaces)
    assert any(s["vat_number"] is None for s in spaces)


def test_team_members(world: World) -> None:
    users = world.users_at(ANCHOR)
    assert 10 <= len(users) <= 14
    assert sum(not u["active"] for u in users) == 1
    assert any(len(u["roles"]) == 2 for u in users)
    assigned = {a["user_id"] for a in world.assignments_at(ANCHOR)}
    idle = [
        u for u in users if "ACCOUNTANT" in u["roles"] and u["active"] and u["id"] not in assigned
    ]
    assert idle, "one accountant has no assignment"


def test_future_window_changes_links_and_assignments(world: World) -> None:
    later = ANCHOR + timedelta(days=world.config.future_days)
    before = {s["id"]: s["link_status"] for s in world.spaces_at(ANCHOR)}
    after = {s["id"]: s["link_status"] for s in world.spaces_at(later)}
    moved = {before[i] + ">" + after[i] for i in before if before[i] != after[i]}
    assert moved & {"ACTIVE>ARCHIVED", "ACTIVE>LOST"}
    pairs = lambda at: {(a["user_id"], a["space_id"]) for a in world.assignments_at(at)}  # noqa: E731
    assert pairs(ANCHOR) - pairs(later) and pairs(later) - pairs(ANCHOR)


def test_versions_strictly_increase_and_visibility_is_ordered(world: World) -> None:
    versions = with_neighbours(world.versions)
    assert versions.filter(pl.col("previous_updated") >= pl.col("updated_at")).is_empty()
    assert versions.filter(pl.col("visible_at") < pl.col("updated_at")).is_empty()
    assert versions.filter(pl.col("visible_at") >= pl.col("next_updated")).is_empty()
    late = versions.filter(pl.col("visible_at") > pl.col("updated_at"))
    assert 0.01 < late.height / versions.height < 0.03
    delay = (late["visible_at"] - late["updated_at"]).dt.total_seconds()
    assert delay.min() >= 30 and delay.max() <= 300


def test_status_rules_hold_in_every_version(world: World) -> None:
    versions = world.versions
    processed = (pl.col("accounting_status") == "PROCESSED").fill_null(False)
    for column in ("processed_at", "processed_by"):
        assert versions.filter(processed != pl.col(column).is_not_null()).is_empty()
    other = versions.filter(pl.col("category") == "OTHER")
    assert other["accounting_status"].null_count() == other.height
    assert other["accounting_status_changed_at"].null_count() == other.height
    live = versions.filter(pl.col("deleted_at").is_null())
    assert live.filter(
        (pl.col("category") != "OTHER") & pl.col("accounting_status").is_null()
    ).is_empty()
    accountants = {u["id"] for u in world.users_at(ANCHOR) if "ACCOUNTANT" in u["roles"]}
    assert set(versions["processed_by"].drop_nulls()) <= accountants


def test_document_fields_are_consistent(world: World) -> None:
    live = world.versions.filter(pl.col("deleted_at").is_null())
    pairs = set(live.select("category", "document_type").unique().iter_rows())
    assert pairs == {
        ("SALES_INVOICE", "INVOICE"), ("SALES_INVOICE", "CREDIT_NOTE"),
        ("PURCHASE_INVOICE", "INVOICE"), ("PURCHASE_INVOICE", "CREDIT_NOTE"),
        ("PURCHASE_RECEIPT", "RECEIPT"), ("ENRICHED_MOVEMENT_REPORT", "BANK_STATEMENT"),
        ("OTHER", "OTHER"),
    }  # fmt: skip
    reports = live.filter(pl.col("category") == "ENRICHED_MOVEMENT_REPORT")
    assert set(reports["intake_channel"]) == {"BANK_FEED"}
    amounts = live.drop_nulls("total_incl_vat")
    to_cents = lambda c: pl.col(c).str.replace(".", "", literal=True).cast(pl.Int64)  # noqa: E731
    assert amounts.filter(
        to_cents("total_excl_vat") + to_cents("vat_amount") != to_cents("total_incl_vat")
    ).is_empty()
    assert amounts["total_incl_vat"].str.contains(r"^-?\d+\.\d{2}$").all()
    null_issue = live["issue_date"].null_count() / live.height
    assert 0.01 < null_issue < 0.06
    early = live.filter(pl.col("issue_date") > pl.col("received_at").dt.date())
    assert early.is_empty()


def test_tombstones_keep_only_identifiers_and_timestamps(world: World) -> None:
    tombstones = world.versions.filter(pl.col("deleted_at").is_not_null())
    documents = world.versions["document_id"].n_unique()
    assert 0.005 < tombstones.height / documents < 0.02
    assert (tombstones["deleted_at"] == tombstones["updated_at"]).all()
    for column in ("category", "accounting_status", "total_incl_vat", "processed_at"):
        assert tombstones[column].null_count() == tombstones.height


def test_bulk_updates_share_updated_at_across_pages(world: World) -> None:
    current = world.current_documents(ANCHOR)
    groups = current.group_by("space_id", "updated_at").len()
    assert groups["len"].max() > 1000
    assert groups.filter(pl.col("len").is_between(5, 1000)).height > 10


def test_size_skew_and_rendering_offsets(world: World) -> None:
    sizes = world.current_documents(ANCHOR).group_by("space_id").len()["len"].sort(descending=True)
    top = max(1, round(0.05 * world.config.clients))
    assert 0.3 < sizes.head(top).sum() / sizes.sum() < 0.55
    offsets = set(world.versions["render_offset_minutes"])
    assert offsets == {0, 60, 120, -300, 330}
    whole = (world.versions["updated_at"].dt.microsecond() == 0).mean()
    assert 0.2 < whole < 0.5


def test_recent_documents_are_still_open(world: World) -> None:
    current = world.current_documents(ANCHOR)
    recent = current.filter(pl.col("received_at") > ANCHOR - timedelta(days=7))
    old = current.filter(pl.col("received_at") < ANCHOR - timedelta(days=180))
    open_share = lambda f: (f["accounting_status"] != "PROCESSED").mean()  # noqa: E731
    assert open_share(recent) > 0.5 > 0.05 > open_share(old)


def test_clock_horizon_holds_future_arrivals(world: World) -> None:
    now = world.current_documents(ANCHOR).height
    later = world.current_documents(ANCHOR + timedelta(days=world.config.future_days)).height
    assert later > now
    assert world.versions["updated_at"].max() <= ANCHOR + timedelta(days=world.config.future_days)


def test_a_user_holds_at_most_one_assignment_per_space():
    from collections import Counter
    from datetime import timedelta

    from pipelines.simulator import WorldConfig, build_world

    world = build_world(WorldConfig(seed=7, clients=150))
    for days in (-700, -365, 0, 20):
        now = world.config.anchor + timedelta(days=days)
        pairs = Counter((a["user_id"], a["space_id"]) for a in world.assignments_at(now))
        assert max(pairs.values()) == 1
