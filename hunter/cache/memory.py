"""An in-process TTL cache with LRU eviction (the embedded default)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .base import CacheStats


class MemoryCache:
    name = "memory"
    local = True        # no I/O: callers may read it on the event loop

    def __init__(self, *, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._max, self._clock = max_entries, clock
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def get(self, key: str) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock():
                if entry is not None:
                    del self._entries[key]
                self.stats.misses += 1
                return None
            self._entries.move_to_end(key)
            self.stats.hits += 1
            return entry[1]

    def set(self, key: str, value: Any, *, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
            self.stats.extra["entries"] = len(self._entries)

    def close(self) -> None:
        with self._lock:
            self._entries.clear()
