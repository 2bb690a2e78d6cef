"""The append-only Parquet landing zone under $INSIGHTS_HOME/landing.

Layout (each file is one batch's rows, written whole or not at all):
    documents/space=<space_id>/<batch_id>-<part>.parquet   document versions of one space
    spaces/<batch_id>.parquet, users/<batch_id>.parquet     new versions of the small lists
    assignments/<batch_id>.parquet                          the complete current set, every run
    quarantine/<entity>/<batch_id>-<scope>-<part>.parquet   rejected records with the reason
    batches/<batch_id>-<entity>.parquet                     one row per extraction step (run record)
    <any of these folders>/<first_batch_id>-compacted-<token>.parquet
                                                            small files merged by `insights compact`

Compaction (pipelines/landing/compaction.py) merges the small files of one folder and one month
(the month of their batch ids) into one file, every row unchanged: its batch id and extraction
time stay columns, so readers select rows by batch from the content, never from a file name.
Its work in progress lives under `.compaction/`, which no reader globs.

Every glob also matches a zero-row `_schema.parquet` (see `ensure_layout`), so readers such as
dbt sources work before the first record of a kind has landed.

A file appears only through an atomic rename after its bytes are fsynced, so a reader (dbt, a
rerun's de-duplication) never sees half a file; a crash leaves at most a `.partial` file, which
no reader globs and the next run removes.

This class is the one place that knows the layout: every other module and test asks it for
files (`landed_files`, `space_dirs`, `batch_frames`, `first_batch_by_space`, `reader_globs`, ...)
rather than globbing folder names. Every write (landing, run records, quarantine, holds, the
schema files, the partial-file sweep, compaction) happens under the writer lock, taken through
`writing()` or `Settings.writing()`; without it a write raises `WriterLockRequired`.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pipelines.durable import fsync_path
from pipelines.held_batches import HOLD_SCHEMA
from pipelines.landing.records import BATCH_SCHEMA, ENTITY_FIELDS, QUARANTINE_SCHEMA, landed_schema
from pipelines.writer_lock import WriterLockRequired, holds_writer_lock, writer_lock

PARTIAL_SUFFIX = ".partial"
# zstd level 1 rather than the default 3: on landed pages (mostly the `_raw` JSON text) it
# writes files no larger (1-2% smaller, 1k- and 50k-row files alike) in 20-40% less time.
ZSTD_LEVEL = 1


def new_batch_id(now: datetime | None = None) -> str:
    """Sortable by time, unique across concurrent runs."""
    now = now or datetime.now(UTC)
    return f"{now.strftime('%Y%m%dT%H%M%S')}Z-{uuid.uuid4().hex[:8]}"


def _fsync_dir(directory: Path) -> None:
    fsync_path(directory)


def write_parquet_atomically(frame: pl.DataFrame, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}{PARTIAL_SUFFIX}")
    frame.write_parquet(partial, compression="zstd", compression_level=ZSTD_LEVEL, statistics=True)
    with open(partial, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    _fsync_dir(target.parent)
    return target


class LandingZone:
    def __init__(self, root: Path, state_dir: Path | None = None):
        self.root = Path(root)
        # where the writer lock lives: $INSIGHTS_HOME/state next to $INSIGHTS_HOME/landing
        self.state_dir = Path(state_dir) if state_dir is not None else self.root.parent / "state"

    # -- paths -------------------------------------------------------------------------------
    def documents_dir(self, space_id: str) -> Path:
        return self.root / "documents" / f"space={space_id}"

    def entity_dir(self, entity: str) -> Path:
        return self.root / entity

    def documents_file(self, space_id: str, batch_id: str, part: int = 0) -> Path:
        """Where one part of a batch's documents of one space lands."""
        return self.documents_dir(space_id) / f"{batch_id}-{part:04d}.parquet"

    def entity_file(self, entity: str, batch_id: str) -> Path:
        """Where a batch of one of the lists (spaces, users, assignments) lands."""
        return self.entity_dir(entity) / f"{batch_id}.parquet"

    def batch_record_file(self, entity: str, batch_id: str) -> Path:
        """Where the run record of one extraction step lands."""
        return self.root / "batches" / f"{batch_id}-{entity}.parquet"

    @staticmethod
    def schema_file(folder: Path) -> Path:
        """The zero-row file that gives a folder's readers a typed match (`ensure_layout`)."""
        return Path(folder) / SCHEMA_FILE

    @property
    def holds_path(self) -> Path:
        """The quality gate's holds (pipelines/held_batches.py)."""
        return self.root / HOLDS_FILE

    # -- the writer lock ---------------------------------------------------------------------
    def writing(self, on_wait=None, timeout_seconds: float = 3600):
        """The writer lock (pipelines/writer_lock.py) of the INSIGHTS_HOME this zone is in;
        the same lock as `Settings.writing()`, re-entrant within a thread."""
        return writer_lock(self.state_dir, timeout_seconds=timeout_seconds, on_wait=on_wait)

    def require_writer(self) -> None:
        """Refuse a write unless this process holds the writer lock."""
        if not holds_writer_lock(self.state_dir):
            raise WriterLockRequired(
                f"a write to the landing zone {self.root} without the writer lock: take it "
                "with `settings.writing()` or `LandingZone.writing()`")

    # -- writing (each one under the writer lock) --------------------------------------------
    def land_documents(self, frame: pl.DataFrame, space_id: str, batch_id: str, part: int) -> Path:
        self.require_writer()
        # Each file under space=<id>/ holds that space's rows only: readers (and the landed
        # documents suite's per-space report) rely on the folder naming the space.
        others = frame.filter(pl.col("space_id").ne_missing(space_id))["space_id"].unique()
        if others.len():
            raise ValueError(f"documents of space(s) {others.to_list()[:3]} handed to the "
                             f"landing of space {space_id}")
        return write_parquet_atomically(frame, self.documents_file(space_id, batch_id, part))

    def land_entity(self, entity: str, frame: pl.DataFrame, batch_id: str) -> Path:
        self.require_writer()
        return write_parquet_atomically(frame, self.entity_file(entity, batch_id))

    def quarantine(
        self, entity: str, frame: pl.DataFrame, batch_id: str, scope: str, part: int = 0
    ) -> Path:
        self.require_writer()
        target = self.root / "quarantine" / entity / f"{batch_id}-{scope}-{part:04d}.parquet"
        return write_parquet_atomically(frame, target)

    def record_batch(self, entity: str, batch_id: str, record: dict) -> Path:
        self.require_writer()
        frame = pl.DataFrame([{"batch_id": batch_id, "entity": entity, **record}],
                             schema=BATCH_SCHEMA)
        return write_parquet_atomically(frame, self.batch_record_file(entity, batch_id))

    def ensure_layout(self) -> None:
        """Write the zero-row schema files once, so every reader's glob has a typed match."""
        self.require_writer()
        targets = {
            self.documents_dir(SCHEMA_SCOPE) / SCHEMA_FILE: landed_schema("documents"),
            self.root / "batches" / SCHEMA_FILE: BATCH_SCHEMA,
        }
        for entity in ENTITY_FIELDS:
            if entity != "documents":
                targets[self.entity_dir(entity) / SCHEMA_FILE] = landed_schema(entity)
            targets[self.root / "quarantine" / entity / SCHEMA_FILE] = QUARANTINE_SCHEMA
        # The quality gate's holds (pipelines/held_batches.py): a real file, since Spark
        # skips files whose name starts with `_`.
        targets[self.holds_path] = HOLD_SCHEMA
        for path, schema in targets.items():
            if not path.exists():
                write_parquet_atomically(pl.DataFrame(schema=schema), path)

    def write_holds(self, frame: pl.DataFrame) -> Path:
        """Replace the holds file (pipelines/held_batches.py owns its rows)."""
        self.require_writer()
        return write_parquet_atomically(frame, self.holds_path)

    def compaction_folders(self) -> list[Path]:
        """The folders whose files compaction merges: each space's, each list's, the run
        records' and each quarantine entity's."""
        flat = [self.entity_dir(e) for e in ENTITY_FIELDS if e != "documents"]
        flat += [self.root / "batches"]
        flat += [self.root / "quarantine" / e for e in ENTITY_FIELDS]
        return self.space_dirs() + [d for d in flat if d.is_dir()]

    def staging_dir(self) -> Path:
        return self.root / STAGING_DIR

    def remove_partials(self) -> int:
        """Delete leftovers of writes that a crash interrupted; they were never visible."""
        self.require_writer()
        removed = 0
        if self.root.exists():
            for partial in self.root.rglob(f"*{PARTIAL_SUFFIX}"):
                partial.unlink(missing_ok=True)
                removed += 1
        return removed

    def partial_files(self) -> list[Path]:
        """Leftovers of interrupted writes (never read; `remove_partials` deletes them)."""
        return sorted(self.root.rglob(f"*{PARTIAL_SUFFIX}")) if self.root.exists() else []

    # -- reading -----------------------------------------------------------------------------
    def space_dirs(self) -> list[Path]:
        """Each space's documents folder (not the zero-row schema folder), sorted."""
        return [d for d in sorted((self.root / "documents").glob("space=*"))
                if d.is_dir() and d != self.documents_dir(SCHEMA_SCOPE)]

    @staticmethod
    def space_of(path: Path) -> str:
        """The space a landed documents file belongs to (its folder names it)."""
        return Path(path).parent.name.removeprefix("space=")

    def landed_files(self, entity: str, *, space_id: str | None = None,
                     batch_id: str | None = None) -> list[Path]:
        """The files of an entity that hold rows (never a zero-row schema file), sorted;
        documents: of every space, or of `space_id`; "quarantine/<entity>" names a quarantine
        folder. With `batch_id`, only the files that batch wrote itself (a compacted file holds
        many batches: `batch_frames` reads a batch's rows from those too)."""
        if entity == "documents":
            folders = [self.documents_dir(space_id)] if space_id else self.space_dirs()
        else:
            folders = [self.entity_dir(entity)]
        files = [path for folder in folders for path in data_files(folder)]
        if batch_id is not None:
            files = [p for p in files if not is_compacted(p) and file_batch_id(p) == batch_id]
        return files

    def reader_globs(self) -> dict[str, str]:
        """The glob each reader of the landing uses (the dbt sources', DuckDB syntax), per
        folder: documents, the lists, the run records and the quarantine; each also matches
        the zero-row schema file of its folder."""
        return {"documents": f"{self.root}/documents/*/*.parquet",
                **{e: f"{self.root}/{e}/*.parquet" for e in ENTITY_FIELDS if e != "documents"},
                "batches": f"{self.root}/batches/*.parquet",
                "quarantine": f"{self.root}/quarantine/*/*.parquet"}

    def quarantined(self, entity: str) -> pl.DataFrame:
        """Every quarantined record of an entity, with its reason and raw payload."""
        files = data_files(self.root / "quarantine" / entity)
        return (pl.concat([pl.read_parquet(f) for f in files], how="diagonal") if files
                else pl.DataFrame(schema=QUARANTINE_SCHEMA))

    def entity_files(self, entity: str) -> list[Path]:
        """Every Parquet file of one entity (documents: of every space), sorted."""
        pattern = "space=*/*.parquet" if entity == "documents" else "*.parquet"
        return sorted(self.entity_dir(entity).glob(pattern))

    def scan(self, entity: str) -> pl.LazyFrame | None:
        files = self.entity_files(entity)
        return pl.scan_parquet(files) if files else None

    def scan_documents(self, space_id: str | None = None) -> pl.LazyFrame | None:
        files = (sorted(self.documents_dir(space_id).glob("*.parquet")) if space_id
                 else self.entity_files("documents"))
        return pl.scan_parquet(files) if files else None

    def batch_records(self, entity: str) -> pl.DataFrame:
        """The run records of one entity's extraction steps, oldest first."""
        def read() -> pl.DataFrame:
            files = [f for f in data_files(self.root / "batches")
                     if is_compacted(f) or f.stem.endswith(f"-{entity}")]
            if not files:
                return pl.DataFrame(schema=BATCH_SCHEMA)
            frame = pl.concat([pl.read_parquet(f) for f in files], how="diagonal")
            return frame.cast(BATCH_SCHEMA).filter(pl.col("entity") == entity)

        return _retrying_a_swap(read).sort("batch_id")

    def batch_frames(self, entity: str, batch_id: str) -> list[pl.DataFrame]:
        """The rows one batch landed for an entity, one frame per file (documents: per space),
        from its own files and from compacted files of its month."""
        folders = self.space_dirs() if entity == "documents" else [self.entity_dir(entity)]

        def read() -> list[pl.DataFrame]:
            frames = []
            for folder in folders:
                for path in data_files(folder):
                    if is_compacted(path) and file_batch_id(path)[:6] == batch_id[:6]:
                        # sorted by batch: the statistics skip the row groups of other batches
                        rows = (pl.scan_parquet(path)
                                .filter(pl.col("_batch_id") == batch_id).collect())
                        if rows.height:
                            frames.append(rows)
                    elif not is_compacted(path) and file_batch_id(path) == batch_id:
                        frames.append(pl.read_parquet(path))
            return frames

        return _retrying_a_swap(read)

    def first_batch_by_space(self) -> dict[str, str]:
        """Each space's earliest landed batch id (a compacted file is named by its first)."""
        first: dict[str, str] = {}
        for folder in self.space_dirs():
            batches = [file_batch_id(path) for path in data_files(folder)]
            if batches:
                first[folder.name.removeprefix("space=")] = min(batches)
        return first

    def landed_document_keys(self, space_id: str, since: datetime | None,
                             exclude_batches: frozenset[str] = frozenset()) -> pl.DataFrame:
        """(document_id, updated_at) already landed for a space at or after `since`.

        A re-read can only return versions with updated_at >= since, so older keys are never
        needed for de-duplication; Parquet statistics let the scan skip old files.
        """
        frame = self.scan_documents(space_id)
        if frame is None:
            return pl.DataFrame(schema=KEY_SCHEMA)
        if exclude_batches:
            frame = frame.filter(~pl.col("_batch_id").is_in(list(exclude_batches)))
        keys = frame.select(list(KEY_SCHEMA))
        if since is not None:
            keys = keys.filter(pl.col("updated_at") >= since)
        return keys.unique().collect()


def data_files(folder: Path) -> list[Path]:
    """The Parquet files of one folder that hold rows (not the zero-row schema file)."""
    return sorted(p for p in Path(folder).glob("*.parquet") if p.name != SCHEMA_FILE)


def file_batch_id(path: Path) -> str:
    """The batch a landed file belongs to (a compacted file: its first batch). Batch ids are
    `<YYYYMMDDTHHMMSS>Z-<token>`, the first two dash-separated parts of every file name."""
    return "-".join(Path(path).name.removesuffix(".parquet").split("-")[:2])


def is_compacted(path: Path) -> bool:
    return f"-{COMPACTED}-" in Path(path).name


def compacted_name(first_batch_id: str) -> str:
    """A fresh name each time: a reader that listed the folder before a swap never opens a
    rewritten file under a name it already knew."""
    return f"{first_batch_id}-{COMPACTED}-{uuid.uuid4().hex[:8]}.parquet"


def _retrying_a_swap(read):
    """A reader that listed a folder just before compaction swapped it finds a file gone;
    listing again sees the new set (compaction holds the writer lock, so it swaps rarely)."""
    try:
        return read()
    except FileNotFoundError:
        return read()


HOLDS_FILE = Path("holds") / "holds.parquet"
# the landing tables the dbt sources read (`entity_files` of each); every folder also holds a
# zero-row schema file, so a table is never missing, only empty
LANDING_TABLES = ("documents", "spaces", "users", "assignments", "batches", "holds")
KEY_SCHEMA = {"document_id": pl.String, "updated_at": pl.Datetime("us", "UTC")}
SCHEMA_FILE = "_schema.parquet"
SCHEMA_SCOPE = "_schema"
COMPACTED = "compacted"
STAGING_DIR = ".compaction"
