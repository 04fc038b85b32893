"""``copilot allocate``: one allocation rule for one month -> a balanced GLBATCH with its checks."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Optional

import typer

from copilot.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("allocate")
    def allocate_cmd(
        company: str = typer.Option("demo", "--company", help="Company under data_dir/companies/"),
        rule: Optional[str] = typer.Option(None, "--rule", help="Rule id in policies/allocation_rules.yaml"),
        period: Optional[str] = typer.Option(None, "--period", help="Month, YYYY-MM"),
        amount: Optional[str] = typer.Option(None, "--amount", help="Allocate this amount instead of the pool's "
                                                                    "GL balance (entity currency, e.g. 12000.00)"),
        out: Optional[Path] = typer.Option(None, "--out", help="Write allocation.json, glbatch.xml, glbatch.json "
                                                               "and report.md here"),
        list_rules: bool = typer.Option(False, "--list", help="List the rules and exit"),
        as_json: bool = typer.Option(False, "--json", help="Print the whole result as JSON"),
    ) -> None:
        """Allocate a shared cost pool to departments, projects or classes by headcount, square footage,
        revenue, hours or fixed percentages (policies/allocation_rules.yaml), to the cent.

        Prints the split, the entry, budget overruns of projects and deviations from the rule's earlier
        allocations. Exit code 0 when the entry is ready, 1 when there are flags to look at, 2 on bad input.

        Example: copilot allocate --company demo --rule rent-nyc --period 2024-03 --out var/out/rent
        """
        from rich.console import Console

        from copilot.allocation.report import render
        from copilot.allocation.service import rulebook_for, run_allocation, write_outputs
        from copilot.settings import get_settings

        settings = get_settings()
        if list_rules:
            book = rulebook_for(settings, company)
            for r in book.rules:
                typer.echo(f"{r.id:<18} {r.clause:<7} {r.entity:<5} {r.basis:<15} {r.description}")
            return
        if not rule or not period:
            raise InputError("give --rule and --period (or --list to see the rules)", field="rule")
        value = None
        if amount is not None:
            try:
                value = Decimal(amount.replace(",", ""))
            except InvalidOperation:
                raise InputError(f"--amount must be a number like 12000.00, got {amount!r}", field="amount") from None
        con = Console(stderr=True)
        with con.status(f"reading {company} and allocating {rule} for {period}"):
            result = run_allocation(settings, company, rule, period, amount=value)
        if as_json:
            typer.echo(result.model_dump_json(indent=2))
        else:
            typer.echo(render(result))
        if out is not None:
            for path in write_outputs(result, out):
                con.print(f"wrote {path}")
        if result.flags or result.problems:
            raise typer.Exit(1)

    @app.command("eval-allocation")
    def eval_allocation(
        company: str = typer.Option("demo", "--company", help="A company whose books hold posted allocations (the demo)"),
        write: bool = typer.Option(True, "--write/--no-write", help="Write the section into eval/RESULTS.md"),
    ) -> None:
        """Run every allocation rule for every month and compare with the allocations the books hold
        (same lines, same totals, lines equal to the cent); writes eval/RESULTS.md section allocation.

        Example: copilot demo init && copilot eval-allocation --company demo
        """
        from rich.console import Console

        from copilot.evaluation.allocation_eval import run
        from copilot.settings import get_settings

        con = Console(stderr=True)
        with con.status("evaluating") as status:
            md = run(get_settings(), company, write=write, progress=lambda m: status.update(m))
        typer.echo(md)
        if write:
            con.print("written: eval/RESULTS.md section allocation")
