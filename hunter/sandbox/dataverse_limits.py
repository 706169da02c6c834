"""Service protection limits of the Dataverse stand-in (reference B.8).

Faithful: three limits per user (the caller's application user), over a sliding window
(300 s by default): the number of requests (6000), their combined execution time
(1,200,000 ms) and the requests running at once (52).  The first two only refuse once they
have been exceeded within the window; the concurrency limit refuses at once.  A refusal is
``429`` with ``Retry-After: <seconds>`` and the error code and text of the table in B.8.
Successful answers carry the debug headers ``x-ms-ratelimit-burst-remaining-xrm-requests``
and ``x-ms-ratelimit-time-remaining-xrm-requests``.

Choices (Microsoft documents only that "Retry-After grows if you keep pushing"): the wait is
the time until the window frees enough room (at least 1 s; 1 s for concurrency), plus one
second for every refused request in a row before it, at most twice the window.  Refused requests
do not count toward the window.  A ``$batch`` is one request whose execution time is that of
the whole batch (B.7: batches do not dodge the execution-time limit).
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace

from hunter.sandbox import dataverse_errors as errors
from hunter.sandbox.dataverse_errors import DataverseError

__all__ = ["Limits", "ServiceProtection"]


@dataclass(frozen=True, slots=True)
class Limits:
    requests: int = 6000                 # per window
    window_seconds: float = 300.0
    execution_ms: int = 1_200_000        # combined execution time per window
    concurrent: int = 52

    def __post_init__(self) -> None:
        if min(self.requests, self.execution_ms, self.concurrent) < 1 or self.window_seconds <= 0:
            raise ValueError(f"service protection limits must be positive, got {self}")


@dataclass(slots=True)
class _User:
    started: deque[float] = field(default_factory=deque)                 # admitted requests
    work: deque[tuple[float, float]] = field(default_factory=deque)      # (finished at, milliseconds)
    active: int = 0
    pushes: int = 0                                                       # refusals in a row


class ServiceProtection:
    """Admits or refuses each request of a user; thread-safe."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.refused: Counter[str] = Counter()          # "requests", "execution_time", "concurrency"
        self._users: dict[str, _User] = {}
        self._lock = threading.Lock()

    def configure(self, **changes: float) -> Limits:
        """Replace some limits (``requests``, ``window_seconds``, ``execution_ms``, ``concurrent``)."""
        with self._lock:
            self.limits = replace(self.limits, **changes)   # type: ignore[arg-type]
            return self.limits

    def reset(self) -> None:
        """Forget every user's history and the refusal counts."""
        with self._lock:
            self._users = {user: _User(active=state.active) for user, state in self._users.items()}
            self.refused.clear()

    def state(self) -> dict[str, object]:
        with self._lock:
            return {"limits": asdict(self.limits), "refused": dict(self.refused),
                    "active": {user: state.active for user, state in self._users.items() if state.active}}

    @contextlib.contextmanager
    def admit(self, user: str) -> Iterator[dict[str, str]]:
        """Run the block as one request of ``user`` (yields the debug headers); ``DataverseError`` 429 when refused."""
        with self._lock:
            state = self._users.setdefault(user, _User())
            headers = self._check(state, time.monotonic())
            state.pushes = 0
            state.started.append(time.monotonic())
            state.active += 1
        began = time.monotonic()
        try:
            yield headers
        finally:
            ended = time.monotonic()
            with self._lock:
                state.active -= 1
                state.work.append((ended, (ended - began) * 1000))

    def _check(self, state: _User, now: float) -> dict[str, str]:
        limits = self.limits
        _prune(state, now - limits.window_seconds)
        if state.active >= limits.concurrent:
            raise self._refuse(state, "concurrency", errors.too_many_concurrent, limits.concurrent, wait=1.0)
        if len(state.started) >= limits.requests:
            wait = state.started[0] + limits.window_seconds - now
            raise self._refuse(state, "requests", errors.too_many_requests, limits.requests,
                               int(limits.window_seconds), wait=wait)
        spent = sum(ms for _, ms in state.work)
        if spent > limits.execution_ms:
            wait = state.work[0][0] + limits.window_seconds - now
            raise self._refuse(state, "execution_time", errors.too_much_time, limits.execution_ms,
                               int(limits.window_seconds), wait=wait)
        return {"x-ms-ratelimit-burst-remaining-xrm-requests": str(max(0, limits.requests - len(state.started) - 1)),
                "x-ms-ratelimit-time-remaining-xrm-requests": str(max(0, round(limits.execution_ms - spent)))}

    def _refuse(self, state: _User, kind: str, make: Callable[..., DataverseError], *args: int,
                wait: float) -> DataverseError:
        """The 429 for ``kind``; its Retry-After grows by a second with every refusal in a row."""
        state.pushes += 1
        self.refused[kind] += 1
        ceiling = 2 * max(1, math.ceil(self.limits.window_seconds))
        retry_after = min(max(1, math.ceil(wait)) + state.pushes - 1, ceiling)
        return make(*args, retry_after)


def _prune(state: _User, since: float) -> None:
    while state.started and state.started[0] < since:
        state.started.popleft()
    while state.work and state.work[0][0] < since:
        state.work.popleft()
