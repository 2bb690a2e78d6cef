"""The spaces, users and assignments suites: a real landed batch passes, each defect fails."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from pipelines.checks.gx_suites import validate_frame
from tests.checks.support import failures, set_where

NOT_NULL = "expect_column_values_to_not_be_null"
IN_SET = "expect_column_values_to_be_in_set"
REGEX = "expect_column_values_to_match_regex"
OF_TYPE = "expect_column_values_to_be_of_type"
BETWEEN = "expect_column_values_to_be_between"
UNIQUE = "expect_column_values_to_be_unique"
ANY = pl.lit(True)
OTHER_UUID = "00000000-0000-4000-8000-000000000000"

SPACES = {
    "duplicated id": (lambda f: pl.concat([f, f.head(1)]), (UNIQUE, "id")),
    "unknown link_status": (lambda f: set_where(f, ANY, link_status="PAUSED"),
                            (IN_SET, "link_status")),
    "unknown vat_filing_frequency": (
        lambda f: set_where(f, ANY, vat_filing_frequency="WEEKLY"),
        (IN_SET, "vat_filing_frequency")),
    "type other than BUSINESS": (lambda f: set_where(f, ANY, type="PERSONAL"), (IN_SET, "type")),
    "vat_deadline_day 32": (lambda f: set_where(f, ANY, vat_deadline_day=32),
                            (BETWEEN, "vat_deadline_day")),
    "vat_deadline_day 0": (lambda f: set_where(f, ANY, vat_deadline_day=0),
                           (BETWEEN, "vat_deadline_day")),
    "country of three letters": (lambda f: set_where(f, ANY, country="BEL"), (REGEX, "country")),
    "country in lower case": (lambda f: set_where(f, ANY, country="be"), (REGEX, "country")),
    "null name": (lambda f: set_where(f, ANY, name=None), (NOT_NULL, "name")),
    "null link_status": (lambda f: set_where(f, ANY, link_status=None),
                         (NOT_NULL, "link_status")),
    "id not a UUID": (lambda f: set_where(f, ANY, id="space-1"), (REGEX, "id")),
    "updated before created": (
        lambda f: set_where(f, ANY, created_at=f["updated_at"][0] + timedelta(days=1)),
        ("expect_column_pair_values_a_to_be_greater_than_b", "updated_at,created_at")),
    "vat_deadline_day as text": (
        lambda f: f.with_columns(pl.col("vat_deadline_day").cast(pl.String)),
        {(OF_TYPE, "vat_deadline_day"), (BETWEEN, "vat_deadline_day")}),
}

USERS = {
    "duplicated id": (lambda f: pl.concat([f, f.head(1)]), (UNIQUE, "id")),
    "no roles": (lambda f: set_where(f, ANY, roles=[]), (REGEX, "roles")),
    "unknown role": (lambda f: set_where(f, ANY, roles=["ACCOUNTANT", "OWNER"]),
                     (REGEX, "roles")),
    "null roles": (lambda f: set_where(f, ANY, roles=None), (NOT_NULL, "roles")),
    "null active": (lambda f: set_where(f, ANY, active=None), (NOT_NULL, "active")),
    "null id": (lambda f: set_where(f, ANY, id=None), (NOT_NULL, "id")),
    "email without @": (lambda f: set_where(f, pl.col("email").is_not_null(), email="nobody"),
                        (REGEX, "email")),
    "active as text": (lambda f: f.with_columns(pl.col("active").cast(pl.String)),
                       (OF_TYPE, "active")),
}

ASSIGNMENTS = {
    "duplicated (user_id, space_id)": (
        lambda f: pl.concat([f, f.head(1).with_columns(access_level=pl.lit("VIEW"))]),
        ("expect_compound_columns_to_be_unique", "user_id,space_id")),
    "unknown access_level": (lambda f: set_where(f, ANY, access_level="ADMIN"),
                             (IN_SET, "access_level")),
    "null user_id": (lambda f: set_where(f, ANY, user_id=None), (NOT_NULL, "user_id")),
    "null access_level": (lambda f: set_where(f, ANY, access_level=None),
                          (NOT_NULL, "access_level")),
    "space_id not a UUID": (lambda f: set_where(f, ANY, space_id="client-1"),
                            (REGEX, "space_id")),
    # The rules on the missing column cannot be evaluated and fail too.
    "a landed column missing": (lambda f: f.drop("assigned_at"),
                                {("expect_table_columns_to_match_set", None),
                                 (OF_TYPE, "assigned_at")}),
}

CASES = [(f"landed_{entity}", name, *case)
         for entity, cases in (("spaces", SPACES), ("users", USERS), ("assignments", ASSIGNMENTS))
         for name, case in cases.items()]


def _good(landed, suite: str) -> pl.DataFrame:
    return getattr(landed, suite.removeprefix("landed_"))


@pytest.mark.parametrize("suite", ["landed_spaces", "landed_users", "landed_assignments"])
def test_a_real_landed_batch_passes(landed, suite):
    frame = _good(landed, suite)
    assert frame.height > 1
    outcome = validate_frame(suite, frame)
    assert outcome.success, outcome.to_dict()
    assert outcome.evaluated > 10


@pytest.mark.parametrize(("suite", "case", "corrupt", "expected"), CASES,
                         ids=[f"{s}: {n}" for s, n, *_ in CASES])
def test_each_defect_fails_its_expectation(landed, suite, case, corrupt, expected):
    outcome = validate_frame(suite, corrupt(_good(landed, suite)))
    assert not outcome.success
    expected = expected if isinstance(expected, set) else {expected}
    assert failures(outcome) == expected, outcome.to_dict()


def test_a_valid_id_that_occurs_twice_with_other_values_is_still_a_duplicate(landed):
    spaces = landed.spaces
    twin = spaces.head(1).with_columns(name=pl.lit("Another name"))
    outcome = validate_frame("landed_spaces", pl.concat([spaces, twin]))
    assert failures(outcome) == {(UNIQUE, "id")}
    assert outcome.failed[0].unexpected_count == 2
