"""The shape of each source entity: its fields, their kinds, and which are required.

One table per entity drives validation, typed landing columns and the quarantine reasons,
so a field added to the contract is added here once.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.vocabulary import (
    ACCESS_LEVELS,
    ACCOUNTING_STATUSES,
    CATEGORIES,
    DOCUMENT_TYPES,
    INTAKE_CHANNELS,
    LINK_STATUSES,
    ROLES,
    VAT_FILING_FREQUENCIES,
)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # uuid | text | enum | timestamp | date | decimal | int | bool | enum_list
    required: bool = False  # on every record
    required_live: bool = False  # on every record that is not a tombstone
    values: tuple[str, ...] = ()  # the domain of an enum

    @property
    def dtype(self) -> pl.DataType:
        return {
            "timestamp": pl.Datetime("us", "UTC"),
            "date": pl.Date(),
            "int": pl.Int64(),
            "bool": pl.Boolean(),
            "enum_list": pl.List(pl.String),
        }.get(self.kind, pl.String())


SPACE_FIELDS = (
    Field("id", "uuid", required=True),
    Field("name", "text", required=True),
    Field("type", "text"),
    Field("vat_number", "text"),
    Field("country", "text", required=True),
    Field("link_status", "enum", required=True, values=LINK_STATUSES),
    Field("vat_filing_frequency", "enum", required=True, values=VAT_FILING_FREQUENCIES),
    Field("vat_deadline_day", "int"),
    Field("created_at", "timestamp"),
    Field("updated_at", "timestamp", required=True),
)

USER_FIELDS = (
    Field("id", "uuid", required=True),
    Field("email", "text"),
    Field("display_name", "text"),
    Field("roles", "enum_list", required=True, values=ROLES),
    Field("active", "bool", required=True),
    Field("updated_at", "timestamp", required=True),
)

ASSIGNMENT_FIELDS = (
    Field("user_id", "uuid", required=True),
    Field("space_id", "uuid", required=True),
    Field("access_level", "enum", required=True, values=ACCESS_LEVELS),
    Field("assigned_at", "timestamp"),
)

DOCUMENT_FIELDS = (
    Field("document_id", "uuid", required=True),
    Field("space_id", "uuid", required=True),
    Field("category", "enum", required_live=True, values=CATEGORIES),
    Field("document_type", "enum", values=DOCUMENT_TYPES),
    Field("document_number", "text"),
    Field("issue_date", "date"),
    Field("due_date", "date"),
    Field("received_at", "timestamp", required_live=True),
    Field("intake_channel", "enum", values=INTAKE_CHANNELS),
    Field("business_status", "text"),
    Field("accounting_status", "enum", values=ACCOUNTING_STATUSES),
    Field("accounting_status_changed_at", "timestamp"),
    Field("processed_at", "timestamp"),
    Field("processed_by", "uuid"),
    Field("currency", "text"),
    Field("total_excl_vat", "decimal"),
    Field("vat_amount", "decimal"),
    Field("total_incl_vat", "decimal"),
    Field("counterparty_name", "text"),
    Field("created_at", "timestamp"),
    Field("updated_at", "timestamp", required=True),
    Field("deleted_at", "timestamp"),
)

ENTITY_FIELDS = {
    "spaces": SPACE_FIELDS,
    "users": USER_FIELDS,
    "assignments": ASSIGNMENT_FIELDS,
    "documents": DOCUMENT_FIELDS,
}

# Columns every landed row carries next to the typed fields.
LINEAGE_SCHEMA = {
    "_batch_id": pl.String,
    "_extracted_at": pl.Datetime("us", "UTC"),
    "_raw": pl.String,
}

QUARANTINE_SCHEMA = {
    "_batch_id": pl.String,
    "_extracted_at": pl.Datetime("us", "UTC"),
    "entity": pl.String,
    "source_space_id": pl.String,
    "reason": pl.String,
    "payload_sha256": pl.String,
    "_raw": pl.String,
}


BATCH_SCHEMA = {
    "batch_id": pl.String,
    "entity": pl.String,
    "extracted_at": pl.Datetime("us", "UTC"),
    "status": pl.String,  # ok | failed_spaces
    "fetched": pl.Int64,
    "landed": pl.Int64,
    "new_versions": pl.Int64,
    "quarantined": pl.Int64,
    "failures": pl.String,  # JSON list of {space_id, status, error}
}


def landed_schema(entity: str) -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {f.name: f.dtype for f in ENTITY_FIELDS[entity]}
    schema.update(LINEAGE_SCHEMA)
    return schema
