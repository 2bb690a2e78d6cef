"""Every copy of the vocabulary (seeds, dbt tests, GX suites) matches pipelines/vocabulary."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from pipelines import vocabulary

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "dbt_project" / "seeds"

# The vocabulary a column holds wherever it appears; the backlog excludes OTHER on purpose.
COLUMN_VOCABULARY = {
    "category": set(vocabulary.CATEGORIES),
    "accounting_status": set(vocabulary.ACCOUNTING_STATUSES),
    "insights_status": set(vocabulary.INSIGHTS_STATUSES),
    "link_status": set(vocabulary.LINK_STATUSES),
    "vat_filing_frequency": set(vocabulary.VAT_FILING_FREQUENCIES),
    "access_level": set(vocabulary.ACCESS_LEVELS),
    "document_type": set(vocabulary.DOCUMENT_TYPES),
    "intake_channel": set(vocabulary.INTAKE_CHANNELS),
}
STATUS_CATEGORIES = set(vocabulary.CATEGORIES) - set(vocabulary.TOTAL_ONLY_CATEGORIES)
EXCEPTIONS = {("fct_client_backlog_daily", "category"): STATUS_CATEGORIES}


def _seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS / f"{name}.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_status_seed_maps_every_accounting_status_to_an_insights_status():
    rows = _seed("accounting_status_to_insights_status")
    assert sorted(r["accounting_status"] for r in rows) == sorted(vocabulary.ACCOUNTING_STATUSES)
    assert {r["insights_status"] for r in rows} == set(vocabulary.INSIGHTS_STATUSES)


def test_the_category_seed_lists_every_category_and_which_are_total_only():
    rows = _seed("category_url_slugs")
    assert sorted(r["category"] for r in rows) == sorted(vocabulary.CATEGORIES)
    assert {r["category"] for r in rows if r["has_status_breakdown"] == "false"} == set(
        vocabulary.TOTAL_ONLY_CATEGORIES
    )


def _dbt_accepted_values():
    for path in sorted((ROOT / "dbt_project" / "models").rglob("_*.yml")):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            for column in model.get("columns", []):
                for test in column.get("data_tests", []):
                    if isinstance(test, dict) and "accepted_values" in test:
                        spec = test["accepted_values"]
                        values = spec.get("arguments", spec).get("values")
                        yield model["name"], column["name"], values


ACCEPTED = [row for row in _dbt_accepted_values() if row[1] in COLUMN_VOCABULARY]


def test_the_dbt_accepted_values_are_found():
    assert len(ACCEPTED) >= 10


@pytest.mark.parametrize(("model", "column", "values"), ACCEPTED,
                         ids=[f"{m}.{c}" for m, c, _ in ACCEPTED])
def test_dbt_accepted_values_match_the_vocabulary(model, column, values):
    assert set(values) == EXCEPTIONS.get((model, column), COLUMN_VOCABULARY[column])


def _suite_value_sets():
    for path in sorted((ROOT / "expectations").glob("*.json")):
        for expectation in json.loads(path.read_text())["expectations"]:
            kwargs = expectation.get("kwargs", {})
            if kwargs.get("column") in COLUMN_VOCABULARY and "value_set" in kwargs:
                yield path.stem, kwargs["column"], kwargs["value_set"]


SUITE_SETS = list(_suite_value_sets())


@pytest.mark.parametrize(("suite", "column", "values"), SUITE_SETS,
                         ids=[f"{s}.{c}" for s, c, _ in SUITE_SETS])
def test_suite_value_sets_match_the_vocabulary(suite, column, values):
    assert len(SUITE_SETS) >= 7
    assert set(values) == COLUMN_VOCABULARY[column]
