"""The REST flavour of the connector (api.intacct.com/ia/api/v1), behind the same LedgerConnector
interface as the XML client.

Auth: OAuth2 client_credentials, or a refresh token when one is configured (authorization-code
setups); a 401 (or a 400 saying the token is invalid, as production clients see) refreshes the token
once and repeats the call. Reads: ``POST /services/core/query`` paged with start/size until
``ia::meta.next`` is null. Writes: ``/objects/general-ledger/journal-entry`` (lines with glAccount,
txnType, txnAmount and a dimensions object, built by copilot.formats.intacct_json).
Status mapping: 400/422 -> IntacctBusinessError (never retried), 401/403 -> IntacctAuthError (after one
token refresh), 404 -> NotFound, 409 -> Conflict, 429/5xx/timeouts -> retried with backoff.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from copilot.connector.annotate import prepare_entry
from copilot.connector.base import Page, ReadFilter, ResumeExpired, check_object, check_page_size
from copilot.connector.credentials import RestCredentials
from copilot.connector.errors import WriteOutcomeUnknown
from copilot.connector.rest_rows import OBJECTS, get, iso_from_mdy_hms
from copilot.connector.transport import REDACT, RetryableError, Transport, log
from copilot.domain.entries import JournalEntry, Posting
from copilot.errors import Conflict, CopilotError, InputError, NotFound, UpstreamError
from copilot.formats.intacct_errors import ErrorDetail, IntacctAuthError, IntacctBusinessError
from copilot.settings import Settings

JOURNAL_ENTRY = "/objects/general-ledger/journal-entry"
QUERY = "/services/core/query"
# Upstream credential/permission trouble is an IntacctAuthError (a 502 to our own callers), not our
# AuthenticationError, which would tell an API client that *its* credentials are wrong.
_STATUS_ERRORS: dict[int, type[CopilotError]] = {
    400: IntacctBusinessError, 401: IntacctAuthError, 403: IntacctAuthError, 404: NotFound, 409: Conflict,
    422: IntacctBusinessError,
}


class _TokenRejected(Exception):
    pass


def _error_text(resp: httpx.Response) -> tuple[str, list[str]]:
    """(message, detail messages) from a REST error body; its exact shape is UNVERIFIED, so be lenient."""
    try:
        body = resp.json()
    except ValueError:
        return (resp.text[:300] or resp.reason_phrase), []
    err = get(body, "ia::result.ia::error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        details = [str(d.get("message") or d) for d in err.get("details") or [] if d]
        return str(err.get("message") or err.get("code") or "error"), details
    if isinstance(body, dict):
        if "error" in body:  # OAuth2 token endpoint errors
            return str(body.get("error_description") or body["error"]), []
        return str(body.get("message") or body)[:300], []
    return str(body)[:300], []


def _next_start(meta: dict[str, Any]) -> int | None:
    nxt = meta.get("next")
    if nxt in (None, "", False):
        return None
    if isinstance(nxt, int):
        return nxt
    text = str(nxt)
    if text.isdigit():
        return int(text)
    start = parse_qs(urlparse(text).query).get("start")  # a link rather than a number
    return int(start[0]) if start else None


class RestConnector:
    api = "rest"

    def __init__(self, creds: RestCredentials, transport: Transport, *, base_url: str, page_size: int = 1000,
                 note_target: str = "description", note_field: str = "AI_NOTE", memo_max: int = 400):
        self.creds = creds
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.page_size = check_page_size(page_size)
        self._note = {"target": note_target, "field": note_field, "limit": memo_max}
        self._access: str | None = None
        self._refresh = creds.refresh_token.get_secret_value() if creds.refresh_token else None
        REDACT.add(*creds.secrets())

    @classmethod
    def from_settings(cls, settings: Settings, *, client: httpx.Client | None = None) -> "RestConnector":
        return cls(RestCredentials.from_settings(settings), Transport.from_settings(settings, client=client),
                   base_url=settings.intacct_rest_base_url, page_size=settings.intacct_page_size,
                   note_target=settings.intacct_ai_note_target, note_field=settings.intacct_ai_note_field,
                   memo_max=settings.intacct_memo_max_chars)

    def __repr__(self) -> str:
        return f"RestConnector(base_url={self.base_url!r}, entity={self.creds.entity!r})"

    def close(self) -> None:
        self.transport.close()

    # ---- auth ----------------------------------------------------------------------------------
    def _authenticate(self) -> None:
        try:
            self._token_request(use_refresh=bool(self._refresh))
        except IntacctAuthError:
            if not self._refresh or self.creds.refresh_token is not None:
                raise
            # A refresh token from an earlier client_credentials grant went stale: start over.
            log.info("Intacct REST: refresh token refused; using client_credentials again")
            self._refresh = None
            self._token_request(use_refresh=False)

    def _token_request(self, *, use_refresh: bool) -> None:
        form = {"client_id": self.creds.client_id, "client_secret": self.creds.client_secret.get_secret_value()}
        if use_refresh and self._refresh:
            form.update(grant_type="refresh_token", refresh_token=self._refresh)
        else:
            form["grant_type"] = "client_credentials"
            if self.creds.username:
                form["username"] = self.creds.username

        def attempt(_n: int) -> dict[str, Any]:
            resp = self.transport.request("POST", f"{self.base_url}/oauth2/token", data=form)
            if resp.status_code >= 400:
                message, _ = _error_text(resp)
                raise IntacctAuthError(REDACT(f"Intacct OAuth2 token request refused (HTTP {resp.status_code}): "
                                              f"{message}"), level="authentication", http_status=resp.status_code)
            try:
                return resp.json()
            except ValueError:
                raise UpstreamError("Intacct OAuth2 token response is not JSON") from None

        body = self.transport.retrying(attempt, what="token request")
        access = body.get("access_token")
        if not access:
            raise UpstreamError("Intacct OAuth2 token response has no access_token")
        self._access = access
        self._refresh = body.get("refresh_token") or self._refresh
        REDACT.add(self._access, self._refresh)
        log.info("Intacct REST: obtained an access token (%s grant)", form["grant_type"])

    def _headers(self) -> dict[str, str]:
        if self._access is None:
            self._authenticate()
        headers = {"Authorization": f"Bearer {self._access}", "Accept": "application/json"}
        if self.creds.entity:
            headers["X-IA-API-Param-Entity"] = self.creds.entity
        return headers

    # ---- one call ------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, json: Any = None, what: str, write: bool = False) -> dict[str, Any]:
        url = f"{self.base_url}{path}"

        def attempt(_n: int) -> dict[str, Any]:
            resp = self.transport.request(method, url, json=json, headers=self._headers())
            if resp.status_code == 401 or (resp.status_code == 400 and (
                    "Invalid token" in resp.text or "The token is not valid" in resp.text)):
                raise _TokenRejected()
            if resp.status_code >= 400:
                message, details = _error_text(resp)
                text = REDACT(f"Intacct {what} failed (HTTP {resp.status_code}): {message}"
                              + (" - " + "; ".join(details) if details else ""))
                cls = _STATUS_ERRORS.get(resp.status_code, UpstreamError)
                if issubclass(cls, IntacctBusinessError) or issubclass(cls, IntacctAuthError):
                    errors = [ErrorDetail.make(errorno=f"HTTP {resp.status_code}", description=REDACT(message),
                                               description2=REDACT(d)) for d in details or [""]]
                    raise cls(text, level="result" if cls is IntacctBusinessError else "authentication",
                              errors=errors, function=what, http_status=resp.status_code)
                raise cls(text, http_status=resp.status_code)
            try:
                body = resp.json()
            except ValueError:
                raise UpstreamError(f"Intacct {what}: the response is not valid JSON") from None
            if not isinstance(body, dict):
                raise UpstreamError(f"Intacct {what}: unexpected response shape")
            return body

        for reauth in (False, True):
            try:
                return self.transport.retrying(attempt, what=what, retry_ambiguous=not write)
            except _TokenRejected:
                if reauth:
                    raise IntacctAuthError("Intacct rejected a freshly issued access token",
                                           level="authentication", http_status=401) from None
                log.info("Intacct REST: access token rejected; getting a new one")
                self._access = None
            except RetryableError as exc:
                if write and exc.ambiguous:
                    raise WriteOutcomeUnknown(
                        f"Intacct {what}: {exc.message}; the entry may or may not have been written. "
                        "Check Intacct before writing it again.") from None
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    # ---- reads ---------------------------------------------------------------------------------
    def _filters(self, obj: str, flt: ReadFilter | None) -> list[dict[str, Any]]:
        if flt is None:
            return []
        out: list[dict[str, Any]] = []
        if flt.modified_since is not None:
            out.append({"$gte": {"audit.modifiedDateTime": iso_from_mdy_hms(flt.modified_since)}})
        if flt.after_recordno is not None:
            out.append({"$gt": {"key": str(int(flt.after_recordno))}})
        if flt.entry_since is not None and obj == "GLDETAIL":
            out.append({"$gte": {"entryDate": flt.entry_since.isoformat()}})
        return out

    def read_pages(self, obj: str, flt: ReadFilter | None = None, *, resume: str | None = None) -> Iterator[Page]:
        obj = check_object(obj)
        spec = OBJECTS.get(obj)
        if spec is None:
            raise InputError(f"{obj} is not readable through the REST connector", field="object")
        start = 1
        if resume is not None:
            if not resume.isdigit():
                raise ResumeExpired(f"unusable REST cursor {resume!r}")
            start = int(resume)
        while True:
            body = self._call("POST", QUERY, what=f"query {spec.name}", json={
                "object": spec.name, "fields": list(spec.fields), "filters": self._filters(obj, flt),
                "filterExpression": "and", "orderBy": [{"key": "asc"}], "start": start, "size": self.page_size})
            records = body.get("ia::result") or []
            meta = body.get("ia::meta") or {}
            if not isinstance(records, list):
                raise UpstreamError(f"Intacct query {spec.name}: ia::result is not a list")
            rows = [spec.to_row(r) for r in records]
            nxt = _next_start(meta)
            total = int(meta.get("totalCount") or len(rows))
            remaining = max(0, total - (start - 1) - len(rows)) if nxt is not None else 0
            yield Page(rows=rows, cursor=None if nxt is None else str(nxt), numremaining=remaining, totalcount=total)
            if nxt is None:
                return
            if nxt <= start:
                raise UpstreamError(f"Intacct query {spec.name}: paging did not advance (next={nxt})")
            start = nxt

    def read_objects(self, obj: str, since: datetime | None = None) -> Iterator[dict[str, str]]:
        for page in self.read_pages(obj, ReadFilter(modified_since=since) if since else None):
            yield from page.rows

    def read_postings(self, since: date | None = None, *, entity: str | None = None) -> Iterator[Posting]:
        from copilot.formats.records import row_to_posting

        for page in self.read_pages("GLDETAIL", ReadFilter(entry_since=since) if since else None):
            for row in page.rows:
                yield row_to_posting(row, entity or self.creds.entity or "default")

    # ---- writes --------------------------------------------------------------------------------
    def _payload(self, entry: JournalEntry, draft: bool) -> dict[str, Any]:
        from copilot.formats.intacct_json import journal_entry_to_rest

        prepared = prepare_entry(entry, draft=draft, **self._note)
        payload = journal_entry_to_rest(prepared)
        payload["state"] = "draft" if draft else "posted"
        if self._note["target"] == "custom_field":
            # journal_entry_to_rest drops line extras; a custom field travels as a top-level line key
            # (UNVERIFIED: the REST name of a GLENTRY custom field).
            name = self._note["field"]
            for line, out in zip(prepared.lines, payload["lines"]):
                if name in line.extra:
                    out[name] = line.extra[name]
        return payload

    def create_journal_entry(self, entry: JournalEntry, draft: bool = True) -> str:
        body = self._call("POST", JOURNAL_ENTRY, json=self._payload(entry, draft),
                          what="journal-entry create", write=True)
        key = get(body, "ia::result.key") or get(body, "ia::result.id")
        if not key:
            raise UpstreamError("Intacct journal-entry create: the response carries no key")
        log.info("Intacct REST: created journal entry %s (%s)", key, "draft" if draft else "posted")
        return str(key)

    def update_journal_entry(self, key: str, entry: JournalEntry, draft: bool = True) -> str:
        body = self._call("PATCH", f"{JOURNAL_ENTRY}/{key}", json=self._payload(entry, draft),
                          what="journal-entry update", write=True)
        return str(get(body, "ia::result.key") or key)

    def get_journal_entry(self, key: str) -> JournalEntry:
        from copilot.formats.intacct_json import rest_to_journal_entry

        body = self._call("GET", f"{JOURNAL_ENTRY}/{key}", what="journal-entry read")
        return rest_to_journal_entry(body.get("ia::result") or {})
