"""A company of about N GL detail lines, written as Intacct readByQuery response pages.

The demo generator grows the company by months of history (up to 120: more people hired, vendors
onboarded, customers won, projects run, so the lines keep their variety rather than repeating).
This picks enough months for N lines, then keeps the most recent whole journal entries that fit in
N: what an export of GLDETAIL from some date on returns. Only the objects a customer's export holds
are written (LOCATIONENTITY, GLACCOUNT, dimensions, PROJECT, VENDOR, CUSTOMER, EMPLOYEE, GLDETAIL),
not the demo's labelled extras.

    .venv/bin/python -m eval.scale_company --lines 250000 --out /tmp/scale/export [--summary S.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from copilot.domain import Posting

MAX_MONTHS = 120  # the generator's limit
FIRST_GUESS_PER_MONTH = 4_300  # demo lines per month early in its history; an underestimate is cheaper


def recent_entries(postings: list[Posting], lines: int) -> list[Posting]:
    """The most recent whole entries (postings sharing entity and batch) holding at most ``lines``
    lines. ``postings`` are in date order with each entry's lines together, as the generator makes them."""
    cut = len(postings)
    while cut > 0:
        key = (postings[cut - 1].entity, postings[cut - 1].batch_no)
        start = cut - 1
        while start > 0 and (postings[start - 1].entity, postings[start - 1].batch_no) == key:
            start -= 1
        if len(postings) - start > lines:
            break
        cut = start
    return postings[cut:]


def generate(lines: int, seed: int = 7, log=print):
    """(demo, months): the demo company with at least ``lines`` lines, or the most 120 months give."""
    from copilot.demo.generator import generate_demo

    months = min(MAX_MONTHS, max(1, math.ceil(lines / FIRST_GUESS_PER_MONTH)))
    while True:
        demo = generate_demo(seed=seed, months=months)
        have = len(demo.postings)
        log(f"{months} months of history: {have:,} lines")
        if have >= lines or months == MAX_MONTHS:
            return demo, months
        per_month = have / months
        months = min(MAX_MONTHS, months + max(1, math.ceil((lines - have) / per_month)))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, required=True, help="GL detail lines wanted (whole entries: a few fewer)")
    ap.add_argument("--out", type=Path, required=True, help="Directory to write (its intacct/ is replaced)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--summary", type=Path, default=None, help="Also write what was written as JSON here")
    args = ap.parse_args(argv)
    if args.lines < 100:
        sys.exit("--lines must be at least 100")

    from copilot.formats.company_dir import write_company_dir

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = time.perf_counter()
    demo, months = generate(args.lines, args.seed, log)
    kept = recent_entries(demo.postings, args.lines)
    generated = time.perf_counter() - started
    write_company_dir(args.out, demo.company, kept)
    summary = {
        "lines": len(kept), "lines_wanted": args.lines, "months_generated": months, "seed": args.seed,
        "first_date": kept[0].entry_date.isoformat() if kept else None,
        "last_date": kept[-1].entry_date.isoformat() if kept else None,
        "entities": len(demo.company.entities), "accounts": len(demo.company.accounts),
        "vendors": len(demo.company.vendors), "generate_seconds": round(generated, 1),
        "write_seconds": round(time.perf_counter() - started - generated, 1),
    }
    log(f"wrote {len(kept):,} GL lines ({summary['first_date']} to {summary['last_date']}) under {args.out}")
    text = json.dumps(summary, indent=2)
    if args.summary is not None:
        args.summary.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
