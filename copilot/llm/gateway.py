"""One door to any LLM provider, through litellm, answering JSON.

Retries with exponential backoff on what is worth retrying (rate limits, timeouts, connection
errors, 5xx) and never on other 4xx (a bad key or a rejected request will not get better). Every
failure becomes an ``LLMError`` (an ``UpstreamError``), so callers handle one family and fall back.
litellm is imported on first use: it takes seconds to import and most runs use no LLM.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from copilot.errors import ConfigurationError, UpstreamError
from copilot.settings import Settings

log = logging.getLogger(__name__)


class LLMError(UpstreamError):
    """The LLM could not give a usable answer."""

    code = "llm-error"
    retryable = False


class LLMRateLimited(LLMError):
    code = "llm-rate-limited"
    retryable = True


class LLMTimeout(LLMError):
    code = "llm-timeout"
    retryable = True


class LLMUnavailable(LLMError):
    """Connection refused/reset or a 5xx from the provider."""

    code = "llm-unavailable"
    retryable = True


class LLMRejected(LLMError):
    """A 4xx other than 429: bad key, unknown model, request refused. Not retried."""

    code = "llm-rejected"


class LLMBadResponse(LLMError):
    """The provider answered, but not with a JSON object."""

    code = "llm-bad-response"


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)


def parse_json_object(content: str | None) -> dict[str, Any]:
    if not content or not content.strip():
        raise LLMBadResponse("the LLM returned an empty message")
    fenced = _FENCE.match(content)
    text = fenced.group(1) if fenced else content
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LLMBadResponse(f"the LLM answer is not valid JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(data, dict):
        raise LLMBadResponse(f"the LLM answer is JSON but not an object (got {type(data).__name__})")
    return data


def _map_error(exc: Exception, model: str) -> LLMError:
    """litellm raises provider-neutral exceptions carrying ``status_code``; sort them by retryability."""
    import litellm

    status = getattr(exc, "status_code", None)
    first_line = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, litellm.Timeout) or status == 408:
        return LLMTimeout(f"{model}: no answer within the timeout ({first_line})", status_code=status)
    if isinstance(exc, litellm.RateLimitError) or status == 429:
        return LLMRateLimited(f"{model}: rate limited (429)", status_code=429)
    if isinstance(exc, litellm.APIConnectionError) or (isinstance(status, int) and status >= 500):
        return LLMUnavailable(f"{model}: provider unavailable ({first_line})", status_code=status)
    if isinstance(status, int) and 400 <= status < 500:
        return LLMRejected(f"{model}: request rejected with {status} ({first_line})", status_code=status)
    return LLMError(f"{model}: {type(exc).__name__}: {first_line}")


class LLMGateway:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Per thread: the API serves requests concurrently and each reports its own attempts.
        self._local = threading.local()

    @property
    def attempts(self) -> int:
        """Attempts made by this thread's last complete_json call."""
        return getattr(self._local, "attempts", 0)

    @property
    def last_usage(self) -> dict[str, Any]:
        """Token counts and latency of this thread's last successful call."""
        return getattr(self._local, "usage", {})

    @property
    def model(self) -> str | None:
        return self.settings.llm_model

    def complete_json(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        """Send chat messages, return the answer parsed as a JSON object, or raise an LLMError."""
        if not self.settings.llm_model:
            raise ConfigurationError("no LLM configured (set COPILOT_LLM_MODEL)")
        self._local.attempts = 0
        retrying = Retrying(
            stop=stop_after_attempt(1 + max(0, self.settings.llm_max_retries)),
            wait=wait_exponential(multiplier=self.settings.llm_retry_backoff_s,
                                  max=self.settings.llm_retry_backoff_max_s),
            retry=retry_if_exception_type((LLMRateLimited, LLMTimeout, LLMUnavailable)),
            reraise=True,
            before_sleep=lambda state: log.warning("LLM attempt %d failed (%s); retrying",
                                                   state.attempt_number, state.outcome.exception()),
        )
        for attempt in retrying:
            with attempt:
                content = self._call(messages)
        try:
            return parse_json_object(content)
        except LLMBadResponse as exc:
            raise LLMBadResponse(f"{self.settings.llm_model}: {exc.message}") from None

    def _call(self, messages: list[dict[str, str]]) -> str | None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the price list
        import litellm

        litellm.suppress_debug_info = True
        model = self.settings.llm_model or ""
        self._local.attempts = self.attempts + 1
        kwargs: dict[str, Any] = {}
        if self.settings.llm_api_base:
            kwargs["api_base"] = self.settings.llm_api_base
        if self.settings.llm_api_key:
            kwargs["api_key"] = self.settings.llm_api_key
        started = time.perf_counter()
        try:
            response = litellm.completion(
                model=model,
                messages=messages,
                timeout=self.settings.llm_timeout_s,
                temperature=0,
                response_format={"type": "json_object"},
                drop_params=True,  # providers without JSON mode still get the request
                max_retries=0,  # retries are ours (tenacity), not the SDK's, so they are counted once
                num_retries=0,
                **kwargs,
            )
        except Exception as exc:  # noqa: BLE001 - every provider failure becomes an LLMError
            raise _map_error(exc, model) from exc
        usage = getattr(response, "usage", None)
        self._local.usage = {
            "prompt_tokens": getattr(usage, "prompt_tokens", None),
            "completion_tokens": getattr(usage, "completion_tokens", None),
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        try:
            return response.choices[0].message.content
        except (AttributeError, IndexError) as exc:
            raise LLMBadResponse(f"{model}: the answer has no message ({exc})") from None
