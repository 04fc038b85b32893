"""The REST half of the test server (FORMATS.md section 4).

Documented: base ``/ia/api/v1``, ``/objects/general-ledger/journal-entry`` (lines with txnType,
txnAmount, glAccount.id, dimensions.*.id), ``POST /services/core/query`` paged by ``ia::meta.next``,
OAuth2 token endpoint with client_credentials and refresh_token grants, status codes 400/401/403/404/
409/422/429. UNVERIFIED and therefore only our best guess: the object names other than journal-entry
and account, record field names beyond those, and the error body (``ia::result.ia::error``).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from tests.support.intacct_sim import Call, IntacctSimulator, ValidationFailure

JSON = {"Content-Type": "application/json"}
PREFIX = "/ia/api/v1"
JE = "/objects/general-ledger/journal-entry"
DIMS = {"department": "DEPARTMENTID", "location": "LOCATIONID", "project": "PROJECTID", "class": "CLASSID",
        "vendor": "VENDORID", "customer": "CUSTOMERID", "employee": "EMPLOYEEID"}
CREATE_DIMS = {"department": "DEPARTMENT", "location": "LOCATION", "project": "PROJECTID", "class": "CLASSID",
               "vendor": "VENDORID", "customer": "CUSTOMERID", "employee": "EMPLOYEEID"}


def _iso_date(mdy: str) -> str | None:
    return datetime.strptime(mdy, "%m/%d/%Y").date().isoformat() if mdy else None


def _iso_dt(mdy_hms: str) -> str | None:
    if not mdy_hms:
        return None
    return datetime.strptime(mdy_hms, "%m/%d/%Y %H:%M:%S").strftime("%Y-%m-%dT%H:%M:%SZ")


def _ref(code: str) -> dict[str, Any]:
    return {"id": code or None}


def _audit(row: dict[str, str]) -> dict[str, Any]:
    return {"modifiedDateTime": _iso_dt(row.get("WHENMODIFIED", ""))}


def _account(r):
    return {"key": r["RECORDNO"], "id": r["ACCOUNTNO"], "name": r["TITLE"],
            "accountType": {"balancesheet": "balanceSheet", "incomestatement": "incomeStatement"}[r["ACCOUNTTYPE"]],
            "normalBalance": r["NORMALBALANCE"], "closingType": "nonClosingAccount", "status": r["STATUS"],
            "category": r.get("CATEGORY") or None,
            "requireDimensions": {"department": r["REQUIREDEPT"] == "true", "location": r["REQUIRELOC"] == "true",
                                  "project": r["REQUIREPROJECT"] == "true"},
            "audit": _audit(r)}


def _simple(id_field: str, name_field: str):
    def convert(r):
        out = {"key": r["RECORDNO"], "id": r[id_field], "name": r.get(name_field, ""), "status": r["STATUS"],
               "audit": _audit(r)}
        if "PARENTID" in r:
            out["parent"] = _ref(r["PARENTID"])
        return out
    return convert


def _project(r):
    return {**_simple("PROJECTID", "NAME")(r), "customer": _ref(r.get("CUSTOMERID", "")),
            "department": _ref(r.get("DEPARTMENTID", "")), "location": _ref(r.get("LOCATIONID", "")),
            "budgetAmount": r.get("BUDGETAMOUNT") or None}


def _employee(r):
    return {**_simple("EMPLOYEEID", "PERSONALINFO.CONTACTNAME")(r),
            "department": _ref(r.get("DEPARTMENTID", "")), "location": _ref(r.get("LOCATIONID", ""))}


def _vendor(r):
    return {**_simple("VENDORID", "NAME")(r), "vendorType": _ref(r.get("VENDTYPE", ""))}


def _gl_line(r):
    return {"key": r["RECORDNO"], "id": r["RECORDNO"], "lineNumber": int(r["LINE_NO"]),
            "txnType": "debit" if r["TR_TYPE"] == "1" else "credit", "txnAmount": r["TRX_AMOUNT"],
            "baseAmount": r["AMOUNT"], "entryDate": _iso_date(r["ENTRY_DATE"]), "description": r["DESCRIPTION"],
            "documentId": r.get("DOCUMENT") or None, "glAccount": {"id": r["ACCOUNTNO"]},
            "dimensions": {k: _ref(r.get(f, "")) for k, f in DIMS.items()},
            "journalEntry": {"key": r["BATCHKEY"], "id": r["BATCH_NO"], "glJournal": {"id": r["SYMBOL"]},
                             "postingDate": _iso_date(r["BATCH_DATE"]), "description": r["BATCH_TITLE"]},
            "currency": {"txnCurrency": r["CURRENCY"], "baseCurrency": r["BASECURR"]}, "audit": _audit(r)}


def _bill(r):
    return {"key": r["RECORDNO"], "id": r["RECORDID"], "billNumber": r["RECORDID"],
            "vendor": {"id": r["VENDORID"], "name": r["VENDORNAME"]}, "createdDate": _iso_date(r["WHENCREATED"]),
            "totalTxnAmount": r["TOTALENTERED"], "state": r["STATE"].lower(), "description": r["DESCRIPTION"],
            "audit": _audit(r)}


OBJECTS = {  # REST object name -> (XML object, converter)
    "company-config/entity": ("LOCATIONENTITY", _simple("LOCATIONID", "NAME")),
    "general-ledger/account": ("GLACCOUNT", _account),
    "company-config/department": ("DEPARTMENT", _simple("DEPARTMENTID", "TITLE")),
    "company-config/location": ("LOCATION", _simple("LOCATIONID", "NAME")),
    "projects/project": ("PROJECT", _project),
    "company-config/class": ("CLASS", _simple("CLASSID", "NAME")),
    "accounts-payable/vendor": ("VENDOR", _vendor),
    "accounts-receivable/customer": ("CUSTOMER", _simple("CUSTOMERID", "NAME")),
    "company-config/employee": ("EMPLOYEE", _employee),
    "general-ledger/journal-entry-line": ("GLDETAIL", _gl_line),
    "accounts-payable/bill": ("APBILL", _bill),
}


def _get(record: dict[str, Any], dotted: str) -> Any:
    cur: Any = record
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _error(status: int, code: str, message: str, details: list[dict[str, str]] | None = None) -> tuple[int, dict, bytes]:
    body = {"ia::result": {"ia::error": {"code": code, "message": message, "errorId": f"REST-{status}",
                                         "details": details or []}},
            "ia::meta": {"totalCount": 1, "totalSuccess": 0, "totalError": 1}}
    return status, JSON, json.dumps(body).encode()


def _ok(status: int, payload: Any) -> tuple[int, dict, bytes]:
    return status, JSON, json.dumps(payload).encode()


def handle(sim: IntacctSimulator, method: str, path: str, headers: dict[str, str], body: bytes):
    route = path.split("?", 1)[0][len(PREFIX):]
    call = Call(api="rest", method=method, path=route, body=body, functions=[f"{method} {route}"],
                headers=dict(headers))
    with sim.lock:
        sim.calls.append(call)
    fault = sim.take_fault("rest")
    if fault is not None:
        call.fault = fault.kind
        if fault.kind == "slow":
            time.sleep(fault.seconds)
        elif fault.kind in ("http429", "gw0010"):
            call.status = 429
            status, hdrs, payload = _error(429, "tooManyRequests", "Rate limit exceeded (simulated)")
            return status, {**hdrs, "Retry-After": "0"}, payload
        elif fault.kind == "5xx":
            call.status = 503
            return 503, {"Content-Type": "text/plain"}, b"Service Unavailable"
        elif fault.kind == "malformed":
            return 200, JSON, b'{"ia::result": [{"key": "1", "id'
    status, hdrs, payload = _route(sim, call, method, route, headers, body)
    if fault is not None and fault.kind == "5xx_after":
        call.status = 502
        return 502, {"Content-Type": "text/plain"}, b"Bad Gateway"
    call.status = status
    return status, hdrs, payload


def _route(sim, call, method, route, headers, body):
    if route == "/oauth2/token" and method == "POST":
        call.auth = "oauth"
        return _token(sim, body)
    auth = headers.get("authorization", "")
    token = auth[7:] if auth.lower().startswith("bearer ") else ""
    call.auth = "bearer"
    with sim.lock:
        expiry = sim.tokens.get(token)
    if expiry is None or expiry < time.monotonic():
        return _error(401, "invalidToken", "The token is not valid or has expired.")
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        return _error(400, "invalidJSON", "Request body is not valid JSON.")
    if route == "/services/core/query" and method == "POST":
        return _query(sim, payload)
    if route == JE and method == "POST":
        return _create(sim, payload)
    if route.startswith(JE + "/"):
        key = route[len(JE) + 1:]
        if method == "GET":
            batch = sim.batches.get(key)
            return _ok(200, {"ia::result": _je_record(batch)}) if batch else \
                _error(404, "notFound", f"journal-entry {key} not found")
        if method == "PATCH":
            return _update(sim, key, payload)
        return _error(405, "methodNotAllowed", f"{method} is not supported here")
    return _error(404, "notFound", f"{route} is not in the test server subset")


def _token(sim, body):
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    creds = sim.creds
    if (form.get("client_id"), form.get("client_secret")) != (creds.client_id, creds.client_secret):
        return _ok_status(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
    grant = form.get("grant_type")
    with sim.lock:
        if grant == "refresh_token":
            if form.get("refresh_token") not in sim.refresh_tokens:
                return _ok_status(400, {"error": "invalid_grant", "error_description": "Refresh token is invalid"})
            sim.refresh_tokens.discard(form["refresh_token"])
        elif grant != "client_credentials":
            return _ok_status(400, {"error": "unsupported_grant_type"})
        access, refresh = sim.new_id(), sim.new_id()
        sim.tokens[access] = time.monotonic() + sim.token_ttl_s
        sim.refresh_tokens.add(refresh)
    return _ok(200, {"token_type": "Bearer", "access_token": access, "refresh_token": refresh,
                     "expires_in": int(sim.token_ttl_s)})


def _ok_status(status, payload):
    return status, JSON, json.dumps(payload).encode()


_OPS = {"$eq": lambda a, b: a == b, "$ne": lambda a, b: a != b, "$gt": lambda a, b: a > b,
        "$gte": lambda a, b: a >= b, "$lt": lambda a, b: a < b, "$lte": lambda a, b: a <= b}


def _query(sim, payload):
    obj = payload.get("object")
    if obj not in OBJECTS:
        return _error(400, "invalidObject", f"Object {obj!r} is not in the test server subset")
    xml_obj, convert = OBJECTS[obj]
    size, start = payload.get("size", 100), payload.get("start", 1)
    if not isinstance(size, int) or not 1 <= size <= 4000 or not isinstance(start, int) or start < 1:
        return _error(400, "invalidRequest", "size must be 1..4000 and start >= 1 (simulated bound)")
    with sim.lock:
        records = [convert(r) for r in sim.objects.get(xml_obj, [])]
    fields = payload.get("fields") or ["key", "id"]
    for flt in payload.get("filters") or []:
        (op, cond), = flt.items()
        (fld, value), = cond.items()
        if op not in _OPS:
            return _error(400, "invalidFilter", f"Unsupported filter operator {op}")
        records = [r for r in records if _get(r, fld) is not None and _OPS[op](_cmp(_get(r, fld)), _cmp(value))]
    records.sort(key=lambda r: int(r["key"]))
    page = records[start - 1:start - 1 + size]
    nxt = start + size if start - 1 + size < len(records) else None
    # Query results carry the requested fields, dotted paths as flat keys.
    result = [{f: _get(r, f) for f in fields} for r in page]
    return _ok(200, {"ia::result": result, "ia::meta": {"totalCount": len(records), "start": start,
                                                         "pageSize": size, "next": nxt,
                                                         "previous": max(1, start - size) if start > 1 else None}})


def _cmp(v: Any) -> Any:
    try:
        return int(v) if isinstance(v, str) and v.isdigit() else v
    except ValueError:
        return v


def _to_xml_form(payload: dict[str, Any]) -> tuple[dict[str, str], list[dict[str, str]]]:
    header = {"JOURNAL": (payload.get("glJournal") or {}).get("id") or "",
              "BATCH_DATE": "", "BATCH_TITLE": payload.get("description") or "",
              "STATE": {"draft": "Draft", "posted": "Posted", None: "Posted"}.get(payload.get("state"), "?")}
    if payload.get("postingDate"):
        try:
            header["BATCH_DATE"] = datetime.strptime(payload["postingDate"], "%Y-%m-%d").strftime("%m/%d/%Y")
        except ValueError:
            header["BATCH_DATE"] = payload["postingDate"]
    entries = []
    for line in payload.get("lines") or []:
        e = {"ACCOUNTNO": (line.get("glAccount") or {}).get("id") or "",
             "TR_TYPE": {"debit": "1", "credit": "-1"}.get(line.get("txnType"), "?"),
             "TRX_AMOUNT": str(line.get("txnAmount", "")), "DESCRIPTION": line.get("description") or ""}
        for key, value in (line.get("dimensions") or {}).items():
            if key in CREATE_DIMS and (value or {}).get("id"):
                e[CREATE_DIMS[key]] = value["id"]
            elif key.startswith("nsp::") and (value or {}).get("key"):
                e["GLDIM" + key[5:].upper()] = value["key"]
        entries.append(e)
    return header, entries


def _je_record(batch: dict[str, Any]) -> dict[str, Any]:
    lines = []
    for n, e in enumerate(batch["ENTRIES"], start=1):
        dims = {k: {"id": e[f]} for k, f in CREATE_DIMS.items() if e.get(f)}
        dims.update({f"nsp::{k[5:].lower()}": {"key": v} for k, v in e.items() if k.startswith("GLDIM") and v})
        lines.append({"lineNumber": n, "txnType": "debit" if e["TR_TYPE"] == "1" else "credit",
                      "txnAmount": e.get("TRX_AMOUNT") or e.get("AMOUNT"), "description": e.get("DESCRIPTION", ""),
                      "glAccount": {"id": e["ACCOUNTNO"]}, "dimensions": dims})
    return {"key": batch["RECORDNO"], "id": batch["RECORDNO"], "glJournal": {"id": batch["JOURNAL"]},
            "postingDate": _iso_date(batch["BATCH_DATE"]), "description": batch.get("BATCH_TITLE", ""),
            "state": batch["STATE"].lower(), "lines": lines}


def _validation_error(exc: ValidationFailure):
    return _error(422, "invalidRequest", "Could not create or update the journal entry.",
                  [{"code": "invalidValue", "message": p, "correction": c} for p, c in exc.problems])


def _create(sim, payload):
    header, entries = _to_xml_form(payload)
    try:
        clean = sim.validate_batch(header, entries)
    except ValidationFailure as exc:
        return _validation_error(exc)
    key = sim.store_batch(header, clean)
    return _ok(201, {"ia::result": {"key": key, "id": key, "href": f"{PREFIX}{JE}/{key}"},
                     "ia::meta": {"totalCount": 1, "totalSuccess": 1, "totalError": 0}})


def _update(sim, key, payload):
    existing = sim.batches.get(key)
    if existing is None:
        return _error(404, "notFound", f"journal-entry {key} not found")
    header, entries = _to_xml_form({**_je_record(existing), **payload})
    try:
        clean = sim.validate_batch(header, entries)
    except ValidationFailure as exc:
        return _validation_error(exc)
    sim.store_batch(header, clean, key)
    return _ok(200, {"ia::result": {"key": key, "id": key, "href": f"{PREFIX}{JE}/{key}"},
                     "ia::meta": {"totalCount": 1, "totalSuccess": 1, "totalError": 0}})
