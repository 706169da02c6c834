from __future__ import annotations

import pytest

from hunter.dns.cache import CacheKey, DnsCache
from hunter.dns.facts import Answer, Query
from hunter.dns.options import DnsOptions


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(clock: Clock) -> DnsCache:
    return DnsCache.from_options(DnsOptions(), clock=clock)


def key(name: str = "example.test", rdtype: str = "A", resolvers: str = "r1") -> CacheKey:
    return CacheKey(name, rdtype, resolvers)


def answer(status: str = "ok", ttl: int | None = 300, name: str = "example.test") -> Answer:
    records = ("192.0.2.1",) if status == "ok" else ()
    return Answer(Query(name, "A"), status, records, ttl=ttl, resolver="127.0.0.1:5300")  # type: ignore[arg-type]


def alive_at(cache: DnsCache, clock: Clock, seconds: float) -> bool:
    clock.now = 1000.0 + seconds
    return cache.get(key()) is not None


def test_hit_returns_the_answer_marked_from_cache(cache: DnsCache, clock: Clock) -> None:
    cache.set(key(), answer(ttl=300))
    clock.now += 100
    hit = cache.get(key())
    assert hit is not None and hit.from_cache and hit.records == ("192.0.2.1",)
    assert hit.ttl == 200
    assert (cache.hits, cache.misses) == (1, 0)


def test_short_ttl_is_raised_to_the_floor(cache: DnsCache, clock: Clock) -> None:
    cache.set(key(), answer(ttl=5))
    assert alive_at(cache, clock, 59)
    assert not alive_at(cache, clock, 61)


def test_long_ttl_is_cut_to_the_ceiling(cache: DnsCache, clock: Clock) -> None:
    cache.set(key(), answer(ttl=10**7))
    assert alive_at(cache, clock, 86_399)
    assert not alive_at(cache, clock, 86_401)


def test_negative_answers_live_for_the_soa_ttl_up_to_the_negative_ceiling(
        cache: DnsCache, clock: Clock) -> None:
    cache.set(key(), answer("nxdomain", ttl=7200))
    assert alive_at(cache, clock, 3599)
    assert not alive_at(cache, clock, 3601)


def test_nodata_uses_its_negative_ttl(cache: DnsCache, clock: Clock) -> None:
    cache.set(key(), answer("nodata", ttl=120))
    assert alive_at(cache, clock, 119)
    assert not alive_at(cache, clock, 121)


def test_negative_answer_without_soa_is_not_cached(cache: DnsCache) -> None:
    assert not cache.set(key(), answer("nxdomain", ttl=None))
    assert len(cache) == 0


def test_errors_are_never_cached(cache: DnsCache) -> None:
    assert not cache.set(key(), answer("error", ttl=300))
    assert cache.get(key()) is None


def test_resolver_sets_never_share_answers(cache: DnsCache) -> None:
    cache.set(key(resolvers="r1"), answer())
    assert cache.get(key(resolvers="r2")) is None
    assert cache.get(key(resolvers="r1")) is not None


def test_invalidate_drops_the_domain_and_names_under_it(cache: DnsCache) -> None:
    names = ["example.test", "www.example.test", "_dmarc.example.test", "notexample.test", "other.test"]
    for name in names:
        cache.set(key(name), answer(name=name))
    assert cache.invalidate("Example.Test.") == 3
    assert {name for name in names if cache.get(key(name))} == {"notexample.test", "other.test"}


def test_least_recently_used_entry_goes_first(clock: Clock) -> None:
    small = DnsCache(max_entries=2, clock=clock)
    small.set(key("a.test"), answer(name="a.test"))
    small.set(key("b.test"), answer(name="b.test"))
    assert small.get(key("a.test")) is not None          # a is now the most recent
    small.set(key("c.test"), answer(name="c.test"))
    assert len(small) == 2
    assert small.get(key("b.test")) is None
    assert small.get(key("a.test")) is not None and small.get(key("c.test")) is not None
