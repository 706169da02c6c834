"""A Redis-backed cache (``HUNTER_REDIS_URL``): shared by every worker and API process.

Values are stored as JSON under ``hunter:<namespace>:<key>`` with Redis' own expiry.  A Redis
failure never breaks the caller: it counts as a miss (or a skipped write) and is logged once
per outage, without the URL's password.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from .base import CacheStats

log = logging.getLogger("hunter.cache")


class RedisCache:
    name = "redis"
    local = False       # every call is a network round trip: never on the event loop

    def __init__(self, url: str, *, namespace: str, client: Any | None = None,
                 timeout: float = 0.5) -> None:
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError("Redis caching needs the 'redis' package: pip install 'hunter[redis]'") from exc
        self._client = client or redis.Redis.from_url(url, socket_timeout=timeout,
                                                      socket_connect_timeout=timeout)
        self._errors = (redis.RedisError, OSError)
        self._prefix = f"hunter:{namespace}:"
        self._failing = False
        self.stats = CacheStats()

    def get(self, key: str) -> Any | None:
        try:
            raw = self._client.get(self._prefix + key)
        except self._errors as exc:
            self._failed("get", exc)
            self.stats.misses += 1
            return None
        self._failing = False
        if raw is None:
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return json.loads(raw)

    def set(self, key: str, value: Any, *, ttl: float) -> None:
        try:
            self._client.set(self._prefix + key, json.dumps(value, separators=(",", ":")),
                             px=max(1, int(ttl * 1000)))
        except self._errors as exc:
            self._failed("set", exc)
            return
        self._failing = False

    def close(self) -> None:
        self._client.close()

    def _failed(self, operation: str, exc: Exception) -> None:
        self.stats.errors += 1
        if not self._failing:
            log.warning("redis cache %s failed: %s", operation, type(exc).__name__,
                        extra={"event": "cache_error", "operation": operation})
        self._failing = True
