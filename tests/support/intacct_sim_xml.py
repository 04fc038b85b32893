"""The Web Services XML half of the test server, shaped as FORMATS.md sections 1, 2 and 6 document.

Failure levels follow Intacct's layering: control (no operation runs; errormessage after control, no
operation element), authentication (errormessage is a sibling of authentication inside operation, no
result), function (a failed result; the request's other functions still run). Wordings marked
"simulated" are ours; the shapes and error numbers are the documented ones.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from tests.support.intacct_query import QueryError, compile_query
from tests.support.intacct_sim import Call, IntacctSimulator, ValidationFailure

XML = {"Content-Type": "text/xml; charset=UTF-8"}


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k: v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _errormessage(parent: etree._Element, errors: list[tuple[str, str, str, str]]) -> None:
    em = _sub(parent, "errormessage")
    for errorno, description, description2, correction in errors:
        err = _sub(em, "error")
        _sub(err, "errorno", errorno)
        _sub(err, "description", description)
        _sub(err, "description2", description2)
        _sub(err, "correction", correction)


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def gateway_failure(errorno: str, description: str) -> bytes:
    """Gateway errors (GW-nnnn) carry a bare control block (developer.intacct.com error-handling)."""
    root = etree.Element("response")
    _sub(_sub(root, "control"), "status", "failure")
    em = _sub(root, "errormessage")
    err = _sub(em, "error")
    _sub(err, "errorno", errorno)
    _sub(err, "description", description)
    return _bytes(root)


def _control(root: etree._Element, status: str, sender: str, controlid: str, uniqueid: str) -> None:
    c = _sub(root, "control")
    _sub(c, "status", status)
    _sub(c, "senderid", sender)
    _sub(c, "controlid", controlid)
    _sub(c, "uniqueid", uniqueid)
    _sub(c, "dtdversion", "3.0")


def _text(el: etree._Element | None, tag: str) -> str:
    if el is None:
        return ""
    # Element names are matched case-insensitively (FORMATS.md 2.4, production payloads).
    for child in el:
        if isinstance(child.tag, str) and child.tag.upper() == tag.upper():
            return (child.text or "").strip()
    return ""


def _child(el: etree._Element, tag: str) -> etree._Element | None:
    for child in el:
        if isinstance(child.tag, str) and child.tag.upper() == tag.upper():
            return child
    return None


def handle(sim: IntacctSimulator, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    call = Call(api="xml", method="POST", path=path, body=body)
    with sim.lock:
        sim.calls.append(call)
    fault = sim.take_fault("xml")
    if fault is not None:
        call.fault = fault.kind
        if fault.kind == "slow":
            time.sleep(fault.seconds)
        elif fault.kind == "http429":
            call.status = 429
            return 429, {**XML, "Retry-After": "0"}, gateway_failure(
                "GW-0010", "Rate limit exceeded. Retry the request after a short wait. (simulated)")
        elif fault.kind == "gw0010":
            return 200, XML, gateway_failure("GW-0010", "Too many requests (simulated)")
        elif fault.kind == "5xx":
            call.status = 503
            return 503, {"Content-Type": "text/html"}, b"<html><body>503 Service Unavailable</body></html>"
        elif fault.kind == "malformed":
            return 200, XML, b"<?xml version=\"1.0\"?><response><control><status>success</status><sende"
    status, headers, payload = _process(sim, call, body)
    if fault is not None and fault.kind == "5xx_after":
        # Mid-process failure: the work was done but the client never sees the answer.
        call.status = 502
        return 502, {"Content-Type": "text/plain"}, b"Bad Gateway"
    call.status = status
    return status, headers, payload


def _process(sim: IntacctSimulator, call: Call, body: bytes) -> tuple[int, dict[str, str], bytes]:
    try:
        req = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        root = etree.Element("response")
        _control(root, "failure", "", "", "false")
        _errormessage(root, [("XL03000003", "", f"XML Parse schema error: {exc}", "")])
        return 200, XML, _bytes(root)
    control = _child(req, "control")
    sender, sender_pw = _text(control, "senderid"), _text(control, "password")
    controlid, uniqueid = _text(control, "controlid"), _text(control, "uniqueid") or "false"
    call.control_id = controlid
    root = etree.Element("response")

    def control_failure(errorno: str, description: str, description2: str, correction: str = "") -> bytes:
        _control(root, "failure", sender, controlid, uniqueid)
        _errormessage(root, [(errorno, description, description2, correction)])
        return _bytes(root)

    if control is None or not (1 <= len(controlid) <= 256) or _text(control, "dtdversion") != "3.0":
        return 200, XML, control_failure("XL03000003", "", "XML Parse schema error: control block needs "
                                         "senderid, password, controlid (1-256 chars) and dtdversion 3.0.")
    if sender != sim.creds.sender_id or sender_pw != sim.creds.sender_password:
        return 200, XML, control_failure("XL03000006", "Incorrect Intacct XML Partner ID or password.", "", "")
    if sim.company_expired:  # PHP-SDK OnlineResponseTest fixture
        return 200, XML, control_failure("PL04000055", "This company is a demo company and has expired.", "", "")
    operation = _child(req, "operation")
    content = _child(operation, "content") if operation is not None else None
    functions = [f for f in (content if content is not None else []) if isinstance(f.tag, str)]
    fn_ids = [f.get("controlid") or "" for f in functions]
    call.function_control_ids = fn_ids
    call.functions = [next((c.tag for c in f if isinstance(c.tag, str)), "") for f in functions]
    if not functions or any(not cid for cid in fn_ids) or len(set(fn_ids)) != len(fn_ids):
        return 200, XML, control_failure("XL03000003", "", "XML Parse schema error: every function needs a "
                                         "unique controlid attribute. (simulated)")
    with sim.lock:
        if uniqueid == "true" and controlid in sim.used_control_ids:
            return 200, XML, control_failure(
                "XL03000009", "", f"A request with control ID {controlid} was already processed and uniqueid is "
                "true. (simulated)", "Check whether the earlier request succeeded before sending a new one.")
        if uniqueid == "true":
            sim.used_control_ids.add(controlid)

    _control(root, "success", sender, controlid, uniqueid)
    op = _sub(root, "operation")
    auth = _child(operation, "authentication")
    entity = _authenticate(sim, call, auth, op)
    if entity is None:
        return 200, XML, _bytes(root)
    for fn, fn_id in zip(functions, fn_ids):
        _run_function(sim, fn, fn_id, op, entity, alone=len(functions) == 1)
    return 200, XML, _bytes(root)


def _authenticate(sim: IntacctSimulator, call: Call, auth: etree._Element | None, op: etree._Element) -> str | None:
    """Write the authentication block; return the session's entity ("" = top level) or None on failure."""
    creds = sim.creds
    block = _sub(op, "authentication")
    login = _child(auth, "login") if auth is not None else None
    session_id = _text(auth, "sessionid")
    ok, entity, userid, companyid = False, "", "", ""
    if login is not None:
        call.auth = "login"
        userid, companyid = _text(login, "userid"), _text(login, "companyid")
        entity = _text(login, "locationid")
        ok = (userid, companyid, _text(login, "password")) == (creds.user_id, creds.company_id, creds.user_password)
    elif session_id:
        call.auth = "session"
        with sim.lock:
            ok = session_id in sim.sessions and not sim.reject_sessions
            entity = sim.sessions.get(session_id, "")
        userid, companyid = creds.user_id, creds.company_id
    if ok and sim.sender_not_authorized:  # developer.intacct.com/support/faq shape
        _sub(block, "status", "failure")
        _sub(block, "userid", userid)
        _sub(block, "companyid", companyid)
        _errormessage(op, [("XL03000006", "Invalid Web Services Authorization",
                            f"The sender ID '{creds.sender_id}' is not authorized to make Web Services requests "
                            f"to company ID '{creds.company_id}'.",
                            "Contact the company administrator to grant Web Services authorization to this sender ID.")])
        return None
    _sub(block, "status", "success" if ok else "failure")
    _sub(block, "userid", userid)
    _sub(block, "companyid", companyid)
    if not ok:
        description2 = "Sign-in information is incorrect" if login is not None else \
            "Invalid session. Log in again to get a new session ID. (simulated)"
        _errormessage(op, [("XL03000006", "", description2, "")])
        return None
    now = datetime.now().astimezone()
    _sub(block, "locationid", entity)
    _sub(block, "sessiontimestamp", now.isoformat(timespec="seconds"))
    _sub(block, "sessiontimeout", (now + timedelta(hours=1)).isoformat(timespec="seconds"))
    return entity


def _result(op: etree._Element, status: str, function: str, controlid: str) -> etree._Element:
    res = _sub(op, "result")
    _sub(res, "status", status)
    _sub(res, "function", function)
    _sub(res, "controlid", controlid)
    return res


def _run_function(sim: IntacctSimulator, fn: etree._Element, fn_id: str, op: etree._Element,
                  entity: str, *, alone: bool) -> None:
    body = next((c for c in fn if isinstance(c.tag, str)), None)
    name = body.tag if body is not None else ""
    handlers = {"getAPISession": _get_api_session, "readByQuery": _read_by_query, "readMore": _read_more,
                "create": _create, "update": _update, "read": _read}
    handler = handlers.get(name)
    if handler is None:
        res = _result(op, "failure", name, fn_id)
        _errormessage(res, [("XL03000003", "", f"Unknown function {name} (not in the test server subset)", "")])
        return
    if name == "getAPISession" and not alone:
        res = _result(op, "failure", name, fn_id)
        _errormessage(res, [("BL01001973", "", "getAPISession must be the only function in its request. "
                             "(simulated)", "Send getAPISession in its own request.")])
        return
    handler(sim, body, fn_id, op, entity)


def _get_api_session(sim, body, fn_id, op, entity) -> None:
    location = _text(body, "locationid") or entity
    session_id = sim.new_id() + ".."
    with sim.lock:
        sim.sessions[session_id] = location
    res = _result(op, "success", "getAPISession", fn_id)
    api = _sub(_sub(res, "data"), "api")
    _sub(api, "sessionid", session_id)
    _sub(api, "endpoint", sim.session_endpoint)
    _sub(api, "locationid", location)


def _page(sim, op, fn_id, function, obj, rows, fields, pagesize, total, result_id="") -> None:
    # One resultId per query; the server keeps the position, so each readMore returns the next page
    # (a page lost in transit is not sent again: clients must notice by the counts).
    page, rest = rows[:pagesize], rows[pagesize:]
    if rest:
        result_id = result_id or sim.new_id()
        with sim.lock:
            sim.result_sets[result_id] = (obj, rest, fields, pagesize, total)
    else:
        result_id = ""
    res = _result(op, "success", function, fn_id)
    data = _sub(res, "data", listtype=obj.lower(), count=str(len(page)), totalcount=str(total),
                numremaining=str(len(rest)), resultId=result_id)
    for row in page:
        el = _sub(data, obj.lower())
        for f in fields:
            _sub(el, f, row.get(f, ""))


def _failure(op, function, fn_id, errorno, description2, correction="", description="") -> None:
    res = _result(op, "failure", function, fn_id)
    _errormessage(res, [(errorno, description, description2, correction)])


def _read_by_query(sim, body, fn_id, op, entity) -> None:
    obj = _text(body, "object").upper()
    rows = sim.rows_for(obj)
    if rows is None:
        return _failure(op, "readByQuery", fn_id, "Query Failed", f"Object definition {obj} not found")
    known = set().union(*(r.keys() for r in rows)) if rows else {"RECORDNO"}
    try:
        pagesize = int(_text(body, "pagesize") or "100")
    except ValueError:
        pagesize = 0
    if not 1 <= pagesize <= 1000:
        return _failure(op, "readByQuery", fn_id, "Query Failed",
                        f"pagesize {_text(body, 'pagesize')} is invalid: use between 1 and 1000. (simulated)")
    raw_fields = _text(body, "fields") or "*"
    fields = sorted(known, key=lambda f: (f != "RECORDNO", f)) if raw_fields == "*" else \
        [f.strip() for f in raw_fields.split(",") if f.strip()]
    unknown = [f for f in fields if f not in known]
    if unknown:
        return _failure(op, "readByQuery", fn_id, "Query Failed", f"Invalid field(s) {', '.join(unknown)}")
    try:
        pred = compile_query(_text(body, "query"), known)
    except QueryError as exc:
        return _failure(op, "readByQuery", fn_id, "Query Failed", str(exc))
    with sim.lock:
        matched = [r for r in rows if pred(r)]
    _page(sim, op, fn_id, "readByQuery", obj, matched, fields, pagesize, len(matched))


def _read_more(sim, body, fn_id, op, entity) -> None:
    result_id = _text(body, "resultId")
    with sim.lock:
        found = sim.result_sets.pop(result_id, None)
    if found is None:
        return _failure(op, "readMore", fn_id, "BL01001973",
                        f"Invalid resultId {result_id}: it does not exist or has expired. (simulated)",
                        "Run the readByQuery again.")
    obj, rows, fields, pagesize, total = found
    _page(sim, op, fn_id, "readMore", obj, rows, fields, pagesize, total, result_id)


def _fields(el: etree._Element) -> dict[str, str]:
    return {c.tag.upper(): (c.text or "").strip() for c in el if isinstance(c.tag, str) and len(c) == 0}


def _batch_parts(body: etree._Element) -> tuple[dict[str, str], list[dict[str, str]]] | None:
    glbatch = _child(body, "GLBATCH")
    if glbatch is None:
        return None
    entries_el = _child(glbatch, "ENTRIES")
    entries = [_fields(e) for e in (entries_el if entries_el is not None else [])
               if isinstance(e.tag, str) and e.tag.upper() == "GLENTRY"]
    return _fields(glbatch), entries


def _business_failure(op, function, fn_id, problems: list[tuple[str, str]], what: str) -> None:
    # Intacct wraps the specific problems in the generic BL01001973 (FORMATS.md 6).
    res = _result(op, "failure", function, fn_id)
    errors = [("BL01001973", "", p, c) for p, c in problems]
    errors.append(("BL01001973", "", f"Could not {what} GLBATCH record!", ""))
    _errormessage(res, errors)


def _objkey(op, function, fn_id, record_no) -> None:
    res = _result(op, "success", function, fn_id)
    data = _sub(res, "data", listtype="objects", count="1")
    _sub(_sub(data, "glbatch"), "RECORDNO", record_no)


def _create(sim, body, fn_id, op, entity) -> None:
    parts = _batch_parts(body)
    if parts is None:
        obj = next((c.tag for c in body if isinstance(c.tag, str)), "")
        return _failure(op, "create", fn_id, "BL01001973", f"Object {obj} is not in the test server subset")
    header, entries = parts
    try:
        clean = sim.validate_batch(header, entries)
    except ValidationFailure as exc:
        return _business_failure(op, "create", fn_id, exc.problems, "create")
    _objkey(op, "create", fn_id, sim.store_batch(header, clean))


def _update(sim, body, fn_id, op, entity) -> None:
    parts = _batch_parts(body)
    if parts is None:
        return _failure(op, "update", fn_id, "BL01001973", "Only GLBATCH updates are in the test server subset")
    header, entries = parts
    record_no = header.get("RECORDNO", "")
    existing: dict[str, Any] | None = sim.batches.get(record_no)
    if existing is None:
        return _business_failure(op, "update", fn_id,
                                 [(f"Cannot find glbatch with key '{record_no}' to update.", "")], "update")
    merged = {**{k: v for k, v in existing.items() if k != "ENTRIES"}, **header}
    try:
        clean = sim.validate_batch(merged, entries)
    except ValidationFailure as exc:
        return _business_failure(op, "update", fn_id, exc.problems, "update")
    _objkey(op, "update", fn_id, sim.store_batch(merged, clean, record_no))


def _read(sim, body, fn_id, op, entity) -> None:
    """``read`` of GLBATCH by RECORDNO: the header plus ENTRIES/glentry (the read form)."""
    obj = _text(body, "object").upper()
    if obj != "GLBATCH":
        return _failure(op, "read", fn_id, "BL01001973", f"read of {obj} is not in the test server subset")
    keys = [k.strip() for k in _text(body, "keys").split(",") if k.strip()]
    res = _result(op, "success", "read", fn_id)
    found = [sim.batches[k] for k in keys if k in sim.batches]
    data = _sub(res, "data", listtype="GLBATCH", count=str(len(found)))
    for batch in found:
        el = _sub(data, "GLBATCH")
        for key, value in batch.items():
            if key != "ENTRIES":
                _sub(el, key, value)
        entries = _sub(el, "ENTRIES")
        for n, line in enumerate(batch["ENTRIES"], start=1):
            gl = _sub(entries, "glentry")
            _sub(gl, "LINE_NO", str(n))
            for key, value in line.items():
                _sub(gl, {"DEPARTMENT": "DEPARTMENTID", "LOCATION": "LOCATIONID"}.get(key, key), value)
