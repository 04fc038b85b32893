"""One exception hierarchy for the whole product.

The HTTP layer maps each class to an RFC 9457 problem+json response (``status`` and ``type``);
the CLI maps it to an exit code and a one-line message. Domain code raises these, never HTTP errors.
"""

from __future__ import annotations

from typing import Any


class CopilotError(Exception):
    """Base class. ``code`` is a stable machine-readable slug used as the problem ``type``."""

    code = "copilot-error"
    status = 500
    exit_code = 1

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = {k: v for k, v in details.items() if v is not None}

    def to_problem(self) -> dict[str, Any]:
        return {
            "type": f"https://gl-copilot.dev/problems/{self.code}",
            "title": self.__class__.__name__,
            "status": self.status,
            "detail": self.message,
            **self.details,
        }


class InputError(CopilotError):
    """Something a user sent is unusable."""

    code = "invalid-input"
    status = 422
    exit_code = 2


class ParseError(InputError):
    """A payload or file could not be read. Names the line and field where it can."""

    code = "parse-error"

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None,
                 source: str | None = None, **details: Any) -> None:
        where = ", ".join(p for p in (
            f"{source}" if source else None,
            f"line {line}" if line is not None else None,
            f"field {field}" if field else None,
        ) if p)
        super().__init__(f"{where}: {message}" if where else message,
                         line=line, field=field, source=source, **details)
        self.line, self.field = line, field


class NotFound(CopilotError):
    code = "not-found"
    status = 404
    exit_code = 3


class Conflict(CopilotError):
    code = "conflict"
    status = 409
    exit_code = 4


class AuthenticationError(CopilotError):
    code = "unauthenticated"
    status = 401
    exit_code = 5


class PermissionDenied(CopilotError):
    code = "forbidden"
    status = 403
    exit_code = 5


class ConfigurationError(CopilotError):
    """The service is not set up for this request (a missing secret, a closed store): 503, not a crash."""

    code = "configuration-error"
    status = 503
    exit_code = 6


class UpstreamError(CopilotError):
    """A dependency (Intacct, an LLM provider, a vector server) failed."""

    code = "upstream-error"
    status = 502
    exit_code = 7
