"""The two import templates the batch import reads, streamed record by record.

Journal entries (FORMATS.md §3, the template ``copilot.formats.journal_csv`` reads): JOURNAL, DATE,
DESCRIPTION, REFERENCE_NO, SOURCEENTITY/ENTITY on an entry's first row; LINE_NO, ACCT_NO, MEMO, DEBIT,
CREDIT, CURRENCY and one column per dimension (LOCATION_ID, DEPT_ID, PROJECT_ID, CLASS_ID, CUSTOMER_ID,
VENDOR_ID, EMPLOYEE_ID, ITEM_ID, TASK_ID, GLDIM<NAME>; GLENTRY_-prefixed and ...ID spellings too).

AP bills (Intacct's AP bill template is UNVERIFIED in FORMATS.md; this is what we accept, any letter
case, APBILLITEM_-prefixed line columns too):
  bill header  BILL_NO (RECORDID, BILLNO, DOCNUMBER), VENDOR_ID (VENDORID, VENDOR), VENDOR_NAME,
               DATE (WHENCREATED, BILL_DATE, CREATED_DATE, WHENPOSTED), DUE_DATE (WHENDUE),
               DESCRIPTION, REFERENCE_NO (PONUMBER), CURRENCY, ENTITY (SOURCEENTITY, MEGAENTITYID),
               TERM_NAME. On a bill's first row; later rows may repeat them or leave them blank.
  bill line    LINE_NO, ACCT_NO (ACCOUNTNO, GLACCOUNTNO), AMOUNT (TRX_AMOUNT), MEMO (ENTRYDESCRIPTION)
               and the dimension columns above. A negative AMOUNT is a credit line.
A new entry (bill) starts on a row whose header fields differ from the current one or whose LINE_NO is 1.

Dates are mm/dd/yyyy (ISO yyyy-mm-dd is accepted too). Rows whose first cell (or DONOTIMPORT cell)
starts with '#' and the template's row of field descriptions are kept as they are, never imported.
Unknown columns are carried through untouched.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Iterator, Literal

from copilot.domain import Company, SuggestionRequest
from copilot.domain.dimensions import canonical_dimension
from copilot.errors import ParseError
from copilot.formats.common import at, fail, parse_amount, parse_date, side_and_amount
from copilot.formats.journal_csv import CSV_DIMENSION
from copilot.formats.text_files import CsvText, open_csv_text

Kind = Literal["je", "apbill"]

# The columns the import adds; existing columns of these names are overwritten, not duplicated.
AI_COLUMNS = ("AI_CONFIDENCE", "AI_REASON", "AI_ALTERNATIVES", "AI_PROMPT_VERSION", "AI_CODING", "AI_STATUS",
              "AI_REVIEW_ID")
AI_DESCRIPTIONS = {
    "AI_CONFIDENCE": "Calibrated confidence of the suggested coding (0-1)",
    "AI_REASON": "Why the copilot suggested this coding",
    "AI_ALTERNATIVES": "Next best codings with confidence",
    "AI_PROMPT_VERSION": "Prompt/template version of the reasoning",
    "AI_CODING": "Suggested coding (account|dimension=code...)",
    "AI_STATUS": "auto = coded, review = in the review queue, error = not coded",
    "AI_REVIEW_ID": "Review queue item id",
}

JE_HEADER = {"JOURNAL": "journal", "DATE": "date", "DESCRIPTION": "description", "REFERENCE_NO": "reference",
             "REFERENCENO": "reference", "SOURCEENTITY": "entity", "ENTITY": "entity", "REVERSEDATE": "other",
             "REVERSE_DATE": "other", "STATE": "other"}
JE_LINE = {"LINE_NO": "line_no", "ACCT_NO": "account", "ACCOUNTNO": "account", "MEMO": "memo", "DEBIT": "debit",
           "CREDIT": "credit", "CURRENCY": "currency", "DOCUMENT": "document"}
AP_HEADER = {"BILL_NO": "document", "BILLNO": "document", "RECORDID": "document", "DOCNUMBER": "document",
             "VENDOR_ID": "vendor", "VENDORID": "vendor", "VENDOR": "vendor", "VENDOR_NAME": "vendor_name",
             "VENDORNAME": "vendor_name", "DATE": "date", "WHENCREATED": "date", "BILL_DATE": "date",
             "CREATED_DATE": "date", "WHENPOSTED": "date", "DUE_DATE": "due", "WHENDUE": "due",
             "DESCRIPTION": "description", "REFERENCE_NO": "reference", "PONUMBER": "reference",
             "CURRENCY": "currency", "ENTITY": "entity", "SOURCEENTITY": "entity", "MEGAENTITYID": "entity",
             "TERM_NAME": "other"}
AP_LINE = {"LINE_NO": "line_no", "ACCT_NO": "account", "ACCOUNTNO": "account", "GLACCOUNTNO": "account",
           "AMOUNT": "amount", "TRX_AMOUNT": "amount", "MEMO": "memo", "ENTRYDESCRIPTION": "memo"}
_DIM_FROM_CSV = {v: k for k, v in CSV_DIMENSION.items()}
# Template column -> canonical dimension, for writing a suggested code into the right column.
ACCOUNT_COLUMNS = ("ACCT_NO", "ACCOUNTNO", "GLACCOUNTNO")


def _bare(name: str) -> str:
    for prefix in ("GLENTRY_", "APBILLITEM_"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def column_role(kind: Kind, name: str) -> tuple[str, str]:
    """(header | line | dim | skip | ai | extra, key) for a column name in upper case."""
    if name == "DONOTIMPORT":
        return "skip", name
    if name in AI_COLUMNS:
        return "ai", name
    header, line = (JE_HEADER, JE_LINE) if kind == "je" else (AP_HEADER, AP_LINE)
    if name in header:
        return "header", header[name]
    bare = _bare(name)
    if bare in line:
        return "line", line[bare]
    if kind == "apbill" and bare in ("VENDOR_ID", "VENDORID"):
        return "header", "vendor"
    key = _DIM_FROM_CSV.get(bare) or canonical_dimension(bare)
    if key:
        return "dim", key
    return "extra", name


def detect_kind(columns: list[str]) -> Kind:
    cols = set(columns)
    if cols & {"DEBIT", "CREDIT", "JOURNAL", "GLENTRY_DEBIT"}:
        return "je"
    if cols & {"BILL_NO", "BILLNO", "AMOUNT", "TRX_AMOUNT", "APBILLITEM_AMOUNT"}:
        return "apbill"
    raise fail("cannot tell the template: no DEBIT/CREDIT/JOURNAL (journal entries) nor BILL_NO/AMOUNT "
               "(AP bills) column; pass --kind", field="header", line=1)


@dataclass
class Record:
    """One CSV record. ``line`` is the physical line where it ends (what an editor shows)."""

    line: int
    cells: list[str]
    kind: Literal["data", "comment", "description", "blank"] = "data"


@dataclass
class BatchLine:
    """A data row as the engine and validation need it. ``entry`` numbers entries (bills) in the file."""

    line: int
    entry: int
    starts_entry: bool
    entity: str
    entry_date: date | None
    journal: str
    description: str
    vendor: str | None
    memo: str
    amount: Decimal
    tr_type: int
    account: str | None
    dims: dict[str, str]
    document: str | None
    currency: str | None
    employee: str | None = None
    cells: list[str] = field(default_factory=list)

    def request(self) -> SuggestionRequest:
        """What the preparer typed: vendor, memo, amount, date, counterparties. Typed dims stay fixed;
        the typed account is not sent (asking is how a wrong account is found)."""
        known = {k: v for k, v in self.dims.items() if k not in ("vendor", "employee")}
        return SuggestionRequest(entity=self.entity, vendor=self.vendor, memo=self.memo or self.description,
                                 amount=self.amount, tr_type=self.tr_type, entry_date=self.entry_date,
                                 known_dims=known, employee=self.employee, document=self.document)


class TemplateReader:
    """Streams a template file: ``records()`` yields every record; ``parse(record)`` makes a BatchLine.

    Parsing keeps the current entry's header (fields appear only on its first row), so records must
    be parsed in file order. ParseError always names the line and the field.
    """

    def __init__(self, path: Path, company: Company, *, kind: Kind | Literal["auto"] = "auto",
                 entity: str | None = None) -> None:
        self.path, self.company, self.default_entity = Path(path), company, entity
        self.source = self.path.name
        if entity is not None and entity not in company.entities:
            raise ParseError(f"entity {entity!r} is not in company {company.name!r} "
                             f"(entities: {', '.join(sorted(company.entities))})", field="entity")
        with self._open() as fh:
            try:
                header = next(csv.reader(fh))
            except StopIteration:
                raise fail("the file is empty", source=self.source) from None
            except csv.Error as exc:
                raise fail(f"malformed CSV: {exc}", line=1, source=self.source) from None
        self.header = header
        self.columns = [c.strip().upper() for c in header]
        if not any(self.columns):
            raise fail("the header row is empty", line=1, source=self.source)
        dupes = sorted({c for c in self.columns if c and self.columns.count(c) > 1})
        if dupes:
            raise fail(f"duplicate column {dupes[0]}", field=dupes[0], line=1, source=self.source)
        self.kind: Kind = detect_kind(self.columns) if kind == "auto" else kind
        self.roles = [column_role(self.kind, c) for c in self.columns]
        required = {"je": ("DEBIT", "CREDIT"), "apbill": ("AMOUNT",)}[self.kind]
        if not any(key in {k for r, k in self.roles if r == "line"} for key in (x.lower() for x in required)):
            raise fail(f"no {' or '.join(required)} column: not a {self.kind_label} import file",
                       field=required[0], line=1, source=self.source)
        if not any(r == "line" and k == "account" for r, k in self.roles):
            raise fail("no ACCT_NO column (it may be empty on lines to code, but the column must exist)",
                       field="ACCT_NO", line=1, source=self.source)
        self.marker = self.columns.index("DONOTIMPORT") if "DONOTIMPORT" in self.columns else 0
        self._entry, self._head, self._described = -1, {}, False

    @property
    def kind_label(self) -> str:
        return {"je": "journal-entry", "apbill": "AP bill"}[self.kind]

    def _open(self) -> CsvText:
        try:
            return open_csv_text(self.path, self.source)
        except OSError as exc:
            raise fail(f"cannot read: {exc.strerror or exc}", source=str(self.path)) from None

    # --- records ---------------------------------------------------------------------------------

    def records(self) -> Iterator[Record]:
        """Every record after the header, in order, classified; raw cells as read."""
        with self._open() as fh:
            reader = csv.reader(fh)
            line = 0
            try:
                next(reader)
                first = True
                for cells in reader:
                    line = reader.line_num
                    if not any(c.strip() for c in cells):
                        yield Record(line, cells, "blank")
                        continue
                    if cells[0].lstrip().startswith("#") or (
                            self.marker < len(cells) and cells[self.marker].lstrip().startswith("#")):
                        yield Record(line, cells, "comment")
                        continue
                    if len(cells) > len(self.columns) and any(c.strip() for c in cells[len(self.columns):]):
                        raise fail(f"{len(cells)} cells but the header has {len(self.columns)} columns",
                                   line=line, source=self.source)
                    if first:
                        first = False
                        if self._is_description(cells):
                            yield Record(line, cells, "description")
                            continue
                    yield Record(line, cells, "data")
            except csv.Error as exc:
                raise fail(f"malformed CSV: {exc}", line=reader.line_num or line, source=self.source) from None

    def _is_description(self, cells: list[str]) -> bool:
        """Row 2 of a template holds field descriptions: neither its date nor its amounts parse.

        (A first entry row always carries a date, so a bad amount there is still reported as an error.)
        """
        for (role, key), cell in zip(self.roles, cells):
            try:
                if role == "header" and key == "date" and cell.strip():
                    parse_date(cell, field=key)
                    return False
                if role == "line" and key in ("debit", "credit", "amount") and cell.strip():
                    parse_amount(cell, field=key)
                    return False
            except ParseError:
                continue
        return True

    # --- lines -----------------------------------------------------------------------------------

    def parse(self, record: Record) -> BatchLine:
        n = record.line
        head: dict[str, str] = {}
        values: dict[str, str] = {}
        dims: dict[str, str] = {}
        cells = record.cells + [""] * (len(self.columns) - len(record.cells))
        for (role, key), column, cell in zip(self.roles, self.columns, cells):
            value = cell.strip()
            if not value:
                continue
            if role == "header" and key != "other":
                head[key] = value
            elif role == "line":
                values[key] = value
            elif role == "dim":
                dims[key] = value
        line_no = values.get("line_no", "")
        if line_no and not line_no.isdigit():
            raise fail(f"LINE_NO must be a whole number, got {line_no!r}", field="LINE_NO", line=n,
                       source=self.source)
        starts = self._entry < 0 or line_no == "1" or (
            bool(head) and any(self._head.get(k) != v for k, v in head.items()))
        if starts:
            # LINE_NO 1 without header fields starts a new entry under the previous header.
            self._entry += 1
            self._head = head or dict(self._head)
        else:
            self._head = {**self._head, **head}
        h = self._head
        try:
            tr_type, amount = self._amount(values)
            when = parse_date(h.get("date"), field="DATE")
        except ParseError as exc:
            raise at(exc, line=n, source=self.source) from None
        if self.kind == "je" and not h.get("journal"):
            raise fail("required field is missing (JOURNAL goes on an entry's first row)", field="JOURNAL",
                       line=n, source=self.source)
        if when is None:
            raise fail("date is missing (DATE goes on an entry's first row)", field="DATE", line=n,
                       source=self.source)
        vendor = (dims.get("vendor") or h.get("vendor") or h.get("vendor_name")) if self.kind == "apbill" \
            else dims.get("vendor")
        if self.kind == "apbill" and h.get("vendor") and "vendor" not in dims:
            dims["vendor"] = h["vendor"]
        entity = self._entity(h.get("entity"), dims, n)
        return BatchLine(line=n, entry=self._entry, starts_entry=starts, entity=entity, entry_date=when,
                         journal=h.get("journal", "AP" if self.kind == "apbill" else ""),
                         description=h.get("description", ""), vendor=vendor, memo=values.get("memo", ""),
                         amount=amount, tr_type=tr_type, account=values.get("account") or None, dims=dims,
                         document=values.get("document") or h.get("document") or h.get("reference") or None,
                         currency=values.get("currency") or h.get("currency") or None,
                         employee=dims.get("employee"), cells=record.cells)

    def _amount(self, values: dict[str, str]) -> tuple[int, Decimal]:
        if self.kind == "apbill":
            raw = parse_amount(values.get("amount"), field="AMOUNT")
            return side_and_amount(1, raw)
        debit, credit = values.get("debit", ""), values.get("credit", "")
        if debit and credit:
            raise fail("a line has either DEBIT or CREDIT, not both", field="DEBIT")
        if not debit and not credit:
            raise fail("DEBIT or CREDIT is required", field="DEBIT")
        raw = parse_amount(debit or credit, field="DEBIT" if debit else "CREDIT")
        return side_and_amount(1 if debit else -1, raw)

    def _entity(self, typed: str | None, dims: dict[str, str], n: int) -> str:
        company = self.company
        if typed:
            if typed not in company.entities:
                raise fail(f"entity {typed!r} is not in company {company.name!r}", field="ENTITY", line=n,
                           source=self.source)
            return typed
        if self.default_entity:
            return self.default_entity
        from copilot.validate.rules.base import line_entity

        found = line_entity(company, None, dims)
        if found:
            return found
        if len(company.entities) == 1:
            return next(iter(company.entities))
        raise fail("cannot tell the entity: add an ENTITY column, a LOCATION_ID of one entity, or pass --entity",
                   field="ENTITY", line=n, source=self.source)


def fingerprint_update(h: "hashlib._Hash", record: Record) -> None:
    """Feed a record into the running fingerprint of the input (a resumed import checks it)."""
    h.update(f"{record.line}\x1f".encode())
    h.update("\x1e".join(record.cells).encode("utf-8", "surrogatepass"))
    h.update(b"\n")


def file_size(path: Path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
