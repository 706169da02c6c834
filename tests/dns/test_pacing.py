"""Pacing a resolver: the token bucket, slowing down when it pushes back, and a scan through a
rate-limited resolver that loses no domain (docs/dns.md, "Pacing")."""

from __future__ import annotations

import asyncio
import time

import dns.zone
import pytest

from hunter.dns import pacing
from hunter.dns.lookup import Resolver
from hunter.dns.options import PUBLIC_FALLBACKS, DnsOptions, Nameserver
from hunter.dns.pacing import Pacer
from hunter.flows.scan import analyze_many
from hunter.sandbox.dns import FaultPlan, RateLimit, SandboxDns
from hunter.settings import Settings
from hunter.wiring import build_context
from tests.dns.support import Clock, options



async def test_a_full_bucket_then_one_query_an_interval_in_order() -> None:
    pacer = Pacer(100)                           # a bucket of 2 (20 ms worth), then 10 ms apart
    loop = asyncio.get_running_loop()
    started, done = loop.time(), []

    async def one(n: int) -> None:
        await pacer.wait()
        done.append((n, loop.time() - started))

    await asyncio.gather(*(one(n) for n in range(6)))
    assert [n for n, _ in done] == list(range(6))
    assert [t for _, t in done[:2]] == pytest.approx([0, 0], abs=0.005)
    assert done[-1][1] == pytest.approx(0.04, abs=0.02)
    assert pacer.backlog() == 0.0


async def test_a_stalled_loop_sends_no_more_than_a_bucket_at_once() -> None:
    pacer = Pacer(1000)                          # a bucket of 20
    loop = asyncio.get_running_loop()
    waiters = [asyncio.ensure_future(pacer.wait()) for _ in range(200)]
    await asyncio.sleep(0)
    assert pacer.backlog() == pytest.approx(0.18, abs=0.01)
    time.sleep(0.1)                              # the loop stalls: 100 tokens' worth of time
    await asyncio.sleep(0.002)
    assert sum(w.done() for w in waiters) <= 20 + 20 + 5
    await asyncio.gather(*waiters)


def test_unpaced_until_the_resolver_pushes_back() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    assert pacer.rate is None and pacer.backlog() == 0.0
    for _ in range(400):                         # 400 answers a second: what it carries
        clock.now += 0.0025
        pacer.answered()
    clock.now += 0.01
    pacer.answered(refused=1, since=clock.now - 0.1)   # refused once, answered on the retry
    assert pacer.rate == pytest.approx(pacing.BETA * 400, rel=0.05) and pacer.throttled


def test_a_name_refused_every_time_is_no_load_signal() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    for _ in range(50):
        pacer.failed()                           # never answered: a policy, not a limit
    assert pacer.rate is None and not pacer.throttled


def test_multiplicative_decrease_then_additive_increase_to_the_ceiling() -> None:
    clock = Clock()
    pacer = Pacer(1000, clock=clock)
    pacer.answered(refused=1, since=clock.now)
    assert pacer.rate == pytest.approx(850)
    pacer.answered(refused=2, since=clock.now)   # within the cooldown: one decrease per episode
    assert pacer.rate == pytest.approx(850) and pacer.decreases == 1
    for _ in range(20):                          # one second of answers: +5 % of 1000
        clock.now += 0.05
        pacer.answered()
    assert pacer.rate == pytest.approx(900)
    clock.now += 10
    pacer.answered()
    assert pacer.rate == 1000                    # never above the fixed limit


def test_a_failure_slotted_before_the_last_decrease_is_old_news() -> None:
    clock = Clock()
    pacer = Pacer(1000, clock=clock)
    before = clock.now
    clock.now += 2
    pacer.answered(refused=1, since=clock.now)
    clock.now += 2                                # past the cooldown
    pacer.answered(refused=1, since=before)       # sent at the old pace
    assert pacer.decreases == 1


def test_timeouts_count_only_when_many_pass() -> None:
    clock = Clock()
    pacer = Pacer(1000, clock=clock)
    for _ in range(200):
        pacer.answered()
    for _ in range(pacing.MIN_TIMEOUTS - 1):
        pacer.answered(timeouts=1, since=clock.now)
    assert pacer.decreases == 0                  # a lossy path loses a few
    pacer.answered(timeouts=1, since=clock.now)
    assert pacer.decreases == 0                  # 5 of 205: under the share
    pacer = Pacer(1000, clock=clock)
    for _ in range(pacing.MIN_TIMEOUTS):
        pacer.answered(timeouts=1, since=clock.now)
    assert pacer.decreases == 1


def test_never_below_the_floor() -> None:
    clock = Clock()
    pacer = Pacer(6, clock=clock)
    for _ in range(10):
        clock.now += 2
        pacer.answered(refused=1, since=clock.now)
    assert pacer.rate == pacing.FLOOR


@pytest.mark.parametrize(("kwargs", "server", "ceiling"), [
    ({}, PUBLIC_FALLBACKS[0], 50.0),                                  # public fallbacks by default
    ({"max_qps": 20}, PUBLIC_FALLBACKS[0], 20.0),                     # the lower of the two
    ({}, Nameserver("192.0.2.53"), None),                             # the system resolver
    ({"max_qps": 1500}, Nameserver("192.0.2.53"), 1500.0),
    ({"nameservers": (Nameserver("8.8.8.8"),), "explicit": True}, Nameserver("8.8.8.8"), None),  # named: yours
])
def test_the_fixed_limit_of_each_resolver(kwargs: dict, server: Nameserver, ceiling: float | None) -> None:
    assert DnsOptions(**kwargs).ceiling(server) == ceiling


def test_settings_reach_the_pacers() -> None:
    ctx_options = DnsOptions.from_addresses(["127.0.0.1:5300"], max_qps=250)
    resolver = Resolver(ctx_options)
    assert [p.ceiling for p in resolver.pacers.values()] == [250]
    assert resolver.metrics.snapshot()["pacing"] == {
        "127.0.0.1:5300": {"rate": 250, "ceiling": 250, "decreases": 0, "backlog": 0.0}}


# --- a scan through a rate-limited resolver --------------------------------------------------

TEMPLATE = """$ORIGIN *.hosted.test.
$TTL 3600
@ IN SOA ns1.hosted.test. hostmaster.hosted.test. ( 1 3600 600 604800 3600 )
@ IN NS ns1.hosted.test.
@ IN MX 10 mx.natrohost.com.
@ IN TXT "v=spf1 include:spf.natrohost.com ~all"
"""
PROVIDERS = """$ORIGIN natrohost.com.
$TTL 3600
@ IN SOA ns1.natrohost.com. hostmaster.natrohost.com. ( 1 3600 600 604800 3600 )
@ IN NS ns1
ns1 IN A 127.0.0.1
spf IN TXT "v=spf1 ip4:198.51.100.128/27 ~all"
mx IN A 198.51.100.130
"""
LIMIT = 400


def limited(action: str = "refused") -> SandboxDns:
    zones = [dns.zone.from_text(TEMPLATE, relativize=False), dns.zone.from_text(PROVIDERS, relativize=False)]
    return SandboxDns(zones, faults=FaultPlan(rate_limit=RateLimit(LIMIT, action=action)))


async def scan(server: SandboxDns, count: int, **settings: object) -> list[str]:
    ctx = build_context(Settings(dns_nameservers=(server.address,), dns_timeout=0.5, **settings))
    try:
        names = (f"firma{i}.hosted.test" for i in range(count))
        return [a.status async for a in analyze_many(names, ctx, concurrency=100)]
    finally:
        await ctx.aclose()


async def test_a_scan_faster_than_the_resolver_allows_loses_no_domain() -> None:
    """About 12 queries a domain, 100 domains at once: Hunter would ask thousands a second; the
    resolver answers 400 and refuses the rest.  Hunter slows down to what it answers."""
    async with limited() as server:
        statuses = await scan(server, 200)
        limit = server.faults.rate_limit
    assert statuses == ["ok"] * 200
    assert limit is not None and limit.busiest_second() <= LIMIT + limit.burst
    answered = sum(limit.answered.values())
    assert limit.limited < answered            # it learnt the pace: most queries were answered first time


async def test_told_the_limit_it_stays_under_it() -> None:
    async with limited() as server:
        statuses = await scan(server, 100, dns_max_qps=LIMIT)
        limit = server.faults.rate_limit
    assert statuses == ["ok"] * 100
    assert limit is not None and limit.busiest_second() <= LIMIT + limit.burst
    assert limit.limited <= 0.1 * sum(limit.answered.values())    # a stalled event loop sends a clump


async def test_a_resolver_that_drops_above_its_limit_is_outwaited() -> None:
    async with limited("drop") as server:
        statuses = await scan(server, 80)
    assert statuses == ["ok"] * 80


async def test_a_policy_refusal_is_still_an_error_at_once(sandbox: SandboxDns) -> None:
    """REFUSED for a name the resolver will never answer (here: outside its zones) fails after
    the usual attempts, without the slower throttled ones, and does not slow the resolver."""
    async with Resolver(options(sandbox, attempts=2)) as resolver:
        answer = await resolver.query("example.com", "A")
        assert resolver.metrics.total("throttled") == 0
        [pacer] = resolver.pacers.values()
    assert answer.status == "error" and pacer.rate is None
