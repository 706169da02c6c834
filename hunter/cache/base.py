"""The cache interface: JSON-serialisable values with a TTL, and hit/miss counters.

Keys hold everything that changes the answer (e.g. the enrichment databases' versions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    errors: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def snapshot(self) -> dict[str, Any]:
        return {"hits": self.hits, "misses": self.misses, "errors": self.errors,
                "hit_rate": round(self.hit_rate, 4), **self.extra}


class Cache(Protocol):
    name: str
    stats: CacheStats
    local: bool     # True: no I/O (in-process), so it may be read on the event loop

    def get(self, key: str) -> Any | None:
        """The value, or None when absent or expired (a cache failure counts as a miss)."""
        ...

    def set(self, key: str, value: Any, *, ttl: float) -> None:
        """Store ``value`` (JSON-serialisable) for ``ttl`` seconds; failures are counted, not raised."""
        ...

    def close(self) -> None: ...
