"""Import a CSV ledger file into a company directory, the same shape an Intacct import produces.

Two ways in:
- ``read_ledger_file`` reads a ledger into memory (company + list of postings), for code that wants
  the postings themselves; ``write_company`` then writes them with ``write_company_dir``.
- ``import_ledger_file`` streams: each posting is rendered into its GLDETAIL page as soon as it is
  read, so memory stays flat however long the ledger. The master data is only complete at the end
  of the file, so it is written after the lines, with ``write_company_dir`` and no postings, and the
  GLDETAIL pages are moved in beside it: the same pages ``write_company_dir`` writes from a list.

Pages are written to a staging folder inside the company folder and renamed into place only when
every page is written, so a failed import never leaves half a company behind.
"""

from __future__ import annotations

import csv
import gc
import json
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from copilot.domain.entries import Posting
from copilot.domain.master import Company
from copilot.errors import Conflict
from copilot.ledger_import.csv_ledger import ImportReport, LedgerReader
from copilot.ledger_import.mapping import LedgerMapping
from copilot.ledger_import.sources import open_ledger, text_stream

Progress = Callable[[int, int, "int | None"], None]  # (rows, bytes read, bytes in total)


@dataclass
class LedgerImport:
    company: Company
    report: ImportReport
    seconds: float
    postings: list[Posting] = field(default_factory=list)  # empty when streamed to disk


@contextmanager
def _reading(path: Path | str, mapping: LedgerMapping, company_name: str, *, member: str | None,
             skip_bad_rows: bool, fail_hint: str,
             progress: Progress | None) -> Iterator[tuple[LedgerReader, Iterator[Posting]]]:
    with open_ledger(path, member) as opened:
        on_rows = None
        if progress is not None:
            def on_rows(rows: int) -> None:
                progress(rows, opened.position(), opened.size)
        reader = LedgerReader(mapping, company_name, source=opened.name, skip_bad_rows=skip_bad_rows,
                              fail_hint=fail_hint, progress=on_rows)
        stream = text_stream(opened, mapping.encoding)
        try:
            yield reader, reader.read(stream)
        finally:
            stream.detach()  # the file or archive owns the underlying stream and closes it


def read_ledger_file(path: Path | str, mapping: LedgerMapping, company_name: str, *,
                     member: str | None = None, skip_bad_rows: bool = False, fail_hint: str = "",
                     progress: Progress | None = None) -> LedgerImport:
    """Read a whole ledger into memory."""
    started = time.perf_counter()
    with _reading(path, mapping, company_name, member=member, skip_bad_rows=skip_bad_rows,
                  fail_hint=fail_hint, progress=progress) as (reader, postings):
        # A bulk load of acyclic objects: the cyclic GC would re-scan the growing list of postings
        # again and again for nothing (measured: a quarter of the read time).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            kept = list(postings)
        finally:
            if gc_was_enabled:
                gc.enable()
    assert reader.company is not None
    return LedgerImport(reader.company, reader.report, time.perf_counter() - started, kept)


def company_path(data_dir: Path, name: str) -> Path:
    from copilot.settings import company_dir

    return company_dir(data_dir, name)


def import_ledger_file(path: Path | str, mapping: LedgerMapping, target: Path, *,
                       member: str | None = None, skip_bad_rows: bool = False, fail_hint: str = "",
                       progress: Progress | None = None, replace: bool = False,
                       mapping_file: Path | None = None, page_size: int = 1000) -> LedgerImport:
    """Read a ledger and write it as company ``target.name`` in one streaming pass."""
    from copilot.formats.company_dir import write_company_dir, write_object_pages
    from copilot.formats.records import posting_to_row

    started = time.perf_counter()
    with _staging(target, replace) as staging:
        with _reading(path, mapping, target.name, member=member, skip_bad_rows=skip_bad_rows,
                      fail_hint=fail_hint, progress=progress) as (reader, postings):
            lines = staging / "lines"
            write_object_pages(lines, "GLDETAIL", (posting_to_row(p) for p in postings),
                               page_size=page_size, company=target.name)
        assert reader.company is not None
        write_company_dir(staging, reader.company, [], page_size=page_size)
        shutil.rmtree(staging / "intacct" / "GLDETAIL")
        (lines / "GLDETAIL").rename(staging / "intacct" / "GLDETAIL")
    result = LedgerImport(reader.company, reader.report, time.perf_counter() - started)
    _write_extras(result, target, mapping_file=mapping_file, source_file=Path(path))
    return result


def write_company(result: LedgerImport, target: Path, *, mapping_file: Path | None = None,
                  source_file: Path | None = None, replace: bool = False, page_size: int = 1000) -> None:
    """Write an in-memory import with ``write_company_dir``."""
    from copilot.formats.company_dir import write_company_dir

    with _staging(target, replace) as staging:
        write_company_dir(staging, result.company, result.postings, page_size=page_size)
    _write_extras(result, target, mapping_file=mapping_file, source_file=source_file)


@contextmanager
def _staging(target: Path, replace: bool) -> Iterator[Path]:
    """A folder whose ``intacct/`` replaces ``target/intacct`` once the block finishes without error.
    Only ``intacct/`` (and the import's own extras) are replaced; anything else in the company stays."""
    pages = target / "intacct"
    if pages.exists() and not replace:
        raise Conflict(f"company {target.name!r} already exists at {target}; pass --replace to overwrite it")
    staging = target / ".importing"
    created = not target.exists()
    if staging.exists():
        shutil.rmtree(staging)
    target.mkdir(parents=True, exist_ok=True)
    try:
        yield staging
        if pages.exists():
            shutil.rmtree(pages)
        (staging / "intacct").rename(pages)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
        if created and not pages.exists():
            shutil.rmtree(target, ignore_errors=True)


def _write_extras(result: LedgerImport, target: Path, *, mapping_file: Path | None,
                  source_file: Path | None) -> None:
    """``extras/ledger_import.json`` (what was imported, from where, what was left out and why),
    ``extras/ledger_import_rejects.csv`` (every bad row) and a copy of the mapping: enough to
    reproduce and audit the import."""
    extras = target / "extras"
    extras.mkdir(exist_ok=True)
    summary = {
        "kind": "csv-ledger", "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "file": str(source_file) if source_file else None,
        "mapping": str(mapping_file) if mapping_file else None,
        "seconds": round(result.seconds, 3), **result.report.summary(),
        "master_data": master_counts(result.company),
    }
    (extras / "ledger_import.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    rejects = extras / "ledger_import_rejects.csv"
    if result.report.rejects:
        with open(rejects, "w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(["line", "field", "error"])
            out.writerows([bad.line, bad.field, bad.message] for bad in result.report.rejects)
    elif rejects.exists():
        rejects.unlink()  # left by an earlier import of this company
    if mapping_file is not None:
        shutil.copyfile(mapping_file, extras / "ledger_import_mapping.yaml")


def master_counts(company: Company) -> dict[str, int]:
    counts = {"entities": len(company.entities), "accounts": len(company.accounts),
              "vendors": len(company.vendors), "customers": len(company.customers),
              "employees": len(company.employees), "projects": len(company.projects)}
    counts.update({k: len(v) for k, v in sorted(company.dimensions.items())})
    return {k: v for k, v in counts.items() if v}
