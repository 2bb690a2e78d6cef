"""The PostgreSQL column type of each DuckDB column type the marts use."""

from __future__ import annotations

import re

_EXACT = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(38, 0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20, 0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def postgres_type(duckdb_type: str, column: str) -> str:
    """Map a DuckDB type name; an unknown type stops the publish naming the column."""
    name = duckdb_type.upper().strip()
    if name in _EXACT:
        return _EXACT[name]
    decimal = _DECIMAL.fullmatch(name)
    if decimal:
        return f"numeric({decimal.group(1)}, {decimal.group(2)})"
    raise ValueError(
        f"column {column} has DuckDB type {duckdb_type}, which has no PostgreSQL mapping "
        "in pipelines/serving/postgres_types.py"
    )
