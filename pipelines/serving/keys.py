"""How each mart is laid out where it is served: declared once, in the marts' dbt YAML
(`config.meta.serving` of each model in dbt_project/models/marts/_marts__models.yml), read here
from the parsed manifest by both publishers.

- `sort_by`: the order the DuckDB publish writes the rows in. Dashboards filter on one client
  and a date range; rows in this order give each Parquet row group a narrow client and date
  range, so DuckDB's min/max statistics skip the rest of the file (benchmarks/results/scale.md).
- `index`: the columns of the PostgreSQL publish's index (row-level security filters on
  client_id on every query, dashboards on the date too).
A mart without a declaration is published unsorted and without an index. A publish reads the
declarations once (`serving_keys()`) and checks each mart's against its columns (`keys_of`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class ServingKeys:
    sort_by: tuple[str, ...] = ()
    index: tuple[str, ...] = ()


NONE = ServingKeys()


class ServingKeysError(RuntimeError):
    """A mart's declaration names columns the mart does not have."""


@cache
def _declared(manifest_path: str, modified_ns: int) -> dict[str, ServingKeys]:
    nodes = json.loads(Path(manifest_path).read_text())["nodes"].values()
    return {node["name"]: ServingKeys(tuple(serving.get("sort_by", ())),
                                      tuple(serving.get("index", ())))
            for node in nodes
            if node["resource_type"] == "model"
            and (serving := node["config"].get("meta", {}).get("serving"))}


def serving_keys() -> dict[str, ServingKeys]:
    """mart name -> its declared keys (only marts that declare them)."""
    from pipelines.dbt_manifest import ensure_manifest

    manifest = ensure_manifest()
    return _declared(str(manifest), manifest.stat().st_mtime_ns)


def keys_of(mart: str, columns: Iterable[str], declared: dict[str, ServingKeys]) -> ServingKeys:
    """The mart's keys from `declared` (serving_keys()), refused when they name a column the
    mart does not have; NONE for a mart without a declaration."""
    keys, present = declared.get(mart, NONE), set(columns)
    for kind, names in (("sort_by", keys.sort_by), ("index", keys.index)):
        if missing := [name for name in names if name not in present]:
            raise ServingKeysError(f"{mart}: meta.serving.{kind} names columns it does not "
                                   f"have: {', '.join(missing)}")
    return keys
