"""Validation of enriched lines, as they will be imported (typed values plus the filled ones).

Journal entries run every validation rule (entry rules such as balance included), one chunk at a time;
AP bill lines run the line rules and the date rules only (a bill is one side of an entry: its AP
credit is made by Intacct, so balance rules do not apply). Warnings and errors on a line (or on its
entry) send the line to review; info findings are counted only. Findings about the chunk as a whole
(Benford) are kept for the summary, not pinned on every line.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Iterable

from copilot.batch.enrich import Outcome
from copilot.domain import Company, JournalEntry, JournalLine
from copilot.validate.findings import Finding

ROUTED = ("warning", "error")


class LineChecks:
    def __init__(self, validator, kind: str, company: Company, *, as_of: date | None = None) -> None:
        self.validator, self.kind, self.company, self.as_of = validator, kind, company, as_of

    def apply(self, outcomes: list[Outcome]) -> tuple[Counter, list[str]]:
        """Route the chunk's warnings and errors to its lines; returns the info findings counted by
        rule and the notes about the chunk as a whole."""
        info: Counter = Counter()
        notes: list[str] = []
        groups: dict[int, list[Outcome]] = {}
        for o in outcomes:
            if o.status != "error":
                groups.setdefault(o.line.entry, []).append(o)
        if not groups:
            return info, notes
        members = list(groups.values())
        entries = [_entry(g) for g in members]
        if self.kind == "je":
            report = self.validator.validate(entries, as_of=self.as_of, suggest=False)
            for i, er in enumerate(report.entries):
                for f in er.findings:
                    _route(f, members[i] if f.line_index is None else [members[i][f.line_index]], info)
            for f in report.batch_findings:
                if f.entry_index is not None and f.line_index is not None:
                    _route(f, [members[f.entry_index][f.line_index]], info)
                elif f.severity in ROUTED:
                    notes.append(f"{f.rule_id}: {f.message}")
        else:
            from copilot.validate.rules import entry_lines

            ctx = self.validator.context(self.as_of)
            for i, (entry, group) in enumerate(zip(entries, members)):
                for ln, o in zip(entry_lines(entry, i, self.company), group):
                    findings, _ = self.validator.check_line(ln, ctx)
                    for f in findings:
                        _route(f, [o], info)
        return info, notes


def _route(f: Finding, targets: Iterable[Outcome], info: Counter) -> None:
    if f.severity not in ROUTED:
        info[f.rule_id] += 1
        return
    reason = (f.rule_id, f"{f.rule_id}: {f.message}")
    for o in targets:
        if reason not in o.reasons:
            o.reasons.append(reason)


def _entry(group: list[Outcome]) -> JournalEntry:
    first = group[0].line
    entities = {o.line.entity for o in group}
    lines = [JournalLine(account_no=o.account or "", tr_type=o.line.tr_type, amount=o.line.amount,
                         memo=o.line.memo, dims=o.dims, line_no=i + 1, currency=o.line.currency,
                         extra={"DOCUMENT": o.line.document} if o.line.document else {})
             for i, o in enumerate(group)]
    return JournalEntry(journal=first.journal or "GJ", batch_date=first.entry_date, batch_title=first.description,
                        entity=entities.pop() if len(entities) == 1 else None, reference_no=first.document,
                        lines=lines)
