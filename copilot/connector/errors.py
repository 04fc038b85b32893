"""Connector-level failures the caller can act on, on top of copilot.errors.

``WriteOutcomeUnknown``: a create/update may or may not have reached the ledger (a timeout or 5xx
after sending); the caller must look before writing again, so it is never retried blindly.
"""

from __future__ import annotations

from copilot.errors import Conflict, UpstreamError


class WriteOutcomeUnknown(UpstreamError):
    code = "upstream-write-unknown"


class DuplicateRequest(Conflict):
    """Intacct refused a retried write because its control id was already processed (uniqueid)."""

    code = "duplicate-request"
