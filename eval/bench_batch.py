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
import resource
import statistics
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


def reference_seconds() -> float:
    """A fixed pure-Python loop: how fast this (shared, virtual) machine is right now."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started


def render(args, info: dict, runs: list[dict], workers: int, median: float, peak_child: float, base) -> str:
    """The RESULTS.md section for these runs."""
    return "\n".join([
        f"## Batch import throughput ({args.company}{', fresh memo texts' if args.fresh_text else ''}"
        f"{', one process' if workers == 1 else ''})", "",
        f"`copilot import` of a {info['lines']:,}-line journal-entry file ({info['entries']:,} entries replayed from "
        f"the company's recent GL detail, {info['to_code']:,} lines with ACCT_NO and dimensions left empty to code, "
        f"{info['bytes'] / 2**20:.1f} MiB), chunks of {args.chunk_size:,}, validation "
        f"{'off' if args.no_validate else 'on'}, review queue on SQLite, enriched CSV and checkpoint per chunk; "
        + (f"{workers} worker processes code the chunks (spawned per import: their start is in the wall time)."
           if workers > 1 else "every chunk coded in the importing process (no worker processes)."), "",
        "| run | lines | wall s | lines/s | auto-coded | sent to review | errors | texts the model embedded | reference loop s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *[f"| {i + 1} | {r['summary']['lines']:,} | {r['wall']:.1f} | **{r['lines_s']:,.0f}** | "
          f"{r['summary']['auto_coded']:,} | {r['summary']['sent_to_review']:,} | {r['summary']['errors']:,} | "
          f"{r['embedded']:,} | {r['reference']:.2f} |" for i, r in enumerate(runs)], "",
        "Review reasons: " + ", ".join(f"{k} {v:,}" for k, v in sorted(
            runs[-1]["summary"]["review_reasons"].items(), key=lambda kv: -kv[1])[:6]) + ".",
        f"Similar-posting search: "
        + (f"an in-memory copy of the index, read once per entity (files of {base.bulk_search_min_lines:,}+ "
           f"lines; its load is inside the wall time)" if base.bulk_search_min_lines
           and info["lines"] >= base.bulk_search_min_lines else "one store query per block of lines") + ". "
        + (f"**Target 1,000 lines/s: {'met' if median >= 1000 else 'not met'} (median of {len(runs)} runs "
           f"{median:,.0f} lines/s).**" if workers > 1 else
           f"One process, for comparison with the default (one worker process per core, section batch): "
           f"median of {len(runs)} runs {median:,.0f} lines/s."),
        f"Machine: {os.cpu_count()} cores, shared: the reference loop (10M additions in pure Python, timed just "
        f"before each run) shows how fast it was; load average {runs[-1]['load']:.1f} at the end. "
        + (f"Peak memory of a worker process {peak_child:,.0f} MiB. " if workers > 1 else "")
        + "Model and validation-context load excluded (once per process); the file is parsed twice (a first "
        "pass checks every line before any work).",
    ])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--company", default="demo")
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--chunk-size", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3, help="imports of the same file (each into a fresh queue)")
    ap.add_argument("--workers", type=int, default=None,
                    help="worker processes (default: the batch_workers setting; 1 = all in this process)")
    ap.add_argument("--fresh-text", action="store_true", help="new invoice numbers in every memo (cold embeddings)")
    ap.add_argument("--no-validate", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="print only, do not update eval/RESULTS.md")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    from copilot.batch.parallel import worker_count
    from copilot.batch.runner import BatchImporter, ImportOptions
    from copilot.formats.company_dir import read_company_dir
    from copilot.review.access import Principal
    from copilot.settings import get_settings

    base = get_settings()
    if args.workers is not None:
        base = base.model_copy(update={"batch_workers": args.workers})
    root = base.data_dir / "companies" / args.company
    if not (root / "model.pkl").exists():
        sys.exit(f"no trained company at {root}; run `copilot demo init` and `copilot ingest` first")
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    data = read_company_dir(root, args.company)
    today = date.today()
    src = tmp / "je.csv"
    t0 = time.perf_counter()
    info = build_file(src, data.company, data.postings, args.lines, today, args.fresh_text)
    print(f"built {src}: {info['lines']:,} lines in {info['entries']:,} entries, {info['to_code']:,} to code, "
          f"{info['bytes'] / 2**20:.1f} MiB ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
    del data

    from copilot import components

    service = components.suggestion_service(base)
    engine = service.engine(args.company)  # model load is not import throughput
    embedder = service.embedder
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
        validator = ValidationService(base).validator(args.company, suggest=False)
        print(f"validation context loaded in {time.perf_counter() - t1:.1f} s (not counted)", file=sys.stderr)
    parallel = (worker_count(base.batch_workers) > 1 and info["lines"] >= base.batch_parallel_min_lines
                and bool(base.bulk_search_min_lines) and info["lines"] >= base.bulk_search_min_lines)
    workers = worker_count(base.batch_workers) if parallel else 1
    runs = []
    for run in range(max(args.runs, 1)):
        settings = base.model_copy(update={"database_url": f"sqlite:///{tmp / f'bench{run}.db'}"})
        reference = reference_seconds()
        before = getattr(embedder, "texts_embedded", 0)
        importer = BatchImporter(settings, Principal("bench", "preparer", "*"), suggestions=service,
                                 progress=progress,
                                 validator_for=(lambda _: validator) if validator is not None else None)
        started = time.perf_counter()
        summary = importer.run(src, ImportOptions(company=args.company, chunk_size=args.chunk_size, as_of=today,
                                                  validate=not args.no_validate, out=tmp / f"je{run}.enriched.csv"))
        wall = time.perf_counter() - started
        d = summary.to_dict()
        runs.append({"wall": wall, "lines_s": d["lines"] / wall, "reference": reference, "summary": d,
                     "embedded": getattr(embedder, "texts_embedded", 0) - before, "load": os.getloadavg()[0]})
        print(summary.render(), file=sys.stderr)
        print(f"run {run + 1}: {d['lines'] / wall:,.0f} lines/s ({wall:.1f} s, reference loop {reference:.2f} s)",
              file=sys.stderr, flush=True)
    peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    median = statistics.median(r["lines_s"] for r in runs)
    d = runs[0]["summary"]
    md = render(args, info, runs, workers, median, peak_child, base)
    print(md)
    if not args.no_write:
        from copilot.evaluation.results import write_section

        cmd = "python -m eval.bench_batch" + (" --fresh-text" if args.fresh_text else "") + \
            (f" --workers {args.workers}" if args.workers is not None else "") + \
            (f" --runs {args.runs}" if args.runs != 3 else "")
        name = "batch" + ("-fresh" if args.fresh_text else "") + ("-one-process" if workers == 1 else "")
        write_section(name, md, command=cmd)
    engine  # keep the engine referenced until the end


if __name__ == "__main__":
    main()
