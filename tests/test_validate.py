"""Validation splits every fetched record into landed or quarantined, with a reason."""

from datetime import UTC, date, datetime

import pytest

from pipelines.landing.validate import validate

SPACE = "11111111-1111-4111-8111-111111111111"
NOW = datetime(2026, 4, 1, tzinfo=UTC)


def document(**overrides):
    record = {
        "document_id": "22222222-2222-4222-8222-222222222222", "space_id": SPACE,
        "category": "SALES_INVOICE", "document_type": "INVOICE", "issue_date": "2026-03-30",
        "received_at": "2026-03-31T22:30:00Z", "accounting_status": "QUEUED",
        "total_excl_vat": "100.00", "vat_amount": "21.00", "total_incl_vat": "121.00",
        "created_at": "2026-03-31T22:30:00Z", "updated_at": "2026-04-01T00:15:00.5+02:00",
        "deleted_at": None, "field_from_a_newer_api": {"kept": True},
    }
    record.update(overrides)
    return record


def run(records):
    return validate("documents", records, batch_id="b1", extracted_at=NOW, source_space_id=SPACE)


def test_a_valid_record_lands_typed_in_utc_with_its_raw_text():
    result = run([document()])
    assert result.quarantined.height == 0
    row = result.landed.row(0, named=True)
    assert row["received_at"] == datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    assert row["updated_at"] == datetime(2026, 3, 31, 22, 15, 0, 500000, tzinfo=UTC)
    assert row["issue_date"] == date(2026, 3, 30)
    assert '"field_from_a_newer_api":{"kept":true}' in row["_raw"]
    assert row["_batch_id"] == "b1"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"category": "INVOICE_X"}, "category: unknown value INVOICE_X"),
        ({"document_id": None}, "document_id: missing"),
        ({"document_id": "42"}, "document_id: not a UUID"),
        ({"received_at": "2026-13-45T25:61:00Z"}, "received_at: unparseable timestamp"),
        ({"received_at": "2026-03-31T22:30:00"}, "received_at: unparseable timestamp"),
        ({"issue_date": "31/03/2026"}, "issue_date: unparseable date"),
        ({"space_id": "33333333-3333-4333-8333-333333333333"}, "space_id: does not match"),
        ({"total_excl_vat": "12,50 EUR"}, "total_excl_vat: not a decimal number"),
        ({"accounting_status": "DONE"}, "accounting_status: unknown value DONE"),
        ({"updated_at": None}, "updated_at: missing"),
    ],
)
def test_each_rule_quarantines_with_its_reason(overrides, reason):
    other = {"document_id": "44444444-4444-4444-8444-444444444444", **overrides}
    result = run([document(), document(**other)])
    assert result.landed.height == 1
    assert result.quarantined.height == 1
    assert reason in result.quarantined["reason"][0]
    assert result.quarantined["payload_sha256"][0]


def test_a_tombstone_needs_only_identifiers_and_timestamps():
    tombstone = {"document_id": "22222222-2222-4222-8222-222222222222", "space_id": SPACE,
                 "updated_at": "2026-04-01T10:00:00Z", "deleted_at": "2026-04-01T10:00:00Z"}
    assert run([tombstone]).landed.height == 1
    live_without_category = dict(tombstone, deleted_at=None)
    assert "category: missing" in run([live_without_category]).quarantined["reason"][0]


def test_wrongly_typed_json_values_are_named_and_the_rest_of_the_batch_lands():
    records = [document(), document(category={"nested": 1}), "not an object", document()]
    result = run(records)
    assert result.fetched == len(records)
    assert result.landed.height == 2
    reasons = list(result.quarantined["reason"])
    assert "category: expected a string, got an object" in reasons[0]
    assert reasons[1].startswith("record is not a JSON object")


def test_numbers_in_amount_fields_are_kept_as_decimal_text():
    result = run([document(total_excl_vat=100.5)])
    assert result.landed["total_excl_vat"][0] == "100.5"


def test_lists_validate_roles_and_booleans():
    user = {"id": "55555555-5555-4555-8555-555555555555", "email": "a@b.be",
            "display_name": "Zoë", "roles": ["ACCOUNTANT"], "active": True,
            "updated_at": "2026-01-01T00:00:00Z"}
    result = validate("users", [user, dict(user, roles=["ACCOUNTANT", "BOSS"]),
                                dict(user, active="yes")], batch_id="b", extracted_at=NOW)
    assert result.landed.height == 1
    reasons = list(result.quarantined["reason"])
    assert "roles: unknown value" in reasons[0]
    assert "active: expected a boolean, got a string" in reasons[1]


def test_json_numbers_and_booleans_in_text_fields_are_kept_as_their_text():
    # Built from the decoded records, or (past 64 bits) from the raw text: the same text.
    records = [document(document_number=12345, counterparty_name=True, total_excl_vat=1e20),
               document(document_id="44444444-4444-4444-8444-444444444444",
                        document_number=2**64 - 1)]
    landed = run(records).landed
    assert landed["document_number"].to_list() == ["12345", "18446744073709551615"]
    assert landed["counterparty_name"][0] == "true"
    assert landed["total_excl_vat"][0] == "100000000000000000000"


def test_reasons_name_long_values_among_many_valid_records():
    records = [document(document_id=f"22222222-2222-4222-8222-{i:012d}") for i in range(3000)]
    records[1234] = document(category="X" * 100, due_date="1")
    records[2345] = document(intake_channel="ab" * 50)
    result = run(records)
    assert result.landed.height == 2998
    reasons = list(result.quarantined["reason"])
    assert reasons[0] == f"category: unknown value {'X' * 60}; due_date: unparseable date 1"
    assert reasons[1] == f"intake_channel: unknown value {'ab' * 30}"
