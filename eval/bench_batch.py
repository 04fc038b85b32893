"""Batch-import throughput: lines/s of `copilot import` on a 100,000-line journal-entry file.

The file is built from the company's own recent GL detail, replayed as new entries: each batch
becomes an entry dated in the current open month; its income-statement lines lose their account and
dimensions (the copilot codes them), balance-sheet lines keep theirs (typed offsets). With
``--fresh-text`` every memo gets a new invoice number, so no text is in the embedding cache: the
worst case for the embedding model. The import runs the full path: parse, suggest (engine), validate,
review queue (a throwaway database), enriched output and checkpoints.

    .venv/bin/python -m eval.bench_batch [--company demo] [--lines 100000] [--fresh-text] [--no-write]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HEADER = ["DONOTIMPORT", "JOURNAL", "DATE", "DESCRIPTION", "REFERENCE_NO", "LINE_NO", "ACCT_NO", "LOCATION_ID",
          "DEPT_ID", "PROJECT_ID", "CLASS_ID", "VENDOR_ID", "CUSTOMER_ID", "EMPLOYEE_ID", "MEMO", "DEBIT", "CREDIT",
          "SOURCEENTITY"]
DIMS = {"location": "LOCATION_ID", "department": "DEPT_ID", "project": "PROJECT_ID", "class": "CLASS_ID",
        "vendor": "VENDOR_ID", "customer": "CUSTOMER_ID", "employee": "EMPLOYEE_ID"}
COUNTERPARTY = ("vendor", "customer", "employee")


def build_file(path: Path, company, postings, lines: int, when: date, fresh: bool, seed: int = 7) -> dict:
    """Write the import file; returns what it holds."""
    rng = random.Random(seed)
    recent = sorted(postings, key=lambda p: (p.entry_date, p.record_no))[-60_000:]
    batches: dict[str, list] = {}
    for p in recent:
        batches.setdefault(p.batch_no or p.record_no, []).append(p)
    groups = list(batches.values())
    written = to_code = entries = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        while written < lines:
            group = groups[rng.randrange(len(groups))]
            entries += 1
            for i, p in enumerate(group):
                acct = company.accounts.get(p.account_no)
                code = acct is not None and acct.account_type == "incomestatement"
                memo = f"{p.memo} INV-{rng.randrange(10**7):07d}" if fresh else p.memo
                row = {"JOURNAL": p.journal or "GJ", "DATE": f"{when:%m/%d/%Y}", "DESCRIPTION": p.batch_title[:80],
                       "REFERENCE_NO": f"BENCH-{entries}", "SOURCEENTITY": p.entity} if i == 0 else {}
                row.update({"LINE_NO": str(i + 1), "MEMO": memo,
                            "DEBIT" if p.tr_type == 1 else "CREDIT": str(p.amount)})
                for key, col in DIMS.items():
                    value = p.dims.get(key)
                    if value and (not code or key in COUNTERPARTY):
                        row[col] = value
                if not code:
                    row["ACCT_NO"] = p.account_no
                to_code += code
                w.writerow([row.get(c, "") for c in HEADER])
                written += 1
    return {"lines": written, "entries": entries, "to_code": to_code, "bytes": path.stat().st_size}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--company", default="demo")
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--chunk-size", type=int, default=5000)
    ap.add_argument("--fresh-text", action="store_true", help="new invoice numbers in every memo (cold embeddings)")
    ap.add_argument("--no-validate", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="print only, do not update eval/RESULTS.md")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    from copilot.batch.runner import BatchImporter, ImportOptions
    from copilot.formats.company_dir import read_company_dir
    from copilot.review.access import Principal
    from copilot.settings import get_settings

    base = get_settings()
    root = base.data_dir / "companies" / args.company
    if not (root / "model.pkl").exists():
        sys.exit(f"no trained company at {root}; run `copilot demo init` and `copilot ingest` first")
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    settings = base.model_copy(update={"database_url": f"sqlite:///{tmp / 'bench.db'}"})
    data = read_company_dir(root, args.company)
    today = date.today()
    src = tmp / "je.csv"
    t0 = time.perf_counter()
    info = build_file(src, data.company, data.postings, args.lines, today, args.fresh_text)
    print(f"built {src}: {info['lines']:,} lines in {info['entries']:,} entries, {info['to_code']:,} to code, "
          f"{info['bytes'] / 2**20:.1f} MiB ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
    del data

    from copilot import components

    service = components.suggestion_service(settings)
    engine = service.engine(args.company)  # model load is not import throughput
    embedder = service.embedder
    before = getattr(embedder, "texts_embedded", 0)
    last = [time.perf_counter(), 0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 10 or done == total:
            print(f"  {done:,}/{total:,} lines", file=sys.stderr, flush=True)
            last[0] = now

    validator = None
    if not args.no_validate:  # company master + history profile: loaded once per process, not per line
        from copilot.validate.service import ValidationService

        t1 = time.perf_counter()
        validator = ValidationService(settings).validator(args.company, suggest=False)
        print(f"validation context loaded in {time.perf_counter() - t1:.1f} s (not counted)", file=sys.stderr)
    importer = BatchImporter(settings, Principal("bench", "preparer", "*"), suggestions=service, progress=progress,
                             validator_for=(lambda _: validator) if validator is not None else None)
    started = time.perf_counter()
    summary = importer.run(src, ImportOptions(company=args.company, chunk_size=args.chunk_size, as_of=today,
                                              validate=not args.no_validate))
    wall = time.perf_counter() - started
    embedded = getattr(embedder, "texts_embedded", 0) - before
    d = summary.to_dict()
    load = os.getloadavg()
    lines_s = d["lines"] / wall
    print(summary.render(), file=sys.stderr)
    md = "\n".join([
        f"## Batch import throughput ({args.company}{', fresh memo texts' if args.fresh_text else ''})", "",
        f"`copilot import` of a {info['lines']:,}-line journal-entry file ({info['entries']:,} entries replayed from "
        f"the company's recent GL detail, {info['to_code']:,} lines with ACCT_NO and dimensions left empty to code, "
        f"{info['bytes'] / 2**20:.1f} MiB), chunks of {args.chunk_size:,}, validation "
        f"{'off' if args.no_validate else 'on'}, review queue on SQLite, enriched CSV and checkpoint per chunk.", "",
        "| lines | wall s | lines/s | auto-coded | sent to review | errors | texts the model embedded |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {d['lines']:,} | {wall:.1f} | **{lines_s:,.0f}** | {d['auto_coded']:,} | {d['sent_to_review']:,} | "
        f"{d['errors']:,} | {embedded:,} |", "",
        f"Review reasons: " + ", ".join(f"{k} {v:,}" for k, v in sorted(d['review_reasons'].items(),
                                                                          key=lambda kv: -kv[1])[:6]) + ".",
        f"Similar-posting search: "
        + (f"an in-memory copy of the index, read once per entity (files of {settings.bulk_search_min_lines:,}+ "
           f"lines; its load is inside the wall time)" if settings.bulk_search_min_lines
           and info["lines"] >= settings.bulk_search_min_lines else "one store query per block of lines") + ". "
        f"**Target 1,000 lines/s: {'met' if lines_s >= 1000 else 'not met'} ({lines_s:,.0f} lines/s).**",
        f"Machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} at the end (shared with "
        f"other jobs). Model and validation-context load excluded (once per process); the file is parsed "
        f"twice (a first pass checks every line before any work).",
    ])
    print(md)
    if not args.no_write:
        from copilot.evaluation.results import write_section

        cmd = "python -m eval.bench_batch" + (" --fresh-text" if args.fresh_text else "")
        write_section("batch" + ("-fresh" if args.fresh_text else ""), md, command=cmd)
    engine  # keep the engine referenced until the end


if __name__ == "__main__":
    main()
