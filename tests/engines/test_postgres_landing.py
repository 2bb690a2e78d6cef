"""The loader that copies the Parquet landing zone into PostgreSQL schema `landing`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.landing.zone import LandingZone
from pipelines.warehouse_targets.postgres_landing import (
    LandingLoadError,
    load_landing,
    main,
    postgres_type,
)
from tests.postgres_server import running_server

MOMENT = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def dsn():
    with running_server() as server:
        yield server.publisher_dsn


@pytest.fixture(autouse=True)
def empty_database(dsn):
    """Each test starts without the schemas a previous one left."""
    with psycopg.connect(dsn) as connection:
        connection.execute("drop schema if exists landing cascade")
        connection.execute("drop schema if exists main cascade")


def _write(path: Path, rows: dict) -> None:
    """A landing file written by hand, with exactly the Arrow types given (and the zero-row
    schema file of its folder), where the landing zone puts such a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(rows)
    pq.write_table(table.slice(0, 0), LandingZone.schema_file(path.parent))
    pq.write_table(table, path)


@pytest.fixture
def landing(tmp_path) -> Path:
    root = tmp_path / "landing"
    zone = LandingZone(root)
    _write(zone.documents_file("s1", "b1"), {
        "document_id": ["d1", "d2"], "space_id": ["s1", "s1"],
        "updated_at": pa.array([MOMENT, MOMENT], pa.timestamp("us", tz="UTC")),
        "issue_date": pa.array([MOMENT.date(), None], pa.date32()),
        "_batch_id": ["b1", "b1"],
    })
    _write(zone.entity_file("spaces", "b1"), {"id": ["s1"], "vat_deadline_day": [None]})
    _write(zone.entity_file("users", "b1"), {
        "id": ["u1"], "roles": pa.array([["ACCOUNTANT", "ADMINISTRATOR"]],
                                        pa.large_list(pa.large_string())),
        "active": [True],
    })
    _write(zone.entity_file("assignments", "b1"), {"user_id": ["u1"], "space_id": ["s1"]})
    _write(zone.batch_record_file("documents", "b1"), {"batch_id": ["b1"], "fetched": [2]})
    return root


def _query(dsn: str, sql: str) -> list[tuple]:
    with psycopg.connect(dsn) as connection:
        return connection.execute(sql).fetchall()


def test_every_landing_table_is_copied_with_its_types(dsn, landing):
    counts = load_landing(landing, dsn)
    assert counts == {"documents": 2, "spaces": 1, "users": 1, "assignments": 1, "batches": 1,
                      "holds": 0}  # a landing zone from before the holds gets an empty one
    types = dict(_query(dsn, "select table_name || '.' || column_name, data_type"
                             " from information_schema.columns where table_schema = 'landing'"))
    assert types["documents.updated_at"] == "timestamp with time zone"
    assert types["documents.issue_date"] == "date"
    assert types["users.roles"] == "ARRAY"
    assert types["users.active"] == "boolean"
    assert types["batches.fetched"] == "bigint"
    assert _query(dsn, "select roles, updated_at from landing.users, landing.documents"
                       " where document_id = 'd1'") == [(["ACCOUNTANT", "ADMINISTRATOR"], MOMENT)]


def test_a_rerun_replaces_the_tables(dsn, landing):
    load_landing(landing, dsn)
    with psycopg.connect(dsn) as connection:
        connection.execute("insert into landing.spaces (id) values ('stray')")
    load_landing(landing, dsn)
    assert _query(dsn, "select id from landing.spaces") == [("s1",)]


def test_a_reload_keeps_the_views_reading_the_tables(dsn, landing):
    load_landing(landing, dsn)
    with psycopg.connect(dsn) as connection:
        connection.execute("create schema if not exists main")
        connection.execute("create view main.stg_spaces as select id from landing.spaces")
    _write(LandingZone(landing).entity_file("spaces", "b2"), {"id": ["s2"], "country": ["BE"]})
    load_landing(landing, dsn)
    assert _query(dsn, "select id from main.stg_spaces order by id") == [("s1",), ("s2",)]
    assert _query(dsn, "select country from landing.spaces where id = 's2'") == [("BE",)]


def test_a_column_whose_type_changed_is_named(dsn, landing):
    load_landing(landing, dsn)
    _write(LandingZone(landing).entity_file("assignments", "b1"),
           {"user_id": [1], "space_id": ["s1"]})
    with pytest.raises(LandingLoadError, match="'assignments', column 'user_id': the files hold"
                                               " bigint, the table text"):
        load_landing(landing, dsn)


def test_files_are_combined_by_column_name(dsn, landing):
    _write(LandingZone(landing).entity_file("spaces", "b2"), {"id": ["s2"], "country": ["BE"]})
    assert load_landing(landing, dsn)["spaces"] == 2
    assert _query(dsn, "select id, country from landing.spaces order by id") == [
        ("s1", None), ("s2", "BE"),
    ]


def test_a_failed_load_leaves_the_previous_tables(dsn, landing):
    load_landing(landing, dsn)
    with psycopg.connect(dsn) as connection:
        connection.execute("delete from landing.documents")
    # users is copied after documents; a column PostgreSQL has no type for stops the load
    _write(LandingZone(landing).entity_file("users", "b2"), {
        "id": ["u2"], "profile": pa.array([{"x": 1}], pa.struct([("x", pa.int64())])),
    })
    with pytest.raises(LandingLoadError, match="landing table 'users', column 'profile'"):
        load_landing(landing, dsn)
    assert _query(dsn, "select count(*) from landing.documents") == [(0,)]


def test_errors_name_what_is_wrong(dsn, tmp_path, landing, capsys):
    with pytest.raises(LandingLoadError, match="does not exist"):
        load_landing(tmp_path / "nowhere", dsn)
    for path in LandingZone(landing).batch_record_file("documents", "b1").parent.iterdir():
        path.unlink()  # every run record and the schema file: no file for table 'batches'
    with pytest.raises(LandingLoadError, match="no Parquet files for landing table 'batches'"):
        load_landing(landing, dsn)
    assert main([str(tmp_path / "nowhere"), "--dsn", dsn]) == 1
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(LandingLoadError, match="no PostgreSQL type"):
        postgres_type(pa.map_(pa.string(), pa.string()))


def test_the_command_line_prints_the_rows_loaded(dsn, landing, capsys):
    assert main([str(landing), "--dsn", dsn]) == 0
    assert "landing.documents: 2 rows" in capsys.readouterr().out
