"""What allocation and intercompany both need from a company: periods, its books, and a postability check.

``load_books`` reads ``data_dir/companies/<name>/`` (readByQuery pages) once per process and keeps it
while the pages are unchanged (a fingerprint of their sizes and times), so the API answers the second
request without re-reading 100k GL lines. ``entry_problems`` says what Intacct would refuse in a
proposed entry (inactive or unknown accounts, missing required dimensions, codes of another entity).
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterator

from copilot.domain import Company, JournalEntry, Posting
from copilot.errors import InputError, NotFound
from copilot.settings import Settings

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, written YYYY-MM."""

    year: int
    month: int

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        nxt = date(self.year + 1, 1, 1) if self.month == 12 else date(self.year, self.month + 1, 1)
        return nxt - timedelta(days=1)

    def shift(self, months: int) -> "Period":
        y, m = divmod(self.year * 12 + self.month - 1 + months, 12)
        return Period(y, m + 1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @classmethod
    def of(cls, day: date) -> "Period":
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """'Mar 2025', as the policy's entry titles write a month."""
        return f"{self.start:%b %Y}"


def parse_period(text: str, *, field: str = "period") -> Period:
    m = _PERIOD.match((text or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(f"period must be a month written YYYY-MM (e.g. 2025-03), got {text!r}", field=field)
    return Period(int(m.group(1)), int(m.group(2)))


@dataclass
class Books:
    """A company's master data and GL detail, plus the directory they came from (for extras/)."""

    name: str
    company: Company
    postings: list[Posting]
    root: Path | None = None
    _by_batch: dict[tuple[str, str], list[Posting]] | None = field(default=None, repr=False)
    _by_month: dict[Period, dict[str, list[Posting]]] | None = field(default=None, repr=False)
    _by_project: dict[str, list[Posting]] | None = field(default=None, repr=False)

    @property
    def first_day(self) -> date | None:
        return min((p.entry_date for p in self.postings), default=None)

    @property
    def last_day(self) -> date | None:
        return max((p.entry_date for p in self.postings), default=None)

    def coverage(self) -> str:
        if not self.postings:
            return "no GL detail at all"
        return f"GL detail covers {Period.of(self.first_day)} to {Period.of(self.last_day)}"

    def batch(self, entity: str, batch_key: str) -> list[Posting]:
        """Every line of one batch (entries are keyed by entity and batch number)."""
        if self._by_batch is None:
            index: dict[tuple[str, str], list[Posting]] = {}
            for p in self.postings:
                index.setdefault((p.entity, batch_key_of(p)), []).append(p)
            self._by_batch = index
        return self._by_batch.get((entity, batch_key), [])

    def between(self, first: date, last: date, entity: str | None = None) -> Iterator[Posting]:
        """Postings dated ``first``..``last`` (of one entity), read from a month index: a month-end run
        touches a few months, not the whole history."""
        if self._by_month is None:
            index: dict[Period, dict[str, list[Posting]]] = {}
            for p in self.postings:
                index.setdefault(Period.of(p.entry_date), {}).setdefault(p.entity, []).append(p)
            self._by_month = index
        if first > last:
            return
        month, end = Period.of(first), Period.of(last)
        while month <= end:
            by_entity = self._by_month.get(month, {})
            groups = [by_entity.get(entity, [])] if entity is not None else list(by_entity.values())
            for group in groups:
                for p in group:
                    if first <= p.entry_date <= last:
                        yield p
            month = month.shift(1)

    def of_project(self, code: str) -> list[Posting]:
        if self._by_project is None:
            index: dict[str, list[Posting]] = {}
            for p in self.postings:
                if p.dims.get("project"):
                    index.setdefault(p.dims["project"], []).append(p)
            self._by_project = index
        return self._by_project.get(code, [])

    def extras_file(self, *names: str) -> Path | None:
        """The first of ``names`` found in the company directory or its extras/ folder."""
        if self.root is None:
            return None
        for name in names:
            for path in (self.root / name, self.root / "extras" / name):
                if path.is_file():
                    return path
        return None


def batch_key_of(p: Posting) -> str:
    """Lines of one GLBATCH share BATCHNO; without one, each line stands alone."""
    return p.batch_no or f"record:{p.record_no}"


def company_root(settings: Settings, name: str) -> Path:
    return settings.company_dir(name)


def _fingerprint(root: Path) -> str:
    h = hashlib.sha1()
    for path in sorted(root.rglob("page-*.xml")):
        st = path.stat()
        h.update(f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


_cache: dict[tuple[str, str], tuple[str, Books]] = {}
_lock = threading.Lock()


def load_books(settings: Settings, name: str, *, on_page: Callable | None = None) -> Books:
    """The company's books (cached per process while its pages are unchanged)."""
    root = company_root(settings, name)
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", name or ""):
        raise InputError(f"company name {name!r}: use letters, digits, '.', '_' or '-'", field="company")
    if not root.is_dir():
        raise NotFound(f"company {name!r} not found (no {root}); run `copilot demo init` or import one",
                       field="company")
    fp = _fingerprint(root)
    key = (str(root.resolve()), name)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == fp:
            return hit[1]
    from copilot.formats.company_dir import read_company_dir

    data = read_company_dir(root, name, on_page=on_page)
    books = Books(name=name, company=data.company, postings=data.postings, root=root)
    with _lock:
        _cache[key] = (fp, books)
    return books


# --- would Intacct take it? ----------------------------------------------------------------------

def entry_problems(company: Company, entry: JournalEntry) -> list[str]:
    """Reasons Intacct would refuse ``entry``, in plain words (empty when it is postable as far as the
    master data tells). Balance is checked first: an unbalanced entry is never handed out."""
    problems: list[str] = []
    if not entry.is_balanced:
        problems.append(f"entry '{entry.batch_title}' does not balance: debits {entry.debits} "
                        f"credits {entry.credits}")
    if len(entry.lines) < 2:
        problems.append(f"entry '{entry.batch_title}' has fewer than 2 lines")
    entity = entry.entity
    for n, line in enumerate(entry.lines, 1):
        acct = company.accounts.get(line.account_no)
        if acct is None:
            problems.append(f"line {n}: account {line.account_no} is not in the chart of accounts")
            continue
        if not acct.active:
            problems.append(f"line {n}: account {line.account_no} ({acct.title}) is inactive")
        missing = sorted(d for d in acct.required_dimensions if not line.dims.get(d))
        if missing:
            problems.append(f"line {n}: account {line.account_no} requires {', '.join(missing)}")
        for key, code in line.dims.items():
            if company.dimension_value(key, code) is None:
                problems.append(f"line {n}: {key} {code!r} does not exist")
            elif not company.is_valid_code(key, code, entity):
                problems.append(f"line {n}: {key} {code!r} is inactive or not usable in entity {entity}")
    return problems

