"""Split fetched records into typed rows to land and rejected rows to quarantine.

Each record is decoded once (orjson, by the API client). Its raw text is kept (orjson again,
serialising the decoded record), and the typed columns are built straight from the decoded
records when every field is a text field (documents); Polars then checks timestamps, enum
domains, UUIDs and decimals, all vectorised. Entities with typed JSON fields (a number, a
boolean, a list) are decoded by Polars from the raw text instead. Only a batch holding a value
Polars cannot decode into the declared shape (an object where text belongs, a record that is
not an object) takes the slower per-record path, which names each such value in the reason.
A JSON number or boolean in a text field is kept as its text. Every fetched record ends in
exactly one of the two frames: fetched = landed + quarantined.

The rules are evaluated in two steps: a cheap yes/no per row over the whole batch, and the
reason text only for the rows that fail (usually none), so a clean batch never builds one.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime

import orjson
import polars as pl

from pipelines.landing.records import ENTITY_FIELDS, LINEAGE_SCHEMA, QUARANTINE_SCHEMA, Field

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
DECIMAL_PATTERN = r"^[+-]?[0-9]+(\.[0-9]+)?$"
RFC3339_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%:z"
SPACE_MISMATCH = "space_id: does not match the space that was read"
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
    plan = _plan(fields)
    no_problem = plan.no_problem
    raw = pl.Series("_raw", raws, dtype=pl.String)
    if all(type(record) is dict for record in records):
        if plan.text_only:
            # Every field is text: the decoded records give the columns directly (an absent key
            # or null is null). Polars turns a JSON number or boolean into its text exactly as
            # decoding the raw text would; any value it cannot take (an object, an array, an
            # integer past 64 bits) fails the batch here and the raw text decides below.
            try:
                decoded = pl.from_dicts(records, schema=plan.shape)
                return decoded.with_columns(__json_problem=no_problem, _raw=raw)
            except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
                pass
        try:
            decoded = raw.str.json_decode(pl.Struct(plan.shape)).struct.unnest()
            return decoded.with_columns(__json_problem=no_problem, _raw=raw)
        except pl.exceptions.PolarsError:
            pass  # some value has the wrong JSON type: find and name it record by record
    columns, json_problems = _columns(fields, records)
    return pl.DataFrame(
        {**columns, "__json_problem": json_problems, "_raw": raws},
        schema={**plan.shape, "__json_problem": pl.String, "_raw": pl.String},
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


def _space_rule(source_space_id: str) -> tuple[pl.Expr, pl.Expr]:
    raw = pl.col("space_id")
    return raw.is_not_null() & (raw != source_space_id), pl.lit(SPACE_MISMATCH)


def _rules(spec: Field, source_space_id: str | None) -> list[tuple[pl.Expr, pl.Expr]]:
    """One (fails, reason) pair per rule: where `fails` is true the rule gives `reason`."""
    raw, parsed, name = pl.col(spec.name), pl.col(f"__parsed_{spec.name}"), spec.name
    sample = raw.str.slice(0, 60)
    live = pl.col("__is_live")
    rules: list[tuple[pl.Expr, pl.Expr]] = []
    if spec.required:
        rules.append((raw.is_null(), pl.lit(f"{name}: missing")))
    if spec.required_live:
        rules.append((raw.is_null() & live, pl.lit(f"{name}: missing")))
    if spec.kind == "uuid":
        rules.append((raw.is_not_null() & ~raw.str.contains(UUID_PATTERN),
                      pl.format(f"{name}: not a UUID: {{}}", sample)))
    elif spec.kind == "enum":
        rules.append((raw.is_not_null() & ~raw.is_in(spec.values),
                      pl.format(f"{name}: unknown value {{}}", sample)))
    elif spec.kind == "enum_list":
        unknown = raw.list.eval(~pl.element().is_in(spec.values)).list.any()
        rules.append((raw.is_not_null() & unknown, pl.lit(f"{name}: unknown value")))
    elif spec.kind in ("timestamp", "date"):
        rules.append((raw.is_not_null() & parsed.is_null(),
                      pl.format(f"{name}: unparseable {spec.kind} {{}}", sample)))
    elif spec.kind == "decimal":
        rules.append((raw.is_not_null() & ~raw.str.contains(DECIMAL_PATTERN),
                      pl.format(f"{name}: not a decimal number: {{}}", sample)))
    elif spec.kind == "int" and name == "vat_deadline_day":
        rules.append((raw.is_not_null() & ~raw.is_between(1, 31),
                      pl.lit(f"{name}: must be a day of the month (1-31)")))
    if name == "space_id" and source_space_id is not None:
        rules.append(_space_rule(source_space_id))
    return rules


@dataclass(frozen=True)
class _Plan:
    """The expressions of one entity, built once (the source space's rule is added per batch)."""

    shape: dict[str, pl.DataType]  # each field as JSON gives it
    text_only: bool  # every field is JSON text (or null)
    parsed: dict[str, pl.Expr]
    fails: tuple[pl.Expr, ...]  # every rule but the source space's, as a yes/no per row
    typed: tuple[pl.Expr, ...]  # the landed fields, typed
    no_problem: pl.Expr  # `__json_problem` of a batch that decoded whole


@functools.cache
def _plan(fields: tuple[Field, ...]) -> _Plan:
    shape = {f.name: (f.dtype if f.kind in ("int", "bool", "enum_list") else pl.String)
             for f in fields}
    return _Plan(
        shape=shape,
        text_only=all(dtype == pl.String for dtype in shape.values()),
        parsed={f"__parsed_{f.name}": _parsed(f) for f in fields},
        fails=tuple(fails for f in fields for fails, _ in _rules(f, None)),
        typed=tuple(pl.col(f"__parsed_{f.name}").cast(f.dtype).alias(f.name) for f in fields),
        no_problem=pl.lit(None, dtype=pl.String),
    )


@functools.lru_cache(maxsize=64)
def _lineage(batch_id: str, extracted_at: datetime) -> tuple[pl.Expr, ...]:
    """The lineage columns of a run (the same for every batch of the run: built once)."""
    return (pl.lit(batch_id, dtype=pl.String).alias("_batch_id"),
            pl.lit(extracted_at).cast(LINEAGE_SCHEMA["_extracted_at"]).alias("_extracted_at"))


def validate(
    entity: str,
    records: list,
    *,
    batch_id: str,
    extracted_at: datetime,
    source_space_id: str | None = None,
) -> Validated:
    fields = ENTITY_FIELDS[entity]
    plan = _plan(fields)
    raws = [orjson.dumps(r).decode() for r in records]
    frame = _decoded(fields, records, raws)
    deleted = pl.col("deleted_at").is_null() if "deleted_at" in frame.columns else pl.lit(True)
    fails = [pl.col("__json_problem").is_not_null(), *plan.fails]
    if source_space_id is not None and "space_id" in plan.shape:
        fails.append(_space_rule(source_space_id)[0])
    # A rule whose test is null (a null compared) does not fail, as in the reasons below.
    # Two eager steps: on a batch of a few thousand rows the lazy optimiser costs more than
    # it saves.
    checked = frame.with_columns(__is_live=deleted, **plan.parsed).with_columns(
        __rejected=pl.any_horizontal(fails).fill_null(False)
    )
    lineage = _lineage(batch_id, extracted_at)
    if not checked["__rejected"].any():  # the usual case: no reason to build, nothing to quarantine
        landed = checked.select(*plan.typed, *lineage, pl.col("_raw"))
        return Validated(landed=landed, quarantined=pl.DataFrame(schema=QUARANTINE_SCHEMA))
    landed = checked.filter(~pl.col("__rejected")).select(*plan.typed, *lineage, pl.col("_raw"))
    rules = [r for f in fields for r in _rules(f, source_space_id)]
    reason = pl.concat_list(
        [pl.col("__json_problem"), *[pl.when(fails).then(text) for fails, text in rules]]
    ).list.drop_nulls().list.join("; ")
    # One chunk per column: Polars 1.x can panic evaluating when/then over a filtered frame
    # whose columns are split in several chunks.
    quarantined = checked.filter(pl.col("__rejected")).rechunk().select(
        *lineage,
        entity=pl.lit(entity),
        source_space_id=pl.lit(source_space_id, dtype=pl.String),
        reason=reason,
        _raw=pl.col("_raw"),
    )
    quarantined = quarantined.with_columns(
        payload_sha256=pl.Series([_sha256(raw) for raw in quarantined["_raw"]], dtype=pl.String)
    ).select(list(QUARANTINE_SCHEMA)).cast(QUARANTINE_SCHEMA)
    return Validated(landed=landed, quarantined=quarantined)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
