"""The Web Services XML client (API v3.0) behind the LedgerConnector interface.

Session: log in with the company user through ``getAPISession`` in a request of its own, then send
every call with the session id to the endpoint Intacct returned (it can differ from the login
endpoint). An authentication failure on a session means it expired: log in again once and repeat.
Every request gets a fresh control id and every function its own; a write keeps its control id across
retries and sets ``uniqueid``, so Intacct refuses to apply it twice (a retried create after a timeout
either succeeds or comes back as DuplicateRequest, never as a second entry).
Request envelopes and response parsing are copilot.formats.intacct_xml; this module adds the session,
paging, retries and error policy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from urllib.parse import urlparse

import httpx

from copilot.connector.annotate import prepare_entry
from copilot.connector.base import Page, PageLost, ReadFilter, ResumeExpired, check_object, check_page_size
from copilot.connector.credentials import XmlCredentials
from copilot.connector.errors import DuplicateRequest
from copilot.connector.transport import REDACT, TransientError, Transport, log
from copilot.domain.entries import JournalEntry, Posting
from copilot.errors import ConfigurationError, NotFound, ParseError, UpstreamError
from copilot.formats import intacct_xml as ix
from copilot.formats.intacct_errors import (IntacctAuthError, IntacctBusinessError, IntacctControlError,
                                            IntacctError, error_for_http)
from copilot.settings import Settings

HEADERS = {"Content-Type": "application/xml", "Accept": "application/xml"}


class _SessionRejected(Exception):
    def __init__(self, error: IntacctError):
        super().__init__(str(error))
        self.error = error


def _scrub(exc: IntacctError) -> IntacctError:
    """The same error with every credential masked (Intacct echoes sender and user ids in texts)."""
    errors = [replace(e, description=REDACT(e.description), description2=REDACT(e.description2),
                      correction=REDACT(e.correction)) for e in exc.errors]
    return type(exc)(REDACT(exc.message), level=exc.level, errors=errors, function=exc.function,
                     controlid=exc.controlid, http_status=exc.http_status)


def _control_id(kind: str) -> str:
    return f"copilot-{kind}-{uuid.uuid4().hex}"


class XmlConnector:
    api = "xml"

    def __init__(self, creds: XmlCredentials, transport: Transport, *, endpoint: str, page_size: int = 1000,
                 note_target: str = "description", note_field: str = "AI_NOTE", memo_max: int = 400):
        self.creds = creds
        self.transport = transport
        self.endpoint = endpoint
        self.page_size = check_page_size(page_size)
        self._note = {"target": note_target, "field": note_field, "limit": memo_max}
        self._session_id: str | None = None
        self._session_endpoint: str | None = None
        self.logins = 0
        REDACT.add(*creds.secrets())

    @classmethod
    def from_settings(cls, settings: Settings, *, client: httpx.Client | None = None) -> "XmlConnector":
        return cls(XmlCredentials.from_settings(settings), Transport.from_settings(settings, client=client),
                   endpoint=settings.intacct_endpoint, page_size=settings.intacct_page_size,
                   note_target=settings.intacct_ai_note_target, note_field=settings.intacct_ai_note_field,
                   memo_max=settings.intacct_memo_max_chars)

    def __repr__(self) -> str:
        return f"XmlConnector(endpoint={self.endpoint!r}, entity={self.creds.entity!r})"

    def close(self) -> None:
        self.transport.close()

    # ---- HTTP + envelope -----------------------------------------------------------------------
    def _post(self, url: str, body: bytes, what: str) -> ix.Response:
        resp = self.transport.request("POST", url, content=body, headers=HEADERS)
        try:
            parsed = ix.parse_response(resp.content)
        except ParseError as exc:
            if resp.status_code >= 400:
                err = error_for_http(resp.status_code, resp.text)
                raise _scrub(err) if err else UpstreamError(f"Intacct {what}: HTTP {resp.status_code}")
            # A cut-off or garbled answer: for a read, asking again is harmless; for a write the
            # uniqueid control id makes a repeat safe.
            raise TransientError(f"Intacct {what}: malformed XML response ({exc.message})", ambiguous=True) from None
        parsed.raw = resp.content  # type: ignore[attr-defined]  # for readers that need the full tree
        return parsed

    def _check_endpoint(self, endpoint: str) -> str:
        """Follow the endpoint getAPISession returns, but only over https (or to the login host)."""
        if not endpoint:
            return self.endpoint
        new, old = urlparse(endpoint), urlparse(self.endpoint)
        if new.scheme == "https" or (new.scheme, new.netloc) == (old.scheme, old.netloc):
            return endpoint
        raise UpstreamError(f"Intacct returned an unusable session endpoint ({new.scheme}://{new.netloc})")

    def _login(self) -> None:
        """getAPISession with the user's login, alone in its request (as Intacct advises)."""
        c = self.creds
        fn = ix.get_api_session(locationid=c.entity or "", controlid=_control_id("session"))
        body = ix.build_request([fn], sender_id=c.sender_id, sender_password=c.sender_password.get_secret_value(),
                                login=(c.user_id, c.company_id, c.user_password.get_secret_value(), c.entity or ""),
                                control_id=_control_id("login"))

        def attempt(_n: int) -> ix.Response:
            parsed = self._post(self.endpoint, body, "login")
            parsed.raise_for_status()
            return parsed

        try:
            parsed = self.transport.retrying(attempt, what="login")
        except IntacctError as exc:
            raise _scrub(exc) from None
        session = parsed.session or {}
        session_id = session.get("SESSIONID", "")
        if not session_id:
            raise UpstreamError("Intacct getAPISession answered without a session id")
        REDACT.add(session_id)
        self._session_id = session_id
        self._session_endpoint = self._check_endpoint(session.get("ENDPOINT", ""))
        self.logins += 1
        log.info("Intacct: new API session (entity %s), endpoint %s", c.entity or "top level",
                 self._session_endpoint)

    def _execute(self, functions: list, *, what: str, write: bool = False) -> ix.Response:
        """Send functions with the session; retries, one re-login on session expiry, typed errors."""
        payloads = [ix.function_bytes(fn) for fn in functions]
        # Kept across retries (uniqueid); renewed after a re-login, since an authentication failure
        # means no function ran and Intacct may still have recorded the control id.
        ids = [_control_id("write" if write else "read")]
        c = self.creds

        def attempt(n: int) -> ix.Response:
            control_id = ids[-1]
            if self._session_id is None:
                self._login()
            body = ix.build_request(payloads, sender_id=c.sender_id,
                                    sender_password=c.sender_password.get_secret_value(),
                                    session_id=self._session_id, control_id=control_id, unique_id=write)
            parsed = self._post(self._session_endpoint or self.endpoint, body, what)
            try:
                parsed.raise_for_status(results=False)
            except IntacctAuthError as exc:
                if exc.level == "authentication":
                    raise _SessionRejected(exc) from None
                raise
            except IntacctControlError as exc:
                if write and n > 1:
                    raise DuplicateRequest(
                        REDACT(f"Intacct refused the retried {what} ({exc.message}); the first attempt was "
                               "probably applied. Check Intacct before writing again."), controlid=control_id) from None
                raise
            return parsed

        fresh_login = self._session_id is None
        for relogin in (False, True):
            try:
                return self.transport.retrying(attempt, what=what)
            except _SessionRejected as rejected:
                if relogin or fresh_login:
                    raise _scrub(rejected.error) from None
                log.info("Intacct: session rejected (expired?); logging in again")
                self._session_id = None
                ids.append(_control_id("write" if write else "read"))
            except IntacctError as exc:
                raise _scrub(exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _one(self, fn, *, what: str, write: bool = False, raw: list | None = None) -> ix.Result:
        parsed = self._execute([fn], what=what, write=write)
        if raw is not None:
            raw.append(parsed.raw)  # type: ignore[attr-defined]
        if not parsed.results:
            raise UpstreamError(f"Intacct {what}: the response has no result")
        result = parsed.results[0]
        try:
            result.raise_for_status()
        except IntacctError as exc:
            raise _scrub(exc) from None
        return result

    # ---- reads ---------------------------------------------------------------------------------
    def read_pages(self, obj: str, flt: ReadFilter | None = None, *, resume: str | None = None,
                   fields: str = "*") -> Iterator[Page]:
        obj = check_object(obj)
        if resume:
            try:
                result = self._one(ix.read_more(resume, controlid=_control_id("readmore")), what=f"readMore {obj}")
            except IntacctBusinessError as exc:
                raise ResumeExpired(exc.message) from None
        else:
            query = flt.xml_query(obj) if flt else ""
            result = self._one(ix.read_by_query(obj, query, fields, self.page_size, controlid=_control_id("query")),
                               what=f"readByQuery {obj}")
        expected: int | None = None  # rows still to come, as the previous page said
        while True:
            remaining = result.numremaining or 0
            cursor = result.result_id or None
            if expected is not None and len(result.rows) + remaining != expected:
                # Intacct keeps the readMore position on its side, so a retried readMore after a lost
                # answer returns the page after the lost one. Only the counts show it.
                raise PageLost(f"Intacct readMore {obj}: expected {expected} more rows, got "
                               f"{len(result.rows)} with {remaining} remaining; a page was lost")
            if remaining and not cursor:
                raise UpstreamError(f"Intacct readByQuery {obj}: {remaining} rows remain but no resultId was given")
            total = result.totalcount if result.totalcount is not None else len(result.rows) + remaining
            yield Page(rows=result.rows, cursor=cursor if remaining else None, numremaining=remaining,
                       totalcount=total)
            if not remaining:
                return
            expected = remaining
            result = self._one(ix.read_more(cursor, controlid=_control_id("readmore")), what=f"readMore {obj}")

    def read_objects(self, obj: str, since: datetime | None = None) -> Iterator[dict[str, str]]:
        for page in self.read_pages(obj, ReadFilter(modified_since=since) if since else None):
            yield from page.rows

    def read_postings(self, since: date | None = None, *, entity: str | None = None) -> Iterator[Posting]:
        from copilot.formats.records import row_to_posting

        for page in self.read_pages("GLDETAIL", ReadFilter(entry_since=since) if since else None):
            for row in page.rows:
                yield row_to_posting(row, entity or self.creds.entity or "default")

    # ---- writes --------------------------------------------------------------------------------
    def _record_no(self, result: ix.Result, what: str) -> str:
        key = (result.rows[0].get("RECORDNO") if result.rows else None) or (result.keys[0] if result.keys else None)
        if not key:
            raise UpstreamError(f"Intacct {what}: the response carries no RECORDNO")
        return key

    def create_journal_entry(self, entry: JournalEntry, draft: bool = True) -> str:
        prepared = prepare_entry(entry, draft=draft, **self._note)
        result = self._one(ix.create_glbatch(prepared, controlid=_control_id("create")),
                           what="create GLBATCH", write=True)
        record_no = self._record_no(result, "create GLBATCH")
        log.info("Intacct: created GLBATCH %s (%s)", record_no, prepared.state)
        return record_no

    def update_journal_entry(self, key: str, entry: JournalEntry, draft: bool = True) -> str:
        if not str(key).strip():
            raise ConfigurationError("update_journal_entry needs the entry's RECORDNO")
        prepared = prepare_entry(entry, draft=draft, **self._note)
        result = self._one(ix.update_glbatch(str(key), prepared, controlid=_control_id("update")),
                           what="update GLBATCH", write=True)
        return self._record_no(result, "update GLBATCH") if (result.rows or result.keys) else str(key)

    def get_journal_entry(self, key: str) -> JournalEntry:
        """Read a GLBATCH with its lines (``read`` by RECORDNO), e.g. when a webhook carries only the key."""
        raw: list[bytes] = []
        result = self._one(ix.read("GLBATCH", [str(key)], "*", controlid=_control_id("read")),
                           what="read GLBATCH", raw=raw)
        if not result.rows:
            raise NotFound(f"Intacct has no GLBATCH with RECORDNO {key}")
        entries = ix.parse_glbatch_xml(raw[0], source=f"GLBATCH {key}")
        return entries[0]
