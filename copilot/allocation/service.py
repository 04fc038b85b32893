"""Allocation for a named company: rules file + books -> result, Intacct payloads and files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from copilot.allocation.allocate import AllocationResult, allocate
from copilot.allocation.books import Books, load_books, parse_period
from copilot.allocation.rules import RuleBook, load_rulebook, parse_rule, rules_path
from copilot.domain import JournalEntry
from copilot.settings import Settings


def rulebook_for(settings: Settings, company: str | None = None) -> RuleBook:
    root = settings.company_dir(company) if company else None
    return load_rulebook(rules_path(settings.policies_dir, root))


def run_allocation(settings: Settings, company: str, rule: str | dict, period: str, *,
                   amount: Decimal | None = None, books: Books | None = None) -> AllocationResult:
    """``rule`` is a rule id from the rules file or a rule written inline (a mapping)."""
    p = parse_period(period)
    book = rulebook_for(settings, company)
    r = parse_rule(rule) if isinstance(rule, dict) else book.rule(rule)
    books = books or load_books(settings, company)
    return allocate(r, books, p, book.defaults, amount=amount)


def entry_xml(entry: JournalEntry, controlid: str) -> str:
    from copilot.formats.intacct_xml import create_glbatch, function_bytes

    return function_bytes(create_glbatch(entry, controlid=controlid)).decode("utf-8")


def entry_json(entry: JournalEntry, controlid: str) -> dict[str, Any]:
    from copilot.formats.intacct_json import journal_entry_to_json

    return journal_entry_to_json(entry, controlid=controlid)


def controlid(result: AllocationResult) -> str:
    return f"allocate-{result.rule}-{result.period}"[:256]


def write_outputs(result: AllocationResult, out: Path) -> list[Path]:
    """allocation.json (the whole result), glbatch.xml (create function), glbatch.json, report.md."""
    from copilot.allocation.report import render

    out.mkdir(parents=True, exist_ok=True)
    cid = controlid(result)
    files = {
        "allocation.json": result.model_dump_json(indent=2),
        "glbatch.xml": f'<?xml version="1.0" encoding="utf-8"?>\n<content>{entry_xml(result.entry, cid)}</content>\n',
        "glbatch.json": json.dumps(entry_json(result.entry, cid), indent=2) + "\n",
        "report.md": render(result),
    }
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
