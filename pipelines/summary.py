"""The summary printed after a refresh: data as of, clients, documents, who needs attention."""

from __future__ import annotations

from pathlib import Path

import duckdb

ATTENTION_SQL = """
select priority_rank, client_name, documents_accountant_action_needed,
       oldest_open_accountant_action_days, days_to_filing_deadline, priority_score
from marts.mart_client_overview
order by priority_rank
limit ?
"""


def serving_summary(serving_path: Path, top: int = 10) -> list[str]:
    if not serving_path.exists():
        return [f"(no serving database at {serving_path} yet)"]
    with duckdb.connect(str(serving_path), read_only=True) as con:
        as_of = con.execute("select max(data_as_of) from marts.mart_client_overview").fetchone()[0]
        clients = con.execute("select count(*) from marts.mart_client_overview").fetchone()[0]
        all_clients = con.execute("select count(*) from marts.dim_clients").fetchone()[0]
        documents = con.execute("select count(*) from marts.fct_documents").fetchone()[0]
        rows = con.execute(ATTENTION_SQL, [top]).fetchall()
    lines = [
        f"Serving database: {serving_path}",
        f"Data as of {as_of:%Y-%m-%d %H:%M} UTC: {clients} active clients (of {all_clients}), "
        f"{documents:,} live documents.",
        "",
        "Clients needing attention first:",
        f"{'rank':>4}  {'client':<34}{'for accountant':>15}{'oldest (d)':>11}"
        f"{'deadline in (d)':>16}{'score':>8}",
    ]
    for rank, name, backlog, oldest, days_left, score in rows:
        lines.append(
            f"{rank:>4}  {name[:33]:<34}{backlog:>15,}{_or_dash(oldest):>11}"
            f"{_or_dash(days_left):>16}{score:>8.1f}"
        )
    return lines


def _or_dash(value) -> str:
    return "-" if value is None else str(value)
