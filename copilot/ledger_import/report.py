"""What an import did: rows read, imported, filtered out, and every bad row with its line and column."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from copilot.errors import ParseError

REJECTS_KEPT = 100_000  # bad rows kept in full; beyond that (a wrong mapping, surely) only counted


@dataclass
class BadRow:
    line: int
    field: str  # the column as the file names it
    message: str

    def error(self, source: str, hint: str = "") -> ParseError:
        return ParseError(self.message + hint, line=self.line, field=self.field, source=source)


@dataclass
class ImportReport:
    source: str
    header_line: int = 0
    rows_read: int = 0  # data rows after the header (comments and blank lines not included)
    imported: int = 0
    comments: int = 0
    blank: int = 0
    filtered: Counter[str] = field(default_factory=Counter)
    bad_rows: int = 0
    bad_by_field: Counter[str] = field(default_factory=Counter)
    rejects: list[BadRow] = field(default_factory=list)
    incomplete_entries: int = 0  # entries that lost some but not all lines to bad rows
    notes: list[str] = field(default_factory=list)

    def reject(self, errors: list[BadRow]) -> None:
        if len(self.rejects) < REJECTS_KEPT:
            self.rejects.extend(errors)
        elif not any(n.startswith("more than") for n in self.notes):
            self.notes.append(f"more than {REJECTS_KEPT:,} bad rows: only the first {REJECTS_KEPT:,} "
                              "are listed, all are counted")

    def summary(self) -> dict:
        return {
            "source": self.source, "rows_read": self.rows_read, "imported": self.imported,
            "comment_rows": self.comments, "blank_rows": self.blank, "filtered": dict(self.filtered),
            "bad_rows": self.bad_rows, "bad_by_field": dict(self.bad_by_field),
            "incomplete_entries": self.incomplete_entries, "notes": self.notes,
        }
