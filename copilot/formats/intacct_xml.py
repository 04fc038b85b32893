"""Intacct Web Services XML (v3.0): requests as the official SDK writes them, responses as the
gateway returns them, and GLBATCH payloads in whatever shape integrations send.

Request side: ``build_request`` wraps function elements in the SDK's exact envelope (element order
of ControlBlock.php; ``iso-8859-1`` by default). Response side: ``parse_response`` reads every level
(control, authentication, each result) and its errors; ``Response.raise_for_status`` raises the
typed errors of ``intacct_errors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Sequence

from lxml import etree

from copilot.domain.entries import JournalEntry
from copilot.errors import ConfigurationError, InputError, ParseError
from copilot.formats.common import at, fail
from copilot.formats.glbatch import glbatch_from_dict, glbatch_to_dict, glentry_from_dict, glentry_to_dict
from copilot.formats.intacct_errors import ErrorDetail, IntacctError, classify
from copilot.formats.xmlrows import _flatten, check_name, clean_text, element_to_row, write_readbyquery_page  # noqa: F401



def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parser objects must not be shared between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)


# --- request side ------------------------------------------------------------------------------

def _el(parent, tag: str, text: str | None = None):
    child = etree.SubElement(parent, tag)
    if text is not None:
        child.text = clean_text(text)  # a stray control character must not make the request unsendable
    return child


def _function(controlid: str):
    if not 1 <= len(controlid or "") <= 256:
        raise InputError("function controlid must be 1 to 256 characters", field="controlid")
    fn = etree.Element("function")
    fn.set("controlid", clean_text(controlid))
    return fn


def read_by_query(object: str, query: str = "", fields: str | Sequence[str] = "*", pagesize: int = 1000,
                  controlid: str = "readByQuery"):
    """``<readByQuery>``: object, query, fields, pagesize, returnFormat (ReadByQueryTest order)."""
    if not 1 <= int(pagesize) <= 1000:
        raise InputError("readByQuery pagesize must be between 1 and 1000", field="pagesize")
    fn = _function(controlid)
    rbq = _el(fn, "readByQuery")
    _el(rbq, "object", object)
    _el(rbq, "query", query or "")
    _el(rbq, "fields", fields if isinstance(fields, str) else ",".join(fields))
    _el(rbq, "pagesize", str(int(pagesize)))
    _el(rbq, "returnFormat", "xml")
    return fn


def read_more(result_id: str, controlid: str = "readMore"):
    if not result_id:
        raise InputError("Result ID is required for read more", field="resultId")
    fn = _function(controlid)
    _el(_el(fn, "readMore"), "resultId", result_id)
    return fn


def read(object: str, keys: Sequence[str] | str = (), fields: str | Sequence[str] = "*",
         controlid: str = "read"):
    keys = [keys] if isinstance(keys, str) else list(keys)
    if len(keys) > 100:
        raise InputError("read takes at most 100 keys", field="keys")
    fn = _function(controlid)
    rd = _el(fn, "read")
    _el(rd, "object", object)
    _el(rd, "keys", ",".join(str(k) for k in keys))
    _el(rd, "fields", fields if isinstance(fields, str) else ",".join(fields))
    return fn


def delete(object: str, keys: Sequence[str] | str, controlid: str = "delete"):
    fn = _function(controlid)
    de = _el(fn, "delete")
    _el(de, "object", object)
    _el(de, "keys", keys if isinstance(keys, str) else ",".join(str(k) for k in keys))
    return fn


def get_api_session(locationid: str | None = None, controlid: str = "getAPISession"):
    """``locationid`` None: the user's default; "" (empty element): top level; else that entity."""
    fn = _function(controlid)
    gas = _el(fn, "getAPISession")
    if locationid is not None:
        _el(gas, "locationid", locationid)
    return fn


def _glbatch(parent, entry: JournalEntry, *, update: bool):
    if len(entry.lines) < 2:
        raise InputError("Journal Entry must have at least 2 lines", field="ENTRIES")
    batch = _el(parent, "GLBATCH")
    # Extra fields become elements as they are: a name XML cannot carry is an error naming it.
    for name, value in glbatch_to_dict(entry, update=update).items():
        _el(batch, check_name(name), value)
    entries = _el(batch, "ENTRIES")
    for line in entry.lines:
        gl = _el(entries, "GLENTRY")
        for name, value in glentry_to_dict(line).items():
            _el(gl, check_name(name), value)
    return batch


def create_glbatch(entry: JournalEntry, controlid: str = "create-glbatch"):
    """``<create><GLBATCH>`` in the SDK's order: DEPARTMENT/LOCATION, PROJECTID..., DESCRIPTION memo."""
    fn = _function(controlid)
    _glbatch(_el(fn, "create"), entry, update=False)
    return fn


def update_glbatch(record_no: str, entry: JournalEntry, controlid: str = "update-glbatch"):
    """``<update><GLBATCH><RECORDNO>``: replaces every line, so all lines are resent."""
    fn = _function(controlid)
    _glbatch(_el(fn, "update"), entry.model_copy(update={"record_no": str(record_no)}), update=True)
    return fn


def function_bytes(fn) -> bytes:
    return etree.tostring(fn, encoding="utf-8")


def build_request(functions: Iterable, *, sender_id: str, sender_password: str,
                  session_id: str | None = None, login: Sequence[str] | None = None,
                  control_id: str, unique_id: bool = False, encoding: str = "iso-8859-1",
                  transaction: bool = False, policy_id: str | None = None) -> bytes:
    """The full request document. ``login`` is (userid, companyid, password[, locationid])."""
    if not 1 <= len(control_id or "") <= 256:
        raise InputError("Request Control ID must be between 1 and 256 characters in length",
                         field="controlid")
    request = etree.Element("request")
    control = _el(request, "control")
    for tag, text in (("senderid", sender_id), ("password", sender_password), ("controlid", control_id),
                      ("uniqueid", "true" if unique_id else "false"), ("dtdversion", "3.0")):
        _el(control, tag, text)
    if policy_id:
        _el(control, "policyid", policy_id)
    _el(control, "includewhitespace", "false")
    operation = _el(request, "operation")
    operation.set("transaction", "true" if transaction else "false")
    auth = _el(operation, "authentication")
    if session_id:
        _el(auth, "sessionid", session_id)
    elif login:
        userid, companyid, password, *rest = login
        box = _el(auth, "login")
        for tag, text in (("userid", userid), ("companyid", companyid), ("password", password)):
            _el(box, tag, text)
        if rest and rest[0]:
            _el(box, "locationid", rest[0])
    else:
        raise ConfigurationError("an Intacct request needs a session id or login credentials")
    content = _el(operation, "content", "")
    for i, fn in enumerate(functions):
        if isinstance(fn, (bytes, str)):
            try:
                fn = etree.fromstring(fn.encode("utf-8") if isinstance(fn, str) else fn, _parser())
            except etree.XMLSyntaxError as exc:
                raise fail(f"function {i + 1} is not XML: {exc}", field="function", line=exc.lineno) from None
        content.append(fn)
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode("ascii")
    return head + etree.tostring(request, encoding=encoding, xml_declaration=False)


# --- response side -----------------------------------------------------------------------------

def _kids(elem, name: str) -> list:
    return [c for c in elem if isinstance(c.tag, str) and c.tag.lower() == name]


def _kid(elem, name: str):
    found = _kids(elem, name) if elem is not None else []
    return found[0] if found else None


def _text(elem, name: str) -> str:
    child = _kid(elem, name)
    return (child.text or "").strip() if child is not None else ""


def _errors(parent) -> list[ErrorDetail]:
    box = _kid(parent, "errormessage")
    if box is None:
        return []
    return [ErrorDetail.make(_text(e, "errorno"), _text(e, "description"), _text(e, "description2"),
                             _text(e, "correction")) for e in _kids(box, "error")]


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().lstrip("-").isdigit() else None


@dataclass
class Result:
    status: str
    function: str
    controlid: str
    listtype: str | None = None
    count: int | None = None
    totalcount: int | None = None
    numremaining: int | None = None
    result_id: str | None = None
    offset: int | None = None
    rows: list[dict[str, str]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # leaf children of <data> (legacy <key> form)
    errors: list[ErrorDetail] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status.lower() == "success"

    def raise_for_status(self) -> None:
        if not self.ok:
            cls = classify("result", self.errors)
            raise cls(level="result", errors=self.errors, function=self.function, controlid=self.controlid)


@dataclass
class Response:
    control_status: str
    senderid: str = ""
    controlid: str = ""
    uniqueid: str = ""
    dtdversion: str = ""
    control_errors: list[ErrorDetail] = field(default_factory=list)
    auth_status: str | None = None
    userid: str = ""
    companyid: str = ""
    locationid: str = ""
    session_timestamp: str = ""
    session_timeout: str = ""
    auth_errors: list[ErrorDetail] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.control_status == "success" and self.auth_status in (None, "success")
                and all(r.ok for r in self.results))

    @property
    def session(self) -> dict[str, str] | None:
        """getAPISession's answer: {"SESSIONID", "ENDPOINT", "LOCATIONID"} (use the endpoint after)."""
        for r in self.results:
            if r.function == "getAPISession" and r.rows:
                return r.rows[0]
        return None

    def raise_for_status(self, *, results: bool = True) -> None:
        """Control, then authentication, then (optionally) the first failed function result."""
        if self.control_status != "success":
            cls = classify("control", self.control_errors)
            raise cls(level="control", errors=self.control_errors, controlid=self.controlid)
        if self.auth_status not in (None, "success"):
            cls = classify("authentication", self.auth_errors)
            raise cls(level="authentication", errors=self.auth_errors, controlid=self.controlid)
        if results:
            for result in self.results:
                result.raise_for_status()


def _result(elem) -> Result:
    values = {}
    for name in ("status", "function", "controlid"):
        if _kid(elem, name) is None:
            raise fail(f"Result block is missing {name} element", field=f"result.{name}",
                       line=elem.sourceline)
        values[name] = _text(elem, name)
    result = Result(**values, errors=_errors(elem))
    data = _kid(elem, "data")
    if data is not None:
        attrs = {k.lower(): v for k, v in data.attrib.items()}
        result.listtype = attrs.get("listtype")
        result.count, result.totalcount = _int(attrs.get("count")), _int(attrs.get("totalcount"))
        result.numremaining, result.offset = _int(attrs.get("numremaining")), _int(attrs.get("offset"))
        result.result_id = attrs.get("resultid")
        for child in data:
            if not isinstance(child.tag, str):
                continue
            if len(child):
                result.rows.append(element_to_row(child))
            else:
                result.keys.append((child.text or "").strip())
    return result


def parse_response(body: bytes | str) -> Response:
    """Parse a gateway response at every level. Malformed XML raises ParseError with the line."""
    try:
        root = etree.fromstring(body.encode("utf-8") if isinstance(body, str) else body, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise fail(f"malformed Intacct response: {exc}", line=getattr(exc, "lineno", None)) from None
    if not isinstance(root.tag, str) or root.tag.lower() != "response":
        raise fail(f"expected a <response> document, got <{root.tag}>", field="response", line=root.sourceline)
    control = _kid(root, "control")
    if control is None:
        raise fail("response has no control block", field="control", line=root.sourceline)
    resp = Response(control_status=_text(control, "status").lower(), senderid=_text(control, "senderid"),
                    controlid=_text(control, "controlid"), uniqueid=_text(control, "uniqueid"),
                    dtdversion=_text(control, "dtdversion"), control_errors=_errors(root))
    operation = _kid(root, "operation")
    if operation is None:
        return resp  # a control failure carries no operation
    auth = _kid(operation, "authentication")
    if auth is not None:
        resp.auth_status = _text(auth, "status").lower()
        resp.userid, resp.companyid = _text(auth, "userid"), _text(auth, "companyid")
        resp.locationid = _text(auth, "locationid")
        resp.session_timestamp = _text(auth, "sessiontimestamp")
        resp.session_timeout = _text(auth, "sessiontimeout")
    resp.auth_errors = _errors(operation)
    resp.results = [_result(r) for r in _kids(operation, "result")]
    return resp


# --- GLBATCH payloads --------------------------------------------------------------------------

def _line_of(elem, field: str | None) -> int:
    """The line of the child element named ``field`` (any case), else of ``elem`` itself."""
    for child in elem if field else ():
        if isinstance(child.tag, str) and child.tag.upper() == field:
            return child.sourceline
    return elem.sourceline


def _batch_to_entry(batch, default_date: date | None, source: str | None) -> JournalEntry:
    header: dict[str, str] = {}
    entries = None
    for child in batch:
        if not isinstance(child.tag, str):
            continue
        tag = child.tag.upper()
        if tag == "ENTRIES":
            entries = child
        elif len(child):
            _flatten(child, tag, header)
        else:
            header[tag] = child.text or ""
    lines = []
    for i, gl in enumerate(c for c in (entries if entries is not None else ())
                           if isinstance(c.tag, str) and c.tag.upper() == "GLENTRY"):
        try:
            lines.append(glentry_from_dict(element_to_row(gl)))
        except ParseError as exc:
            raise at(exc, line=_line_of(gl, exc.field), source=source, prefix=f"GLENTRY[{i + 1}].") from None
    try:
        return glbatch_from_dict(header, lines, default_date=default_date)
    except ParseError as exc:
        raise at(exc, line=_line_of(batch, exc.field), source=source) from None


def parse_glbatch_xml(data: bytes | str, *, default_date: date | None = None,
                      source: str | None = None) -> list[JournalEntry]:
    """Every GLBATCH in a request envelope (create/update functions), a response, or a bare
    ``<GLBATCH>``, in any letter case."""
    try:
        root = etree.fromstring(data.encode("utf-8") if isinstance(data, str) else data, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise fail(f"malformed XML: {exc}", line=getattr(exc, "lineno", None), source=source) from None
    batches = [e for e in root.iter() if isinstance(e.tag, str) and e.tag.upper() == "GLBATCH"]
    if not batches:
        raise fail("no GLBATCH element found", field="GLBATCH", source=source)
    return [_batch_to_entry(b, default_date, source) for b in batches]


__all__ = [
    "IntacctError", "Response", "Result", "build_request", "create_glbatch", "delete", "function_bytes",
    "get_api_session", "parse_glbatch_xml", "parse_response", "read", "read_by_query", "read_more",
    "update_glbatch", "write_readbyquery_page",
]
