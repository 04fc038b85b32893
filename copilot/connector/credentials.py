"""Intacct credentials, and the redaction that keeps them out of logs, errors and reprs.

Values come from settings (``COPILOT_INTACCT_*`` or the YAML config) and fall back to the variables
the official SDKs read (``INTACCT_SENDER_ID``, ``INTACCT_USER_PASSWORD``, ...). Every credential,
including the identifiers (sender ID, user ID, company ID) and the session/OAuth tokens obtained at
run time, is registered with a ``Redactor``; the connector passes every message it raises or logs
through it, because Intacct itself echoes identifiers back in its error texts ("The sender ID 'x' is
not authorized ...").
"""

from __future__ import annotations

import html
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from copilot.errors import ConfigurationError
from copilot.settings import Settings

MASK = "[redacted]"
# Values this short would mask ordinary words; they are still never logged by us, just not scrubbed.
_MIN_SCRUB_LEN = 3


class Redactor:
    """Replaces every registered secret value in a text. Thread-safe; secrets can be added later."""

    def __init__(self, *values: str | None):
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*values)

    def add(self, *values: str | SecretStr | None) -> None:
        with self._lock:
            for v in values:
                if isinstance(v, SecretStr):
                    v = v.get_secret_value()
                if v and len(v) >= _MIN_SCRUB_LEN:
                    # Intacct echoes values inside XML, so the escaped spellings are secrets too.
                    self._values.update({v, html.escape(v, quote=True), html.escape(v, quote=False),
                                         html.escape(v, quote=True).replace("&#x27;", "&#039;")})
            # longest first, so a secret containing another is masked whole
            alts = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(a) for a in alts)) if alts else None

    def __call__(self, text: Any) -> str:
        s = str(text)
        pattern = self._pattern
        if pattern is None:
            return s
        return pattern.sub(MASK, s)

    def __repr__(self) -> str:
        return f"Redactor({len(self._values)} values)"


class RedactingFilter(logging.Filter):
    """Scrubs a log record's message and arguments before any handler sees them."""

    def __init__(self, redactor: Redactor):
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            return True
        record.msg, record.args = self.redactor(message), None
        return True


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _secret(value: SecretStr | str | None, *env: str) -> SecretStr | None:
    if isinstance(value, str):  # a Settings built without validation (model_copy) holds plain str
        value = SecretStr(value)
    if value is not None and value.get_secret_value():
        return value
    raw = _env(*env)
    return SecretStr(raw) if raw else None


@dataclass(frozen=True)
class XmlCredentials:
    """Web Services (XML API) credentials: the sender pair plus the company user."""

    sender_id: str = field(repr=False)
    sender_password: SecretStr = field(repr=False)
    user_id: str = field(repr=False)
    company_id: str = field(repr=False)
    user_password: SecretStr = field(repr=False)
    entity: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "XmlCredentials":
        values = {
            "sender_id": settings.intacct_sender_id or _env("INTACCT_SENDER_ID"),
            "sender_password": _secret(settings.intacct_sender_password, "INTACCT_SENDER_PASSWORD"),
            "user_id": settings.intacct_user_id or _env("INTACCT_USER_ID"),
            "company_id": settings.intacct_company_id or _env("INTACCT_COMPANY_ID"),
            "user_password": _secret(settings.intacct_user_password, "INTACCT_USER_PASSWORD"),
        }
        missing = [k for k, v in values.items() if not v]
        if missing:
            names = ", ".join(f"intacct_{m} (COPILOT_INTACCT_{m.upper()})" for m in missing)
            raise ConfigurationError(f"Intacct XML credentials are incomplete: set {names}")
        return cls(entity=settings.intacct_entity or _env("INTACCT_ENTITY_ID"), **values)  # type: ignore[arg-type]

    def secrets(self) -> list[str]:
        return [self.sender_id, self.sender_password.get_secret_value(), self.user_id, self.company_id,
                self.user_password.get_secret_value()]


@dataclass(frozen=True)
class RestCredentials:
    """REST API OAuth2 credentials: client credentials, optionally a refresh token."""

    client_id: str = field(repr=False)
    client_secret: SecretStr = field(repr=False)
    refresh_token: SecretStr | None = field(default=None, repr=False)
    username: str | None = field(default=None, repr=False)
    entity: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "RestCredentials":
        client_id = settings.intacct_client_id or _env("INTACCT_CLIENT_ID")
        client_secret = _secret(settings.intacct_client_secret, "INTACCT_CLIENT_SECRET")
        if not client_id or not client_secret:
            raise ConfigurationError("Intacct REST credentials are incomplete: set intacct_client_id and "
                                     "intacct_client_secret (COPILOT_INTACCT_CLIENT_ID / _CLIENT_SECRET)")
        return cls(client_id=client_id, client_secret=client_secret,
                   refresh_token=_secret(settings.intacct_refresh_token, "INTACCT_REFRESH_TOKEN"),
                   username=settings.intacct_oauth_username, entity=settings.intacct_entity)

    def secrets(self) -> list[str]:
        out = [self.client_id, self.client_secret.get_secret_value()]
        if self.refresh_token is not None:
            out.append(self.refresh_token.get_secret_value())
        if self.username:
            out.append(self.username)
        return out
