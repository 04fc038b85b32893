"""What every rule sees, and the registry rules add themselves to.

A rule is a plain function registered under a stable id (the id policies/rules.yaml configures):
- line rules get one ``LineView`` (a journal line or a historical posting, normalized);
- entry rules get a JournalEntry and its LineViews;
- batch rules get every LineView of the request or stream window.
Rules yield Findings through ``RuleContext.finding``, which stamps the configured severity.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator

from copilot.domain import Company, JournalEntry, Posting
from copilot.validate.findings import Correction, Finding
from copilot.validate.policy import CloseCalendar, RuleConfig, RulesPolicy
from copilot.validate.profile import DupRecord, HistoryProfile, document_keys, normalize_document


@dataclass(frozen=True)
class LineView:
    """One line as every rule reads it, whether it came from a request or from GL detail."""

    entry_index: int | None
    line_index: int | None
    entity: str | None
    day: date
    account_no: str
    dims: dict[str, str]
    amount: Decimal
    tr_type: int
    memo: str = ""
    document: str = ""
    currency: str | None = None
    record_no: str | None = None
    batch: str = ""              # entry / batch identity: lines of one batch are never duplicates
    posted_on: date | None = None  # when it was entered (after-close checks), if known
    in_history: bool = False     # scored against a profile that already contains it (leave-one-out)
    journal: str = ""            # GJ (manual), APJ, CCJ...: some rules only concern manual journals

    @property
    def vendor(self) -> str | None:
        return self.dims.get("vendor")

    @property
    def where(self) -> str:
        return f"line {self.line_index}" if self.line_index is not None else f"record {self.record_no}"


def _extra(extra: dict[str, Any], *names: str) -> str:
    upper = {str(k).upper(): v for k, v in extra.items()}
    for n in names:
        v = upper.get(n)
        if v not in (None, ""):
            return str(v)
    return ""


def parse_when(text: str) -> date | None:
    """WHENCREATED-style stamps: '01/09/2019 22:01:29', '2019-01-09', ISO datetimes."""
    s = (text or "").strip()
    if not s:
        return None
    head = s.split(" ")[0].split("T")[0]
    try:
        if "/" in head:
            m, d, y = head.split("/")
            return date(int(y), int(m), int(d))
        return date.fromisoformat(head)
    except ValueError:
        return None


def line_entity(company: Company | None, entry_entity: str | None, dims: dict[str, str]) -> str | None:
    """In a multi-entity company a line's LOCATION decides its entity when the header names none."""
    if entry_entity:
        return entry_entity
    loc = dims.get("location")
    if company is None or not loc:
        return None
    if loc in company.entities:
        return loc
    value = company.dimensions.get("location", {}).get(loc)
    if value is not None and len(value.entities) == 1:
        return value.entities[0]
    return None


def entry_lines(entry: JournalEntry, entry_index: int, company: Company | None) -> list[LineView]:
    posted = parse_when(_extra(entry.extra, "WHENCREATED", "CREATED", "POSTED_ON"))
    batch = f"entry:{entry_index}:{entry.record_no or ''}"
    out = []
    for i, ln in enumerate(entry.lines):
        doc = _extra(ln.extra, "DOCUMENT", "DOCNUMBER", "INVOICE_NO") or (entry.reference_no or "")
        currency = ln.currency or _extra(entry.extra, "CURRENCY", "BASECURR") or None
        out.append(LineView(
            entry_index=entry_index, line_index=i,
            entity=line_entity(company, entry.entity, ln.dims),
            day=ln.entry_date or entry.batch_date, account_no=ln.account_no, dims=dict(ln.dims),
            amount=ln.amount, tr_type=ln.tr_type, memo=ln.memo or entry.batch_title, document=doc,
            currency=currency, record_no=None, batch=batch, posted_on=posted, journal=entry.journal))
    return out


def posting_line(p: Posting, *, in_history: bool, index: int | None = None,
                 entry_index: int | None = None) -> LineView:
    posted = parse_when(_extra(p.extra, "WHENCREATED", "CREATED", "POSTED_ON"))
    return LineView(entry_index=entry_index, line_index=index, entity=p.entity, day=p.entry_date,
                    account_no=p.account_no, dims=dict(p.dims), amount=p.amount, tr_type=p.tr_type,
                    memo=p.memo, document=p.document or "", currency=p.currency, record_no=p.record_no,
                    batch=p.batch_no or f"#{p.record_no}", posted_on=posted, in_history=in_history,
                    journal=p.journal)


class SessionIndex:
    """Lines seen earlier in this request or stream, for duplicates that history does not hold yet."""

    def __init__(self) -> None:
        self.vendor_lines: dict[str, list[DupRecord]] = defaultdict(list)
        self.documents: dict[str, list[DupRecord]] = defaultdict(list)

    def add(self, ln: LineView) -> None:
        doc = normalize_document(ln.document)
        rec = DupRecord(ln.day.toordinal(), int(ln.amount * 100), ln.tr_type, ln.account_no,
                        ln.record_no or ln.where, ln.batch, doc, ln.memo)
        if ln.vendor:
            self.vendor_lines[ln.vendor].append(rec)
        for key in document_keys(ln.document):
            self.documents[key].append(rec)


Suggester = Callable[[Any], Any]  # SuggestionRequest -> Suggestion (copilot.engine)


@dataclass
class RuleContext:
    policy: RulesPolicy
    calendar: CloseCalendar
    as_of: date
    company: Company | None = None
    profile: HistoryProfile | None = None
    session: SessionIndex = field(default_factory=SessionIndex)
    current: str = ""  # id of the rule being run

    def finding(self, cfg: RuleConfig, message: str, ln: LineView | None = None, *,
                entry_index: int | None = None, corrections: Iterable[Correction] = (),
                **evidence: Any) -> Finding:
        return Finding(rule_id=cfg.rule_id, severity=cfg.severity, message=message,
                       entry_index=ln.entry_index if ln is not None else entry_index,
                       line_index=ln.line_index if ln is not None else None,
                       evidence={k: _plain(v) for k, v in evidence.items()}, corrections=list(corrections))


def _plain(v: Any) -> Any:
    """Evidence is JSON: Decimals as strings (money stays exact), dates ISO."""
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [_plain(x) for x in v]
    return v


LineRule = Callable[[LineView, RuleContext, RuleConfig], Iterator[Finding]]
EntryRule = Callable[[JournalEntry | None, list[LineView], RuleContext, RuleConfig], Iterator[Finding]]
BatchRule = Callable[[list[LineView], RuleContext, RuleConfig], Iterator[Finding]]

LINE_RULES: dict[str, LineRule] = {}
ENTRY_RULES: dict[str, EntryRule] = {}
BATCH_RULES: dict[str, BatchRule] = {}
# Rules whose findings mean "the coding looks wrong": they get the engine's top-3 as corrections.
CODING_RULES: set[str] = set()
# Entry rules that also make sense on a lone GL detail line (monitor, history scoring): dates, periods.
LINE_SAFE_ENTRY_RULES: set[str] = set()


def line_rule(rule_id: str, *, coding: bool = False):
    def deco(fn: LineRule) -> LineRule:
        LINE_RULES[rule_id] = fn
        if coding:
            CODING_RULES.add(rule_id)
        return fn
    return deco


def entry_rule(rule_id: str, *, line_safe: bool = False):
    def deco(fn: EntryRule) -> EntryRule:
        ENTRY_RULES[rule_id] = fn
        if line_safe:
            LINE_SAFE_ENTRY_RULES.add(rule_id)
        return fn
    return deco


def batch_rule(rule_id: str):
    def deco(fn: BatchRule) -> BatchRule:
        BATCH_RULES[rule_id] = fn
        return fn
    return deco


def all_rule_ids() -> set[str]:
    return set(LINE_RULES) | set(ENTRY_RULES) | set(BATCH_RULES) | {"anomaly.score"}
