"""A version log written before it kept a column (here created_at, which the backlog's
reconstruction reads) is filled in by the next ordinary build: that one build reads every
landing, and the warehouse then equals a full refresh, table by table."""

from __future__ import annotations

import pytest

from tests.dbt.support import INCREMENTAL_MODELS, MARTS, statuses, table_differences


@pytest.fixture(scope="module")
def upgraded(history, tmp_path_factory):
    root = tmp_path_factory.mktemp("version_log_upgrade")
    warehouse = history.incremental.copy(root / "upgraded.duckdb")
    warehouse.execute("alter table main.int_document_versions drop column created_at")
    build = warehouse.dbt("build", "--exclude-resource-type", "unit_test",
                          landing_dir=history.landing, as_of=history.as_of)
    failed = {k: v for k, v in statuses(build).items() if v not in ("success", "pass")}
    assert build.success and not failed, failed
    return warehouse


def test_the_added_column_is_filled_in_every_version(upgraded):
    counts = upgraded.query("select count(*) as versions, count(created_at) as with_created_at"
                            " from main.int_document_versions")
    assert counts["versions"][0] > 0
    assert counts["with_created_at"][0] == counts["versions"][0]


@pytest.mark.parametrize("relation", [f"marts.{m}" for m in MARTS]
                         + [f"main.{m}" for m in INCREMENTAL_MODELS])
def test_the_upgraded_warehouse_equals_a_full_refresh(upgraded, full_refresh, relation):
    rows, only_upgraded, only_full = table_differences(upgraded.path, full_refresh.path, relation)
    assert rows > 0
    assert (only_upgraded, only_full) == (0, 0), (
        f"{relation}: {only_upgraded} rows only after the upgrade, {only_full} only in the full"
        " refresh"
    )
