"""`copilot suggest` and `copilot train`."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Optional

import typer

from copilot.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command()
    def suggest(
        entity: str = typer.Option(..., help="Entity the line is posted in, e.g. US"),
        memo: str = typer.Option("", help="Line memo / description"),
        vendor: Optional[str] = typer.Option(None, help="Vendor id or name"),
        amount: Optional[str] = typer.Option(None, help="Amount, e.g. 1250.00"),
        credit: bool = typer.Option(False, help="The line is a credit (default debit)"),
        date: Optional[str] = typer.Option(None, help="Posting date YYYY-MM-DD"),
        account: Optional[str] = typer.Option(None, help="Account already typed (kept fixed)"),
        dim: list[str] = typer.Option([], help="A dimension already typed, KEY=CODE (repeatable)"),
        timesheet_project: Optional[str] = typer.Option(None, help="Project code from a timesheet"),
        employee: Optional[str] = typer.Option(None, help="Employee id"),
        company: Optional[str] = typer.Option(None, help="Company (default: settings.default_company)"),
        as_json: bool = typer.Option(False, "--json", help="Print the full suggestion as JSON"),
    ) -> None:
        """Top-3 codings for one draft line, with confidence, reasoning and evidence.

        Example: copilot suggest --entity US --vendor "Delta Air Lines" --memo "airfare NYC client visit" --amount 612.40
        """
        from datetime import date as _date

        from copilot.domain import SuggestionRequest
        from copilot.engine.service import SuggestionService
        from copilot.settings import get_settings

        try:
            amt = Decimal(amount) if amount is not None else None
            when = _date.fromisoformat(date) if date else None
        except (InvalidOperation, ValueError) as exc:
            raise InputError(f"bad --amount or --date: {exc}") from None
        known = {}
        for item in dim:
            key, sep, code = item.partition("=")
            if not sep or not key or not code:
                raise InputError(f"--dim must look like KEY=CODE, got {item!r}")
            known[key.strip().lower()] = code.strip()
        settings = get_settings()
        req = SuggestionRequest(entity=entity, vendor=vendor, memo=memo, amount=amt, tr_type=-1 if credit else 1,
                                entry_date=when, account_no=account, known_dims=known,
                                timesheet_project=timesheet_project, employee=employee)
        s = SuggestionService(settings).suggest(company or settings.default_company, req)
        if as_json:
            typer.echo(s.model_dump_json(indent=2))
            return
        _print(s)

    @app.command()
    def train(company: Optional[str] = typer.Option(None, help="Company name (default: settings.default_company)")) -> None:
        """Fit the company's ranking model and calibration from its imported history."""
        from copilot.engine.training import train_from_company_dir
        from copilot.settings import get_settings

        settings = get_settings()
        train_from_company_dir(settings, company or settings.default_company)


def _print(s) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    table = Table(title=f"Top {len(s.codings)} codings ({s.generated_by}, prompts {s.prompt_version})")
    table.add_column("#")
    table.add_column("coding")
    table.add_column("confidence", justify="right")
    table.add_column("why")
    for i, c in enumerate(s.codings, 1):
        table.add_row(str(i), c.combination.key, f"{c.confidence:.0%}", c.reasoning)
    con.print(table)
    if s.reasoning:
        con.print(f"[bold]Reasoning[/]: {s.reasoning}")
    if s.narrative:
        con.print(f"[bold]Narrative[/]: {s.narrative}")
    if s.fallback_reason:
        con.print(f"[yellow]LLM not used[/]: {s.fallback_reason}")
    con.print(f"[dim]{s.latency_ms} ms · evidence: {json.dumps([e.id for e in s.evidence])}[/]")
