"""Intacct's journal-entry CSV import template (FORMATS.md §3), read and written.

Columns (any letter case): DONOTIMPORT, JOURNAL, DATE, DESCRIPTION, REFERENCE_NO, LINE_NO, ACCT_NO,
LOCATION_ID, DEPT_ID, MEMO, DEBIT, CREDIT, one column per dimension (PROJECT_ID, CLASS_ID, VENDOR_ID,
CUSTOMER_ID, EMPLOYEE_ID, ITEM_ID, TASK_ID, GLDIM<NAME>; GLENTRY_-prefixed and …ID spellings too).
Header fields sit only on an entry's first row; rows whose first cell starts with '#' are skipped;
the template's optional second row of field descriptions is detected and skipped. REVERSEDATE,
STATE, SOURCEENTITY and CURRENCY are UNVERIFIED template columns: read when present, written when used.
Unknown columns are kept in each line's ``extra``.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime
from pathlib import Path
from typing import IO, Iterable, Iterator

from pydantic import ValidationError

from copilot.domain.dimensions import STANDARD_DIMENSIONS, canonical_dimension
from copilot.domain.entries import JournalEntry, JournalLine
from copilot.errors import ParseError
from copilot.formats.common import at, fail, from_validation, parse_amount, side_and_amount
from copilot.formats.text_files import open_csv_text

HEADER_COLUMNS = {"JOURNAL": "journal", "DATE": "date", "DESCRIPTION": "title", "REFERENCE_NO": "reference",
                  "REFERENCENO": "reference", "REVERSEDATE": "reverse", "REVERSE_DATE": "reverse",
                  "STATE": "state", "SOURCEENTITY": "entity", "ENTITY": "entity"}
LINE_COLUMNS = {"LINE_NO": "line_no", "ACCT_NO": "account", "ACCOUNTNO": "account", "MEMO": "memo",
                "DEBIT": "debit", "CREDIT": "credit", "CURRENCY": "currency"}
CSV_DIMENSION = {"department": "DEPT_ID", "location": "LOCATION_ID", "project": "PROJECT_ID",
                 "class": "CLASS_ID", "customer": "CUSTOMER_ID", "vendor": "VENDOR_ID",
                 "employee": "EMPLOYEE_ID", "item": "ITEM_ID", "task": "TASK_ID"}
_DIM_FROM_CSV = {v: k for k, v in CSV_DIMENSION.items()}


def _role(column: str) -> tuple[str, str]:
    """Column name -> (kind, key): header | line | dim | skip | extra."""
    name = column.strip().upper()
    if name == "DONOTIMPORT":
        return "skip", name
    if name in HEADER_COLUMNS:
        return "header", HEADER_COLUMNS[name]
    if name in LINE_COLUMNS:
        return "line", LINE_COLUMNS[name]
    bare = name[8:] if name.startswith("GLENTRY_") else name
    key = _DIM_FROM_CSV.get(bare) or canonical_dimension(bare)
    if key:
        return "dim", key
    return "extra", name


def _open(source: str | os.PathLike | IO[str]) -> tuple[IO[str], str | None, bool]:
    """(text stream, source name, whether we opened it). A str with a newline is CSV text."""
    if isinstance(source, (str, os.PathLike)) and not (isinstance(source, str) and "\n" in source):
        path = Path(source)
        if isinstance(source, os.PathLike) or path.exists():
            try:
                return open_csv_text(path, str(path)), str(path), True
            except OSError as exc:
                raise fail(f"cannot read CSV: {exc}", source=str(path)) from None
    if isinstance(source, str):
        if "\n" not in source and "," not in source:
            raise fail("no such CSV file", source=source)
        return io.StringIO(source.lstrip("\ufeff"), newline=""), None, True
    return source, getattr(source, "name", None), False


def _source_name(source) -> str | None:
    if isinstance(source, os.PathLike):
        return str(source)
    if isinstance(source, str) and "\n" not in source and Path(source).exists():
        return source
    return getattr(source, "name", None) if not isinstance(source, str) else None


def _parse_date(text: str, fmt: str, *, field: str, line: int, source: str | None) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        raise fail(f"not a date in format {fmt}: {text!r}", field=field, line=line, source=source) from None


def _is_description_row(row: dict[str, str], fmt: str) -> bool:
    """The template's row 2 holds field descriptions: no parsable date and no parsable amount."""
    if not any(v.strip() for v in row.values()):
        return False
    try:
        if row.get("DATE", "").strip():
            datetime.strptime(row["DATE"].strip(), fmt)
            return False
    except ValueError:
        pass
    for col in ("DEBIT", "CREDIT"):
        try:
            if row.get(col, "").strip() and parse_amount(row[col], field=col) is not None:
                return False
        except ParseError:  # not an amount: what a description row holds
            continue
    return True


def iter_journal_csv_rows(source: str | os.PathLike | IO[str], *, date_format: str = "%m/%d/%Y"
                          ) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row keyed by upper-case column) for every importable row, streamed."""
    fh, name, owned = _open(source)
    try:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise fail("the CSV is empty", source=name) from None
        columns = [c.strip().upper() for c in header]
        if not ({"ACCT_NO", "ACCOUNTNO"} & set(columns)):
            raise fail("no ACCT_NO column: not a journal-entry import file", field="ACCT_NO",
                       line=reader.line_num, source=name)
        first = True
        marker = columns.index("DONOTIMPORT") if "DONOTIMPORT" in columns else 0
        for cells in reader:
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#") or (
                    marker < len(cells) and cells[marker].lstrip().startswith("#")):
                continue
            if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns):]):
                raise fail(f"{len(cells)} cells but {len(columns)} columns", line=reader.line_num, source=name)
            row = dict(zip(columns, cells + [""] * (len(columns) - len(cells))))
            if first:
                first = False
                if _is_description_row(row, date_format):
                    continue
            yield reader.line_num, row
    except csv.Error as exc:
        raise fail(f"malformed CSV: {exc}", source=name) from None
    finally:
        if owned:
            fh.close()


def _line(row: dict[str, str], roles: dict[str, tuple[str, str]], n: int, source: str | None) -> JournalLine:
    values: dict[str, str] = {}
    dims: dict[str, str] = {}
    extra: dict[str, str] = {}
    for column, value in row.items():
        kind, key = roles[column]
        if kind == "line":
            values[key] = value.strip()
        elif kind == "dim" and value.strip():
            dims[key] = value.strip()
        elif kind == "extra" and value != "":
            extra[key] = value
    if not values.get("account"):
        raise fail("required field is missing", field="ACCT_NO", line=n, source=source)
    debit, credit = values.get("debit", ""), values.get("credit", "")
    if debit and credit:
        raise fail("a line has either DEBIT or CREDIT, not both", field="DEBIT", line=n, source=source)
    if not debit and not credit:
        raise fail("DEBIT or CREDIT is required", field="DEBIT", line=n, source=source)
    column = "DEBIT" if debit else "CREDIT"
    try:
        raw = parse_amount(debit or credit, field=column)
    except ParseError as exc:  # raised without the line: add it
        raise at(exc, line=n, source=source) from None
    tr_type, amount = side_and_amount(1 if debit else -1, raw)
    line_no = values.get("line_no", "")
    if line_no and not line_no.isdigit():
        raise fail(f"LINE_NO must be a whole number, got {line_no!r}", field="LINE_NO", line=n, source=source)
    try:
        return JournalLine(account_no=values["account"], tr_type=tr_type, amount=amount,
                           memo=values.get("memo", ""), dims=dims, line_no=int(line_no) if line_no else None,
                           currency=values.get("currency") or None, extra=extra)
    except ValidationError as exc:
        raise from_validation(exc, line=n, source=source) from None


def iter_journal_csv(source: str | os.PathLike | IO[str], *, date_format: str = "%m/%d/%Y"
                     ) -> Iterator[JournalEntry]:
    """Journal entries one at a time (a new entry starts on a row carrying header fields)."""
    name = _source_name(source)
    roles: dict[str, tuple[str, str]] = {}
    current: dict | None = None
    for n, row in iter_journal_csv_rows(source, date_format=date_format):
        for column in row:
            if column not in roles:
                roles[column] = _role(column)
        head = {roles[c][1]: v.strip() for c, v in row.items() if roles[c][0] == "header" and v.strip()}
        starts = bool(head) and (current is None or row.get("LINE_NO", "").strip() in ("", "1")
                                 or any(current["head"].get(k) != v for k, v in head.items()))
        if starts:
            if current is not None:
                yield _entry(current, date_format, name)
            current = {"head": head, "line": n, "lines": []}
        elif current is None:
            raise fail("a line before any entry header (JOURNAL and DATE go on an entry's first row)",
                       field="JOURNAL", line=n, source=name)
        current["lines"].append(_line(row, roles, n, name))
    if current is not None:
        yield _entry(current, date_format, name)


def _entry(current: dict, fmt: str, source: str | None) -> JournalEntry:
    head, n = current["head"], current["line"]
    if not head.get("journal"):
        raise fail("required field is missing", field="JOURNAL", line=n, source=source)
    batch_date = _parse_date(head.get("date", ""), fmt, field="DATE", line=n, source=source)
    if batch_date is None:
        raise fail("date is missing", field="DATE", line=n, source=source)
    try:
        return JournalEntry(journal=head["journal"], batch_date=batch_date, batch_title=head.get("title", ""),
                            reference_no=head.get("reference") or None, entity=head.get("entity") or None,
                            state=head.get("state") or None, lines=current["lines"],
                            reverse_date=_parse_date(head.get("reverse", ""), fmt, field="REVERSEDATE",
                                                     line=n, source=source))
    except ValidationError as exc:
        raise from_validation(exc, line=n, source=source) from None


def read_journal_csv(source: str | os.PathLike | IO[str], *, date_format: str = "%m/%d/%Y") -> list[JournalEntry]:
    return list(iter_journal_csv(source, date_format=date_format))


def write_journal_csv(entries: Iterable[JournalEntry], fh: IO[str], *, date_format: str = "%m/%d/%Y") -> None:
    """Write the import template: header fields on each entry's first row only, LINE_NO from 1."""
    entries = list(entries)
    lines = [ln for e in entries for ln in e.lines]
    custom = sorted({k for ln in lines for k in ln.dims if k not in CSV_DIMENSION})
    extra_cols = sorted({k.upper() for ln in lines for k in ln.extra})
    optional_head = [c for c, used in (("REVERSEDATE", any(e.reverse_date for e in entries)),
                                       ("SOURCEENTITY", any(e.entity for e in entries)),
                                       ("STATE", any(e.state for e in entries))) if used]
    used_dims = {k for ln in lines for k in ln.dims}
    more_dims = [CSV_DIMENSION[k] for k in STANDARD_DIMENSIONS
                 if k in used_dims and k not in ("location", "department")]
    columns = ["DONOTIMPORT", "JOURNAL", "DATE", *optional_head, "DESCRIPTION", "REFERENCE_NO", "LINE_NO",
               "ACCT_NO", "LOCATION_ID", "DEPT_ID", "MEMO", "DEBIT", "CREDIT", *more_dims,
               *(f"GLDIM{k.upper()}" for k in custom),
               *(["CURRENCY"] if any(ln.currency for ln in lines) else []), *extra_cols]
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(columns)
    for entry in entries:
        for i, line in enumerate(entry.lines):
            cells = {"LINE_NO": str(line.line_no or i + 1), "ACCT_NO": line.account_no, "MEMO": line.memo,
                     "DEBIT" if line.tr_type == 1 else "CREDIT": str(line.amount), "CURRENCY": line.currency or ""}
            if i == 0:
                cells.update({"JOURNAL": entry.journal, "DATE": entry.batch_date.strftime(date_format),
                              "DESCRIPTION": entry.batch_title, "REFERENCE_NO": entry.reference_no or "",
                              "SOURCEENTITY": entry.entity or "", "STATE": entry.state or "",
                              "REVERSEDATE": entry.reverse_date.strftime(date_format) if entry.reverse_date else ""})
            for key, code in line.dims.items():
                cells[CSV_DIMENSION.get(key, f"GLDIM{key.upper()}")] = code
            cells.update({k.upper(): str(v) for k, v in line.extra.items()})
            writer.writerow([cells.get(c, "") for c in columns])
