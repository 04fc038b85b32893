"""Continuous scoring of GL detail lines: read a stream, flag unusual lines with their reasons.

Input formats (``fmt="auto"`` sniffs the first non-blank character):
- ``xml``: GLDETAIL readByQuery response pages (one or several concatenated), streamed with iterparse;
- ``csv``: a header row of GLDETAIL field names (RECORDNO, ENTRY_DATE, ACCOUNTNO, TR_TYPE, TRX_AMOUNT,
  DEPARTMENTID, VENDORID, ...), any letter case;
- ``jsonl``: one GLDETAIL object per line.
A line that cannot be read is reported (with its line number) and skipped; the stream goes on.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Callable, Iterator

from copilot.domain import Posting
from copilot.errors import InputError, ParseError
from copilot.validate.findings import SEVERITY_RANK, Finding, LineScore
from copilot.validate.rules import RuleContext, posting_line
from copilot.validate.service import Validator


@dataclass
class Bad:
    """A line of the stream that could not be read."""

    line: int | None
    message: str


@dataclass
class Scored:
    posting: Posting
    findings: list[Finding]
    score: LineScore | None
    flagged: bool


@dataclass
class MonitorStats:
    read: int = 0
    flagged: int = 0
    unreadable: int = 0
    by_rule: Counter = field(default_factory=Counter)


def _lines(stream: IO[str], follow: bool, poll_s: float, stop: Callable[[], bool]) -> Iterator[str]:
    while True:
        line = stream.readline()
        if line:
            yield line
            continue
        if not follow or stop():
            return
        time.sleep(poll_s)


def _sniff(stream: IO[str]) -> tuple[str, IO[str]]:
    """Peek at the first non-blank character without losing it (stdin cannot seek)."""
    head = ""
    while True:
        chunk = stream.readline()
        if not chunk:
            break
        head += chunk
        if chunk.strip():
            break
    first = head.lstrip()[:1]
    fmt = "xml" if first == "<" else "jsonl" if first in "{[" else "csv"
    return fmt, _Chain(head, stream)


class _Chain(io.TextIOBase):
    """``head`` then the rest of ``stream``, line by line."""

    def __init__(self, head: str, stream: IO[str]) -> None:
        self._head = io.StringIO(head)
        self._stream = stream

    def readline(self, size: int = -1) -> str:  # type: ignore[override]
        line = self._head.readline()
        return line if line else self._stream.readline()

    def read(self, size: int = -1) -> str:  # type: ignore[override]
        rest = self._head.read()
        return rest + (self._stream.read() if size < 0 else self._stream.read(max(0, size - len(rest))))


def read_postings(stream: IO[str], *, fmt: str = "auto", default_entity: str | None = None,
                  follow: bool = False, poll_s: float = 0.5, stop: Callable[[], bool] = lambda: False
                  ) -> Iterator[Posting | Bad]:
    from copilot.formats.records import row_to_posting

    if fmt == "auto":
        fmt, stream = _sniff(stream)
    if fmt == "xml":
        yield from _xml_postings(stream, default_entity)
        return
    if fmt == "csv":
        reader = csv.DictReader(_lines(stream, follow, poll_s, stop))
        for row in reader:
            try:
                yield row_to_posting({k: v for k, v in row.items() if k is not None}, default_entity)
            except ParseError as exc:
                yield Bad(reader.line_num, exc.message)
        return
    if fmt != "jsonl":
        raise InputError(f"unknown format {fmt!r}: use auto, xml, csv or jsonl", field="format")
    for n, text in enumerate(_lines(stream, follow, poll_s, stop), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text, parse_float=Decimal)
            if not isinstance(row, dict):
                raise ParseError("expected one JSON object per line", line=n)
            yield row_to_posting({k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()},
                                 default_entity)
        except json.JSONDecodeError as exc:
            yield Bad(n, f"not JSON: {exc.msg}")
        except ParseError as exc:
            yield Bad(n, exc.message)


def _xml_postings(stream: IO[str], default_entity: str | None) -> Iterator[Posting | Bad]:
    from lxml import etree

    from copilot.formats.records import row_to_posting
    from copilot.formats.xmlrows import element_to_row

    data = stream.read().encode("utf-8")
    # Several pages may be concatenated (a paging loop appending to one file): split on declarations.
    parts = data.split(b"<?xml")
    for doc in [parts[0], *(b"<?xml" + p for p in parts[1:])]:
        if not doc.strip():
            continue
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
            root = etree.fromstring(doc.strip(), parser)
        except etree.XMLSyntaxError as exc:
            yield Bad(exc.lineno, f"malformed XML: {exc.msg}")
            continue
        for elem in root.iter():
            if isinstance(elem.tag, str) and elem.tag.lower() == "gldetail":
                try:
                    yield row_to_posting(element_to_row(elem), default_entity)
                except ParseError as exc:
                    yield Bad(elem.sourceline, exc.message)


class StreamMonitor:
    """Scores each line against history plus everything seen so far in the stream."""

    def __init__(self, validator: Validator, *, min_severity: str = "warning", min_score: float | None = None,
                 learn: bool = True, as_of: date | None = None) -> None:
        """``as_of`` None: each line counts as posted on its own date (a replay of past lines: period
        rules need a WHENCREATED stamp to fire); give today's date for a live feed."""
        self.validator = validator
        self.floor = SEVERITY_RANK[min_severity]
        self.min_score = min_score
        self.learn = learn and validator.profile is not None
        self.as_of = as_of
        self.ctx: RuleContext = validator.context(as_of)
        self.stats = MonitorStats()

    def feed(self, p: Posting) -> Scored:
        self.ctx.as_of = self.as_of or p.entry_date
        ln = posting_line(p, in_history=False, index=self.stats.read)
        findings, score = self.validator.check_line(ln, self.ctx)
        findings = [f for f in findings if SEVERITY_RANK[f.severity] >= self.floor]
        flagged = bool(findings) or (self.min_score is not None and score is not None and score.score >= self.min_score)
        self.stats.read += 1
        if flagged:
            self.stats.flagged += 1
            self.stats.by_rule.update(f.rule_id for f in findings)
        if self.learn:
            self.validator.profile.add(p)  # type: ignore[union-attr]
        return Scored(p, findings, score, flagged)
