"""Bank feed lines and the open AR invoices / AP bills they may settle, read from files.

Feed CSV (any letter case; the first matching column wins):
  date         DATE, POSTED_DATE, TRANSACTION_DATE, BOOKING_DATE, VALUE_DATE (mm/dd/yyyy or yyyy-mm-dd)
  amount       AMOUNT (signed: negative = money out), or DEBIT/WITHDRAWAL and CREDIT/DEPOSIT columns
  description  DESCRIPTION, MEMO, NARRATIVE, DETAILS, PAYEE, NAME
  optional     CURRENCY, ENTITY, BANK_ACCOUNT (ACCOUNT), LINE_ID (ID, FITID, TRANSACTION_ID)
Open items come from the company directory's APBILL and ARINVOICE readByQuery pages.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Iterable

from copilot.errors import ParseError
from copilot.formats.common import at, fail, parse_amount, parse_date
from copilot.formats.text_files import CsvText, open_csv_text

DATE_COLS = ("DATE", "POSTED_DATE", "TRANSACTION_DATE", "BOOKING_DATE", "VALUE_DATE", "POSTING_DATE")
DESC_COLS = ("DESCRIPTION", "MEMO", "NARRATIVE", "DETAILS", "PAYEE", "NAME", "TEXT")
OUT_COLS = ("DEBIT", "WITHDRAWAL", "WITHDRAWALS", "MONEY_OUT", "PAID_OUT")
IN_COLS = ("CREDIT", "DEPOSIT", "DEPOSITS", "MONEY_IN", "PAID_IN")
ID_COLS = ("LINE_ID", "ID", "FITID", "TRANSACTION_ID", "REFERENCE_ID")


@dataclass
class FeedLine:
    line_id: str
    row: int                 # line number in the file
    on: date
    amount: Decimal          # signed: negative = money out
    description: str
    currency: str | None = None
    entity: str | None = None
    bank_account: str | None = None

    @property
    def direction(self) -> str:
        return "out" if self.amount < 0 else "in"


@dataclass
class OpenItem:
    kind: str                # ap (a bill we owe) | ar (an invoice owed to us)
    item_id: str             # RECORDNO
    doc_no: str              # RECORDID: the bill or invoice number
    party_id: str
    party_name: str
    entity: str | None
    on: date
    due: date | None
    currency: str | None
    total: Decimal
    residual: Decimal = field(default=Decimal("0"))

    @property
    def sort_key(self) -> tuple:
        return (self.due or self.on, self.on, self.item_id)


def _pick(columns: list[str], names: Iterable[str]) -> int | None:
    for name in names:
        if name in columns:
            return columns.index(name)
    return None


def read_feed(source: str | Path | IO[str], *, name: str | None = None) -> list[FeedLine]:
    """Parse a bank feed CSV. ParseError names the line and field of the first bad value."""
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
        path = Path(source)
        try:
            fh: IO[str] | CsvText = open_csv_text(path, name or path.name)
        except OSError as exc:
            raise fail(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
        name = name or path.name
    elif isinstance(source, str):
        fh = io.StringIO(source.lstrip("\ufeff"), newline="")
    else:
        fh = source
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise fail("the file is empty", source=name) from None
        except csv.Error as exc:
            raise fail(f"malformed CSV: {exc}", line=1, source=name) from None
        cols = [c.strip().upper().replace(" ", "_") for c in header]
        i_date, i_desc = _pick(cols, DATE_COLS), _pick(cols, DESC_COLS)
        i_amt, i_out, i_in = _pick(cols, ("AMOUNT",)), _pick(cols, OUT_COLS), _pick(cols, IN_COLS)
        i_cur, i_ent = _pick(cols, ("CURRENCY", "CCY")), _pick(cols, ("ENTITY", "LOCATIONID"))
        i_acct, i_id = _pick(cols, ("BANK_ACCOUNT", "ACCOUNT", "ACCOUNT_ID")), _pick(cols, ID_COLS)
        if i_date is None:
            raise fail("no date column (DATE, POSTED_DATE, ...)", field="DATE", line=1, source=name)
        if i_desc is None:
            raise fail("no description column (DESCRIPTION, MEMO, ...)", field="DESCRIPTION", line=1, source=name)
        if i_amt is None and (i_out is None or i_in is None):
            raise fail("no AMOUNT column (or DEBIT and CREDIT columns)", field="AMOUNT", line=1, source=name)
        out: list[FeedLine] = []
        try:
            for cells in reader:
                n = reader.line_num
                if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                    continue
                cells = cells + [""] * (len(cols) - len(cells))

                def cell(i: int | None) -> str:
                    return cells[i].strip() if i is not None else ""

                try:
                    on = parse_date(cell(i_date), field=cols[i_date], required=True)
                    if i_amt is not None:
                        amount = parse_amount(cell(i_amt), field="AMOUNT")
                    else:
                        paid_out = parse_amount(cell(i_out), field=cols[i_out], required=False)
                        paid_in = parse_amount(cell(i_in), field=cols[i_in], required=False)
                        if (paid_out is None) == (paid_in is None):
                            raise fail("exactly one of the money-out and money-in cells is needed",
                                       field=cols[i_out])
                        amount = -abs(paid_out) if paid_out is not None else abs(paid_in)
                except ParseError as exc:
                    raise at(exc, line=n, source=name) from None
                if amount == 0:
                    raise fail("the amount is zero", field="AMOUNT", line=n, source=name)
                out.append(FeedLine(line_id=cell(i_id) or f"L{n}", row=n, on=on, amount=amount,
                                    description=cell(i_desc), currency=cell(i_cur).upper() or None,
                                    entity=cell(i_ent) or None, bank_account=cell(i_acct) or None))
        except csv.Error as exc:
            raise fail(f"malformed CSV: {exc}", line=reader.line_num, source=name) from None
    if not out:
        raise fail("the feed has no lines", source=name)
    return out


def open_items(root: Path, *, start: date, end: date) -> list[OpenItem]:
    """AP bills and AR invoices that were open at some time in [start, end], with what was open at ``start``.

    Intacct reports today's balance (TOTALDUE) and, for settled items, when they were paid (WHENPAID).
    An item paid before ``start`` is left out; an item paid within the period (or created in it) counts
    in full; otherwise its current balance counts.
    """
    from copilot.formats.company_dir import iter_object_rows

    out = []
    for obj, kind, pid, pname in (("APBILL", "ap", "VENDORID", "VENDORNAME"),
                                  ("ARINVOICE", "ar", "CUSTOMERID", "CUSTOMERNAME")):
        for row in iter_object_rows(root, obj):
            try:
                on = parse_date(row.get("WHENCREATED", "").split(" ")[0], field="WHENCREATED", required=True)
                due = parse_date(row.get("WHENDUE", "").split(" ")[0], field="WHENDUE")
                paid_on = parse_date(row.get("WHENPAID", "").split(" ")[0], field="WHENPAID")
                total = parse_amount(row.get("TOTALENTERED") or row.get("TOTALAMOUNT"), field="TOTALENTERED")
                due_now = parse_amount(row.get("TOTALDUE"), field="TOTALDUE", required=False)
            except ParseError as exc:
                raise at(exc, source=f"{obj} {row.get('RECORDNO', '?')}") from None
            if on > end + timedelta(days=3) or total <= 0:
                continue
            if due_now is None:
                due_now = total
            if due_now <= 0 and (paid_on is None or paid_on < start):
                continue  # settled before the feed starts
            residual = total if (on >= start or due_now <= 0 or (paid_on and paid_on >= start)) else due_now
            out.append(OpenItem(kind=kind, item_id=row.get("RECORDNO", ""), doc_no=row.get("RECORDID", ""),
                                party_id=row.get(pid, ""), party_name=row.get(pname, ""),
                                entity=row.get("MEGAENTITYID") or None, on=on, due=due,
                                currency=(row.get("CURRENCY") or None), total=total, residual=residual))
    return out
