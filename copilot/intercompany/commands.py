"""``copilot intercompany`` (reconcile a period) and ``copilot eval-intercompany`` (score on the demo labels)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Optional

import typer

from copilot.errors import InputError


def _decimal(text: str | None, field: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(f"--{field} must be a number, got {text!r}", field=field) from None
    return value


def register(app: typer.Typer) -> None:
    @app.command("intercompany")
    def intercompany(
        company: str = typer.Option("demo", "--company", help="Company under data_dir/companies/"),
        period: str = typer.Option(..., "--period", help="Month to reconcile, YYYY-MM"),
        out: Optional[Path] = typer.Option(None, "--out", help="Write reconciliation.json, report.md, "
                                                               "eliminations.xml and eliminations.json here"),
        tolerance: Optional[str] = typer.Option(None, "--tolerance", help="Largest difference (base currency) "
                                                                          "that still matches; default from policies"),
        window: Optional[int] = typer.Option(None, "--window-days", help="Days outside the period searched for "
                                                                         "the other side"),
        references: Optional[bool] = typer.Option(None, "--references/--no-references",
                                                  help="Pair by document/reference first (default from policies)"),
        rates: Optional[Path] = typer.Option(None, "--rates", help="Rate table CSV (month,currency,usd_per_unit); "
                                                                   "default fx_rates.csv of the company"),
        as_json: bool = typer.Option(False, "--json", help="Print the whole result as JSON"),
    ) -> None:
        """Pair due-from / due-to bookings across entities for a month, explain every mismatch, and propose
        balanced elimination entries (Intacct GLBATCH create, XML and JSON).

        Accounts, tolerance, FX band, date window and where eliminations go are in
        policies/intercompany_rules.yaml. Mismatch reasons: amount_difference, fx_difference, missing_side,
        wrong_account, timing_difference, no_fx_rate.

        Exit code 0 when every finding matched, 1 when there are mismatches to look at.

        Example: copilot intercompany --company demo --period 2024-03 --out var/out/ic-2024-03
        """
        from rich.console import Console

        from copilot.intercompany.report import render
        from copilot.intercompany.service import run_reconciliation, write_outputs
        from copilot.settings import get_settings

        settings = get_settings()
        con = Console(stderr=True)
        with con.status(f"reading {company} and reconciling {period}"):
            rec = run_reconciliation(settings, company, period, tolerance=_decimal(tolerance, "tolerance"),
                                     window_days=window, use_reference=references, rates_path=rates)
        if as_json:
            typer.echo(rec.model_dump_json(indent=2))
        else:
            typer.echo(render(rec))
        if out is not None:
            for path in write_outputs(rec, out):
                con.print(f"wrote {path}")
        if rec.mismatches:
            raise typer.Exit(1)

    @app.command("eval-intercompany")
    def eval_intercompany(
        company: str = typer.Option("demo", "--company", help="A company with extras/intercompany_pairs.csv (the demo)"),
        write: bool = typer.Option(True, "--write/--no-write", help="Write the section into eval/RESULTS.md"),
    ) -> None:
        """Precision / recall of intercompany pairing and of each mismatch reason on the demo's labelled pairs,
        every month reconciled with and without references; writes eval/RESULTS.md section intercompany.

        Example: copilot demo init && copilot eval-intercompany --company demo
        """
        from rich.console import Console

        from copilot.evaluation.intercompany_eval import run
        from copilot.settings import get_settings

        con = Console(stderr=True)
        with con.status("evaluating") as status:
            md = run(get_settings(), company, write=write, progress=lambda m: status.update(m))
        typer.echo(md)
        if write:
            con.print("written: eval/RESULTS.md section intercompany")
