"""End to end: the session's published firm (tests/published_firm.py), then the marts' figures,
row by row.

The expected rows are computed in Polars from the simulator's own state (tests/e2e/
expected_marts.py), following the output contract, never by re-running the project's SQL.
The firm is read twice (the second refresh incremental), four simulated days apart, with one
client's link ending in between, so documents landed earlier must leave the marts.
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from tests.e2e.expected_marts import Expected, check_priority_rank
from tests.published_firm import FIRST_READ, LAST_READ, TIMEZONE, URL_TEMPLATE

FLOAT_RELATIVE_TOLERANCE = 1e-9
SHOW_ROWS = 5


MARTS = [
    "fct_documents",
    "fct_client_category_daily",
    "mart_client_overview",
    "mart_vat_period_progress",
    "mart_team_member_workload",
]


@pytest.fixture(scope="module")
def run(published_firm):
    """(expected, {mart: frame read from the serving database}) after the last refresh."""
    serving = published_firm.serving_path
    assert serving == published_firm.home / "serving" / "insights.duckdb"
    assert serving.exists(), f"the refresh produced no serving database at {serving}"
    with duckdb.connect(str(serving), read_only=True) as connection:
        connection.execute("set TimeZone = 'UTC'")
        tables = {name: connection.sql(f"select * from marts.{name}").pl() for name in MARTS}
    expected = Expected(published_firm.world, now=LAST_READ, as_of=LAST_READ,
                        timezone=TIMEZONE, url_template=URL_TEMPLATE)
    return expected, tables


# --- comparison ----------------------------------------------------------------------------------
def _kind(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or isinstance(dtype, pl.Decimal):
        return "number"
    if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum):
        return "text"
    return type(dtype).__name__ if not dtype.is_nested() else "nested"


def _type_problems(name: str, actual: pl.DataFrame, schema: pl.Schema) -> list[str]:
    """A lossless comparison needs the same kind of value (no float counts, no text dates)."""
    problems = []
    for column, dtype in schema.items():
        served = actual.schema[column]
        if _kind(served) != _kind(dtype) and not (
            _kind(dtype) == "number" and _kind(served) == "integer"
        ):
            problems.append(f"{name}.{column}: served as {served}, expected a {dtype} value")
    return problems


def _conform(actual: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Cast the served columns to the expected types (integers of any width, decimals as
    floats, timestamps as UTC: naive values mean UTC per the contract)."""
    columns = []
    for name, dtype in schema.items():
        column, served = pl.col(name), actual.schema[name]
        if isinstance(dtype, pl.Datetime):
            if isinstance(served, pl.Datetime) and served.time_zone is None:
                column = column.dt.replace_time_zone("UTC")
            column = column.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        else:
            column = column.cast(dtype)
        columns.append(column.alias(name))
    return actual.select(columns)


def _show(frame: pl.DataFrame) -> str:
    with pl.Config(
        tbl_rows=SHOW_ROWS * 2,
        tbl_cols=-1,
        fmt_str_lengths=80,
        tbl_width_chars=400,
        tbl_hide_dataframe_shape=True,
    ):
        return str(frame)


def differences(
    name: str, actual: pl.DataFrame, expected: pl.DataFrame, key: list[str]
) -> list[str]:
    """Problems found comparing the served mart with the expected rows, first rows shown."""
    missing = [c for c in expected.columns if c not in actual.columns]
    if missing:
        return [f"{name}: the contract's columns {missing} are missing"]
    wrong_types = _type_problems(name, actual, expected.schema)
    if wrong_types:
        return wrong_types
    actual = _conform(actual.select(expected.columns), expected.schema).sort(key)
    expected = expected.sort(key)
    problems = []
    duplicated = actual.filter(pl.struct(key).is_duplicated())
    if duplicated.height:
        problems.append(
            f"{name}: {duplicated.height} rows share a key {key}:\n"
            f"{_show(duplicated.head(SHOW_ROWS))}"
        )
    absent = expected.join(actual, on=key, how="anti", nulls_equal=True)
    if absent.height:
        problems.append(
            f"{name}: {absent.height} expected rows are missing, e.g.:\n"
            f"{_show(absent.head(SHOW_ROWS))}"
        )
    extra = actual.join(expected, on=key, how="anti", nulls_equal=True)
    if extra.height:
        problems.append(
            f"{name}: {extra.height} rows are not expected, e.g.:\n{_show(extra.head(SHOW_ROWS))}"
        )
    both = expected.join(actual, on=key, how="inner", suffix="__served", nulls_equal=True)
    for column in expected.columns:
        if column in key:
            continue
        want, got = pl.col(column), pl.col(f"{column}__served")
        if expected.schema[column].is_float():
            close = (want - got).abs() <= FLOAT_RELATIVE_TOLERANCE * pl.max_horizontal(
                want.abs(), got.abs()
            )
            same = (want.is_null() & got.is_null()) | close.fill_null(False)
        else:
            same = want.eq_missing(got)
        differing = both.filter(~same)
        if differing.height:
            shown = differing.select(
                *key, pl.col(column).alias("expected"), got.alias("served")
            ).head(SHOW_ROWS)
            problems.append(
                f"{name}.{column}: {differing.height} of {both.height} rows differ, "
                f"first ones:\n{_show(shown)}"
            )
    return problems


def assert_same_rows(name, actual, expected, key):
    problems = differences(name, actual, expected, key)
    assert not problems, "\n\n".join(problems)


# --- tests ---------------------------------------------------------------------------------------
def test_the_scenario_covers_the_interesting_cases(run):
    expected, _ = run
    world = expected.world
    overview = expected.client_overview()
    active = set(overview["client_id"])
    # One client was ACTIVE at the earlier reads and is not at the last one.
    earlier = {s["id"] for s in world.spaces_at(FIRST_READ) if s["link_status"] == "ACTIVE"}
    assert earlier - active, "no client stopped being active between the refreshes"
    # An ACTIVE client whose documents answer 403: in the marts, without documents.
    revoked = world.revoked_space_ids & active
    assert revoked, "no active client with revoked document access"
    revoked_rows = overview.filter(pl.col("client_id").is_in(list(revoked)))
    assert revoked_rows["documents_total"].to_list() == [0] * len(revoked)
    assert set(overview["vat_filing_frequency"]) == {"MONTHLY", "QUARTERLY", "ANNUAL", "NONE"}
    # deadline == as_of_date: March stays the filing period of a BE monthly filer.
    assert overview.filter(pl.col("days_to_filing_deadline") == 0).height
    assert expected.as_of_date.isoformat() == "2026-04-20"
    docs = expected.documents
    assert docs["issue_date"].null_count() > 0, "no document falls back on its received date"


def test_fct_documents_rows_per_client(run):
    expected, served = run
    facts = served["fct_documents"]
    assert facts.height == expected.documents.height, (
        f"fct_documents has {facts.height} rows, expected {expected.documents.height} "
        "live documents of readable active clients"
    )
    per_client = facts.group_by("client_id").agg(documents=pl.len())
    assert_same_rows(
        "fct_documents (rows per client)",
        per_client,
        expected.documents_per_client(),
        ["client_id"],
    )
    served_ids, expected_ids = set(facts["document_id"]), set(expected.documents["document_id"])
    assert served_ids == expected_ids, (
        f"fct_documents: {len(expected_ids - served_ids)} live documents missing, e.g. "
        f"{sorted(expected_ids - served_ids)[:3]}; {len(served_ids - expected_ids)} unexpected, "
        f"e.g. {sorted(served_ids - expected_ids)[:3]}"
    )


def test_fct_client_category_daily(run):
    expected, served = run
    assert_same_rows(
        "fct_client_category_daily",
        served["fct_client_category_daily"],
        expected.client_category_daily(),
        ["client_id", "category", "activity_date"],
    )


def test_mart_client_overview(run):
    expected, served = run
    overview = served["mart_client_overview"]
    assert_same_rows("mart_client_overview", overview, expected.client_overview(), ["client_id"])
    problems = check_priority_rank(overview)
    assert not problems, "\n".join(problems)


def test_mart_vat_period_progress(run):
    expected, served = run
    assert_same_rows(
        "mart_vat_period_progress",
        served["mart_vat_period_progress"],
        expected.vat_period_progress(),
        ["client_id", "vat_period_start"],
    )


def test_mart_team_member_workload(run):
    expected, served = run
    assert_same_rows(
        "mart_team_member_workload",
        served["mart_team_member_workload"],
        expected.team_member_workload(),
        ["user_id"],
    )
