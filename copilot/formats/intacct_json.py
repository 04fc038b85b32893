"""Journal entries as JSON: the XML API's shapes carried in JSON, and the REST API's shape.

``parse_journal_json`` accepts, anywhere in the document: the ``{"operation": ...}`` wrapper with
create/update functions (one function or a list), an ``{"object": "JOURNALENTRY", ...}`` verb form
(records under list/records/data, or inline), a bare GLBATCH dict, GLENTRY as one object or a list,
and a REST journal entry (``lines`` + ``glJournal``/``postingDate``). Numbers are read as Decimal,
never float. Errors name the JSON path, e.g. ``operation.content.function.list[0].ENTRIES.GLENTRY[1].TRX_AMOUNT``.

REST (FORMATS.md §4): txnType debit|credit, txnAmount string, glAccount.id, dimensions.<dim>.id,
custom dims ``nsp::<name>`` with ``key``, postingDate YYYY-MM-DD. referenceNumber, state and
reverseDate are UNVERIFIED names: written as such, and read along with the plausible alternatives.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any, Iterator

from copilot.domain.dimensions import GLENTRY_FIELD
from copilot.domain.entries import JournalEntry, JournalLine
from copilot.errors import ParseError
from copilot.formats.common import at, fail
from copilot.formats.glbatch import glbatch_from_dict, glbatch_to_dict, glentry_from_dict, glentry_to_dict

JE_OBJECTS = {"JOURNALENTRY", "GLBATCH", "JOURNAL_ENTRY", "GENERAL-LEDGER/JOURNAL-ENTRY"}
_CONTAINERS = ("LIST", "RECORDS", "DATA", "VALUES", "ITEMS")
_VERB_KEYS = {"OBJECT", "@CLASS", "CLASS", "CONTROLID", "@CONTROLID", *_CONTAINERS}
REST_DIMENSIONS = {"department": "department", "location": "location", "project": "project",
                   "customer": "customer", "vendor": "vendor", "employee": "employee", "item": "item",
                   "class": "class", "task": "task"}


def _load(payload: Any) -> Any:
    if isinstance(payload, (bytes, bytearray)):
        try:
            payload = payload.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise fail(f"JSON must be UTF-8: {exc}") from None
    if isinstance(payload, str):
        try:
            return json.loads(payload, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise fail(f"malformed JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from None
    return payload


def _join(path: str, key: Any) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


def _items(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """A JSON 'one or many': a list yields each element with its index, anything else itself."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield _join(path, i), item
    else:
        yield path, value


def _find(node: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """Yield (kind, path, batch) for every journal entry in the document; kind is glbatch | rest."""
    if isinstance(node, list):
        for sub_path, item in _items(node, path):
            yield from _find(item, sub_path)
        return
    if not isinstance(node, dict):
        return
    keys = {str(k).upper(): k for k in node}
    if "GLBATCH" in keys:
        yield from (("glbatch", p, b) for p, b in _items(node[keys["GLBATCH"]], _join(path, keys["GLBATCH"])))
        return
    obj = node.get(keys.get("OBJECT", object()))
    if isinstance(obj, str) and obj.upper() in JE_OBJECTS:
        for name in _CONTAINERS:
            if name in keys:
                for p, item in _items(node[keys[name]], _join(path, keys[name])):
                    found = list(_find(item, p)) if isinstance(item, dict) and "GLBATCH" in {
                        str(k).upper() for k in item} else []
                    yield from found or [("glbatch", p, item)]
                return
        yield "glbatch", path, {k: v for k, v in node.items() if str(k).upper() not in _VERB_KEYS}
        return
    if "ENTRIES" in keys:
        yield "glbatch", path, node
        return
    if "LINES" in keys and ("GLJOURNAL" in keys or "POSTINGDATE" in keys):
        yield "rest", path, node
        return
    for key, value in node.items():
        if isinstance(value, (dict, list)):
            yield from _find(value, _join(path, key))


def _flat(obj: dict, prefix: str = "") -> dict[str, Any]:
    """Nested objects become dotted keys (as XML rows do); lists are kept as JSON text."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name}."))
        elif isinstance(value, list):
            out[name] = json.dumps(value, default=str)
        else:
            out[name] = value
    return out


def _glbatch(batch: Any, path: str, default_date: date | None) -> JournalEntry:
    if not isinstance(batch, dict):
        raise fail("expected a GLBATCH object", field=path or "GLBATCH")
    keys = {str(k).upper(): k for k in batch}
    entries = batch.get(keys.get("ENTRIES", object()))
    entries_path = _join(path, keys.get("ENTRIES", "ENTRIES"))
    if isinstance(entries, dict):
        inner = {str(k).upper(): k for k in entries}
        if "GLENTRY" in inner:
            entries_path = _join(entries_path, inner["GLENTRY"])
            entries = entries[inner["GLENTRY"]]
    lines: list[JournalLine] = []
    for line_path, gl in (_items(entries, entries_path) if entries else ()):
        if not isinstance(gl, dict):
            raise fail("expected a GLENTRY object", field=line_path)
        try:
            lines.append(glentry_from_dict(_flat(gl)))
        except ParseError as exc:
            raise at(exc, prefix=f"{line_path}.") from None
    header = _flat({k: v for k, v in batch.items() if str(k).upper() != "ENTRIES"})
    try:
        return glbatch_from_dict(header, lines, default_date=default_date)
    except ParseError as exc:
        raise at(exc, prefix=f"{path}." if path else "") from None


def parse_journal_json(payload: dict | list | str | bytes, *, default_date: date | None = None) -> list[JournalEntry]:
    """Every journal entry in a JSON payload (see the module docstring for the accepted shapes).

    A missing BATCH_DATE / postingDate takes ``default_date``; without one it is a ParseError.
    """
    data = _load(payload)
    found = list(_find(data, ""))
    if not found:
        raise fail("no journal entry found: expected GLBATCH, an operation wrapper, an object "
                   "JOURNALENTRY, or a REST entry with lines", field="GLBATCH")
    out = []
    for kind, path, batch in found:
        if kind == "rest":
            try:
                out.append(rest_to_journal_entry(batch, default_date=default_date))
            except ParseError as exc:
                raise at(exc, prefix=f"{path}." if path else "") from None
        else:
            out.append(_glbatch(batch, path, default_date))
    return out


def journal_entry_to_json(entry: JournalEntry, controlid: str = "create-glbatch", *,
                          update: bool = False) -> dict:
    """The XML API's create (or update) function in its JSON wrapper, SDK field names and order."""
    batch: dict[str, Any] = dict(glbatch_to_dict(entry, update=update))
    batch["ENTRIES"] = {"GLENTRY": [glentry_to_dict(line) for line in entry.lines]}
    verb = "update" if update else "create"
    return {"operation": {"content": {"function": {"controlid": controlid, verb: {"GLBATCH": batch}}}}}


# --- REST ----------------------------------------------------------------------------------------

def _ref(value: Any, *names: str) -> str:
    if isinstance(value, dict):
        for name in names:
            if value.get(name) not in (None, ""):
                return str(value[name])
        return ""
    return "" if value is None else str(value)


def _rest_line(line: dict) -> JournalLine:
    side = str(line.get("txnType", "")).strip().lower()
    if side not in ("debit", "credit"):
        raise fail(f"txnType must be debit or credit, got {line.get('txnType')!r}", field="txnType")
    row: dict[str, Any] = {"ACCOUNTNO": _ref(line.get("glAccount"), "id", "key"),
                           "TR_TYPE": "1" if side == "debit" else "-1",
                           "TRX_AMOUNT": line.get("txnAmount"), "DESCRIPTION": line.get("description")}
    if not row["ACCOUNTNO"]:
        raise fail("required field is missing", field="glAccount.id")
    if line.get("txnAmount") in (None, ""):
        raise fail("amount is missing", field="txnAmount")
    currency = _ref(line.get("currency"), "txnCurrency", "id")
    if currency:
        row["CURRENCY"] = currency
    dims = line.get("dimensions") or {}
    if not isinstance(dims, dict):
        raise fail("dimensions must be an object", field="dimensions")
    extra: dict[str, Any] = {}
    for name, value in dims.items():
        code = _ref(value, "id", "key")
        if name.startswith("nsp::"):
            code = _ref(value, "key", "id")
            row[f"GLDIM{name[5:].upper()}"] = code
        elif name in REST_DIMENSIONS:
            row[GLENTRY_FIELD[REST_DIMENSIONS[name]]] = code
        elif code:
            extra[f"dimensions.{name}"] = code
    known = {"txnType", "glAccount", "txnAmount", "description", "currency", "dimensions"}
    extra.update(_flat({k: v for k, v in line.items() if k not in known}))
    try:
        parsed = glentry_from_dict(row)
    except ParseError as exc:
        rest_names = {"TRX_AMOUNT": "txnAmount", "TR_TYPE": "txnType", "ACCOUNTNO": "glAccount.id"}
        raise fail(getattr(exc, "reason", exc.message), field=rest_names.get(exc.field or "", exc.field)) from None
    return parsed.model_copy(update={"extra": {k: "" if v is None else str(v) for k, v in extra.items()}})


def rest_to_journal_entry(data: dict | str | bytes, *, default_date: date | None = None) -> JournalEntry:
    """A REST ``general-ledger/journal-entry`` body -> JournalEntry."""
    d = _load(data)
    if not isinstance(d, dict):
        raise fail("expected a journal-entry object")
    lines = []
    for i, line in enumerate(d.get("lines") or []):
        if not isinstance(line, dict):
            raise fail("expected a line object", field=f"lines[{i}]")
        try:
            lines.append(_rest_line(line))
        except ParseError as exc:
            raise at(exc, prefix=f"lines[{i}].") from None
    header = {"JOURNAL": _ref(d.get("glJournal") or d.get("journal"), "id", "key"),
              "BATCH_DATE": d.get("postingDate"), "BATCH_TITLE": d.get("description"),
              "REFERENCENO": d.get("referenceNumber"), "BASELOCATION_NO": _ref(d.get("baseLocation"), "id", "key"),
              "REVERSEDATE": d.get("reverseDate") or d.get("reversalDate") or d.get("autoReversalDate"),
              "STATE": str(d["state"]).capitalize() if d.get("state") else None,
              "RECORDNO": d.get("key")}
    try:
        return glbatch_from_dict(header, lines, default_date=default_date)
    except ParseError as exc:
        names = {"JOURNAL": "glJournal.id", "BATCH_DATE": "postingDate", "REVERSEDATE": "reverseDate"}
        raise fail(getattr(exc, "reason", exc.message), field=names.get(exc.field or "", exc.field)) from None


def journal_entry_to_rest(entry: JournalEntry) -> dict:
    """JournalEntry -> REST create body (postingDate ISO, txnAmount as a string)."""
    body: dict[str, Any] = {"glJournal": {"id": entry.journal}, "postingDate": entry.batch_date.isoformat()}
    if entry.batch_title:
        body["description"] = entry.batch_title
    if entry.reference_no:
        body["referenceNumber"] = entry.reference_no
    if entry.entity:
        body["baseLocation"] = {"id": entry.entity}
    if entry.reverse_date:
        body["reverseDate"] = entry.reverse_date.isoformat()
    if entry.state:
        body["state"] = entry.state.lower()
    body["lines"] = []
    for line in entry.lines:
        out: dict[str, Any] = {"txnType": "debit" if line.tr_type == 1 else "credit",
                               "txnAmount": str(line.amount), "glAccount": {"id": line.account_no}}
        if line.memo:
            out["description"] = line.memo
        if line.currency:
            out["currency"] = {"txnCurrency": line.currency}
        dims = {key: ({"id": code} if key in REST_DIMENSIONS else {"key": code})
                for key, code in line.dims.items()}
        if dims:
            out["dimensions"] = {(k if k in REST_DIMENSIONS else f"nsp::{k}"): v for k, v in dims.items()}
        body["lines"].append(out)
    return body
