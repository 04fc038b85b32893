"""Scale run: a company of N GL detail lines imported, indexed, trained and evaluated on its last quarter.

Each stage is the command a user runs, as a child process measured for wall time, CPU time and peak
memory (eval/measure.py), in a data directory of its own (nothing under var/ is touched):

  1. write the export: eval.scale_company, the demo company grown to N lines (by months of history),
     as readByQuery response pages;
  2. ``copilot company import scale --intacct-xml EXPORT``;
  3. ``copilot ingest --company scale``: embeddings (a cold cache, as on a customer's first day),
     the embedded Qdrant store, then training the ranking model;
  4. ``copilot eval --company scale --test-months 3 --no-write``: the engine and the three baselines,
     trained on the older months and tested on the last quarter.

Writes eval/RESULTS.md (section scale). Thread counts (OMP_NUM_THREADS ...) are taken from the
environment and reported.

    .venv/bin/python -m eval.scale --lines 250000 [--work /tmp/copilot-scale] [--max-test N] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from eval.measure import Measured, copilot_command, run_measured

COMPANY = "scale"


@dataclass
class Stage:
    name: str
    measured: Measured
    lines: int | None = None  # lines the stage processed, for a rate


def eval_summary(log_text: str) -> list[str]:
    """The split, the method table and the headline bullets of `copilot eval`'s report."""
    lines = log_text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("Time split at")), None)
    if start is None:
        return []
    out = []
    for ln in lines[start:]:
        out.append(ln)
        if ln.startswith("- Engine training time"):
            break
    return out


def ingest_report(log_text: str) -> dict | None:
    """The JSON report `copilot ingest --json` prints (the log also holds its stderr lines)."""
    at = log_text.find('{\n  "company"')
    if at < 0:
        return None
    try:
        return json.JSONDecoder().raw_decode(log_text[at:])[0]
    except ValueError:
        return None


def render(stages: list[Stage], summary: dict, *, test_months: int, max_test: int | None,
           ingest: dict | None, evaluation: list[str], threads: str, load: float) -> str:
    total = sum(s.measured.seconds for s in stages)
    rows = []
    for s in stages:
        m = s.measured
        rate = f"{s.lines / m.seconds:,.0f}" if s.lines and m.seconds > 0 else "-"
        rows.append(f"| {s.name} | {m.seconds:,.1f} | {m.cpu_seconds:,.1f} | {m.peak_mib:,.0f} | {rate} |")
    md = [
        "## Scale: a company of {:,} GL detail lines".format(summary["lines"]),
        "",
        f"The demo company grown to {summary['months_generated']} months of history, its most recent "
        f"{summary['lines']:,} GL detail lines in whole entries ({summary['first_date']} to "
        f"{summary['last_date']}; {summary['entities']} entities, {summary['accounts']} accounts, "
        f"{summary['vendors']:,} vendors), written as readByQuery response pages, then taken through what "
        f"a customer runs, each stage a child process in a fresh data directory (cold embedding cache), "
        f"evaluated on the last {test_months} months"
        + (f" (at most {max_test:,} test lines)" if max_test else "") + ". "
        f"Threads: {threads}; 1-min load average {load:.1f} at the end.",
        "",
        "| stage | wall s | CPU s | peak MiB | lines/s |",
        "|---|---:|---:|---:|---:|",
        *rows,
        f"| **total** | **{total:,.1f}** | {sum(s.measured.cpu_seconds for s in stages):,.1f} "
        f"| {max(s.measured.peak_mib for s in stages):,.0f} | |",
    ]
    if ingest:
        md += ["", f"Ingest: {ingest.get('texts_embedded') or 0:,} texts through the embedding model "
                   f"({ingest.get('unique_texts', 0):,} distinct posting texts) in {ingest.get('embed_seconds', 0):,.1f} s; "
                   f"indexing took {ingest.get('seconds', 0):,.1f} s in all, the rest of the stage is reading "
                   "the company and training the ranking model."]
    if evaluation:
        md += ["", "The evaluation's own report:", "", *evaluation]
    return "\n".join(md)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=250_000, help="GL detail lines (default 250,000)")
    ap.add_argument("--work", type=Path, default=None,
                    help="Working directory for the export, the data dir and the logs (default /tmp/copilot-scale-N)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--test-months", type=int, default=3)
    ap.add_argument("--max-test", type=int, default=None, help="Passed to copilot eval: sample at most N test lines")
    ap.add_argument("--keep", action="store_true", help="Keep the working directory (logs are kept on failure anyway)")
    ap.add_argument("--no-write", action="store_true", help="print only, do not update eval/RESULTS.md")
    args = ap.parse_args(argv)

    work = args.work or Path(f"/tmp/copilot-scale-{args.lines}")
    marker = work / ".copilot-scale"
    if work.exists() and any(work.iterdir()):
        if not marker.exists():
            sys.exit(f"{work} is not empty and not a previous scale run's directory: choose another --work")
        shutil.rmtree(work)
    (work / "logs").mkdir(parents=True)
    marker.touch()
    export, data_dir = work / "export", work / "data"
    env = {**os.environ, "COPILOT_DATA_DIR": str(data_dir)}
    env.setdefault("HF_HUB_OFFLINE", "1")  # the embedding model is local; never reach for the network
    env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    threads = ", ".join(f"{k}={env[k]}" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS") if k in env) \
        or "library defaults"

    stages: list[Stage] = []

    def stage(name: str, command: list[str], log: str, lines: int | None = None) -> Measured:
        print(f"== {name}: {' '.join(command)}  (log: {work / 'logs' / log})", file=sys.stderr, flush=True)
        m = run_measured(command, env=env, log=work / "logs" / log).check()
        print(f"   {m.seconds:,.1f} s wall, {m.cpu_seconds:,.1f} s CPU, peak {m.peak_mib:,.0f} MiB",
              file=sys.stderr, flush=True)
        stages.append(Stage(name, m, lines))
        return m

    summary_path = work / "export.json"
    stage("write the export (generate + write pages)",
          [sys.executable, "-m", "eval.scale_company", "--lines", str(args.lines), "--out", str(export),
           "--seed", str(args.seed), "--summary", str(summary_path)], "write.log")
    summary = json.loads(summary_path.read_text())
    lines = summary["lines"]
    stages[-1].lines = lines
    stage("`copilot company import --intacct-xml`",
          copilot_command("company", "import", COMPANY, "--intacct-xml", str(export)), "import.log", lines)
    ingest = stage("`copilot ingest` (embed, index, train)",
                   copilot_command("ingest", "--company", COMPANY, "--json", "--no-progress"), "ingest.log", lines)
    eval_args = ["eval", "--company", COMPANY, "--test-months", str(args.test_months), "--no-write"]
    if args.max_test:
        eval_args += ["--max-test", str(args.max_test)]
    evaluated = stage(f"`copilot eval --test-months {args.test_months}` (engine + 3 baselines)",
                      copilot_command(*eval_args), "eval.log")

    markdown = render(stages, summary, test_months=args.test_months, max_test=args.max_test,
                      ingest=ingest_report(ingest.log.read_text(errors="replace")),
                      evaluation=eval_summary(evaluated.log.read_text(errors="replace")),
                      threads=threads, load=os.getloadavg()[0])
    print(markdown)
    if not args.no_write:
        from copilot.evaluation.results import write_section

        write_section("scale", markdown, command=" ".join([".venv/bin/python -m eval.scale", *sys.argv[1:]]))
    if args.keep:
        print(f"kept {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"scale run: {time.perf_counter() - started:,.0f} s", file=sys.stderr)
