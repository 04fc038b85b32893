"""GLBATCH / GLENTRY as flat field dicts <-> JournalEntry. Shared by the XML and JSON forms.

Input: any letter case; both spellings of department/location (DEPARTMENT / DEPARTMENTID), AMOUNT or
TRX_AMOUNT, DESCRIPTION or MEMO, TR_TYPE 1/-1 (or debit/credit), dates mm/dd/yyyy (or ISO).
Output: the SDK's create form and element order (PHP-SDK JournalEntryCreate / JournalEntryLineCreate).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from pydantic import ValidationError

from copilot.domain.dimensions import GLENTRY_FIELD, STANDARD_DIMENSIONS, canonical_dimension, intacct_field
from copilot.domain.entries import JournalEntry, JournalLine
from copilot.formats.common import (Row, fail, format_date, from_validation, normalize_row, parse_amount,
                                    parse_date, parse_tr_type, required, side_and_amount)

# SDK element order. Header extras we know sit in their SDK slot; other extras (custom fields such
# as CUSTOMFIELD01) follow STATE, as the SDK writes custom fields.
HEADER_BEFORE_TITLE = ("JOURNAL", "BATCH_DATE", "REVERSEDATE")
HEADER_AFTER_TITLE = ("HISTORY_COMMENT", "REFERENCENO", "BASELOCATION_NO", "SUPDOCID", "STATE")
LINE_HEAD = ("DOCUMENT", "ACCOUNTNO", "TR_TYPE", "TRX_AMOUNT", "CURRENCY", "EXCH_RATE_DATE",
             "EXCH_RATE_TYPE_ID", "EXCHANGE_RATE")
LINE_DIMS = ("LOCATION", "DEPARTMENT", "PROJECTID", "TASKID", "CUSTOMERID", "VENDORID", "EMPLOYEEID",
             "ITEMID", "CLASSID", "CONTRACTID", "WAREHOUSEID")

_HEADER_USED = {"JOURNAL", "BATCH_DATE", "BATCH_TITLE", "REFERENCENO", "REFERENCE_NO", "RECORDNO",
                "STATE", "REVERSEDATE", "BASELOCATION_NO", "MEGAENTITYID", "ENTRIES"}
_LINE_USED = {"ACCOUNTNO", "GLACCOUNTNO", "ACCT_NO", "TR_TYPE", "TRTYPE", "TRX_AMOUNT", "AMOUNT",
              "DESCRIPTION", "MEMO", "CURRENCY", "LINE_NO", "ENTRY_DATE"}


def _line_dims(r: Row, used: set[str]) -> dict[str, str]:
    dims: dict[str, str] = {}
    for field, value in r.items():
        key = canonical_dimension(field)
        if key is None or field.endswith("_NAME"):
            continue
        used.add(field)
        value = value.strip()
        if not value:
            continue
        if key in dims and dims[key] != value:
            raise fail(f"two different {key} codes ({dims[key]!r} and {value!r})", field=field)
        dims[key] = value
    return dims


def glentry_from_dict(row: Mapping[str, Any]) -> JournalLine:
    """One GLENTRY (create or read form) -> JournalLine. Fields not modelled go to ``extra``."""
    r = normalize_row(row)
    used = set(_LINE_USED)
    amount_field = "TRX_AMOUNT" if r.get("TRX_AMOUNT", "").strip() else "AMOUNT"
    raw = parse_amount(r.get(amount_field), field="TRX_AMOUNT" if amount_field not in r else amount_field)
    tr_field = "TR_TYPE" if "TR_TYPE" in r else "TRTYPE"
    tr_type, amount = side_and_amount(parse_tr_type(r.get(tr_field), field=tr_field), raw)
    line_no = r.get("LINE_NO", "").strip()
    if line_no and not line_no.isdigit():
        raise fail(f"LINE_NO must be a whole number, got {line_no!r}", field="LINE_NO")
    dims = _line_dims(r, used)
    data: dict[str, Any] = dict(
        account_no=required(r, "ACCOUNTNO", "GLACCOUNTNO", "ACCT_NO"), tr_type=tr_type, amount=amount,
        memo=r.get("DESCRIPTION") or r.get("MEMO", ""), dims=dims,
        line_no=int(line_no) if line_no else None, currency=r.get("CURRENCY") or None,
        entry_date=parse_date(r.get("ENTRY_DATE"), field="ENTRY_DATE"),
        extra={k: v for k, v in r.items() if k not in used})
    try:
        return JournalLine(**data)
    except ValidationError as exc:
        raise from_validation(exc) from None


def glbatch_from_dict(header: Mapping[str, Any], lines: list[JournalLine], *,
                      default_date: date | None = None) -> JournalEntry:
    """GLBATCH header fields (without ENTRIES) plus already-parsed lines -> JournalEntry.

    A missing BATCH_DATE takes ``default_date``; without one it is an error naming BATCH_DATE.
    """
    r = normalize_row({k: v for k, v in header.items() if str(k).upper() != "ENTRIES"})
    batch_date = parse_date(r.get("BATCH_DATE"), field="BATCH_DATE", required=default_date is None)
    if not lines:
        raise fail("a journal entry needs GLENTRY lines (ENTRIES is empty or missing)", field="ENTRIES")
    data: dict[str, Any] = dict(
        journal=required(r, "JOURNAL"), batch_date=batch_date or default_date,
        batch_title=r.get("BATCH_TITLE", ""),
        entity=r.get("BASELOCATION_NO") or r.get("MEGAENTITYID") or None,
        reference_no=r.get("REFERENCENO") or r.get("REFERENCE_NO") or None,
        record_no=r.get("RECORDNO") or None, state=r.get("STATE") or None,
        reverse_date=parse_date(r.get("REVERSEDATE"), field="REVERSEDATE"), lines=lines,
        extra={k: v for k, v in r.items() if k not in _HEADER_USED})
    try:
        return JournalEntry(**data)
    except ValidationError as exc:
        raise from_validation(exc) from None


def _dim_order(key: str) -> int:
    return STANDARD_DIMENSIONS.index(key) if key in STANDARD_DIMENSIONS else len(STANDARD_DIMENSIONS)


def glentry_to_dict(line: JournalLine) -> Row:
    """JournalLine -> GLENTRY create fields in the SDK's order (custom dims GLDIM<NAME> last)."""
    values: Row = {"ACCOUNTNO": line.account_no, "TR_TYPE": str(line.tr_type),
                   "TRX_AMOUNT": str(line.amount)}
    if line.currency:
        values["CURRENCY"] = line.currency
    for key, code in line.dims.items():
        values[intacct_field(key)] = code
    extra = {k.upper(): str(v) for k, v in line.extra.items()}
    out: Row = {}
    for field in (*LINE_HEAD, *LINE_DIMS):
        if field in values:
            out[field] = values[field]
        elif field in extra:
            out[field] = extra.pop(field)
    if line.memo:
        out["DESCRIPTION"] = line.memo
    custom = sorted((k for k in line.dims if k not in GLENTRY_FIELD), key=lambda k: (_dim_order(k), k))
    for key in custom:
        out[intacct_field(key)] = line.dims[key]
    out.update(extra)
    return out


def glbatch_to_dict(entry: JournalEntry, *, update: bool = False) -> Row:
    """JournalEntry header -> GLBATCH create (or update: RECORDNO first) fields, without ENTRIES."""
    values: Row = {"JOURNAL": entry.journal, "BATCH_DATE": format_date(entry.batch_date)}
    optional = {"REVERSEDATE": format_date(entry.reverse_date), "REFERENCENO": entry.reference_no,
                "BASELOCATION_NO": entry.entity, "STATE": entry.state}
    values.update({k: v for k, v in optional.items() if v})
    extra = {k.upper(): str(v) for k, v in entry.extra.items()}
    out: Row = {}
    if update:
        if not entry.record_no:
            raise fail("an update needs the entry's RECORDNO", field="RECORDNO")
        out["RECORDNO"] = entry.record_no
    for field in HEADER_BEFORE_TITLE:
        if field in values:
            out[field] = values[field]
    out["BATCH_TITLE"] = entry.batch_title
    for field in HEADER_AFTER_TITLE:
        if field in values:
            out[field] = values[field]
        elif field in extra:
            out[field] = extra.pop(field)
    out.update(extra)
    return out
