"""Both caches behind one interface; Redis for real on 127.0.0.1:6379 (required in CI)."""

from __future__ import annotations

import os
import uuid

import pytest

from hunter.cache import MemoryCache
from hunter.cache.redis import RedisCache

REDIS_URL = os.environ.get("HUNTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def redis_cache():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            raise RuntimeError(f"Redis is required in CI and is not reachable: {exc}") from exc
        pytest.skip("Redis not reachable on 127.0.0.1:6379 (required in CI)")
    cache = RedisCache(REDIS_URL, namespace=f"test-{uuid.uuid4().hex[:8]}")
    yield cache
    cache.close()


@pytest.fixture(params=["memory", "redis"])
def cache(request):
    return MemoryCache() if request.param == "memory" else request.getfixturevalue("redis_cache")


def test_get_set_and_counters(cache):
    assert cache.get("k") is None
    cache.set("k", {"city": "İstanbul", "asn": 9121}, ttl=60)
    assert cache.get("k") == {"city": "İstanbul", "asn": 9121}
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)
    assert cache.stats.snapshot()["hit_rate"] == 0.5


def test_memory_expiry_and_eviction():
    clock = Clock()
    cache = MemoryCache(max_entries=2, clock=clock)
    cache.set("a", 1, ttl=10)
    clock.now += 11
    assert cache.get("a") is None
    cache.set("a", 1, ttl=10)
    cache.set("b", 2, ttl=10)
    cache.get("a")                      # a is now the most recent
    cache.set("c", 3, ttl=10)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3


def test_redis_expiry_is_redis_own(redis_cache):
    redis_cache.set("short", 1, ttl=0.05)
    import time

    time.sleep(0.15)
    assert redis_cache.get("short") is None


def test_redis_down_is_a_miss_not_an_error(caplog):
    cache = RedisCache("redis://127.0.0.1:1/0", namespace="down", timeout=0.1)
    assert cache.get("x") is None
    cache.set("x", 1, ttl=5)
    assert cache.get("x") is None
    assert cache.stats.errors == 3 and cache.stats.misses == 2
    assert sum("redis cache" in r.getMessage() for r in caplog.records) == 1   # logged once per outage
