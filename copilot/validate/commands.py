"""CLI: ``copilot validate``, ``copilot monitor``, ``copilot webhooks ...``, ``copilot anomalies ...``."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer

# `copilot validate` exit codes (also in docs/validation.md). Verdicts first, then sysexits-style errors.
EXIT_PASS, EXIT_REVIEW, EXIT_BLOCK = 0, 1, 2
EXIT_PARSE = 65        # EX_DATAERR: the payload could not be read (names line and field)
EXIT_NO_INPUT = 66     # EX_NOINPUT: the file does not exist or cannot be read
EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE: the company (master data, history) is not there
EXIT_CONFIG = 78       # EX_CONFIG: policies/rules.yaml or close_calendar.yaml is invalid
VERDICT_EXIT = {"pass": EXIT_PASS, "review": EXIT_REVIEW, "block": EXIT_BLOCK}
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}

webhooks_app = typer.Typer(help="Intacct Smart Event webhooks: process pending events, sign test bodies.",
                           no_args_is_help=True)
anomalies_app = typer.Typer(help="Anomaly benchmark: inject labelled anomalies, evaluate the detectors.",
                            no_args_is_help=True)


def _date(value: Optional[str], option: str) -> Optional[date]:
    from copilot.errors import InputError

    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} must be YYYY-MM-DD, got {value!r}") from None


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _print_report(report, source: str) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    style = {"pass": "bold green", "review": "bold yellow", "block": "bold red"}[report.verdict]
    con.print(f"[{style}]{report.verdict.upper()}[/] {source}: {report.counts.get('error', 0)} errors, "
              f"{report.counts.get('warning', 0)} warnings, {report.counts.get('info', 0)} notes "
              f"(policy {report.policy_version})")
    for er in report.entries:
        if not er.findings:
            continue
        table = Table(title=f"entry {er.index}: {er.journal} {er.batch_date} {er.entity or ''} -> {er.verdict}",
                      show_lines=False, title_justify="left")
        for col in ("line", "severity", "rule", "message", "suggested"):
            table.add_column(col, overflow="fold")
        for f in sorted(er.findings, key=lambda f: (-{"error": 2, "warning": 1, "info": 0}[f.severity],
                                                    f.line_index if f.line_index is not None else -1)):
            fixes = "; ".join(
                (f"{c.account_no} {' '.join(f'{k}={v}' for k, v in c.dims.items())}"
                 + (f" ({c.confidence:.0%})" if c.confidence is not None else "")) if c.kind == "coding"
                else c.description for c in f.corrections[:3])
            table.add_row("-" if f.line_index is None else str(f.line_index),
                          f"[{SEVERITY_STYLE[f.severity]}]{f.severity}[/]", f.rule_id, f.message, fixes)
        con.print(table)
    for f in report.batch_findings:
        con.print(f"[{SEVERITY_STYLE[f.severity]}]{f.severity}[/] batch {f.rule_id}: {f.message}")


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(anomalies_app, name="anomalies")

    @app.command("validate")
    def validate_cmd(
        file: Path = typer.Argument(..., help="Journal entries: Intacct JSON (operation / JOURNALENTRY / GLBATCH "
                                              "/ REST) or XML (request envelope or <GLBATCH>); - for stdin"),
        company: Optional[str] = typer.Option(None, help="Company under data_dir/companies/ (default: settings)"),
        as_of: Optional[str] = typer.Option(None, help="Validate as if posted on this day (YYYY-MM-DD; default today)"),
        fmt: str = typer.Option("auto", "--format", help="auto | json | xml"),
        as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON"),
        suggest: bool = typer.Option(True, help="Attach the engine's top-3 to coding findings (needs a trained model)"),
        no_history: bool = typer.Option(False, help="Structural rules only: no company master data or history"),
    ) -> None:
        """Validate journal entries against policies/rules.yaml and the company's history.

        Exit codes: 0 pass, 1 review, 2 block; 65 the payload cannot be parsed (the message names line and
        field), 66 the file cannot be read, 69 the company is not found, 78 the policy files are invalid.

        Example: copilot validate entry.json --company demo --as-of 2025-06-30
        """
        from copilot.errors import ConfigurationError, InputError, NotFound
        from copilot.settings import get_settings
        from copilot.validate.service import ValidationService, Validator

        settings = get_settings()
        try:
            day = _date(as_of, "--as-of") or date.today()
            data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
        except InputError as exc:
            return _fail(exc.message, EXIT_PARSE)
        except OSError as exc:
            return _fail(f"cannot read {file}: {exc.strerror or exc}", EXIT_NO_INPUT)
        try:
            entries = _parse(data, fmt, day, source=str(file))
        except InputError as exc:
            return _fail(exc.message, EXIT_PARSE)
        name = company or settings.default_company
        try:
            service = ValidationService(settings, suggester_for=_engine_suggester(settings) if suggest else None)
            if no_history:
                policy, calendar = service.contexts.policies()
                report = Validator(policy, calendar).validate(entries, as_of=day, suggest=False)
            else:
                report = service.validate(name, entries, as_of=day, suggest=suggest)
        except ConfigurationError as exc:
            return _fail(exc.message, EXIT_CONFIG)
        except NotFound as exc:
            return _fail(exc.message, EXIT_UNAVAILABLE)
        if as_json:
            typer.echo(report.model_dump_json(indent=2))
        else:
            _print_report(report, str(file))
        raise typer.Exit(VERDICT_EXIT[report.verdict])

    @app.command("monitor")
    def monitor_cmd(
        source: str = typer.Argument(..., help="GL detail lines: GLDETAIL XML pages, CSV or JSON lines; - for stdin"),
        company: Optional[str] = typer.Option(None, help="Company whose history the lines are scored against"),
        fmt: str = typer.Option("auto", "--format", help="auto | xml | csv | jsonl"),
        follow: bool = typer.Option(False, "--follow", "-f", help="Keep reading as the file grows (CSV / JSON lines)"),
        min_severity: str = typer.Option("warning", help="Report findings of at least this severity"),
        min_score: Optional[float] = typer.Option(None, help="Also report lines whose anomaly score reaches this (0-1)"),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per flagged line"),
        learn: bool = typer.Option(True, help="Add each line to the history as it passes"),
        default_entity: Optional[str] = typer.Option(None, help="Entity for lines without MEGAENTITYID"),
    ) -> None:
        """Score a stream of GL detail lines continuously and print flagged lines with reasons.

        Each line is checked by the line rules (codes, dimensions, dates, policy, duplicates against history
        and the stream so far, rare values and combinations, amount outliers, project patterns) and gets an
        anomaly score. Lines dated in the past count as posted on their own date unless they carry
        WHENCREATED; with --follow they count as posted today.

        Example: tail -n +1 -f gl.csv | copilot monitor - --company demo
        """
        from rich.console import Console

        from copilot.errors import InputError
        from copilot.settings import get_settings
        from copilot.validate.findings import SEVERITY_RANK
        from copilot.validate.monitor import Bad, StreamMonitor, read_postings
        from copilot.validate.service import ValidationService

        if min_severity not in SEVERITY_RANK:
            raise InputError("--min-severity must be info, warning or error", field="min-severity")
        settings = get_settings()
        name = company or settings.default_company
        service = ValidationService(settings)
        validator = service.validator(name, suggest=False)
        monitor = StreamMonitor(validator, min_severity=min_severity, min_score=min_score, learn=learn,
                                as_of=date.today() if follow else None)
        con = Console(stderr=False)
        err = Console(stderr=True)
        try:
            stream = sys.stdin if source == "-" else open(source, encoding="utf-8-sig", newline="")
        except OSError as exc:
            _fail(f"cannot read {source}: {exc.strerror or exc}", EXIT_NO_INPUT)
        try:
            for item in read_postings(stream, fmt=fmt, default_entity=default_entity, follow=follow):
                if isinstance(item, Bad):
                    monitor.stats.unreadable += 1
                    err.print(f"[red]unreadable[/] line {item.line}: {item.message}")
                    continue
                scored = monitor.feed(item)
                if scored.flagged:
                    _print_flag(con, scored, as_json)
        except KeyboardInterrupt:
            pass
        finally:
            if stream is not sys.stdin:
                stream.close()
        s = monitor.stats
        err.print(f"{s.read:,} lines scored, {s.flagged:,} flagged, {s.unreadable:,} unreadable"
                  + (": " + ", ".join(f"{r} {n}" for r, n in s.by_rule.most_common()) if s.by_rule else ""))

    @webhooks_app.command("process")
    def process_cmd(limit: int = typer.Option(500, help="At most this many events")) -> None:
        """Process webhook events left pending (crash, restart, connector not configured yet)."""
        from copilot.settings import get_settings

        settings = get_settings()
        proc = _processor(settings)
        done = proc.process_pending(limit=limit)
        typer.echo(f"{done} events processed or failed")

    @webhooks_app.command("sign")
    def sign_cmd(file: Path = typer.Argument(..., help="The exact JSON body to send")) -> None:
        """Print the X-Copilot-Timestamp and X-Copilot-Signature headers for a body (settings.webhook_secret).

        Example: curl -H "Content-Type: application/json" $(copilot webhooks sign body.json | sed 's/^/-H /')
        """
        import time

        from copilot.errors import ConfigurationError
        from copilot.settings import get_settings
        from copilot.validate.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

        secret = get_settings().webhook_secret
        if not secret:
            raise ConfigurationError("set COPILOT_WEBHOOK_SECRET first")
        stamp = str(int(time.time()))
        typer.echo(f"{TIMESTAMP_HEADER}: {stamp}")
        typer.echo(f"{SIGNATURE_HEADER}: {sign(secret, stamp, file.read_bytes())}")

    @anomalies_app.command("eval")
    def eval_cmd(
        company: str = typer.Option("demo", help="Company under data_dir/companies/"),
        seeds: str = typer.Option("1,2,3", help="Comma-separated injection seeds"),
        labels: Optional[Path] = typer.Option(None, help="Labelled anomalies CSV (default: the company's "
                                                         "extras/anomaly_labels.csv when present)"),
        write: bool = typer.Option(True, help="Write the section into eval/RESULTS.md"),
    ) -> None:
        """Precision / recall per labelled anomaly type, and the injection benchmark (AUC-ROC, AUC-PR,
        recall at 1 % flagged per global / local kind) next to Isolation Forest baselines.

        Example: copilot anomalies eval --company demo
        """
        from copilot.validate.eval_run import run

        run(company, seeds=[int(s) for s in seeds.split(",") if s.strip()], labels=labels, write=write)

    @anomalies_app.command("inject")
    def inject_cmd(
        company: str = typer.Option("demo", help="Company to copy"),
        out: Path = typer.Option(..., help="Directory for the copy (a company directory) and labels.csv"),
        seed: int = typer.Option(0, help="Random seed"),
        global_rate: float = typer.Option(0.0035, help="Global anomalies per original line"),
        local_rate: float = typer.Option(0.0015, help="Local anomalies per original line"),
    ) -> None:
        """Write a copy of a company's history with labelled injected anomalies (for any detector)."""
        from copilot.formats.company_dir import read_company_dir, write_company_dir
        from copilot.settings import get_settings
        from copilot.validate.context import company_dir
        from copilot.validate.injector import inject

        settings = get_settings()
        data = read_company_dir(company_dir(settings, company), company)
        inj = inject(data.postings, seed=seed, global_rate=global_rate, local_rate=local_rate, company=data.company)
        write_company_dir(out, data.company, inj.postings)
        inj.write_labels(out / "labels.csv")
        typer.echo(f"{len(inj.labels)} anomalies injected into {len(data.postings):,} lines -> {out}")


def _parse(data: bytes, fmt: str, day: date, *, source: str):
    from copilot.errors import InputError

    stripped = data.lstrip()
    kind = fmt if fmt != "auto" else ("xml" if stripped.startswith(b"<") else "json")
    if kind == "json":
        from copilot.formats.intacct_json import parse_journal_json

        return parse_journal_json(data, default_date=day)
    if kind == "xml":
        from copilot.formats.intacct_xml import parse_glbatch_xml

        return parse_glbatch_xml(data, default_date=day, source=source)
    raise InputError(f"--format must be auto, json or xml, got {fmt!r}")


def _engine_suggester(settings):
    """The engine's suggest() per company when a model is trained, loaded on the first coding finding."""

    def factory(company: str):
        try:
            from copilot.engine.service import SuggestionService, model_path
        except ImportError:
            return None
        if not model_path(settings, company).exists():
            return None
        holder: dict = {}

        def suggest(request):
            if "svc" not in holder:
                holder["svc"] = SuggestionService(settings)
            return holder["svc"].suggest(company, request)

        return suggest

    return factory


def _processor(settings):
    from fastapi import FastAPI

    from copilot.api.routes_webhooks import build_processor
    from copilot.validate.service import ValidationService

    state = FastAPI().state
    return build_processor(settings, state, ValidationService(settings, suggester_for=_engine_suggester(settings)))


def _print_flag(con, scored, as_json: bool) -> None:
    p = scored.posting
    if as_json:
        con.print_json(json.dumps({
            "record_no": p.record_no, "date": p.entry_date.isoformat(), "entity": p.entity,
            "account_no": p.account_no, "dims": p.dims, "amount": str(p.amount), "tr_type": p.tr_type,
            "score": scored.score.score if scored.score else None,
            "findings": [{"rule_id": f.rule_id, "severity": f.severity, "message": f.message} for f in scored.findings],
        }), indent=None)
        return
    dims = " ".join(f"{k}={v}" for k, v in p.dims.items())
    score = f" score {scored.score.score:.4f}" if scored.score else ""
    con.print(f"[bold]{p.record_no}[/] {p.entry_date} {p.entity} {p.account_no} {dims} "
              f"{'DR' if p.tr_type == 1 else 'CR'} {p.amount}{score}  [dim]{p.memo[:60]}[/]")
    for f in scored.findings:
        con.print(f"    [{SEVERITY_STYLE[f.severity]}]{f.severity}[/] {f.rule_id}: {f.message}")
