"""`copilot import FILE`: enrich an Intacct CSV import file with suggested codings."""

from __future__ import annotations

import getpass
import json
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from copilot.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_file(
        file: Path = typer.Argument(..., help="The import file: Intacct's journal-entry or AP bill CSV template",
                                    dir_okay=False),
        company: Optional[str] = typer.Option(None, "--company", "-c",
                                              help="Company (default: settings.default_company)"),
        kind: str = typer.Option("auto", "--kind", help="je | apbill | auto (from the header)"),
        out: Optional[Path] = typer.Option(None, "--out", "-o", dir_okay=False,
                                           help="Enriched CSV to write (default FILE.enriched.csv)"),
        entity: Optional[str] = typer.Option(None, "--entity",
                                             help="Entity of lines that do not name one (ENTITY column or an "
                                                  "entity's LOCATION_ID)"),
        resume: bool = typer.Option(False, "--resume", help="Continue an interrupted import of this file "
                                                            "(the checkpoint beside --out)"),
        restart: bool = typer.Option(False, "--restart", help="Discard an earlier checkpoint and start over"),
        chunk_size: int = typer.Option(1000, "--chunk-size", min=1, help="Lines per chunk (one commit each)"),
        ai_columns: bool = typer.Option(True, "--ai-columns/--no-ai-columns",
                                        help="Add the AI_* columns (map them to custom fields in Intacct, or "
                                             "leave them out so the file has exactly its template's columns)"),
        validate: bool = typer.Option(True, "--validate/--no-validate",
                                      help="Run the validation rules on the enriched lines"),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="Validate as of this date (YYYY-MM-DD; "
                                                                  "default today: decides which periods are open)"),
        user: Optional[str] = typer.Option(None, "--user", help="Your name in the review queue (default $USER)"),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON"),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar"),
    ) -> None:
        """Suggest a coding for every line of an import file and write it back, ready for Intacct's import.

        Empty ACCT_NO and dimension cells are filled from the top suggestion; AI_CONFIDENCE, AI_REASON,
        AI_ALTERNATIVES, AI_PROMPT_VERSION, AI_CODING, AI_STATUS and AI_REVIEW_ID columns are added.
        Lines below the review confidence threshold, with validation warnings or errors, or whose typed
        account differs from the suggestion go to the review queue. Rows starting with '#' are kept.

        Interrupted (Ctrl-C, a crash)? Rerun with --resume: committed chunks are not redone and no
        line is queued for review twice.

        Example: copilot import bills.csv --kind apbill --company demo --out bills.enriched.csv
        """
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        from copilot.batch.runner import BatchImporter, ImportOptions
        from copilot.review.access import Principal
        from copilot.settings import get_settings

        if kind not in ("auto", "je", "apbill"):
            raise InputError(f"--kind must be je, apbill or auto, got {kind!r}", field="kind")
        if resume and restart:
            raise InputError("--resume and --restart exclude each other")
        try:
            when = date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise InputError(f"--as-of must be YYYY-MM-DD, got {as_of!r}", field="as_of") from None
        settings = get_settings()
        principal = Principal(f"cli:{user or getpass.getuser()}", "preparer", "*")
        opts = ImportOptions(company=company or settings.default_company, kind=kind, entity=entity, out=out,
                             resume=resume, restart=restart, chunk_size=chunk_size, ai_columns=ai_columns,
                             validate=validate, as_of=when)
        err = Console(stderr=True)
        with Progress(TextColumn("[bold]importing"), BarColumn(), MofNCompleteColumn(), TextColumn("lines"),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=err, disable=not progress,
                      transient=False) as bar:
            task = bar.add_task("import", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            importer = BatchImporter(settings, principal, progress=tick)
            try:
                summary = importer.run(file, opts)
            except KeyboardInterrupt:
                err.print("[yellow]interrupted[/]: committed chunks are kept; rerun the same command with "
                          "--resume to continue")
                raise typer.Exit(130) from None
        if as_json:
            typer.echo(json.dumps(summary.to_dict(), indent=2))
        else:
            typer.echo(summary.render())
