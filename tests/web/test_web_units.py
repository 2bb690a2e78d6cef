"""Pure parts of the page: the date presets, the as-of date, the language choice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipelines.web.dates import as_of_date, preset_range
from pipelines.web.i18n import LABELS, pick_language

TODAY = date(2026, 1, 14)


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("this_month", (date(2026, 1, 1), date(2026, 1, 31))),
        ("last_month", (date(2025, 12, 1), date(2025, 12, 31))),  # across the year end
        ("this_quarter", (date(2026, 1, 1), date(2026, 3, 31))),
        ("this_year", (date(2026, 1, 1), date(2026, 12, 31))),
        ("vat_period", None),  # a NONE filer has no VAT period
        ("custom", None),
    ],
)
def test_presets(preset, expected):
    assert preset_range(preset, TODAY) == expected


def test_quarter_and_month_ends():
    assert preset_range("this_quarter", date(2026, 11, 30)) == (date(2026, 10, 1),
                                                                 date(2026, 12, 31))
    assert preset_range("this_month", date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert preset_range("last_month", date(2026, 3, 31)) == (date(2026, 2, 1), date(2026, 2, 28))
    period = (date(2026, 1, 1), date(2026, 3, 31))
    assert preset_range("vat_period", TODAY, period) == period


def test_the_as_of_date_is_local():
    late = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    assert as_of_date(late, "Europe/Brussels") == date(2026, 4, 1)
    assert as_of_date(late.replace(tzinfo=None), "Europe/Brussels") == date(2026, 4, 1)
    assert as_of_date(late, "UTC") == date(2026, 3, 31)


def test_language_choice():
    assert pick_language(None, None, None) == "en"
    assert pick_language(None, None, "nl-BE,nl;q=0.9,en;q=0.8") == "nl"
    assert pick_language(None, None, "de-DE,fr;q=0.8") == "fr"
    assert pick_language(None, "fr", "nl-BE") == "fr"
    assert pick_language("nl", "fr", "en") == "nl"
    assert pick_language("xx", None, None) == "en"


def test_every_label_in_three_languages():
    assert all(text for labels in LABELS.values() for text in labels.values())
    assert LABELS["nl"]["documents_processed"] == "Verwerkt"
    assert LABELS["fr"]["go_to_documents"] == "Voir les documents"
