"""Typed Intacct failures, classified by the level they occur at (FORMATS.md §1.2, §6).

control level: nothing ran (bad sender, schema error, expired company, gateway);
authentication level: no function ran (bad user/company credentials);
result level: only that function failed (business rule, e.g. "Invalid Project") - never retried.
Rate limits (GW-0010 / HTTP 429) and 5xx gateway errors are retryable. BL01001973 is a generic
wrapper code, so classification reads description2, not the code alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from copilot.errors import UpstreamError

_SUPPORT_ID = re.compile(r"\s*\[Support ID:\s*([^\]]*)\]\s*")


@dataclass(frozen=True)
class ErrorDetail:
    """One ``<error>`` of an ``<errormessage>``; ``support_id`` is lifted out of description2."""

    errorno: str = ""
    description: str = ""
    description2: str = ""
    correction: str = ""
    support_id: str | None = None

    @classmethod
    def make(cls, errorno: str = "", description: str = "", description2: str = "",
             correction: str = "") -> "ErrorDetail":
        support = None
        found = _SUPPORT_ID.search(description2 or "")
        if found:
            support = found.group(1).strip()
            description2 = _SUPPORT_ID.sub(" ", description2).strip()
        return cls((errorno or "").strip(), (description or "").strip(), (description2 or "").strip(),
                   (correction or "").strip(), support)

    @property
    def text(self) -> str:
        return " ".join(p for p in (self.errorno, self.description, self.description2) if p)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}


def _message(level: str, errors: Sequence[ErrorDetail], function: str | None) -> str:
    what = f"{function} " if function else ""
    detail = "; ".join(e.text for e in errors) or "no error details given"
    return f"Intacct {what}{level} failure - {detail}"


class IntacctError(UpstreamError):
    """An Intacct failure. ``level`` is control | authentication | result | http."""

    code = "intacct-error"
    retryable = False

    def __init__(self, message: str | None = None, *, level: str = "control",
                 errors: Sequence[ErrorDetail] = (), function: str | None = None,
                 controlid: str | None = None, http_status: int | None = None) -> None:
        self.level, self.errors = level, list(errors)
        self.function, self.controlid, self.http_status = function, controlid, http_status
        super().__init__(message or _message(level, self.errors, function), level=level,
                         errors=[e.to_dict() for e in self.errors] or None, function=function,
                         controlid=controlid, http_status=http_status)


class IntacctControlError(IntacctError):
    code = "intacct-control-error"


class IntacctAuthError(IntacctError):
    """Credentials or sender authorization rejected (authentication level, or XL03000006 at control)."""

    code = "intacct-auth-error"


class IntacctBusinessError(IntacctError):
    """A function's result failed: the data was rejected. The user can act on it; retrying cannot."""

    code = "intacct-business-error"
    status = 422


class IntacctTransientError(IntacctError):
    """Worth retrying with backoff: gateway 5xx, timeouts, temporary unavailability."""

    code = "intacct-transient-error"
    status = 503
    retryable = True


class IntacctRateLimited(IntacctTransientError):
    """GW-0010 / HTTP 429."""

    code = "intacct-rate-limited"
    status = 429


_AUTH_CODES = {"XL03000006", "GW-0011"}
_AUTH_WORDS = ("sign-in information is incorrect", "not authorized", "partner id or password",
               "invalid session", "session has expired", "authentication")
_TRANSIENT_WORDS = ("temporarily unavailable", "try again later", "service unavailable", "timed out",
                    "timeout", "maintenance", "too many concurrent")
_RATE_WORDS = ("rate limit", "too many requests")


def classify(level: str, errors: Sequence[ErrorDetail], *, http_status: int | None = None) -> type[IntacctError]:
    """Pick the exception class for failures at ``level`` (control | authentication | result)."""
    codes = {e.errorno.upper() for e in errors}
    text = " ".join(f"{e.description} {e.description2} {e.correction}" for e in errors).lower()
    if http_status == 429 or "GW-0010" in codes or any(w in text for w in _RATE_WORDS):
        return IntacctRateLimited
    if (http_status is not None and http_status >= 500) or any(w in text for w in _TRANSIENT_WORDS):
        return IntacctTransientError
    if level == "authentication" or codes & _AUTH_CODES or (
            level == "control" and any(w in text for w in _AUTH_WORDS)):
        return IntacctAuthError
    if level == "result":
        return IntacctBusinessError
    return IntacctControlError


def error_for_http(status: int, body: str = "") -> IntacctError | None:
    """An HTTP status without a parsable response (the gateway answered): 429 and 5xx are retryable."""
    if status < 400:
        return None
    detail = ErrorDetail.make(errorno=f"HTTP {status}", description2=body[:300].strip())
    cls = classify("control", [detail], http_status=status)
    return cls(level="http", errors=[detail], http_status=status)
