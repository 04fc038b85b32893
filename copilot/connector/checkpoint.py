"""The sync checkpoint: where each object's last sync stopped, so the next one is incremental and an
interrupted one resumes instead of starting over.

One JSON file per company (``companies/<name>/sync/checkpoint.json``), rewritten atomically after
every page. Per object it keeps the high-water marks of the last completed run (max RECORDNO, max
WHENMODIFIED) and, while a run is in flight, the filter it runs with, the cursor (XML resultId /
REST next start) and how many pages are already staged on disk.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from copilot.errors import ParseError

VERSION = 1


@dataclass
class ObjectState:
    status: str = "new"  # new | running | committing | done
    last_recordno: int | None = None  # high-water marks of completed runs
    last_modified: str | None = None  # WHENMODIFIED, "mm/dd/yyyy HH:MM:SS"
    completed_at: str | None = None
    rows_total: int = 0  # rows committed over all runs
    # in-flight run
    run_filter: dict[str, Any] | None = None
    cursor: str | None = None
    pages_staged: int = 0
    rows_staged: int = 0
    rows_seen: int = 0  # rows received from this query so far (before de-duplication)
    rows_seen_total: int = 0  # rows the query said it had (first page's count + numremaining)
    run_max_recordno: int | None = None
    run_max_modified: str | None = None

    def start_run(self, run_filter: dict[str, Any]) -> None:
        self.status, self.run_filter, self.cursor = "running", run_filter, None
        self.pages_staged = self.rows_staged = self.rows_seen = self.rows_seen_total = 0
        self.run_max_recordno = self.run_max_modified = None

    def note_rows(self, rows: list[dict[str, str]]) -> None:
        for row in rows:
            rec = row.get("RECORDNO", "")
            if rec.isdigit() and (self.run_max_recordno is None or int(rec) > self.run_max_recordno):
                self.run_max_recordno = int(rec)
            mod = row.get("WHENMODIFIED", "")
            if mod and (self.run_max_modified is None or _mod_key(mod) > _mod_key(self.run_max_modified)):
                self.run_max_modified = mod

    def finish_run(self, rows_committed: int) -> None:
        if self.run_max_recordno is not None:
            self.last_recordno = max(self.last_recordno or 0, self.run_max_recordno)
        if self.run_max_modified is not None and (
                self.last_modified is None or _mod_key(self.run_max_modified) > _mod_key(self.last_modified)):
            self.last_modified = self.run_max_modified
        self.rows_total += rows_committed
        self.status, self.completed_at = "done", datetime.now().isoformat(timespec="seconds")
        self.run_filter, self.cursor, self.pages_staged, self.rows_staged = None, None, 0, 0
        self.rows_seen = self.rows_seen_total = 0
        self.run_max_recordno = self.run_max_modified = None


def _mod_key(value: str) -> datetime:
    for fmt in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y"):
        try:
            return datetime.strptime(value.strip(), fmt)
        except ValueError:
            pass
    return datetime.min  # an unreadable stamp never becomes the high-water mark


def parse_modified(value: str | None) -> datetime | None:
    if not value:
        return None
    stamp = _mod_key(value)
    return None if stamp == datetime.min else stamp


@dataclass
class Checkpoint:
    path: Path
    api: str = "xml"
    objects: dict[str, ObjectState] = field(default_factory=dict)

    def state(self, obj: str) -> ObjectState:
        return self.objects.setdefault(obj, ObjectState())

    @classmethod
    def load(cls, path: Path) -> "Checkpoint":
        if not path.exists():
            return cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            objects = {k: ObjectState(**v) for k, v in data.get("objects", {}).items()}
        except (ValueError, TypeError) as exc:
            raise ParseError(f"unreadable sync checkpoint ({exc}); delete it to resync from scratch",
                             source=str(path)) from None
        return cls(path=path, api=data.get("api", "xml"), objects=objects)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        payload = {"version": VERSION, "api": self.api,
                   "objects": {k: asdict(v) for k, v in sorted(self.objects.items())}}
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)  # atomic: a crash leaves the old or the new file, never half of one
