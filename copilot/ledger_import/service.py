"""Import a CSV ledger file into a company directory, the same shape an Intacct import produces.

The pages are written to a staging folder inside the company folder and renamed into place only when
every page is written, so a failed import never leaves half a company behind.
"""

from __future__ import annotations

import gc
import json
import re
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from copilot.domain.entries import Posting
from copilot.domain.master import Company
from copilot.errors import Conflict, InputError
from copilot.ledger_import.csv_ledger import ImportReport, LedgerReader
from copilot.ledger_import.mapping import LedgerMapping
from copilot.ledger_import.sources import open_ledger, text_stream


@dataclass
class LedgerImport:
    company: Company
    postings: list[Posting]
    report: ImportReport
    seconds: float


def read_ledger_file(path: Path | str, mapping: LedgerMapping, company_name: str, *,
                     member: str | None = None, skip_bad_rows: bool = False, fail_hint: str = "",
                     progress: Callable[[int, int, int | None], None] | None = None) -> LedgerImport:
    """Read a whole ledger. ``progress(rows, bytes_read, bytes_total)`` is called every few thousand rows."""
    started = time.perf_counter()
    with open_ledger(path, member) as opened:
        on_rows = None
        if progress is not None:
            def on_rows(rows: int) -> None:
                progress(rows, opened.position(), opened.size)
        reader = LedgerReader(mapping, company_name, source=opened.name, skip_bad_rows=skip_bad_rows,
                              fail_hint=fail_hint, progress=on_rows)
        stream = text_stream(opened, mapping.encoding)
        # A bulk load of acyclic objects: the cyclic GC would re-scan the growing list of postings
        # again and again for nothing (measured: a quarter of the import time).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            postings = list(reader.read(stream))
        finally:
            if gc_was_enabled:
                gc.enable()
            stream.detach()  # the archive owns the underlying stream and closes it
    assert reader.company is not None
    return LedgerImport(reader.company, postings, reader.report, time.perf_counter() - started)


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # the rule `copilot company import` uses


def company_path(data_dir: Path, name: str) -> Path:
    if not _NAME.match(name):
        raise InputError(f"company name {name!r}: use letters, digits, '.', '_' or '-' (max 64)",
                         field="name")
    return Path(data_dir) / "companies" / name


def write_company(result: LedgerImport, target: Path, *, mapping_file: Path | None = None,
                  source_file: Path | None = None, replace: bool = False, page_size: int = 1000) -> None:
    """Write ``target/intacct`` pages, plus in ``target/extras``: ``ledger_import.json`` (what was
    imported, from where, what was skipped and why), ``ledger_import_rejects.csv`` (every bad row)
    and a copy of the mapping, so the import can be reproduced and audited.

    Only ``intacct/`` and these extras are replaced; anything else in the company folder stays.
    """
    from copilot.formats.company_dir import write_company_dir

    pages = target / "intacct"
    if pages.exists() and not replace:
        raise Conflict(f"company {target.name!r} already exists at {target}; pass --replace to overwrite it")
    staging = target / ".importing"  # renamed into place only once every page is written
    if staging.exists():
        shutil.rmtree(staging)
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    try:
        write_company_dir(staging, result.company, result.postings, page_size=page_size)
        if pages.exists():
            shutil.rmtree(pages)
        (staging / "intacct").rename(pages)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
        if created and not pages.exists():
            shutil.rmtree(target, ignore_errors=True)
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
        write_rejects(rejects, result.report)
    elif rejects.exists():
        rejects.unlink()  # from an earlier import of this company
    if mapping_file is not None:
        shutil.copyfile(mapping_file, extras / "ledger_import_mapping.yaml")


def master_counts(company: Company) -> dict[str, int]:
    counts = {"entities": len(company.entities), "accounts": len(company.accounts),
              "vendors": len(company.vendors), "customers": len(company.customers),
              "employees": len(company.employees), "projects": len(company.projects)}
    counts.update({k: len(v) for k, v in sorted(company.dimensions.items())})
    return {k: v for k, v in counts.items() if v}


def write_rejects(path: Path, report: ImportReport) -> None:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["line", "field", "error"])
        for bad in report.rejects:
            out.writerow([bad.line, bad.field, bad.message])
