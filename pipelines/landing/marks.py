"""Per-space high-water marks: the largest `updated_at` durably landed for each space.

One small JSON file per space, replaced atomically, so concurrent spaces never contend and a
crash leaves either the old mark or the new one. Callers move a mark only after the rows it
covers are landed (see extraction/documents.py).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path


class MarkStore:
    def __init__(self, state_dir: Path):
        self.directory = Path(state_dir) / "marks" / "documents"

    def _path(self, space_id: str) -> Path:
        return self.directory / f"{space_id}.json"

    def get(self, space_id: str) -> datetime | None:
        path = self._path(space_id)
        if not path.exists():
            return None
        return datetime.fromisoformat(json.loads(path.read_text())["high_water_mark"])

    def set(self, space_id: str, mark: datetime, batch_id: str) -> None:
        current = self.get(space_id)
        if current is not None and mark <= current:
            return  # marks never move backwards
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(space_id)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(json.dumps(
            {"space_id": space_id, "high_water_mark": mark.isoformat(), "batch_id": batch_id}
        ))
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, path)

    def reset(self, space_id: str) -> None:
        """Forget a space's mark: its next extraction reads everything (re-reads de-duplicate)."""
        self._path(space_id).unlink(missing_ok=True)

    def all(self) -> dict[str, datetime]:
        if not self.directory.exists():
            return {}
        return {p.stem: self.get(p.stem) for p in self.directory.glob("*.json")}
