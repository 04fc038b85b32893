"""``copilot sync``: pull a company from Intacct into its company directory, then into the index.

The directory is the one a file import writes (``<data_dir>/companies/<name>/intacct/<OBJECT>/
page-NNNN.xml``, readByQuery response pages), so a live sync and an import give the same company.

Per object a run has three steps, each recorded in ``sync/checkpoint.json`` before the next starts:
1. plan: the first sync (or ``--full``) replaces the object; later ones read only what changed,
   GLDETAIL by ``RECORDNO > last`` (history is append-only) and the rest by ``WHENMODIFIED >= last``;
2. stage: every page received is written to ``sync/staging/<OBJECT>/`` and the cursor saved, so an
   interrupted run resumes where it stopped. Intacct's resultId keeps its position on the server, so a
   page lost in transit is detected by the counts and the query is run again, skipping rows already
   staged (also what happens when the resultId has expired);
3. commit: staged pages are appended (GLDETAIL), merged by key (master data) or swapped in whole
   (replace), through a temporary directory, so a crash never leaves half an object.
Then the index ingestion runs (re-ingesting unchanged lines is skipped by content hash).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from copilot.connector.base import (APPEND_ONLY, MASTER_OBJECTS, SYNC_OBJECTS, LedgerConnector, Page,
                                    PageLost, ReadFilter, ResumeExpired)
from copilot.connector.checkpoint import Checkpoint, ObjectState, parse_modified
from copilot.connector.transport import log
from copilot.formats.company_dir import iter_object_rows, page_files, write_object_pages
from copilot.formats.intacct_errors import IntacctBusinessError
from copilot.formats.xmlrows import write_readbyquery_page
from copilot.settings import Settings

# Objects a company may simply not have (module not subscribed): a failure to read them is noted
# and the sync goes on. GL accounts and GL detail are the point of the exercise: their failure stops it.
OPTIONAL_OBJECTS = frozenset({"LOCATIONENTITY", "PROJECT", "CLASS", "CUSTOMER", "EMPLOYEE", "APBILL"})
ID_FIELDS = {"LOCATIONENTITY": "LOCATIONID", "GLACCOUNT": "ACCOUNTNO", "DEPARTMENT": "DEPARTMENTID", "LOCATION": "LOCATIONID",
             "PROJECT": "PROJECTID", "CLASS": "CLASSID", "VENDOR": "VENDORID", "CUSTOMER": "CUSTOMERID",
             "EMPLOYEE": "EMPLOYEEID", "APBILL": "RECORDID"}

IngestFn = Callable[[Settings, str, Path], Any]


def company_root(settings: Settings, company: str) -> Path:
    return settings.company_dir(company)


@dataclass
class ObjectReport:
    name: str
    mode: str = ""
    rows: int = 0  # rows committed by this run
    pages: int = 0
    resumed: bool = False
    requeried: bool = False
    skipped: str | None = None


@dataclass
class SyncReport:
    company: str
    api: str
    root: Path
    objects: dict[str, ObjectReport] = field(default_factory=dict)
    seconds: float = 0.0
    ingest: Any = None

    @property
    def new_postings(self) -> int:
        rep = self.objects.get("GLDETAIL")
        return rep.rows if rep else 0

    def summary(self) -> str:
        lines = [f"synced company {self.company} over {self.api} into {self.root} in {self.seconds:.1f} s"]
        for rep in self.objects.values():
            note = f"skipped: {rep.skipped}" if rep.skipped else \
                f"{rep.rows:,} rows ({rep.mode}{', resumed' if rep.resumed else ''}{', re-queried' if rep.requeried else ''})"
            lines.append(f"  {rep.name:14s} {note}")
        if self.ingest is not None and hasattr(self.ingest, "summary"):
            lines.append(self.ingest.summary())
        return "\n".join(lines)


def ingest_company_dir(settings: Settings, company: str, root: Path, *, progress: bool = False) -> Any:
    """The index ingestion a sync ends with (the same steps as ``copilot ingest``)."""
    from copilot.formats.company_dir import read_company_dir
    from copilot.index.embeddings import build_embedder
    from copilot.index.ingest import Ingestor
    from copilot.index.store import build_vector_store

    data = read_company_dir(root, company)
    policies = settings.policies_dir if settings.policies_dir.is_dir() and any(settings.policies_dir.rglob("*.md")) \
        else None
    embedder = build_embedder(settings, progress=progress)
    store = build_vector_store(settings)
    try:
        return Ingestor(store, embedder, progress=progress).ingest_company(company, data.company, data.postings,
                                                                         policies)
    finally:
        store.close()
        close = getattr(embedder, "close", None)
        if close:
            close()


class _Bar:
    """rich progress per object when enabled; silent otherwise."""

    def __init__(self, enabled: bool):
        self._progress = None
        if enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("{task.description:14s}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), transient=False)
            self._progress.start()

    def task(self, name: str):
        return self._progress.add_task(name, total=None) if self._progress else None

    def update(self, task, *, advance: int = 0, total: int | None = None) -> None:
        if self._progress is not None and task is not None:
            self._progress.update(task, advance=advance, **({"total": total} if total is not None else {}))

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _filter_to_dict(mode: str, flt: ReadFilter) -> dict[str, Any]:
    return {"mode": mode, "modified_since": flt.modified_since.isoformat() if flt.modified_since else None,
            "after_recordno": flt.after_recordno, "entry_since": flt.entry_since.isoformat() if flt.entry_since else None}


def _filter_from_dict(data: dict[str, Any]) -> tuple[str, ReadFilter]:
    from datetime import datetime

    return data["mode"], ReadFilter(
        modified_since=datetime.fromisoformat(data["modified_since"]) if data.get("modified_since") else None,
        after_recordno=data.get("after_recordno"),
        entry_since=date.fromisoformat(data["entry_since"]) if data.get("entry_since") else None)


def _row_key(obj: str, row: dict[str, str]) -> int | str:
    """A row's identity for de-duplication: RECORDNO (an int, small in a set of a million), else the id."""
    rec = row.get("RECORDNO", "")
    if rec.isdigit():
        return int(rec)
    if rec:
        return "R:" + rec
    id_field = ID_FIELDS.get(obj)
    if id_field and row.get(id_field):
        return f"I:{row[id_field]}|{row.get('MEGAENTITYID', '')}"
    return "X:" + repr(sorted(row.items()))


class Syncer:
    def __init__(self, connector: LedgerConnector, root: Path, company: str, *, page_size: int = 1000,
                 progress: bool = False):
        self.connector = connector
        self.root = Path(root)
        self.company = company
        self.page_size = page_size
        self.progress = progress
        self.work = self.root / "sync"
        self.checkpoint = Checkpoint.load(self.work / "checkpoint.json")
        if self.checkpoint.objects and self.checkpoint.api != connector.api:
            log.info("sync: switching %s from the %s API to %s", company, self.checkpoint.api, connector.api)
        self.checkpoint.api = connector.api

    def staging(self, obj: str) -> Path:
        return self.work / "staging" / obj

    # ---- the run ----------------------------------------------------------------------------------
    def run(self, objects: Iterable[str] = SYNC_OBJECTS, *, since: date | None = None,
            full: bool = False) -> SyncReport:
        t0 = time.perf_counter()
        report = SyncReport(company=self.company, api=self.connector.api, root=self.root)
        bar = _Bar(self.progress)
        try:
            for obj in objects:
                report.objects[obj] = self._sync_object(obj.upper(), since=since, full=full, bar=bar)
        finally:
            bar.close()
        report.seconds = time.perf_counter() - t0
        return report

    def _plan(self, obj: str, st: ObjectState, since: date | None, full: bool) -> tuple[str, ReadFilter]:
        entry_since = since if obj == "GLDETAIL" else None
        if full or st.status == "new" or st.completed_at is None:
            return "replace", ReadFilter(entry_since=entry_since)
        if obj in APPEND_ONLY and st.last_recordno is not None:
            return "append", ReadFilter(after_recordno=st.last_recordno, entry_since=entry_since)
        modified = parse_modified(st.last_modified)
        if modified is not None:
            return "merge", ReadFilter(modified_since=modified)
        return "replace", ReadFilter(entry_since=entry_since)

    def _sync_object(self, obj: str, *, since: date | None, full: bool, bar: _Bar) -> ObjectReport:
        st = self.checkpoint.state(obj)
        rep = ObjectReport(obj)
        if st.status == "committing":  # the previous run died while committing: finish that first
            mode, _ = _filter_from_dict(st.run_filter or {"mode": "replace"})
            rep.rows, rep.mode, rep.resumed = self._commit(obj, st, mode), mode, True
            return rep
        task = bar.task(obj)
        try:
            if st.status == "running" and st.run_filter:
                mode, flt = _filter_from_dict(st.run_filter)
                rep.resumed = True
                pages = self._resume(obj, st, flt, rep)
            else:
                mode, flt = self._plan(obj, st, since, full)
                st.start_run(_filter_to_dict(mode, flt))
                shutil.rmtree(self.staging(obj), ignore_errors=True)
                self.checkpoint.save()
                pages = self.connector.read_pages(obj, flt)
            rep.mode = mode
            seen = self._staged_keys(obj) if rep.resumed else set()
            try:
                for page in pages:
                    self._stage(obj, st, page, seen)
                    rep.pages += 1
                    bar.update(task, advance=len(page.rows), total=page.totalcount if rep.pages == 1 else None)
            except PageLost as exc:
                # Once per run: the query again from the start, skipping every row already staged.
                log.warning("sync: %s: %s; running the query again", obj, exc)
                rep.requeried, st.rows_seen = True, 0
                for page in self.connector.read_pages(obj, flt):
                    self._stage(obj, st, page, seen)
                    rep.pages += 1
                    bar.update(task, advance=len(page.rows))
        except IntacctBusinessError as exc:
            if obj not in OPTIONAL_OBJECTS:
                raise
            log.warning("sync: %s skipped: %s", obj, exc.message)
            st.status, st.run_filter, st.cursor = ("done" if st.completed_at else "new"), None, None
            self.checkpoint.save()
            shutil.rmtree(self.staging(obj), ignore_errors=True)
            rep.skipped = exc.message
            return rep
        rep.rows = self._commit(obj, st, mode, recount=rep.resumed)
        return rep

    # ---- staging ----------------------------------------------------------------------------------
    def _staged_keys(self, obj: str) -> set[int | str]:
        if not self.staging(obj).is_dir():
            return set()
        return {_row_key(obj, r) for r in iter_object_rows(self.staging(obj).parent, obj)}

    def _resume(self, obj: str, st: ObjectState, flt: ReadFilter, rep: ObjectReport) -> Iterator[Page]:
        if st.cursor is None and st.pages_staged:
            return  # the last page was staged; only the commit is missing
        if st.cursor is not None:
            try:
                pages = self.connector.read_pages(obj, flt, resume=st.cursor)
                first = next(pages, None)
                expected = st.rows_seen_total - st.rows_seen
                if first is None or (expected >= 0 and len(first.rows) + first.numremaining != expected):
                    raise ResumeExpired("the row counts do not line up (a page was lost in transit)")
                log.info("sync: %s resumed from page %d", obj, st.pages_staged + 1)
                yield first
                yield from pages
                return
            except ResumeExpired as exc:
                log.info("sync: %s cannot continue from its cursor (%s); running the query again", obj, exc)
        rep.requeried = True
        st.rows_seen = 0
        yield from self.connector.read_pages(obj, flt)

    def _staged_pages(self, obj: str) -> list[Path]:
        folder = self.staging(obj)
        return sorted(folder.glob("page-*.xml")) if folder.is_dir() else []

    def _stage(self, obj: str, st: ObjectState, page: Page, seen: set[int | str]) -> None:
        if st.rows_seen == 0:
            st.rows_seen_total = len(page.rows) + page.numremaining
        st.rows_seen += len(page.rows)
        rows = []
        for row in page.rows:
            key = _row_key(obj, row)
            if key not in seen:
                seen.add(key)
                rows.append(row)
        st.cursor = page.cursor
        existing = self._staged_pages(obj)
        if rows or not existing:
            # Numbered from the files, not the checkpoint: a page written just before a crash (and
            # so missing from the checkpoint) is kept, and its rows were in ``seen``.
            number = max((_page_number(p) for p in existing), default=0) + 1
            folder = self.staging(obj)
            folder.mkdir(parents=True, exist_ok=True)
            data = write_readbyquery_page(obj, rows, totalcount=page.totalcount, numremaining=page.numremaining,
                                          result_id=page.cursor or "", controlid=f"sync-{obj.lower()}-{number:04d}",
                                          function="readByQuery" if number == 1 else "readMore",
                                          companyid=self.company)
            tmp = folder / f"page-{number:04d}.xml.part"
            tmp.write_bytes(data)
            os.replace(tmp, folder / f"page-{number:04d}.xml")
            st.pages_staged = number
            st.rows_staged += len(rows)
            st.note_rows(rows)
        self.checkpoint.save()  # after the page is on disk: a crash in between re-stages, never skips

    # ---- commit -----------------------------------------------------------------------------------
    def _commit(self, obj: str, st: ObjectState, mode: str, *, recount: bool = False) -> int:
        target = self.root / "intacct" / obj
        staged = self.staging(obj)
        old = self.work / "old" / obj
        if st.status != "committing":
            if recount:
                # Pages staged by an earlier process: take counts and high-water marks from the files
                # (a page written just before a crash is on disk but not in the running tallies).
                st.run_max_recordno = st.run_max_modified = None
                st.rows_staged = 0
                for row in iter_object_rows(staged.parent, obj) if staged.is_dir() else ():
                    st.note_rows([row])
                    st.rows_staged += 1
            # From here on the marks are fixed in the checkpoint: a commit that dies half-way is
            # finished with them, never recounted from a half-moved staging directory.
            st.status = "committing"
            self.checkpoint.save()
        rows = st.rows_staged
        for part in staged.glob("*.part") if staged.is_dir() else ():
            part.unlink()  # a page whose write a crash interrupted; its rows were staged again
        if old.is_dir() and not target.exists():  # died between the two renames of a swap
            os.replace(old, target)
        if not staged.is_dir():  # died after the swap, before the checkpoint said so
            shutil.rmtree(old, ignore_errors=True)
        elif mode == "append" and page_files(self.root, obj):
            number = max(_page_number(p) for p in page_files(self.root, obj))
            for page in self._staged_pages(obj):
                if _page_count(page) == 0:
                    page.unlink()  # an empty page adds nothing to an object that already has pages
                    continue
                number += 1
                os.replace(page, target / f"page-{number:04d}.xml")
        elif mode == "merge" and page_files(self.root, obj):
            merged: dict[int | str, dict[str, str]] = {}
            for row in iter_object_rows(self.root, obj):
                merged[_row_key(obj, row)] = row
            for row in iter_object_rows(staged.parent, obj):
                merged[_row_key(obj, row)] = row
            self._swap(obj, lambda base: write_object_pages(base, obj, merged.values(), page_size=self.page_size,
                                                            company=self.company))
        else:  # replace (or append/merge onto nothing yet): the staged pages are the object
            self._swap(obj, None)
        shutil.rmtree(staged, ignore_errors=True)
        st.finish_run(rows)
        self.checkpoint.save()
        log.info("sync: %s committed (%s, %d rows)", obj, mode, rows)
        return rows

    def _swap(self, obj: str, write: Callable[[Path], Any] | None) -> None:
        """Put the new pages in place of the old with two renames (old kept until the second one).

        ``write(base)`` renders the new pages under ``base/obj``; None takes the staged pages as they are.
        """
        if write is None:
            source = self.staging(obj)
        else:
            base = self.work / "commit"
            shutil.rmtree(base / obj, ignore_errors=True)
            write(base)
            source = base / obj
        target = self.root / "intacct" / obj
        target.parent.mkdir(parents=True, exist_ok=True)
        old = self.work / "old" / obj
        shutil.rmtree(old, ignore_errors=True)
        old.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            os.replace(target, old)
        os.replace(source, target)
        shutil.rmtree(old, ignore_errors=True)


def _page_number(path: Path) -> int:
    return int(path.name.split("-")[1].split(".")[0])


def _page_count(path: Path) -> int:
    from lxml import etree

    for _event, elem in etree.iterparse(str(path), events=("start",), tag="data"):
        return int(elem.get("count") or 0)
    return 0


def sync_company(connector: LedgerConnector, settings: Settings, company: str, *,
                 objects: Iterable[str] = SYNC_OBJECTS, since: date | None = None, full: bool = False,
                 ingest: IngestFn | None = ingest_company_dir, progress: bool = False) -> SyncReport:
    """Sync one company and (unless ``ingest`` is None) index it. Returns what was done."""
    root = company_root(settings, company)
    syncer = Syncer(connector, root, company, page_size=settings.intacct_page_size, progress=progress)
    report = syncer.run(objects, since=since, full=full)
    if ingest is not None:
        report.ingest = ingest(settings, company, root)
    return report


__all__ = ["MASTER_OBJECTS", "ObjectReport", "SyncReport", "Syncer", "company_root", "ingest_company_dir",
           "sync_company"]
