"""REST records -> the XML read-form rows a company directory is made of.

So that a company synced over REST is byte-for-byte the kind of company a file import or an XML sync
gives, every REST record is renamed into the readByQuery field names (GLACCOUNT ACCOUNTNO/TITLE,
GLDETAIL DEPARTMENTID/LOCATIONID, mm/dd/yyyy dates, lowercase enums). FORMATS.md documents the
journal-entry and account shapes; the other object names and fields below are UNVERIFIED best guesses
kept in one table (``OBJECTS``) so a correction is a one-line change. Query results may carry dotted
fields flat (``"glAccount.id": "6000"``) or nested; ``get`` reads both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from copilot.domain.dimensions import GLDETAIL_FIELD


def get(record: dict[str, Any], path: str) -> Any:
    if path in record:
        return record[path]
    cur: Any = record
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # JSON numbers for money would round; keep what we were given
        return repr(value)
    return str(value)


def mdy(value: Any) -> str:
    """'2024-01-31' -> '01/31/2024'; '' for nothing."""
    if not value:
        return ""
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%m/%d/%Y")
    except ValueError:
        return str(value)


def mdy_hms(value: Any) -> str:
    """'2024-01-15T09:30:00Z' -> '01/15/2024 09:30:00' (WHENMODIFIED form)."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).strftime("%m/%d/%Y %H:%M:%S")
    except ValueError:
        return str(value)


def iso_from_mdy_hms(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


Mapper = Callable[[dict[str, Any]], dict[str, str]]


@dataclass(frozen=True)
class RestObject:
    name: str  # REST object path, e.g. general-ledger/account
    fields: tuple[str, ...]  # what the query asks for
    to_row: Mapper


def _common(r: dict[str, Any]) -> dict[str, str]:
    return {"RECORDNO": _s(get(r, "key")), "STATUS": _s(get(r, "status")).lower() or "active",
            "WHENMODIFIED": mdy_hms(get(r, "audit.modifiedDateTime"))}


def _account(r):
    require = {"REQUIREDEPT": "department", "REQUIRELOC": "location", "REQUIREPROJECT": "project",
               "REQUIRECUSTOMER": "customer", "REQUIREVENDOR": "vendor", "REQUIREEMPLOYEE": "employee",
               "REQUIREITEM": "item", "REQUIRECLASS": "class"}
    row = {**_common(r), "ACCOUNTNO": _s(get(r, "id")), "TITLE": _s(get(r, "name")),
           "ACCOUNTTYPE": _s(get(r, "accountType")).lower() or "incomestatement",
           "NORMALBALANCE": _s(get(r, "normalBalance")).lower() or "debit",
           "CATEGORY": _s(get(r, "category"))}
    for flag, dim in require.items():
        value = get(r, f"requireDimensions.{dim}")
        if value is not None:
            row[flag] = _s(bool(value))
    return row


def _named(id_field: str, name_field: str, *refs: tuple[str, str]) -> Mapper:
    def to_row(r):
        row = {**_common(r), id_field: _s(get(r, "id")), name_field: _s(get(r, "name"))}
        for xml_field, path in refs:
            row[xml_field] = _s(get(r, path))
        return row
    return to_row


def _project(r):
    row = _named("PROJECTID", "NAME", ("CUSTOMERID", "customer.id"), ("DEPARTMENTID", "department.id"),
                 ("LOCATIONID", "location.id"), ("PARENTID", "parent.id"))(r)
    if get(r, "budgetAmount") is not None:
        row["BUDGETAMOUNT"] = _s(get(r, "budgetAmount"))
    return row


def _employee(r):
    return _named("EMPLOYEEID", "PERSONALINFO.CONTACTNAME", ("DEPARTMENTID", "department.id"),
                  ("LOCATIONID", "location.id"))(r)


_LINE_DIMS = ("department", "location", "project", "class", "customer", "vendor", "employee", "item", "task")


def _gl_line(r):
    tr = _s(get(r, "txnType")).lower()
    amount = _s(get(r, "txnAmount"))
    row = {"RECORDNO": _s(get(r, "key")), "BATCHKEY": _s(get(r, "journalEntry.key")),
           "BATCH_NO": _s(get(r, "journalEntry.id")), "BATCH_DATE": mdy(get(r, "journalEntry.postingDate")),
           "BATCH_TITLE": _s(get(r, "journalEntry.description")), "SYMBOL": _s(get(r, "journalEntry.glJournal.id")),
           "LINE_NO": _s(get(r, "lineNumber")), "ENTRY_DATE": mdy(get(r, "entryDate")),
           "TR_TYPE": {"debit": "1", "credit": "-1"}.get(tr, tr), "DOCUMENT": _s(get(r, "documentId")),
           "ACCOUNTNO": _s(get(r, "glAccount.id")), "DESCRIPTION": _s(get(r, "description")),
           "TRX_AMOUNT": amount, "AMOUNT": _s(get(r, "baseAmount")) or amount,
           "CURRENCY": _s(get(r, "currency.txnCurrency")), "BASECURR": _s(get(r, "currency.baseCurrency")),
           "WHENMODIFIED": mdy_hms(get(r, "audit.modifiedDateTime"))}
    for dim in _LINE_DIMS:
        row[GLDETAIL_FIELD[dim]] = _s(get(r, f"dimensions.{dim}.id"))
    # user-defined dimensions come back as dimensions.nsp::<name>.key
    dims = get(r, "dimensions") if isinstance(get(r, "dimensions"), dict) else {}
    for key, value in list(dims.items()) + [(k[len("dimensions."):], {"key": v}) for k, v in r.items()
                                            if k.startswith("dimensions.nsp::")]:
        if key.startswith("nsp::"):
            name = key[5:].split(".")[0]
            code = value.get("key") or value.get("id") if isinstance(value, dict) else value
            if code:
                row[f"GLDIM{name.upper()}"] = _s(code)
    return row


def _bill(r):
    return {**_common(r), "RECORDID": _s(get(r, "billNumber") or get(r, "id")),
            "VENDORID": _s(get(r, "vendor.id")), "VENDORNAME": _s(get(r, "vendor.name")),
            "WHENCREATED": mdy(get(r, "createdDate")), "TOTALENTERED": _s(get(r, "totalTxnAmount")),
            "STATE": _s(get(r, "state")).title(), "DESCRIPTION": _s(get(r, "description"))}


_AUDIT = ("key", "id", "name", "status", "audit.modifiedDateTime")
OBJECTS: dict[str, RestObject] = {
    "LOCATIONENTITY": RestObject("company-config/entity", (*_AUDIT, "currency", "parent.id"),
                                 _named("LOCATIONID", "NAME", ("CURRENCY", "currency"), ("PARENTID", "parent.id"))),
    "GLACCOUNT": RestObject("general-ledger/account", (*_AUDIT, "accountType", "normalBalance", "category",
                            "requireDimensions.department", "requireDimensions.location",
                            "requireDimensions.project"), _account),
    "DEPARTMENT": RestObject("company-config/department", (*_AUDIT, "parent.id"),
                             _named("DEPARTMENTID", "TITLE", ("PARENTID", "parent.id"))),
    "LOCATION": RestObject("company-config/location", (*_AUDIT, "parent.id"),
                           _named("LOCATIONID", "NAME", ("PARENTID", "parent.id"))),
    "PROJECT": RestObject("projects/project", (*_AUDIT, "customer.id", "department.id", "location.id",
                                               "parent.id", "budgetAmount"), _project),
    "CLASS": RestObject("company-config/class", (*_AUDIT, "parent.id"),
                        _named("CLASSID", "NAME", ("PARENTID", "parent.id"))),
    "VENDOR": RestObject("accounts-payable/vendor", (*_AUDIT, "vendorType.id"),
                         _named("VENDORID", "NAME", ("VENDTYPE", "vendorType.id"))),
    "CUSTOMER": RestObject("accounts-receivable/customer", _AUDIT, _named("CUSTOMERID", "NAME")),
    "EMPLOYEE": RestObject("company-config/employee", (*_AUDIT, "department.id", "location.id"), _employee),
    "GLDETAIL": RestObject("general-ledger/journal-entry-line", (
        "key", "id", "lineNumber", "txnType", "txnAmount", "baseAmount", "entryDate", "description",
        "documentId", "glAccount.id", *(f"dimensions.{d}.id" for d in _LINE_DIMS), "journalEntry.key",
        "journalEntry.id", "journalEntry.glJournal.id", "journalEntry.postingDate", "journalEntry.description",
        "currency.txnCurrency", "currency.baseCurrency", "audit.modifiedDateTime"), _gl_line),
    "APBILL": RestObject("accounts-payable/bill", ("key", "id", "billNumber", "vendor.id", "vendor.name",
                                                   "createdDate", "totalTxnAmount", "state", "description",
                                                   "audit.modifiedDateTime"), _bill),
}
