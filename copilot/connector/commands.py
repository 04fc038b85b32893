"""``copilot sync`` and ``copilot writeback``: the Intacct connector from the command line."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import typer

from copilot.errors import InputError


def _parse_since(value: str | None) -> date | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    raise InputError(f"--since must be a date like 2024-01-31 or 01/31/2024, got {value!r}", field="since")


def register(app: typer.Typer) -> None:
    @app.command()
    def sync(
        company: str = typer.Option(None, "--company", "-c",
                                    help="Company name: writes <data_dir>/companies/<name>/ (default: settings.default_company)"),
        since: str = typer.Option(None, "--since", help="Only history (GLDETAIL) with an entry date on or after "
                                                        "this date, e.g. 2024-01-01"),
        api: str = typer.Option(None, "--api", help="xml (Web Services) or rest; default settings.intacct_api"),
        objects: str = typer.Option(None, "--objects", help="Comma-separated subset, e.g. GLACCOUNT,GLDETAIL"),
        full: bool = typer.Option(False, "--full", help="Re-read everything instead of only what changed"),
        ingest: bool = typer.Option(True, "--ingest/--no-ingest", help="Index the company after syncing"),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars"),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
    ) -> None:
        """Pull master data and new GL history from Intacct into the company directory, then index it.

        The first run reads everything; later runs read only what changed (new GLDETAIL lines by
        RECORDNO, master data by WHENMODIFIED), tracked in <company>/sync/checkpoint.json. An interrupted
        run picks up where it stopped when started again. Credentials come from settings or the
        environment (COPILOT_INTACCT_SENDER_ID, ..._SENDER_PASSWORD, ..._USER_ID, ..._COMPANY_ID,
        ..._USER_PASSWORD, or the SDKs' INTACCT_* variables; for REST COPILOT_INTACCT_CLIENT_ID/_SECRET).

        Example: copilot sync --company acme --since 2023-01-01
        """
        from copilot.connector.base import SYNC_OBJECTS
        from copilot.connector.sync import sync_company
        from copilot.connector.writeback import make_connector
        from copilot.settings import get_settings

        settings = get_settings()
        name = company or settings.default_company
        wanted = tuple(o.strip().upper() for o in objects.split(",") if o.strip()) if objects else SYNC_OBJECTS
        unknown = [o for o in wanted if o not in SYNC_OBJECTS]
        if unknown:
            raise InputError(f"unknown object(s) {', '.join(unknown)}; choose from {', '.join(SYNC_OBJECTS)}",
                             field="objects")
        connector = make_connector(settings, api)
        try:
            from copilot.connector.sync import ingest_company_dir

            report = sync_company(connector, settings, name, objects=wanted, since=_parse_since(since), full=full,
                                  progress=progress,
                                  ingest=(lambda s, c, r: ingest_company_dir(s, c, r, progress=progress)) if ingest else None)
        finally:
            connector.close()
        if as_json:
            typer.echo(json.dumps({
                "company": report.company, "api": report.api, "root": str(report.root),
                "seconds": round(report.seconds, 3),
                "objects": {k: vars(v) for k, v in report.objects.items()},
                "ingest": report.ingest.to_dict() if hasattr(report.ingest, "to_dict") else None}, indent=2))
        else:
            typer.echo(report.summary())

    @app.command()
    def writeback(
        file: Path = typer.Argument(..., exists=False, help="Journal entry file: JSON (ours, Intacct's or REST), "
                                                            "GLBATCH XML, or journal CSV"),
        api: str = typer.Option(None, "--api", help="xml (Web Services) or rest; default settings.intacct_api"),
        posted: bool = typer.Option(False, "--posted", help="Write as Posted (only for entries a person approved); "
                                                            "default Draft"),
        record_no: str = typer.Option(None, "--record-no", help="Update this existing entry instead of creating one"),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON"),
    ) -> None:
        """Write journal entries to Intacct, as Draft by default, with the AI's notes in the memo.

        Lines may carry {"ai": {"reasoning", "confidence", "prompt_version"}} in their extra fields;
        that note goes into the line memo (or the custom field named by intacct_ai_note_field).

        Example: copilot writeback proposal.json
        """
        from copilot.connector.writeback import load_entries, make_connector, write_back
        from copilot.settings import get_settings

        entries = load_entries(file)
        if record_no and len(entries) != 1:
            raise InputError("--record-no updates one entry; the file holds several", field="record_no")
        connector = make_connector(get_settings(), api)
        results = []
        try:
            for entry in entries:
                results.append(write_back(connector, entry, draft=not posted, record_no=record_no))
        finally:
            connector.close()
        for res in results:
            if as_json:
                typer.echo(json.dumps(vars(res)))
            else:
                verb = "created" if res.created else "updated"
                typer.echo(f"{verb} journal entry {res.key} ({res.state}) over {res.api}")
