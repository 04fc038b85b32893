"""`copilot review ...`, `copilot audit ...` and `copilot keys ...`.

The CLI works on the database directly, so it acts as an admin; decisions are recorded in the
audit trail as user ``cli:<name>`` (``--user``, default $USER) with role ``admin``.
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Optional

import typer

from copilot.errors import InputError

review_app = typer.Typer(help="The review queue: list, approve, edit, reject suggested codings.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail: verify, export, search.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: who may call the API, in which role, for which entities.",
                       no_args_is_help=True)

USER_OPT = typer.Option(None, "--user", help="Your name in the audit trail (default: $USER)")


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
    app.add_typer(audit_app, name="audit")
    app.add_typer(keys_app, name="keys")


def _context(*, learn: bool = False):
    from copilot.review.context import ReviewContext
    from copilot.settings import get_settings

    return ReviewContext.from_settings(get_settings(), **({} if learn else {"on_learn": None}))


def _operator(user: str | None):
    from copilot.review.access import Principal

    return Principal(f"cli:{user or getpass.getuser()}", "admin", "*")


def _date(text: str | None, name: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InputError(f"{name} must be YYYY-MM-DD, got {text!r}", field=name) from None


def _echo_item(item, as_json: bool = True) -> None:
    typer.echo(item.model_dump_json(indent=2) if as_json else
               f"#{item.id} {item.status.value} {item.entity} final={item.final.key if item.final else '-'}")


# --- review ---------------------------------------------------------------------------------------

@review_app.command("list")
def review_list(status: Optional[str] = typer.Option(None, help="pending | approved | edited | rejected"),
                entity: Optional[str] = typer.Option(None, help="Only this entity"),
                limit: int = typer.Option(50, help="At most this many items"),
                as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table")) -> None:
    """List review items, oldest first. Example: copilot review list --status pending --entity US"""
    from rich.console import Console
    from rich.table import Table

    from copilot.review.models import Status
    from copilot.review.queue import ListFilter

    try:
        st = Status(status) if status else None
    except ValueError:
        raise InputError(f"--status must be one of {', '.join(s.value for s in Status)}", field="status") from None
    items, total = _context().reviews.list_items(_operator(None), ListFilter(st, entity, limit, 0))
    if as_json:
        typer.echo(json.dumps({"total": total, "items": [i.model_dump(mode="json") for i in items]}, indent=2))
        return
    table = Table(title=f"{len(items)} of {total} review items")
    for col in ("id", "status", "entity", "vendor", "memo", "amount", "top suggestion", "conf", "final"):
        table.add_column(col)
    for i in items:
        top = i.suggestion.codings[0] if i.suggestion.codings else None
        table.add_row(str(i.id), i.status.value, i.entity, i.request.vendor or "", i.request.memo[:40],
                      str(i.request.amount or ""), top.combination.key if top else "-",
                      f"{top.confidence:.2f}" if top else "", i.final.key if i.final else "")
    Console().print(table)


@review_app.command("show")
def review_show(item_id: int = typer.Argument(..., help="Review item id")) -> None:
    """Print one review item as JSON."""
    _echo_item(_context().reviews.get(item_id, _operator(None)))


@review_app.command("submit")
def review_submit(path: Path = typer.Argument(..., help="A Suggestion JSON file (as POST /v1/suggestions "
                                                         "returns each suggestion), or - for stdin"),
                  company: Optional[str] = typer.Option(None, help="The suggestion's company (default: the default one)"),
                  user: Optional[str] = USER_OPT) -> None:
    """Queue a suggestion for review."""
    from pydantic import ValidationError

    from copilot.domain import Suggestion

    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    try:
        suggestion = Suggestion.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"{path}: not a suggestion: {'.'.join(map(str, first['loc']))}: {first['msg']}",
                         field=".".join(map(str, first["loc"]))) from None
    _echo_item(_context().reviews.submit(suggestion, _operator(user), company), as_json=False)


@review_app.command("approve")
def review_approve(item_id: int = typer.Argument(..., help="Review item id"),
                   coding: int = typer.Option(0, help="Which suggested coding to accept (0 = the top one)"),
                   reason: Optional[str] = typer.Option(None, help="Optional note"),
                   user: Optional[str] = USER_OPT) -> None:
    """Accept a suggested coding as it is; the engine learns it at once."""
    _echo_item(_context(learn=True).reviews.approve(item_id, _operator(user), coding, reason), as_json=False)


@review_app.command("edit")
def review_edit(item_id: int = typer.Argument(..., help="Review item id"),
                account: str = typer.Option(..., help="The account to use"),
                dim: list[str] = typer.Option([], help="A dimension KEY=CODE (repeatable), e.g. department=SALES"),
                reason: str = typer.Option(..., help="Why the suggestion was changed"),
                user: Optional[str] = USER_OPT) -> None:
    """Record a corrected coding. Example: copilot review edit 12 --account 6450 --dim department=MKT --reason "..." """
    from copilot.domain import DimensionCombination

    dims = {}
    for item in dim:
        key, sep, code = item.partition("=")
        if not sep or not key.strip() or not code.strip():
            raise InputError(f"--dim must look like KEY=CODE, got {item!r}", field="dim")
        dims[key.strip().lower()] = code.strip()
    final = DimensionCombination(account_no=account, dims=dims)
    _echo_item(_context(learn=True).reviews.edit(item_id, _operator(user), final, reason), as_json=False)


@review_app.command("reject")
def review_reject(item_id: int = typer.Argument(..., help="Review item id"),
                  reason: str = typer.Option(..., help="Why no suggestion is acceptable"),
                  user: Optional[str] = USER_OPT) -> None:
    """Reject every suggested coding (nothing is learned)."""
    _echo_item(_context().reviews.reject(item_id, _operator(user), reason), as_json=False)


@review_app.command("reindex")
def review_reindex() -> None:
    """Rebuild the auditor search index from the database (e.g. after the vector store was reset)."""
    n = _context().search.reindex()
    typer.echo(f"indexed {n} decided review items")


@review_app.command("metrics")
def review_metrics(entity: Optional[str] = typer.Option(None, help="Only this entity")) -> None:
    """Print the monitoring summary (acceptance, edit rates, calibration, drift, alerts) as JSON."""
    typer.echo(json.dumps(_context().monitor.summary(_operator(None), entity), indent=2, default=str))


# --- audit ----------------------------------------------------------------------------------------

@audit_app.command("verify")
def audit_verify() -> None:
    """Check the whole hash chain. Exit code 0 if intact, 8 if any record was changed or removed."""
    result = _context().audit.verify()
    typer.echo(result.message(), err=not result.ok)
    if not result.ok:
        raise typer.Exit(8)


@audit_app.command("export")
def audit_export(fmt: str = typer.Option("csv", "--format", help="csv or json"),
                 out: Path = typer.Option(..., "--out", help="File to write"),
                 entity: Optional[str] = typer.Option(None, help="Only this entity"),
                 date_from: Optional[str] = typer.Option(None, "--from", help="From this day (YYYY-MM-DD)"),
                 date_to: Optional[str] = typer.Option(None, "--to", help="Up to this day, inclusive")) -> None:
    """Export audit records for auditors. Example: copilot audit export --format csv --out audit.csv"""
    from copilot.review.audit import AuditFilter

    if fmt not in ("csv", "json"):
        raise InputError(f"--format must be csv or json, got {fmt!r}", field="format")
    flt = AuditFilter(entity=entity, date_from=_date(date_from, "from"), date_to=_date(date_to, "to"))
    ctx = _context()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        for chunk in ctx.audit.export(flt, fmt):  # type: ignore[arg-type]
            fh.write(chunk)
    typer.echo(f"wrote {ctx.audit.count(flt)} records to {out}")


@audit_app.command("search")
def audit_search(query: str = typer.Argument(..., help="What to look for, in plain words"),
                 entity: Optional[str] = typer.Option(None), account: Optional[str] = typer.Option(None),
                 user: Optional[str] = typer.Option(None, help="Preparer or reviewer"),
                 decision: Optional[str] = typer.Option(None, help="approved | edited | rejected"),
                 date_from: Optional[str] = typer.Option(None, "--from", help="Transaction date from (YYYY-MM-DD)"),
                 date_to: Optional[str] = typer.Option(None, "--to", help="Transaction date to, inclusive"),
                 amount_min: Optional[str] = typer.Option(None), amount_max: Optional[str] = typer.Option(None),
                 limit: int = typer.Option(10)) -> None:
    """Natural-language search over decided items' narratives and reasoning."""
    try:
        lo = Decimal(amount_min) if amount_min else None
        hi = Decimal(amount_max) if amount_max else None
    except InvalidOperation:
        raise InputError("--amount-min/--amount-max must be decimal numbers") from None
    hits = _context().search.search(_operator(None), query, entity=entity, account=account, user=user,
                                    decision=decision, date_from=_date(date_from, "from"),
                                    date_to=_date(date_to, "to"), amount_min=lo, amount_max=hi, limit=limit)
    for h in hits:
        typer.echo(f"{h.score:.3f}  review #{h.review_id} (audit seq {h.audit_seq})  {h.entity} {h.date} "
                   f"{h.amount or ''} {h.decision} {h.final or h.suggested or ''}\n       {h.vendor or ''}: {h.memo}"
                   + (f"\n       reason: {h.reason}" if h.reason else ""))
    if not hits:
        typer.echo("no matches")


# --- keys -----------------------------------------------------------------------------------------

def _keys():
    from copilot.review.access import KeyStore
    from copilot.settings import get_settings

    return KeyStore(get_settings().api_keys_path)


@keys_app.command("create")
def keys_create(user: str = typer.Option(..., help="Who the key belongs to (recorded in the audit trail)"),
                role: str = typer.Option(..., help="preparer | approver | auditor | admin"),
                entities: str = typer.Option(..., help="Comma-separated entity ids, or * for all")) -> None:
    """Create an API key. The key is printed once; only its hash is stored."""
    store = _keys()
    secret, rec = store.create(user, role, entities)
    scope = "*" if rec.entities == "*" else ",".join(sorted(rec.entities))
    typer.echo(secret)
    typer.echo(f"created {rec.key_id} for {rec.user_id} ({rec.role}, entities {scope}) in {store.path}; "
               f"the key above is not shown again", err=True)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (ids, users, roles, entities; never the keys themselves)."""
    for rec in _keys().records():
        scope = "*" if rec.entities == "*" else ",".join(sorted(rec.entities))
        typer.echo(f"{rec.key_id}  {rec.user_id:<20} {rec.role:<9} {scope:<20} {rec.created_at}"
                   + ("  REVOKED" if rec.revoked else ""))


@keys_app.command("revoke")
def keys_revoke(key_id: str = typer.Argument(..., help="The key id shown by `copilot keys list`")) -> None:
    """Revoke a key at once (the API re-reads the key file on change)."""
    rec = _keys().revoke(key_id)
    typer.echo(f"revoked {rec.key_id} ({rec.user_id})")
