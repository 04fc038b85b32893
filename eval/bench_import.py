"""XML import throughput: GL detail lines/s of `copilot company import --intacct-xml` (target 20,000).

The export is the demo company written as readByQuery response pages (GLDETAIL and the master data,
1,000 rows a page, exactly what copilot.formats.company_dir writes and Intacct returns); APBILL and
ARINVOICE are left out, they are not GL lines. Four measurements, each the best of ``--repeat`` runs
(the machine is shared; the best run is the one least disturbed):

  1. parse: lxml reads every GLDETAIL page into row dicts;
  2. parse + convert: read_company_dir, every row a validated Posting kept in a list (plus the
     master data), what ingest and eval load;
  3. import in-process: import_company, i.e. 2 keeping no postings (it only validates and counts)
     plus copying the pages into the data directory;
  4. the CLI as a user runs it, a child process: 3 plus interpreter start and imports (peak memory
     of that process measured too).

Writes eval/RESULTS.md (section import).

    .venv/bin/python -m eval.bench_import [--months 24] [--company-dir DIR] [--repeat 3] [--no-write]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from eval.measure import Measured, copilot_command, run_measured

TARGET = 20_000


def write_export(root: Path, months: int, seed: int) -> int:
    """The demo company's GLDETAIL and master data as response pages under root/intacct."""
    from copilot.demo.generator import generate_demo
    from copilot.formats.company_dir import write_company_dir

    demo = generate_demo(seed=seed, months=months)
    write_company_dir(root, demo.company, demo.postings)
    return len(demo.postings)


def best_of(repeat: int, fn: Callable[[], int]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, lines) of the fastest of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        lines = fn()
        runs.append((time.perf_counter() - w0, time.process_time() - c0, lines))
    return min(runs)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--months", type=int, default=24, help="Months of demo history to write (default 24)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--company-dir", type=Path, default=None,
                    help="Measure this export instead of writing the demo (a directory of <OBJECT>/page-*.xml)")
    ap.add_argument("--repeat", type=int, default=3, help="Runs per measurement; the best is reported")
    ap.add_argument("--no-write", action="store_true", help="print only, do not update eval/RESULTS.md")
    args = ap.parse_args(argv)

    from copilot.formats.commands import import_company
    from copilot.formats.common import bulk_load
    from copilot.formats.company_dir import intacct_dir, iter_located_rows, read_company_dir
    from copilot.settings import get_settings

    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    old_data_dir = os.environ.get("COPILOT_DATA_DIR")
    try:
        if args.company_dir is not None:
            src, label = intacct_dir(args.company_dir), f"`{args.company_dir}`"
        else:
            t0 = time.perf_counter()
            print(f"writing {args.months} months of the demo company as response pages ...", file=sys.stderr)
            write_export(tmp / "export", args.months, args.seed)
            src = intacct_dir(tmp / "export")
            label = f"the demo company (seed {args.seed}, {args.months} months)"
            print(f"  written in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        pages = len(list((src / "GLDETAIL").glob("page-*.xml"))) if (src / "GLDETAIL").is_dir() else 0
        megabytes = sum(p.stat().st_size for p in src.rglob("page-*.xml")) / 2**20

        def parse() -> int:
            with bulk_load():
                return sum(1 for _ in iter_located_rows(src, "GLDETAIL"))

        def convert() -> int:
            return len(read_company_dir(src, "bench").postings)

        os.environ["COPILOT_DATA_DIR"] = str(tmp / "data")
        get_settings.cache_clear()

        def in_process() -> int:
            with contextlib.redirect_stdout(io.StringIO()):  # its table and summary line
                import_company("bench", src, replace=True)
            return lines

        lines = convert()  # warm-up (page cache, imports) and the line count
        print(f"{lines:,} GL lines in {pages} pages", file=sys.stderr)
        results = {}
        for name, fn in (("parse", parse), ("convert", convert), ("import", in_process)):
            results[name] = best_of(args.repeat, fn)
            print(f"  {name}: {results[name][0]:.2f} s", file=sys.stderr, flush=True)
        env = {**os.environ, "COPILOT_DATA_DIR": str(tmp / "cli-data")}
        cli_runs: list[Measured] = []
        for i in range(args.repeat):
            shutil.rmtree(tmp / "cli-data", ignore_errors=True)
            cli_runs.append(run_measured(copilot_command("company", "import", "bench", "--intacct-xml", str(src)),
                                         env=env, log=tmp / f"cli-{i}.log").check())
        cli = min(cli_runs, key=lambda m: m.seconds)
        print(f"  cli: {cli.seconds:.2f} s, peak {cli.peak_mib:.0f} MiB", file=sys.stderr)
    finally:
        if old_data_dir is None:
            os.environ.pop("COPILOT_DATA_DIR", None)
        else:
            os.environ["COPILOT_DATA_DIR"] = old_data_dir
        get_settings.cache_clear()
        shutil.rmtree(tmp, ignore_errors=True)

    def row(stage: str, wall: float, cpu: float, peak: str = "-") -> str:
        return f"| {stage} | {wall:.2f} | {lines / wall:,.0f} | {cpu:.2f} | {lines / cpu:,.0f} | {peak} |"

    end_to_end = lines / cli.seconds
    load = os.getloadavg()[0]
    markdown = "\n".join([
        "## XML import: Intacct response pages into a company",
        "",
        f"{label}: {lines:,} GL detail lines in {pages} GLDETAIL pages of 1,000 rows, {megabytes:.0f} MB of "
        f"XML with the master data. Best of {args.repeat} runs each; 2-core machine shared with other jobs "
        f"(1-min load average {load:.1f} at the end), so the CPU-second columns are the steadier figures.",
        "",
        "| stage | wall s | lines/s | CPU s | lines per CPU-second | peak MiB |",
        "|---|---:|---:|---:|---:|---:|",
        row("parse: lxml pages -> row dicts", *results["parse"][:2]),
        row("parse + convert to a list of Postings (read_company_dir, with master data)", *results["convert"][:2]),
        row("import in-process: read, convert (none kept), copy pages into the data dir", *results["import"][:2]),
        row("`copilot company import --intacct-xml` (child process, incl. start-up)", cli.seconds,
            cli.cpu_seconds, f"{cli.peak_mib:,.0f}"),
        "",
        f"End to end, as a user runs it: **{end_to_end:,.0f} GL lines/s** (target {TARGET:,}: "
        f"{'met' if end_to_end >= TARGET else 'NOT met'}).",
    ])
    print(markdown)
    if not args.no_write:
        from copilot.evaluation.results import write_section

        write_section("import", markdown, command=" ".join([".venv/bin/python -m eval.bench_import", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
