"""What every Intacct connector offers, whichever API (XML Web Services or REST) is behind it.

Rows are always in the XML read form (upper-case field names, GLDETAIL's DEPARTMENTID/LOCATIONID,
mm/dd/yyyy dates), so the company directory a live sync writes is the one a file import writes, and
copilot.formats.records converts both the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from copilot.domain.entries import JournalEntry, Posting
from copilot.errors import InputError

# The objects a sync pulls, master data first so history can be checked against it.
MASTER_OBJECTS: tuple[str, ...] = (
    "LOCATIONENTITY", "GLACCOUNT", "DEPARTMENT", "LOCATION", "PROJECT", "CLASS", "VENDOR", "CUSTOMER", "EMPLOYEE",
)
HISTORY_OBJECTS: tuple[str, ...] = ("GLDETAIL", "APBILL")
SYNC_OBJECTS: tuple[str, ...] = (*MASTER_OBJECTS, *HISTORY_OBJECTS)
# Objects read with "RECORDNO > last" (append-only history); the rest with "WHENMODIFIED >= last".
APPEND_ONLY: frozenset[str] = frozenset({"GLDETAIL"})

MIN_PAGE_SIZE, MAX_PAGE_SIZE = 1, 1000  # readByQuery's documented pagesize range (FORMATS.md 2.1)


def check_object(obj: str) -> str:
    upper = obj.strip().upper()
    if upper not in SYNC_OBJECTS and upper != "GLBATCH":
        raise InputError(f"unsupported Intacct object {obj!r}; use one of {', '.join(SYNC_OBJECTS)}", field="object")
    return upper


def check_page_size(size: int) -> int:
    if not isinstance(size, int) or not MIN_PAGE_SIZE <= size <= MAX_PAGE_SIZE:
        raise InputError(f"page size must be between {MIN_PAGE_SIZE} and {MAX_PAGE_SIZE}, got {size!r}",
                         field="pagesize")
    return size


@dataclass(frozen=True)
class ReadFilter:
    """Which rows to read. All parts optional and ANDed."""

    modified_since: datetime | None = None  # WHENMODIFIED >= (incremental master data)
    after_recordno: int | None = None  # RECORDNO > (incremental history)
    entry_since: date | None = None  # ENTRY_DATE >= (history window, GLDETAIL only)

    def xml_query(self, obj: str) -> str:
        parts = []
        if self.modified_since is not None:
            parts.append(f"WHENMODIFIED >= '{self.modified_since:%m/%d/%Y %H:%M:%S}'")
        if self.after_recordno is not None:
            parts.append(f"RECORDNO > {int(self.after_recordno)}")
        if self.entry_since is not None and obj == "GLDETAIL":
            parts.append(f"ENTRY_DATE >= '{self.entry_since:%m/%d/%Y}'")
        return " AND ".join(parts)


@dataclass
class Page:
    """One page of rows. ``cursor`` continues the read (XML resultId, REST next start); None = last."""

    rows: list[dict[str, str]]
    cursor: str | None
    numremaining: int
    totalcount: int
    extra: dict[str, str] = field(default_factory=dict)


class ResumeExpired(Exception):
    """The saved cursor is no longer valid (Intacct drops resultIds after a while): re-query."""


class PageLost(ResumeExpired):
    """The row counts of consecutive pages do not add up: a page was consumed but never received
    (a readMore answered with a 5xx or cut off after Intacct had moved its cursor). Re-query."""


@runtime_checkable
class LedgerConnector(Protocol):
    """The interface sync, write-back and the webhook use; XmlConnector and RestConnector implement it."""

    api: str

    def read_pages(self, obj: str, flt: ReadFilter | None = None, *, resume: str | None = None) -> Iterator[Page]:
        """Pages of rows in XML read form; ``resume`` continues from a saved cursor (may raise ResumeExpired)."""
        ...

    def read_objects(self, obj: str, since: datetime | None = None) -> Iterator[dict[str, str]]:
        """Every row of ``obj`` modified at or after ``since`` (all rows when None)."""
        ...

    def read_postings(self, since: date | None = None) -> Iterator[Posting]:
        """GL detail lines with an entry date on or after ``since``."""
        ...

    def create_journal_entry(self, entry: JournalEntry, draft: bool = True) -> str:
        """Create a GLBATCH (STATE Draft unless ``draft`` is False); returns its RECORDNO / key."""
        ...

    def update_journal_entry(self, key: str, entry: JournalEntry) -> str:
        """Replace an existing entry's header and lines; returns its key."""
        ...

    def close(self) -> None:
        ...
