"""The summary printed after a refresh: data as of, clients, documents, who needs attention."""

from __future__ import annotations

from pathlib import Path

from pipelines.read_model.connection import Database
from pipelines.read_model.queries import serving_totals


def serving_summary(serving_path: Path, top: int = 10) -> list[str]:
    if not serving_path.exists():
        return [f"(no serving database at {serving_path} yet)"]
    with Database(serving_path).open() as reader:
        totals = serving_totals(reader, top)
    as_of, clients = totals["as_of"], totals["active_clients"]
    all_clients, documents = totals["all_clients"], totals["documents"]
    lines = [
        f"Serving database: {serving_path}",
        f"Data as of {as_of:%Y-%m-%d %H:%M} UTC: {clients} active clients (of {all_clients}), "
        f"{documents:,} live documents.",
        "",
        "Clients needing attention first:",
        f"{'rank':>4}  {'client':<34}{'for accountant':>15}{'oldest (d)':>11}"
        f"{'deadline in (d)':>16}{'score':>8}",
    ]
    for row in totals["attention"]:
        rank, name, backlog, oldest, days_left, score = row.values()
        lines.append(
            f"{rank:>4}  {name[:33]:<34}{backlog:>15,}{_or_dash(oldest):>11}"
            f"{_or_dash(days_left):>16}{score:>8.1f}"
        )
    return lines


def _or_dash(value) -> str:
    return "-" if value is None else str(value)
