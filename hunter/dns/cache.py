"""In-memory cache of final ``Answer`` values, keyed by everything that changes an answer.

Rules (docs/dns.md, "Cache"):
- key = (name, rdtype, resolver-set identity): two resolver configurations never share;
- ``ok`` answers live for their TTL clamped to [floor, ceiling];
- ``nxdomain`` / ``nodata`` live for their RFC 2308 negative TTL (SOA in the authority
  section) clamped to [floor, negative ceiling]; without an SOA they are not cached;
- ``error`` answers are never cached;
- bounded: the least recently used entry goes first when full.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from .facts import Answer
from .options import DnsOptions

__all__ = ["CacheKey", "DnsCache"]

Clock = Callable[[], float]


class CacheKey(NamedTuple):
    name: str
    rdtype: str
    resolvers: str   # ResolverSets.identity


class _Entry(NamedTuple):
    answer: Answer
    expires: float


class DnsCache:
    """``get``/``set`` with TTLs and hit/miss counters, like every Hunter cache."""

    def __init__(self, *, ttl_floor: int = 60, ttl_ceiling: int = 86_400,
                 negative_ceiling: int = 3_600, max_entries: int = 200_000,
                 clock: Clock = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("DnsCache max_entries must be >= 1")
        self.ttl_floor, self.ttl_ceiling = ttl_floor, ttl_ceiling
        self.negative_ceiling, self.max_entries = negative_ceiling, max_entries
        self.clock = clock
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[CacheKey, _Entry] = OrderedDict()

    @classmethod
    def from_options(cls, options: DnsOptions, *, clock: Clock = time.monotonic) -> DnsCache:
        return cls(ttl_floor=options.cache_ttl_floor, ttl_ceiling=options.cache_ttl_ceiling,
                   negative_ceiling=options.cache_negative_ceiling,
                   max_entries=options.cache_max_entries, clock=clock)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: CacheKey) -> Answer | None:
        """The cached answer (``from_cache=True``, ``ttl`` = seconds left) or None."""
        entry = self._entries.get(key)
        now = self.clock()
        if entry is None or entry.expires <= now:
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        left = math.ceil(entry.expires - now)
        return dataclasses.replace(entry.answer, from_cache=True, ttl=left)

    def set(self, key: CacheKey, answer: Answer) -> bool:
        """Store ``answer`` for its clamped lifetime; False when the rules forbid caching it."""
        lifetime = self.lifetime(answer)
        if lifetime is None or lifetime <= 0:
            return False
        stored = dataclasses.replace(answer, from_cache=False)
        self._entries[key] = _Entry(stored, self.clock() + lifetime)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return True

    def lifetime(self, answer: Answer) -> int | None:
        """Seconds ``answer`` may be kept, or None when it must not be cached."""
        if answer.status == "error":
            return None
        if answer.status == "ok":
            ttl = answer.ttl if answer.ttl is not None else self.ttl_floor
            return _clamp(ttl, self.ttl_floor, self.ttl_ceiling)
        if answer.ttl is None:
            return None  # RFC 2308 §5: no SOA, no negative caching
        return _clamp(answer.ttl, min(self.ttl_floor, self.negative_ceiling), self.negative_ceiling)

    def invalidate(self, domain: str) -> int:
        """Drop every entry for ``domain`` and names under it; returns how many went."""
        domain = domain.lower().rstrip(".")
        suffix = "." + domain
        doomed = [key for key in self._entries if key.name == domain or key.name.endswith(suffix)]
        for key in doomed:
            del self._entries[key]
        return len(doomed)

    def clear(self) -> None:
        self._entries.clear()


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))
