"""Intercompany reconciliation for a named company: rules + books + rates -> findings, eliminations, files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from copilot.allocation.books import Books, Period, load_books, parse_period
from copilot.intercompany.config import IntercompanyRules, load_rules, rules_path
from copilot.intercompany.eliminate import eliminate
from copilot.intercompany.fx import RateTable, read_rates
from copilot.intercompany.matching import reconcile_items
from copilot.intercompany.models import Reconciliation
from copilot.settings import Settings


def rules_for(settings: Settings, company: str | None = None) -> IntercompanyRules:
    root = settings.company_dir(company) if company else None
    return load_rules(rules_path(settings.policies_dir, root))


def rates_for(books: Books, rules: IntercompanyRules, path: Path | None = None) -> RateTable:
    base = rules.matching.base_currency
    found = path or books.extras_file(*rules.rates_file)
    if found is None:
        return RateTable(base, {}, source="no rate table")
    return read_rates(found, base)


def reconcile(books: Books, period: Period, rules: IntercompanyRules, rates: RateTable) -> Reconciliation:
    """The domain flow: pair, explain, eliminate (no I/O)."""
    matcher, triples = reconcile_items(books, period, rules, rates)
    elims, notes = eliminate(books, period, triples, rules.elimination, rates)
    rec = Reconciliation(
        company=books.name, period=str(period), base_currency=rates.base, tolerance=rules.matching.tolerance,
        window_days=rules.matching.date_window_days, use_reference=rules.matching.use_reference,
        rates_source=rates.source if len(rates) else None,
        intercompany_accounts=[{"account": a.account_no, "title": a.title, "side": a.side,
                                "counterparty": a.counterparty} for a in matcher.accounts.values()],
        findings=[f for _, _, f in triples], eliminations=elims)
    if not matcher.accounts:
        rec.notes.append("no intercompany accounts found in the chart (titles like 'Due from'/'Due to' naming an "
                         "entity, an Intercompany category, or accounts.explicit in intercompany_rules.yaml)")
    if not any(period.contains(i.day) for i in matcher.items):
        rec.notes.append(f"no intercompany bookings in {period}; {books.coverage()}")
    if not len(rates):
        rec.notes.append(f"no rate table found ({', '.join(rules.rates_file)}): sides in different currencies "
                         "cannot be compared")
    rec.notes += sorted(matcher.missing_rates)
    rec.notes += notes
    return rec


def run_reconciliation(settings: Settings, company: str, period: str, *, tolerance: Decimal | None = None,
                       window_days: int | None = None, use_reference: bool | None = None,
                       rates_path: Path | None = None, books: Books | None = None) -> Reconciliation:
    p = parse_period(period)
    rules = rules_for(settings, company).with_overrides(tolerance=tolerance, date_window_days=window_days,
                                                        use_reference=use_reference)
    books = books or load_books(settings, company)
    rec = reconcile(books, p, rules, rates_for(books, rules, rates_path))
    attach_payloads(rec)
    return rec


def attach_payloads(rec: Reconciliation) -> None:
    """Each elimination as the GLBATCH create function, in XML and in its JSON form."""
    from copilot.formats.intacct_json import journal_entry_to_json
    from copilot.formats.intacct_xml import create_glbatch, function_bytes

    for n, e in enumerate(rec.eliminations, 1):
        cid = f"ic-elim-{rec.period}-{n:04d}"
        e.payload_xml = function_bytes(create_glbatch(e.entry, controlid=cid)).decode("utf-8")
        e.payload_json = journal_entry_to_json(e.entry, controlid=cid)


def write_outputs(rec: Reconciliation, out: Path) -> list[Path]:
    """reconciliation.json, report.md, eliminations.xml (one <content> of create functions), eliminations.json."""
    from copilot.intercompany.report import render

    out.mkdir(parents=True, exist_ok=True)
    xml = "".join(e.payload_xml or "" for e in rec.eliminations)
    files = {
        "reconciliation.json": rec.model_dump_json(indent=2, exclude={"eliminations": {"__all__": {"payload_xml",
                                                                                                  "payload_json"}}}),
        "report.md": render(rec),
        "eliminations.xml": f'<?xml version="1.0" encoding="utf-8"?>\n<content>{xml}</content>\n',
        "eliminations.json": json.dumps([e.payload_json for e in rec.eliminations], indent=2) + "\n",
    }
    written = []
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    return written
