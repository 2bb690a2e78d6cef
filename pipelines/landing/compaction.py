"""Compaction: the small files of each landing folder merged into one file per month.

Every refresh adds a file per changed space and one per list and step; nothing else removes
them, so every read of the landing zone (dbt's glob, the checks, the de-duplication) opens more
files each day. Compaction merges, in each folder (a space's documents, each list, the run
records, each quarantine entity), the files of one month (the month of their batch ids) that
are smaller than `LARGE_FILE_BYTES` into one file. The current month's file is merged again
with the files landed since, so a folder holds about one file per month.

Guarantees (the landing zone's own, kept):
- Content: every row is kept as landed, byte for byte in each column (`_raw` included), with
  its `_batch_id` and `_extracted_at`; nothing is de-duplicated, dropped or re-typed. Rows are
  ordered by batch id so Parquet statistics let "batches after X" skip a compacted file.
- Atomic for readers: a folder's new file set (the merged file plus hard links to the files
  left as they are) is built under `.compaction/`, fsynced, checked to read back equal, then
  swapped with the live folder in one `renameat2(RENAME_EXCHANGE)`: a reader listing the
  folder sees the old set or the new one, never both and never neither.
- Crash-safe: before the swap the live folder is untouched; after it, the old set sits under
  `.compaction/`. Either way whatever `.compaction/` holds is garbage, removed by the next
  compaction. A kill at any point loses and duplicates nothing (tests/test_compaction.py kills
  a real process).
- One writer: the caller holds the writer lock, so no file lands in a folder being compacted,
  and dbt (which reads under the same lock) never reads a folder mid-swap.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.landing.zone import (
    LandingZone,
    _fsync_dir,
    compacted_name,
    data_files,
    file_batch_id,
    write_parquet_atomically,
)

# A file this large is left as it is: merging it again would rewrite much to save one file.
LARGE_FILE_BYTES = 64 * 1024 * 1024
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class CompactionError(RuntimeError):
    pass


@dataclass
class CompactionReport:
    folders: int = 0  # folders looked at
    folders_compacted: int = 0
    files_before: int = 0
    files_after: int = 0
    rows_merged: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # folder -> reason

    def summary(self) -> str:
        return (f"{self.folders_compacted} of {self.folders} folder(s) compacted: "
                f"{self.files_before:,} file(s) -> {self.files_after:,}, "
                f"{self.rows_merged:,} row(s) merged")


def exchange(first: Path, second: Path) -> None:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE; ext4, xfs, btrfs, tmpfs)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                      _RENAME_EXCHANGE) != 0:
        error = ctypes.get_errno()
        raise CompactionError(f"cannot swap {first} atomically: {os.strerror(error)} "
                              "(compaction needs renameat2 RENAME_EXCHANGE)")


def _month(path: Path) -> str:
    return file_batch_id(path)[:6]  # YYYYMM


def plan(folder: Path) -> list[list[Path]]:
    """The groups of files to merge: per month, the small files, when there are two or more."""
    months: dict[str, list[Path]] = {}
    for path in data_files(folder):
        if path.stat().st_size < LARGE_FILE_BYTES:
            months.setdefault(_month(path), []).append(path)
    return [files for _, files in sorted(months.items()) if len(files) >= 2]


def _batch_column(frame: pl.DataFrame) -> str:
    return "_batch_id" if "_batch_id" in frame.columns else "batch_id"  # run records


def merge(files: list[Path]) -> pl.DataFrame:
    frames = [pl.read_parquet(path) for path in files]
    # Columns are combined by name (a column added later is null in older files), never
    # re-typed: a type that changed between files stops the merge of that folder.
    merged = pl.concat(frames, how="diagonal")
    return merged.sort(_batch_column(merged), maintain_order=True)


def compact_folder(zone: LandingZone, folder: Path) -> tuple[int, int, int]:
    """Compact one folder; (files before, files after, rows merged). Caller holds the lock."""
    groups = plan(folder)
    before = len(data_files(folder))
    if not groups:
        return before, before, 0
    stage = zone.staging_dir() / uuid.uuid4().hex
    stage.mkdir(parents=True)
    merged_away = {path for files in groups for path in files}
    for path in sorted(folder.iterdir()):
        if path not in merged_away and path.is_file():
            os.link(path, stage / path.name)  # the files left as they are: the same bytes
    rows = 0
    for files in groups:
        frame = merge(files)
        target = write_parquet_atomically(frame, stage / compacted_name(file_batch_id(files[0])))
        if not pl.read_parquet(target).equals(frame):
            raise CompactionError(f"{target} does not read back as written")
        rows += frame.height
    _fsync_dir(stage)
    exchange(folder, stage)  # the commit point
    _fsync_dir(folder.parent)
    _fsync_dir(stage.parent)
    shutil.rmtree(stage)  # now the old set
    return before, len(data_files(folder)), rows


def remove_leftovers(zone: LandingZone) -> bool:
    """Whatever a killed compaction left under .compaction/ was never or no longer visible."""
    staging = zone.staging_dir()
    if not staging.exists():
        return False
    shutil.rmtree(staging)
    return True


def compact_landing(landing_dir: Path, state_dir: Path,
                    progress: Callable[[str], None] | None = None) -> CompactionReport:
    """Take the writer lock (waiting for a run that writes), then compact every folder."""
    zone = LandingZone(landing_dir, state_dir)
    with zone.writing(on_wait=progress):
        return compact(zone, progress)


def compact(zone: LandingZone, progress: Callable[[str], None] | None = None) -> CompactionReport:
    """Compact every folder of the landing zone. The caller holds the writer lock."""
    zone.require_writer()
    say = progress or (lambda _line: None)
    if remove_leftovers(zone):
        say("removed the leftovers of an interrupted compaction")
    report = CompactionReport()
    folders = zone.compaction_folders()
    for number, folder in enumerate(folders, start=1):
        report.folders += 1
        try:
            before, after, rows = compact_folder(zone, folder)
        except (pl.exceptions.SchemaError, pl.exceptions.ComputeError) as error:
            # left as it is: a folder that cannot be merged is still a valid landing folder
            report.skipped[str(folder.relative_to(zone.root))] = str(error).splitlines()[0]
            remove_leftovers(zone)
            before = after = len(data_files(folder))
            rows = 0
        report.files_before += before
        report.files_after += after
        report.rows_merged += rows
        report.folders_compacted += int(after < before)
        if number % 500 == 0 or number == len(folders):
            say(f"compaction: {number:,} of {len(folders):,} folders, "
                f"{report.files_before:,} file(s) -> {report.files_after:,}")
    remove_leftovers(zone)  # the empty staging folder
    return report
