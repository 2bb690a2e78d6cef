"""Split fetched records into typed rows to land and rejected rows to quarantine.

The raw text of each record is kept (orjson), then Polars decodes the batch and checks
timestamps, enum domains, UUIDs and decimals, all vectorised. Only a batch holding a value
Polars cannot decode into the declared shape (an object where text belongs, a record that is
not an object) takes the slower per-record path, which names each such value in the reason.
A JSON number or boolean in a text field is kept as its text. Every fetched record ends in
exactly one of the two frames: fetched = landed + quarantined.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import orjson
import polars as pl

from pipelines.landing.records import ENTITY_FIELDS, LINEAGE_SCHEMA, QUARANTINE_SCHEMA, Field

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
DECIMAL_PATTERN = r"^[+-]?[0-9]+(\.[0-9]+)?$"
RFC3339_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%:z"
_JSON_TYPES = {str: "a string", bool: "a boolean", int: "a number", float: "a number",
               list: "an array", dict: "an object", type(None): "null"}


@dataclass(frozen=True)
class Validated:
    landed: pl.DataFrame
    quarantined: pl.DataFrame

    @property
    def fetched(self) -> int:
        return self.landed.height + self.quarantined.height


def _json_type_problem(spec: Field, value: object) -> str | None:
    """The JSON-level type check Polars cannot do without failing the whole batch."""
    if value is None:
        return None
    expected = {"int": (int,), "bool": (bool,), "enum_list": (list,)}.get(spec.kind, (str,))
    if spec.kind == "decimal":
        expected = (str, int, float)
    ok = isinstance(value, expected) and not (spec.kind == "int" and isinstance(value, bool))
    if ok and spec.kind == "enum_list":
        ok = all(isinstance(item, str) for item in value)
    if ok:
        return None
    return f"{spec.name}: expected {_JSON_TYPES.get(expected[0], 'a string')}, got " \
           f"{_JSON_TYPES.get(type(value), type(value).__name__)}"


def _columns(fields: tuple[Field, ...], records: list) -> tuple[dict[str, list], list[str | None]]:
    """Column lists of JSON values (wrongly typed ones as null) and a JSON-type reason per row."""
    columns: dict[str, list] = {spec.name: [] for spec in fields}
    problems: list[str | None] = []
    for record in records:
        if not isinstance(record, dict):
            record, row_problems = {}, ["record is not a JSON object"]
        else:
            row_problems = []
        for spec in fields:
            value = record.get(spec.name)
            problem = _json_type_problem(spec, value)
            if problem:
                row_problems.append(problem)
                value = None
            elif spec.kind == "decimal" and isinstance(value, int | float):
                value = repr(value)
            columns[spec.name].append(value)
        problems.append("; ".join(row_problems) or None)
    return columns, problems


def _decoded(fields: tuple[Field, ...], records: list, raws: list[str]) -> pl.DataFrame:
    """One column per field as JSON gave it, `__json_problem` and `_raw`."""
    shape = {f.name: (f.dtype if f.kind in ("int", "bool", "enum_list") else pl.String)
             for f in fields}
    raw = pl.Series("_raw", raws, dtype=pl.String)
    if all(type(record) is dict for record in records):
        try:
            decoded = raw.str.json_decode(pl.Struct(shape)).struct.unnest()
            return decoded.with_columns(__json_problem=pl.lit(None, dtype=pl.String), _raw=raw)
        except pl.exceptions.PolarsError:
            pass  # some value has the wrong JSON type: find and name it record by record
    columns, json_problems = _columns(fields, records)
    return pl.DataFrame(
        {**columns, "__json_problem": json_problems, "_raw": raws},
        schema={**shape, "__json_problem": pl.String, "_raw": pl.String},
        strict=False,
    )


def _parsed(spec: Field) -> pl.Expr:
    column = pl.col(spec.name)
    if spec.kind == "timestamp":
        return column.str.replace(r"[zZ]$", "+00:00").str.to_datetime(
            RFC3339_FORMAT, strict=False, time_zone="UTC", time_unit="us"
        )
    if spec.kind == "date":
        return column.str.to_date("%Y-%m-%d", strict=False)
    return column


def _problems(spec: Field, source_space_id: str | None) -> list[pl.Expr]:
    """One expression per rule: the reason text where the rule fails, else null."""
    raw, parsed, name = pl.col(spec.name), pl.col(f"__parsed_{spec.name}"), spec.name
    live = pl.col("__is_live")
    rules: list[pl.Expr] = []
    if spec.required:
        rules.append(pl.when(raw.is_null()).then(pl.lit(f"{name}: missing")))
    if spec.required_live:
        rules.append(pl.when(raw.is_null() & live).then(pl.lit(f"{name}: missing")))
    if spec.kind == "uuid":
        rules.append(pl.when(raw.is_not_null() & ~raw.str.contains(UUID_PATTERN))
                     .then(pl.format(f"{name}: not a UUID: {{}}", raw.str.slice(0, 60))))
    elif spec.kind == "enum":
        rules.append(pl.when(raw.is_not_null() & ~raw.is_in(spec.values))
                     .then(pl.format(f"{name}: unknown value {{}}", raw.str.slice(0, 60))))
    elif spec.kind == "enum_list":
        unknown = raw.list.eval(~pl.element().is_in(spec.values)).list.any()
        rules.append(pl.when(raw.is_not_null() & unknown).then(pl.lit(f"{name}: unknown value")))
    elif spec.kind in ("timestamp", "date"):
        rules.append(pl.when(raw.is_not_null() & parsed.is_null())
                     .then(pl.format(f"{name}: unparseable {spec.kind} {{}}",
                                     raw.str.slice(0, 60))))
    elif spec.kind == "decimal":
        rules.append(pl.when(raw.is_not_null() & ~raw.str.contains(DECIMAL_PATTERN))
                     .then(pl.format(f"{name}: not a decimal number: {{}}", raw.str.slice(0, 60))))
    elif spec.kind == "int" and name == "vat_deadline_day":
        rules.append(pl.when(raw.is_not_null() & ~raw.is_between(1, 31))
                     .then(pl.lit(f"{name}: must be a day of the month (1-31)")))
    if name == "space_id" and source_space_id is not None:
        rules.append(pl.when(raw.is_not_null() & (raw != source_space_id))
                     .then(pl.lit("space_id: does not match the space that was read")))
    return rules


def validate(
    entity: str,
    records: list,
    *,
    batch_id: str,
    extracted_at: datetime,
    source_space_id: str | None = None,
) -> Validated:
    fields = ENTITY_FIELDS[entity]
    raws = [orjson.dumps(r).decode() for r in records]
    frame = _decoded(fields, records, raws)
    deleted = pl.col("deleted_at").is_null() if "deleted_at" in frame.columns else pl.lit(True)
    rules = [pl.col("__json_problem")] + [r for f in fields for r in _problems(f, source_space_id)]
    # One lazy plan, collected once, keeps the per-batch overhead low.
    checked = (
        frame.lazy()
        .with_columns(__is_live=deleted, **{f"__parsed_{f.name}": _parsed(f) for f in fields})
        .with_columns(
            __reason=pl.concat_list(rules).list.drop_nulls().list.join("; ").replace("", None)
        )
    )
    lineage = {"_batch_id": pl.lit(batch_id), "_extracted_at": pl.lit(extracted_at)}
    landed = (
        checked.filter(pl.col("__reason").is_null())
        .select(*[pl.col(f"__parsed_{f.name}").alias(f.name) for f in fields],
                pl.col("_raw"), **lineage)
        .cast({**{f.name: f.dtype for f in fields}, **LINEAGE_SCHEMA})
        .select(*[f.name for f in fields], *LINEAGE_SCHEMA)
    )
    rejected = checked.filter(pl.col("__reason").is_not_null()).select(
        **lineage,
        entity=pl.lit(entity),
        source_space_id=pl.lit(source_space_id, dtype=pl.String),
        reason=pl.col("__reason"),
        _raw=pl.col("_raw"),
    )
    landed, quarantined = pl.collect_all([landed, rejected])
    if quarantined.is_empty():  # the usual case: skip the per-row hashing and casts
        return Validated(landed=landed, quarantined=pl.DataFrame(schema=QUARANTINE_SCHEMA))
    quarantined = quarantined.with_columns(
        payload_sha256=pl.Series([_sha256(raw) for raw in quarantined["_raw"]], dtype=pl.String)
    ).select(list(QUARANTINE_SCHEMA)).cast(QUARANTINE_SCHEMA)
    return Validated(landed=landed, quarantined=quarantined)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
