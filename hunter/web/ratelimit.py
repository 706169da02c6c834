"""Failed sign-ins, counted in memory: at most ``limit`` failures per key in a sliding
``window``; the next attempt is refused (429) until the oldest failure leaves the window.

The lead screen counts two keys per attempt: the name with the client's address (5 failures in
5 minutes), and the address alone (30 in 5 minutes, against trying many names).  A success
clears the first.  The counts live in the process: a restart forgets them, and several
processes each keep their own (docs/web.md).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_KEYS = 50_000


class FailureLimiter:
    def __init__(self, *, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        with self._lock:
            stamps = self._recent(key)
            if stamps is None or len(stamps) < self.limit:
                return 0.0
            return max(0.0, stamps[0] + self.window - self.clock())

    def fail(self, key: str) -> None:
        with self._lock:
            stamps = self._recent(key) or deque()
            stamps.append(self.clock())
            while len(stamps) > self.limit:
                stamps.popleft()
            self._failures[key] = stamps
            self._failures.move_to_end(key)
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float] | None:
        stamps = self._failures.get(key)
        if stamps is None:
            return None
        cutoff = self.clock() - self.window
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
            return None
        return stamps


class LoginLimiter:
    """The two limits of a sign-in: per name and address, and per address."""

    def __init__(self, *, per_name: int = 5, per_address: int = 30, window: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.by_name = FailureLimiter(limit=per_name, window=window, clock=clock)
        self.by_address = FailureLimiter(limit=per_address, window=window, clock=clock)

    def retry_after(self, name: str, address: str) -> float:
        return max(self.by_name.retry_after(_key(name, address)), self.by_address.retry_after(address))

    def fail(self, name: str, address: str) -> None:
        self.by_name.fail(_key(name, address))
        self.by_address.fail(address)

    def succeed(self, name: str, address: str) -> None:
        self.by_name.clear(_key(name, address))


def _key(name: str, address: str) -> str:
    return f"{name.strip().lower()}\x00{address}"


__all__ = ["FailureLimiter", "LoginLimiter"]
