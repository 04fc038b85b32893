"""Batches for the API: store an upload, run the import in the background, report status.

Files live in ``data_dir/batches/<id>/`` (input.csv, output.csv and its checkpoint); the status and
summary live in the ``batches`` table, updated after every chunk. A batch whose process stopped can
be continued with ``resume`` (the checkpoint makes it exact), from the API or from the CLI with
``copilot import data_dir/batches/<id>/input.csv --out .../output.csv --resume``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import date
from pathlib import Path
from typing import IO, Any, Iterable

from copilot.batch.runner import BatchImporter, ImportOptions
from copilot.batch.store import BatchRow, ensure_tables, utc_now
from copilot.errors import Conflict, CopilotError, InputError, NotFound
from copilot.review.access import Principal

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


class BatchService:
    def __init__(self, settings, reviews, db, *, suggestions=None) -> None:
        self.settings, self.reviews, self.db, self._suggestions = settings, reviews, db, suggestions
        ensure_tables(db)
        self._threads: dict[str, threading.Thread] = {}
        self._validation = None

    def validator(self, company: str):
        """Validators share one ValidationService: the company master and history profile are loaded
        once per process (and reloaded when the company's pages change), not once per batch."""
        if self._validation is None:
            from copilot.validate.service import ValidationService

            self._validation = ValidationService(self.settings)
        return self._validation.validator(company, suggest=False)

    def folder(self, batch_id: str) -> Path:
        return self.settings.data_dir / "batches" / batch_id

    # --- create and run ----------------------------------------------------------------------------

    def save_upload(self, chunks: Iterable[bytes]) -> str:
        """Stream an upload to disk (never held in memory); returns the new batch id."""
        batch_id = uuid.uuid4().hex
        folder = self.folder(batch_id)
        folder.mkdir(parents=True, exist_ok=True)
        size = 0
        with open(folder / "input.csv", "wb") as fh:
            for chunk in chunks:
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise InputError(f"the file is larger than {MAX_UPLOAD_BYTES // 2**20} MiB", field="file")
                fh.write(chunk)
        if size == 0:
            raise InputError("the upload is empty", field="file")
        return batch_id

    def start(self, batch_id: str, principal: Principal, *, company: str, kind: str = "auto",
              entity: str | None = None, as_of: date | None = None, filename: str = "",
              wait: bool = False) -> dict[str, Any]:
        now = utc_now()
        folder = self.folder(batch_id)
        with self.db.session() as s:
            s.add(BatchRow(id=batch_id, company=company, kind=kind, status="running", filename=filename[:500],
                           input_path=str(folder / "input.csv"), output_path=str(folder / "output.csv"),
                           submitted_by=principal.user_id,
                           entities="*" if principal.all_entities else sorted(principal.entities),
                           created_at=now, updated_at=now, summary={"lines": 0}))
        opts = ImportOptions(company=company, kind=kind, entity=entity, out=folder / "output.csv", as_of=as_of,
                             batch_id=batch_id)
        return self._launch(batch_id, principal, opts, wait)

    def resume(self, batch_id: str, principal: Principal, *, wait: bool = False) -> dict[str, Any]:
        row = self._row(batch_id, principal)
        if row["status"] == "done":
            return row
        if batch_id in self._threads and self._threads[batch_id].is_alive():
            raise Conflict(f"batch {batch_id} is running")
        opts = ImportOptions(company=row["company"], kind=row["kind"], out=Path(row["output_path"]), resume=True,
                             batch_id=batch_id)
        self._update(batch_id, status="running", error=None)
        return self._launch(batch_id, principal, opts, wait)

    def _launch(self, batch_id: str, principal: Principal, opts: ImportOptions, wait: bool) -> dict[str, Any]:
        path = self.folder(batch_id) / "input.csv"
        if wait:
            self._run(batch_id, principal, path, opts)
            return self._row(batch_id, principal)
        t = threading.Thread(target=self._run, args=(batch_id, principal, path, opts), daemon=True,
                             name=f"batch-{batch_id[:8]}")
        self._threads[batch_id] = t
        t.start()
        return self._row(batch_id, principal)

    def _run(self, batch_id: str, principal: Principal, path: Path, opts: ImportOptions) -> None:
        def progress(done: int, total: int) -> None:
            self._update(batch_id, summary={"lines": done, "total": total})

        importer = BatchImporter(self.settings, principal, suggestions=self._suggestions, reviews=self.reviews,
                                 db=self.db, progress=progress, validator_for=self.validator)
        try:
            summary = importer.run(path, opts)
            self._update(batch_id, status="done", summary=summary.to_dict(), kind=summary.kind)
        except CopilotError as exc:
            self._update(batch_id, status="failed", error=exc.message, problem=exc.to_problem())
        except Exception as exc:  # noqa: BLE001 - a background batch must record why it stopped
            log.exception("batch %s failed", batch_id)
            self._update(batch_id, status="failed", error=f"internal error: {type(exc).__name__}")

    def _update(self, batch_id: str, *, problem: dict | None = None, **values: Any) -> None:
        with self.db.session() as s:
            row = s.get(BatchRow, batch_id)
            if row is None:
                return
            for k, v in values.items():
                if k == "summary":
                    v = {**(row.summary or {}), **v}
                setattr(row, k, v)
            if problem is not None:
                row.summary = {**(row.summary or {}), "problem": problem}
            row.updated_at = utc_now()

    # --- read --------------------------------------------------------------------------------------

    def get(self, batch_id: str, principal: Principal) -> dict[str, Any]:
        return self._row(batch_id, principal)

    def output(self, batch_id: str, principal: Principal) -> Path:
        row = self._row(batch_id, principal)
        if row["status"] != "done":
            raise Conflict(f"batch {batch_id} is {row['status']}: the enriched file is written when it is done")
        return Path(row["output_path"])

    def _row(self, batch_id: str, principal: Principal) -> dict[str, Any]:
        with self.db.session() as s:
            row = s.get(BatchRow, batch_id)
            if row is None or not _visible(row, principal):
                raise NotFound(f"batch {batch_id} not found")
            return {"id": row.id, "company": row.company, "kind": row.kind, "status": row.status,
                    "filename": row.filename, "submitted_by": row.submitted_by,
                    "created_at": row.created_at.isoformat() + "Z", "updated_at": row.updated_at.isoformat() + "Z",
                    "summary": row.summary or {}, "error": row.error, "output_path": row.output_path}


def _visible(row: BatchRow, principal: Principal) -> bool:
    """Admins and all-entity principals see every batch; others their own, or those whose submitter's
    entities they can all see (a batch may only hold lines of its submitter's entities)."""
    if principal.role == "admin" or principal.all_entities or row.submitted_by == principal.user_id:
        return True
    scope = row.entities
    return scope != "*" and bool(scope) and all(principal.can_see(e) for e in scope)


def iter_file(fh: IO[bytes], size: int = 1 << 20) -> Iterable[bytes]:
    while True:
        block = fh.read(size)
        if not block:
            return
        yield block
