"""HTTP to Intacct: one place for timeouts, the per-company concurrency limit and retries.

Retried (tenacity, exponential backoff with jitter, Retry-After honoured): HTTP 429 and GW-0010 rate
limits, HTTP 5xx, timeouts and connection failures. Never retried: anything Intacct answered with a
business, authentication or validation error. A failure after which the request *may* have been
processed (a read timeout, a 5xx: Intacct's "mid-process failure") is marked ``ambiguous``; callers
retry those only when a repeat is harmless (reads, or XML writes protected by uniqueid).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from copilot.connector.credentials import Redactor, RedactingFilter
from copilot.errors import UpstreamError
from copilot.settings import Settings

T = TypeVar("T")

# One logger for the whole connector, one process-wide redactor on it: a filter on a parent logger
# does not see records of child loggers, so every connector module logs through this exact logger.
log = logging.getLogger("copilot.connector")
REDACT = Redactor()
for _name in ("copilot.connector", "httpx", "httpcore"):
    logging.getLogger(_name).addFilter(RedactingFilter(REDACT))


class RetryableError(UpstreamError):
    """A failure worth trying again. ``ambiguous``: the request may have been processed anyway."""

    code = "upstream-unavailable"
    status = 503

    def __init__(self, message: str, *, retry_after: float | None = None, ambiguous: bool = False, **details: Any):
        super().__init__(REDACT(message), **details)
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class RateLimited(RetryableError):
    code = "upstream-rate-limited"


class TransientError(RetryableError):
    pass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_s: float = 1.0
    max_s: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "RetryPolicy":
        return cls(settings.intacct_max_attempts, settings.intacct_backoff_initial_s, settings.intacct_backoff_max_s)

    def wait(self, attempt: int, exc: BaseException | None) -> float:
        # Full jitter keeps several workers that were throttled together from retrying together.
        import random

        backoff = min(self.max_s, self.initial_s * (2 ** (attempt - 1)))
        delay = random.uniform(backoff / 2, backoff)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            delay = max(delay, min(float(retry_after), self.max_s))
        return delay


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date; the exponential backoff is good enough


class Transport:
    """An httpx client behind a semaphore, plus the retry loop the clients wrap their calls in."""

    def __init__(self, *, policy: RetryPolicy, timeout_s: float, max_concurrency: int,
                 client: httpx.Client | None = None, sleep: Callable[[float], None] = time.sleep):
        self.policy = policy
        self.timeout_s = timeout_s
        self._client = client or httpx.Client(timeout=timeout_s, follow_redirects=False)
        self._owns_client = client is None
        # Intacct counts concurrent requests per company; more than allowed come back as 429/GW-0010.
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._sleep = sleep
        self.requests_sent = 0

    @classmethod
    def from_settings(cls, settings: Settings, **kw: Any) -> "Transport":
        return cls(policy=RetryPolicy.from_settings(settings), timeout_s=settings.intacct_timeout_s,
                   max_concurrency=settings.intacct_max_concurrency, **kw)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        """One HTTP exchange. 429/5xx/timeouts become RetryableError; other statuses are returned."""
        with self._slots:
            self.requests_sent += 1
            try:
                resp = self._client.request(method, url, **kw)
            except httpx.TimeoutException as exc:
                # A connect timeout never reached Intacct; a read timeout may have been processed.
                raise TransientError(f"Intacct did not answer within {self.timeout_s:g}s ({type(exc).__name__})",
                                     ambiguous=not isinstance(exc, httpx.ConnectTimeout)) from None
            except httpx.TransportError as exc:
                raise TransientError(f"cannot reach Intacct ({type(exc).__name__})",
                                     ambiguous=not isinstance(exc, httpx.ConnectError)) from None
        if resp.status_code == 429:
            raise RateLimited("Intacct rate limit (HTTP 429)", retry_after=_retry_after(resp))
        if resp.status_code >= 500:
            raise TransientError(f"Intacct answered HTTP {resp.status_code}", ambiguous=True,
                                 retry_after=_retry_after(resp))
        return resp

    def retrying(self, fn: Callable[[int], T], *, what: str, retry_ambiguous: bool = True) -> T:
        """Call ``fn(attempt_number)`` until it returns, retrying RetryableError per the policy."""

        def retryable(exc: BaseException) -> bool:
            # RetryableError: HTTP-level trouble seen here; IntacctError.retryable: a GW-0010 or
            # "temporarily unavailable" that Intacct answered in the XML body (so nothing ran).
            if isinstance(exc, RetryableError):
                return retry_ambiguous or not exc.ambiguous
            return bool(getattr(exc, "retryable", False))

        def before_sleep(state) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning("Intacct %s failed (%s); retry %d/%d in %.2fs", what, exc, state.attempt_number,
                        self.policy.attempts - 1, state.next_action.sleep if state.next_action else 0.0)

        retrier = Retrying(stop=stop_after_attempt(self.policy.attempts), retry=retry_if_exception(retryable),
                           wait=lambda s: self.policy.wait(s.attempt_number,
                                                           s.outcome.exception() if s.outcome else None),
                           sleep=self._sleep, before_sleep=before_sleep, reraise=True)
        try:
            for attempt in retrier:
                with attempt:
                    return fn(attempt.retry_state.attempt_number)
        except UpstreamError as exc:
            if not retryable(exc):
                raise
            raise UpstreamError(REDACT(f"Intacct {what} failed after {self.policy.attempts} attempts: "
                                       f"{exc.message}"), attempts=self.policy.attempts) from None
        raise AssertionError("unreachable")  # pragma: no cover
