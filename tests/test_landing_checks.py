"""The landing checks fail on the bad case they exist for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from pipelines.assets.landing import quarantine_check, reconciliation_check
from pipelines.checks.freshness import landing_is_fresh, marts_are_fresh
from pipelines.landing.zone import LandingZone
from tests.conftest import make_settings, write_serving_file


def test_reconciliation_fails_when_a_fetched_record_is_unaccounted_for():
    assert reconciliation_check({"fetched": 10, "landed": 9, "quarantined": 1}).passed
    lost = reconciliation_check({"fetched": 10, "landed": 8, "quarantined": 1})
    assert not lost.passed and lost.severity == dg.AssetCheckSeverity.ERROR


def test_quarantine_share_warns_on_a_few_and_blocks_above_the_share():
    assert quarantine_check(1000, 0, 0.01, {}).passed
    few = quarantine_check(1000, 5, 0.01, {"x": 5})
    assert not few.passed and few.severity == dg.AssetCheckSeverity.WARN
    many = quarantine_check(1000, 50, 0.01, {"x": 50})
    assert not many.passed and many.severity == dg.AssetCheckSeverity.ERROR


def _batch(home, extracted_at):
    zone = LandingZone(home / "landing")
    with zone.writing():
        zone.record_batch("documents", "b1", {
            "extracted_at": extracted_at, "status": "ok", "fetched": 1, "landed": 1,
            "new_versions": 1, "quarantined": 0, "failures": "[]",
        })


def test_freshness_checks_fail_on_old_data(tmp_path):
    now = datetime.now(UTC)
    fresh_home, stale_home = tmp_path / "fresh", tmp_path / "stale"
    for home, age in ((fresh_home, timedelta(minutes=10)), (stale_home, timedelta(hours=30))):
        _batch(home, now - age)
        write_serving_file(home, now - age)
    for check in (landing_is_fresh, marts_are_fresh):
        assert check(settings=make_settings(fresh_home)).passed
        stale = check(settings=make_settings(stale_home))
        assert not stale.passed and stale.severity == dg.AssetCheckSeverity.WARN
        tighter = check(settings=make_settings(fresh_home, INSIGHTS_MAX_DATA_AGE_MINUTES=5))
        assert not tighter.passed  # the bound is configurable
