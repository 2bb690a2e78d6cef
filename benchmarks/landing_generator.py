"""Generate a simulated firm straight into the Parquet landing zone, at millions of documents.

The landing zone gets exactly what a first full extraction at `anchor` would land (see
pipelines/landing/zone.py): the small lists through the pipeline's own list extraction
(validate, de-duplicate, land), and the document versions visible at `anchor` of every
readable ACTIVE space, one file per space (where `LandingZone.documents_file` puts it)
in the landed schema (records.landed_schema: typed fields, `_raw`, `_batch_id`,
`_extracted_at`), plus one run record per entity. Document versions skip the HTTP round trip
and the per-record validation (that path is what benchmarks/extraction_throughput.py
measures); their values are the ones the validated landing would hold.

Versions that become visible after `anchor` are kept aside (`future/`), so that
`land_next_batch` can later land the next extraction's batch: the simulator's own next
versions (status changes, new and deleted documents) up to the instant at which a chosen
share of the documents has changed.

Memory stays bounded: the simulator streams whole client blocks and each chunk is written
before the next is generated. Two worker processes split the blocks (the machine has 2 CPUs).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from pipelines.extraction.documents import ExtractionRun
from pipelines.extraction.lists import extract_list
from pipelines.landing.marks import MarkStore
from pipelines.landing.records import DOCUMENT_FIELDS, LINEAGE_SCHEMA, landed_schema
from pipelines.landing.zone import LandingZone
from pipelines.simulator import WorldConfig, build_world
from pipelines.simulator.generate import BLOCK_CLIENTS, block_count, generate_block

ANCHOR = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
# 1600 clients per million requested: at seed 7 they land ~1.07M documents of readable
# spaces (a little more than asked, never less); documents scale
# linearly with the number of clients.
DOCUMENTS_PER_CLIENT = 1_000_000 / 1600
DOCUMENT_SCHEMA = landed_schema("documents")
FIELD_NAMES = [f.name for f in DOCUMENT_FIELDS]


def clients_for(documents: int) -> int:
    return max(BLOCK_CLIENTS, round(documents / DOCUMENTS_PER_CLIENT))


def batch_id_at(moment: datetime, tag: str) -> str:
    """Sortable like zone.new_batch_id, deterministic for a benchmark."""
    return f"{moment:%Y%m%dT%H%M%S}Z-{tag}"


@dataclass(frozen=True)
class Job:
    config: WorldConfig
    blocks: tuple[int, ...]
    readable: frozenset[str]
    landing: str
    future: str
    batch_id: str
    extracted_at: datetime
    with_raw: bool


class _Lists:
    """The list endpoints of a client, answered by the world at a fixed instant."""

    def __init__(self, world, now: datetime):
        self.world, self.now = world, now

    def list_spaces(self) -> list:
        return self.world.spaces_at(self.now)

    def list_users(self) -> list:
        return self.world.users_at(self.now)

    def list_assignments(self) -> list:
        return self.world.assignments_at(self.now)


def land_lists(world, zone: LandingZone, state: Path, batch_id: str, now: datetime) -> dict:
    """spaces, users, assignments through the pipeline's list extraction, with run records."""
    run = ExtractionRun(zone=zone, marks=MarkStore(state), batch_id=batch_id, extracted_at=now,
                        lookback=timedelta(minutes=10))
    counts = {}
    for entity in ("spaces", "users", "assignments"):
        outcome = extract_list(_Lists(world, now), run, entity)
        zone.record_batch(entity, batch_id, {
            "extracted_at": now, "status": "ok", "fetched": outcome.fetched,
            "landed": outcome.landed, "new_versions": outcome.new_versions,
            "quarantined": outcome.quarantined, "failures": "[]",
        })
        counts[entity] = outcome.new_versions
    return counts


def readable_spaces(world, now: datetime) -> list[str]:
    return sorted(s["id"] for s in world.spaces_at(now)
                  if s["link_status"] == "ACTIVE" and world.space_accessible(s["id"], now))


def to_landed(versions: pl.DataFrame, batch_id: str, extracted_at: datetime,
              with_raw: bool) -> pl.DataFrame:
    """Simulator versions -> the landed document schema (what validate() would produce)."""
    frame = versions.select(FIELD_NAMES).cast(
        {name: DOCUMENT_SCHEMA[name] for name in FIELD_NAMES}
    )
    raw = (pl.struct(FIELD_NAMES).struct.json_encode() if with_raw
           else pl.lit(None, dtype=pl.String))
    return frame.with_columns(
        _batch_id=pl.lit(batch_id), _extracted_at=pl.lit(extracted_at), _raw=raw,
    ).select(list(DOCUMENT_SCHEMA)).cast(LINEAGE_SCHEMA)


def write_by_space(frame: pl.DataFrame, landing: Path, batch_id: str) -> int:
    """One file per space, as the extraction lands a space's chunk. Written by the worker
    processes of `generate`, whose parent holds the writer lock meanwhile."""
    zone = LandingZone(landing)
    files = 0
    for (space_id,), part in frame.partition_by("space_id", as_dict=True).items():
        target = zone.documents_file(space_id, batch_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        part.write_parquet(target, compression="zstd", statistics=True)
        files += 1
    return files


def _land_blocks(job: Job) -> dict:
    """Worker: generate the given blocks, land the visible versions, keep the future aside."""
    world = build_world(job.config)
    readable = pl.Series(sorted(job.readable))
    anchor = job.extracted_at
    versions = documents = files = 0
    # A few blocks at a time: whole spaces per chunk, so each space gets one file.
    step = 4
    for start in range(0, len(job.blocks), step):
        frames = [generate_block(job.config, block, world.spaces, world.processors,
                                 world.users["id"])[0] for block in job.blocks[start:start + step]]
        frames = [f for f in frames if len(f)]
        if not frames:
            continue
        chunk = pl.concat(frames).filter(pl.col("space_id").is_in(readable.implode()))
        visible = chunk.filter(pl.col("visible_at") <= anchor)
        later = chunk.filter(pl.col("visible_at") > anchor)
        landed = to_landed(visible, job.batch_id, job.extracted_at, job.with_raw)
        files += write_by_space(landed, Path(job.landing), job.batch_id)
        versions += landed.height
        documents += landed["document_id"].n_unique()
        if later.height:
            later.write_parquet(Path(job.future) / f"blocks-{job.blocks[start]:05d}.parquet")
    return {"versions": versions, "documents": documents, "files": files}


def generate(home: Path, documents: int, seed: int = 7, workers: int = 2,
             with_raw: bool = True, progress=print) -> dict:
    """A landing zone under home/landing with about `documents` documents at ANCHOR."""
    config = WorldConfig(seed=seed, clients=clients_for(documents), anchor=ANCHOR)
    started = time.perf_counter()
    world = build_world(config)
    zone = LandingZone(home / "landing")
    with zone.writing():  # every landing write under the writer lock, the workers' included
        return _generate(world, config, zone, home, workers, with_raw, started, progress)


def _generate(world, config: WorldConfig, zone: LandingZone, home: Path, workers: int,
              with_raw: bool, started: float, progress) -> dict:
    seed = config.seed
    zone.ensure_layout()
    batch_id = batch_id_at(ANCHOR, "full0000")
    lists = land_lists(world, zone, home / "state", batch_id, ANCHOR)
    readable = frozenset(readable_spaces(world, ANCHOR))
    future = home / "future"
    future.mkdir(parents=True, exist_ok=True)
    blocks = list(range(block_count(config)))
    jobs = [Job(config, tuple(blocks[i::workers]), readable, str(zone.root), str(future),
                batch_id, ANCHOR, with_raw) for i in range(workers)]
    progress(f"  generating {config.clients:,} clients ({len(blocks)} blocks) "
             f"in {workers} processes ...")
    # spawn, not fork: a forked child of a process that ran polars can deadlock
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_land_blocks, jobs))
    totals = {k: sum(r[k] for r in results) for k in ("versions", "documents", "files")}
    zone.record_batch("documents", batch_id, {
        "extracted_at": ANCHOR, "status": "ok", "fetched": totals["versions"],
        "landed": totals["versions"], "new_versions": totals["versions"], "quarantined": 0,
        "failures": "[]",
    })
    return {
        "clients": config.clients, "seed": seed, "anchor": ANCHOR.isoformat(),
        "readable_spaces": len(readable), "batch_id": batch_id, "lists": lists,
        "with_raw": with_raw, **totals,
        "landing_bytes": _size(zone.root), "seconds": round(time.perf_counter() - started, 2),
    }


def land_next_batch(home: Path, documents: int, share: float = 0.01, seed: int = 7,
                    with_raw: bool = True) -> dict:
    """The next extraction: future versions up to the instant at which `share` of the
    landed documents have a new version (or are new), as one new batch per space."""
    config = WorldConfig(seed=seed, clients=clients_for(documents), anchor=ANCHOR)
    future = pl.scan_parquet(str(home / "future" / "*.parquet"))
    zone = LandingZone(home / "landing")
    landed_documents = (
        zone.scan_documents().select(pl.col("document_id").n_unique()).collect().item()
    )
    wanted = max(1, round(share * landed_documents))
    first_change = (future.group_by("document_id").agg(pl.col("visible_at").min())
                    .sort("visible_at").collect())
    cutoff = first_change["visible_at"][min(wanted, first_change.height) - 1]
    batch_id = batch_id_at(cutoff, "incr0001")
    versions = future.filter(pl.col("visible_at") <= cutoff).collect()
    world = build_world(config)
    with zone.writing():
        lists = land_lists(world, zone, home / "state", batch_id, cutoff)
        landed = to_landed(versions, batch_id, cutoff, with_raw)
        files = write_by_space(landed, zone.root, batch_id)
        zone.record_batch("documents", batch_id, {
            "extracted_at": cutoff, "status": "ok", "fetched": landed.height,
            "landed": landed.height, "new_versions": landed.height, "quarantined": 0,
            "failures": "[]",
        })
    changed = landed["document_id"].n_unique()
    return {
        "batch_id": batch_id, "as_of": cutoff.isoformat(), "versions": landed.height,
        "documents_changed": changed, "landed_documents_before": landed_documents,
        "share_changed": round(changed / landed_documents, 4), "files": files, "lists": lists,
    }


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*.parquet"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path, help="folder to create (landing/ under it)")
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--no-raw", action="store_true", help="leave _raw empty")
    args = parser.parse_args()
    result = generate(args.home, args.documents, args.seed, args.workers, not args.no_raw)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
