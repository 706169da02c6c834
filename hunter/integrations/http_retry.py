"""Retry pacing shared by the HTTP clients (Partner Center, Dataverse): backoff and ``Retry-After``.

``Backoff.delay(n)`` is ``base * 2**n`` seconds with full jitter, capped; ``retry_after(value)``
reads a ``Retry-After`` header (seconds or an HTTP date); ``pause`` says how long to wait before
the next attempt after an HTTP status (None: the answer is final) and ``exhausted`` is the error
for a status still failing when the attempts are spent.  Pure: no I/O, the clock only for a date.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import IntegrationError, IntegrationUnavailable, RateLimited

MAX_WAIT = 300.0                      # never sleep longer than this for one Retry-After


@dataclass(frozen=True, slots=True)
class Backoff:
    """Retry pacing: ``base * 2**n`` seconds with full jitter, capped."""

    base: float = 1.0
    cap: float = 60.0

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        return rand() * min(self.cap, self.base * 2 ** attempt)


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date; None when absent or unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def pause(status: int, retry_after_header: str | None, attempt: int, backoff: Backoff) -> float | None:
    """Seconds to wait after ``status`` before attempt ``attempt + 1``, or None when the answer is final:
    429 and 503 honour ``Retry-After`` (at most ``MAX_WAIT``), other 5xx back off."""
    if status in (429, 503):
        after = retry_after(retry_after_header)
        return min(after, MAX_WAIT) if after is not None else backoff.delay(attempt)
    return backoff.delay(attempt) if status >= 500 else None


def exhausted(system: str, status: int, said: str, *, attempts: int,
              retry_after_header: str | None) -> IntegrationError | None:
    """The error for a 429 or 5xx still answered after ``attempts``; None for any other status."""
    if status == 429:
        return RateLimited(system, f"still throttled after {attempts} attempts: {said}",
                           retry_after=retry_after(retry_after_header))
    if status >= 500:
        return IntegrationUnavailable(system, f"failing after {attempts} attempts: {said}")
    return None


__all__ = ["Backoff", "MAX_WAIT", "exhausted", "pause", "retry_after"]
