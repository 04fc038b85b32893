"""Run an import: read in chunks, suggest, validate, route to review, write and checkpoint.

    importer = BatchImporter(settings, principal)
    summary = importer.run(Path("je.csv"), ImportOptions(company="demo", out=Path("je.enriched.csv")))

Memory stays flat: only one chunk of lines (plus the engine's model) is held at a time. A first pass
parses every line without suggesting anything, so a malformed file fails before any work is done and
the progress bar knows the total. Chunks end on entry boundaries, so entry rules see whole entries.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Literal

from copilot.batch.checkpoint import Checkpoint, PartialOutput, checkpoint_path, partial_path
from copilot.batch.coder import ChunkResult
from copilot.batch.enrich import Outcome, ai_values
from copilot.batch.summary import Summary
from copilot.batch.template import (AI_COLUMNS, AI_DESCRIPTIONS, BatchLine, Kind, Record, TemplateReader,
                                    file_size, fingerprint_update)
from copilot.errors import Conflict, InputError
from copilot.formats.common import bulk_load
from copilot.review.access import Principal

Progress = Callable[[int, int], None]  # (lines done so far, total lines)


class Interrupted(Exception):
    """Raised by ``stop_after`` (tests and drills): the import stopped after a committed chunk."""


@dataclass
class ImportOptions:
    company: str
    kind: Kind | Literal["auto"] = "auto"
    entity: str | None = None
    out: Path | None = None  # default: <input>.enriched.csv beside the input
    resume: bool = False
    restart: bool = False
    chunk_size: int = 1000
    ai_columns: bool = True
    validate: bool = True
    as_of: date | None = None  # validation date (default today)
    batch_id: str | None = None
    stop_after: int | None = None  # stop after this many lines are committed (simulated interruption)


def default_output(path: Path) -> Path:
    return path.with_name(f"{path.stem}.enriched{path.suffix or '.csv'}")


@dataclass
class _Chunk:
    records: list[tuple[Record, BatchLine | None]] = field(default_factory=list)
    lines: int = 0


class BatchImporter:
    """Everything an import needs, built from settings unless given (tests pass their own)."""

    def __init__(self, settings, principal: Principal, *, suggestions=None, reviews=None, db=None,
                 validator_for: Callable[[str], object] | None = None,
                 progress: Progress | None = None) -> None:
        self.settings, self.principal = settings, principal
        self._suggestions, self._reviews, self._db = suggestions, reviews, db
        self._validator_for = validator_for
        self.progress = progress

    # --- wiring --------------------------------------------------------------------------------

    @property
    def suggestions(self):
        if self._suggestions is None:
            from copilot import components

            self._suggestions = components.suggestion_service(self.settings)
        return self._suggestions

    def _review_parts(self):
        from copilot.batch.store import ReviewLinks, ensure_tables

        if self._reviews is None:
            from copilot.review.context import ReviewContext

            ctx = ReviewContext.from_settings(self.settings, on_learn=None)
            self._reviews, self._db = ctx.reviews, ctx.db
        db = self._db or self._reviews.db
        ensure_tables(db)
        return self._reviews, ReviewLinks(db)

    def _validator(self, company: str):
        if self._validator_for is not None:
            return self._validator_for(company)
        from copilot.validate.service import ValidationService

        return ValidationService(self.settings).validator(company, suggest=False)

    # --- the run -------------------------------------------------------------------------------

    def run(self, path: Path, opts: ImportOptions) -> Summary:
        path = Path(path)
        if not path.is_file():
            raise InputError(f"no such file: {path}", field="file")
        out = Path(opts.out) if opts.out else default_output(path)
        if out.resolve() == path.resolve():
            raise InputError("the output must not be the input file", field="out")
        engine = self.suggestions.engine(opts.company)
        company = engine.model.company
        reader = TemplateReader(path, company, kind=opts.kind, entity=opts.entity)
        ckpt = self._checkpoint(path, out, reader.kind, opts)
        if ckpt.done:  # resuming a finished import: nothing left to do
            summary = Summary.start(ckpt, str(path), str(out), int(ckpt.counters.get("lines", 0)))
            summary.status = "done"
            return summary
        total = self._check_all(path, company, opts)
        todo = total - int(ckpt.counters.get("lines", 0))
        bulk = self.settings.bulk_search_min_lines
        snapshot = None
        if bulk and todo >= bulk:
            # Many lines: search an in-memory copy of the index (one matrix product per block of lines)
            # instead of one store query per line; same neighbours, a fraction of the time.
            from copilot.engine.neighbours import SnapshotNeighbours

            snapshot = SnapshotNeighbours(self.suggestions.store, opts.company)
            engine = engine.with_neighbours(snapshot)
        from copilot.batch.checks import LineChecks
        from copilot.batch.coder import ChunkCoder

        checks = LineChecks(self._validator(opts.company), reader.kind, company, as_of=opts.as_of) \
            if opts.validate else None
        columns = self._columns(reader, opts.ai_columns)
        coder = ChunkCoder(engine, checks, columns["dims"], self.settings.review_confidence_threshold, self.principal)
        pool = self._pool(coder, snapshot, todo) if snapshot is not None else None
        try:
            return self._run(path, out, opts, coder, reader, ckpt, total, columns, pool)
        finally:
            if pool is not None:
                pool.close()

    def _run(self, path: Path, out: Path, opts: ImportOptions, coder, reader: TemplateReader, ckpt: Checkpoint,
             total: int, columns: dict, pool) -> Summary:
        reviews, links = self._review_parts()
        summary = Summary.start(ckpt, str(path), str(out), total)
        output = PartialOutput(out, ckpt.output_bytes)
        try:
            if ckpt.output_bytes == 0:
                output.write(_csv_row(reader.header + [c for c in columns["added"]]))
                ckpt.output_bytes = output.commit()
                ckpt.save(out)
            fp = hashlib.sha256()
            chunk = _Chunk()
            # Chunks being suggested, oldest first: they are committed strictly in file order, so the
            # checkpoint always marks a prefix of the file, however many are in flight.
            window: deque[tuple[_Chunk, Callable[[], ChunkResult]]] = deque()
            committed_now = 0
            started = time.perf_counter()

            def commit_until(in_flight: int, *, at_end: bool = False) -> None:
                nonlocal committed_now
                while len(window) > in_flight:
                    done, coded = window.popleft()
                    committed_now += self._commit(done, coded(), opts, reviews, links, columns, output, ckpt, fp,
                                                  out, summary)
                    self._tick(summary)
                    if (opts.stop_after is not None and committed_now >= opts.stop_after
                            and (window or not at_end)):
                        raise Interrupted(f"stopped after line {ckpt.line}")

            depth = pool.depth if pool is not None else 0
            for record in reader.records():
                line = reader.parse(record) if record.kind == "data" else None
                if record.line <= ckpt.line:  # committed by an earlier run: check, do not redo
                    fingerprint_update(fp, record)
                    if record.line == ckpt.line and fp.hexdigest() != ckpt.fingerprint:
                        raise Conflict(f"{path} changed before line {ckpt.line}, where the interrupted import "
                                       "stopped; rerun with --restart")
                    continue
                if line is not None and chunk.lines and (
                        (line.starts_entry and chunk.lines >= opts.chunk_size) or chunk.lines >= 10 * opts.chunk_size):
                    window.append((chunk, self._code(chunk, coder, pool)))
                    commit_until(depth)
                    chunk = _Chunk()
                chunk.records.append((record, line))
                chunk.lines += line is not None
            if chunk.records:
                window.append((chunk, self._code(chunk, coder, pool)))
            commit_until(0, at_end=True)
            output.finish(out)
            ckpt.done = True
            ckpt.save(out)
            summary.finish(time.perf_counter() - started)
            return summary
        finally:
            output.close()

    def _pool(self, coder, snapshot, todo: int):
        """Worker processes to code the chunks, when the import is big enough to repay starting them."""
        from copilot.batch.parallel import SuggestPool, worker_count

        workers = worker_count(self.settings.batch_workers)
        if workers < 2 or todo < self.settings.batch_parallel_min_lines or not snapshot.available:
            return None
        return SuggestPool.start(coder, workers=workers, neighbours=snapshot, settings=self.settings)

    def _tick(self, summary: Summary) -> None:
        if self.progress is not None:
            self.progress(summary.counters["lines"], summary.total)

    def _checkpoint(self, path: Path, out: Path, kind: str, opts: ImportOptions) -> Checkpoint:
        existing = Checkpoint.load(out)
        if existing is not None and opts.restart:
            checkpoint_path(out).unlink(missing_ok=True)
            partial_path(out).unlink(missing_ok=True)
            existing = None
        if existing is not None:
            if not opts.resume:
                state = "finished" if existing.done else f"stopped after line {existing.line}"
                raise Conflict(f"{out} has an import in progress or done (batch {existing.batch_id}, {state}); "
                               "rerun with --resume to continue it or --restart to start over")
            if (existing.company, existing.kind, existing.input_size) != (opts.company, kind, file_size(path)):
                raise Conflict(f"the checkpoint beside {out} is for another file, company or template "
                               f"({existing.input}, company {existing.company}, {existing.kind}); "
                               "rerun with --restart")
            return existing
        partial_path(out).unlink(missing_ok=True)
        return Checkpoint(batch_id=opts.batch_id or uuid.uuid4().hex, company=opts.company, kind=kind,
                          input=str(path), input_size=file_size(path))

    def _check_all(self, path: Path, company, opts: ImportOptions) -> int:
        """Parse every line once (fail fast with the line and field); returns the number of lines."""
        reader = TemplateReader(path, company, kind=opts.kind, entity=opts.entity)
        n = 0
        for record in reader.records():
            if record.kind == "data":
                reader.parse(record)
                n += 1
        return n

    @staticmethod
    def _columns(reader: TemplateReader, ai: bool) -> dict:
        existing = {c: i for i, c in enumerate(reader.columns) if c in AI_COLUMNS}
        added = [c for c in AI_COLUMNS if c not in existing] if ai else []
        width = len(reader.columns)
        ai_index = {**existing, **{c: width + i for i, c in enumerate(added)}}
        account = next(i for i, (r, k) in enumerate(reader.roles) if r == "line" and k == "account")
        dims: dict[str, int] = {}
        for i, (role, key) in enumerate(reader.roles):
            if role == "dim":
                dims.setdefault(key, i)
        return {"added": added, "width": width + len(added), "ai": ai_index, "account": account, "dims": dims}

    @staticmethod
    def _code(chunk: _Chunk, coder, pool) -> Callable[[], ChunkResult]:
        """Start coding a chunk's lines; the returned call gives the result, in line order."""
        lines = [ln for _, ln in chunk.records if ln is not None]
        visible = coder.visible(lines)
        if pool is None:
            result = coder.code(lines, visible)
            return lambda: result
        future = pool.submit(lines, visible)
        return lambda: pool.result(future).attach(lines)

    def _commit(self, chunk: _Chunk, result: ChunkResult, opts: ImportOptions, reviews, links, columns: dict,
                output: PartialOutput, ckpt: Checkpoint, fp, out: Path, summary: Summary) -> int:
        outcomes = result.outcomes
        with bulk_load():  # as while coding (ChunkCoder.code): many objects, no cycles
            items = [(o.line.line, o.suggestion) for o in outcomes if o.status == "review" and o.suggestion]
            if items:
                ids = links.submit_once(ckpt.batch_id, items, reviews, self.principal, opts.company)
                for o in outcomes:
                    o.review_id = ids.get(o.line.line, o.review_id)
        by_line = {o.line.line: o for o in outcomes}
        buf = io.StringIO()
        writer = csv.writer(buf)
        for record, _ in chunk.records:
            writer.writerow(self._row(record, by_line.get(record.line), columns))
            fingerprint_update(fp, record)
        output.write(buf.getvalue())
        ckpt.output_bytes = output.commit()
        ckpt.line = chunk.records[-1][0].line
        ckpt.fingerprint = fp.hexdigest()
        summary.add(outcomes, chunk.records)
        summary.add_findings(result.info, result.notes)
        ckpt.counters = summary.counters
        ckpt.save(out)
        return len(outcomes)

    @staticmethod
    def _row(record: Record, o: Outcome | None, columns: dict) -> list[str]:
        cells = list(record.cells) + [""] * (columns["width"] - len(record.cells))
        cells = cells[: columns["width"]] if len(cells) > columns["width"] else cells
        if record.kind == "description":
            for name, i in columns["ai"].items():
                cells[i] = AI_DESCRIPTIONS[name]
            return cells
        if o is None:
            return cells
        if "account" in o.filled:
            cells[columns["account"]] = o.account or ""
        for key in o.filled:
            if key != "account":
                cells[columns["dims"][key]] = o.dims[key]
        values = ai_values(o)
        for name, i in columns["ai"].items():
            cells[i] = values[name]
        return cells


def _csv_row(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(cells)
    return buf.getvalue()
