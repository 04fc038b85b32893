"""`copilot bankfeed match FILE` and `copilot eval-bankfeed`."""

from __future__ import annotations

import csv
import getpass
import json
from pathlib import Path
from typing import Optional

import typer

COLUMNS = ("line_id", "date", "amount", "currency", "entity", "description", "payee", "method", "status",
           "matched_by", "confidence", "items", "reason", "recurring", "suggested_coding", "suggested_confidence",
           "review_id")


def register(app: typer.Typer) -> None:
    bank = typer.Typer(help="Bank feeds: cleanse descriptions, match to open AR invoices and AP bills, code the rest.",
                       no_args_is_help=True)
    app.add_typer(bank, name="bankfeed")

    @bank.command("match")
    def match(
        file: Path = typer.Argument(..., dir_okay=False, help="Bank feed CSV: DATE, AMOUNT (signed) or DEBIT/CREDIT, "
                                                              "DESCRIPTION; optional CURRENCY, ENTITY, LINE_ID"),
        company: Optional[str] = typer.Option(None, "--company", "-c", help="Company (default: settings.default_company)"),
        entity: Optional[str] = typer.Option(None, "--entity", help="Entity of lines without an ENTITY column"),
        out: Optional[Path] = typer.Option(None, "--out", "-o", dir_okay=False,
                                           help="Result CSV (default FILE.matched.csv)"),
        suggest: bool = typer.Option(True, "--suggest/--no-suggest", help="Suggest codings for unmatched lines"),
        review: bool = typer.Option(True, "--review/--no-review",
                                    help="Queue unmatched and ambiguous lines for review (idempotent per feed)"),
        user: Optional[str] = typer.Option(None, "--user", help="Your name in the review queue (default $USER)"),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON"),
    ) -> None:
        """Match each bank line to open AP bills / AR invoices (references, fuzzy payee, amounts, partial and
        combined payments), flag recurring items, and suggest a coding for what nothing settles.

        Example: copilot bankfeed match var/companies/demo/extras/bank_feed.csv --company demo --no-review
        """
        from rich.console import Console

        from copilot.bankfeed.feed import read_feed
        from copilot.bankfeed.service import BankFeedService
        from copilot.review.access import Principal
        from copilot.settings import get_settings

        settings = get_settings()
        con = Console(stderr=True)
        with con.status("matching the feed"):
            lines = read_feed(file)
            report = BankFeedService(settings).match(company or settings.default_company, lines,
                                                     Principal(f"cli:{user or getpass.getuser()}", "preparer", "*"),
                                                     entity=entity, suggest=suggest, review=review)
        target = out or file.with_name(f"{file.stem}.matched.csv")
        with open(target, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(COLUMNS)
            for r in report.lines:
                d = r.to_dict()
                d["items"] = ";".join(f"{i['kind']}:{i['doc_no'] or i['item_id']}:{i['amount']}" for i in d["items"])
                d["recurring"] = f"{d['recurring']['group']} {d['recurring']['cadence']}" if d["recurring"] else ""
                w.writerow(["" if d[c] is None else d[c] for c in COLUMNS])
        summary = report.summary()
        if as_json:
            typer.echo(json.dumps(summary, indent=2))
            return
        typer.echo(f"{summary['lines']:,} lines: {summary['auto_matched']:,} auto-matched "
                   f"({summary['share_auto_matched']:.1%}); " +
                   ", ".join(f"{k} {v:,}" for k, v in summary["by_status"].items()) +
                   f"; {summary['recurring_groups']} recurring groups ({summary['recurring_lines']:,} lines); "
                   f"{summary['suggested']:,} codings suggested; {summary['review_items']:,} in review; "
                   f"{summary['seconds']:.1f} s")
        for note in summary["notes"]:
            typer.echo(f"note: {note}")
        typer.echo(f"wrote {target}")

    @app.command("eval-bankfeed")
    def eval_bankfeed(
        company: str = typer.Option("demo", "--company", "-c", help="Company with a labelled extras/bank_feed.csv"),
        write: bool = typer.Option(True, help="Write the section into eval/RESULTS.md"),
    ) -> None:
        """Precision and recall of bank-feed matches, share auto-matched, per match kind, recurring groups.

        Example: copilot eval-bankfeed --company demo
        """
        from copilot.evaluation.bankfeed_eval import evaluate, render
        from copilot.evaluation.results import write_section
        from copilot.settings import get_settings

        root = get_settings().company_dir(company)
        md = render(evaluate(root), company)
        typer.echo(md)
        if write:
            write_section("bankfeed", md, command=f"copilot eval-bankfeed --company {company}")
            typer.echo("written: eval/RESULTS.md section bankfeed")
