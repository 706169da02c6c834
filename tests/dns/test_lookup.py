"""``Resolver`` against sandbox servers on 127.0.0.1: answers, TCP, retry, fallback, cache."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable

import pytest

from hunter.dns.lookup import Resolver
from hunter.sandbox.dns import Fault, SandboxDns
from tests.dns.support import cached, options

Start = Callable[..., Awaitable[SandboxDns]]


def sent(server: SandboxDns, name: str, rdtype: str = "A", transport: str = "udp") -> int:
    return server.stats[(name, rdtype, transport)]


# --- answers ---------------------------------------------------------------------------

async def test_ok_answer_carries_records_ttl_and_resolver(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox)) as resolver:
        answer = await resolver.query("gworkspace.test", "MX")
    assert answer.status == "ok"
    assert answer.records == ("1 aspmx.l.google.com.", "10 alt3.aspmx.l.google.com.",
                              "10 alt4.aspmx.l.google.com.", "5 alt1.aspmx.l.google.com.",
                              "5 alt2.aspmx.l.google.com.")
    assert (answer.ttl, answer.resolver, answer.errors) == (300, sandbox.address, ())


async def test_nxdomain_and_nodata_carry_the_negative_ttl(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox)) as resolver:
        missing = await resolver.query("nothing.edgecases.test", "A")
        nomx = await resolver.query("nomx.edgecases.test", "MX")
    assert (missing.status, missing.records, missing.ttl) == ("nxdomain", (), 300)
    assert (nomx.status, nomx.records, nomx.ttl) == ("nodata", (), 300)


async def test_cname_chain_is_followed(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox)) as resolver:
        answer = await resolver.query("alias1.edgecases.test", "A")
        nodata = await resolver.query("alias1.edgecases.test", "MX")
    assert answer.status == "ok" and answer.records == ("192.0.2.84",)
    assert answer.cnames == ("alias2.edgecases.test", "target.edgecases.test")
    assert nodata.status == "nodata"
    assert nodata.cnames == ("alias2.edgecases.test", "target.edgecases.test")


async def test_cname_query_returns_the_cname_itself(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox)) as resolver:
        answer = await resolver.query("alias1.edgecases.test", "CNAME")
    assert (answer.status, answer.records, answer.cnames) == ("ok", ("alias2.edgecases.test.",), ())


async def test_txt_character_strings_are_joined(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox)) as resolver:
        answer = await resolver.query("split.edgecases.test", "TXT")
    assert answer.records == ("v=spf1 ip4:192.0.2.0/24 include:_spf.google.com -all",)


async def test_null_mx_is_an_ok_record(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox)) as resolver:
        answer = await resolver.query("NullMX.EdgeCases.Test.", "MX")
    assert answer.query.name == "nullmx.edgecases.test"
    assert (answer.status, answer.records) == ("ok", ("0 .",))


async def test_truncated_reply_is_asked_again_over_tcp(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox)) as resolver:
        answer = await resolver.query("truncated.faults.test", "TXT")
        assert resolver.metrics.total("tcp_retries") == 1
    assert answer.records == ("v=spf1 include:_spf.google.com ~all",)
    assert sent(sandbox, "truncated.faults.test", "TXT", "udp") == 1
    assert sent(sandbox, "truncated.faults.test", "TXT", "tcp") == 1


# --- retry ------------------------------------------------------------------------------

async def test_servfail_is_retried_until_it_recovers(sandbox: SandboxDns) -> None:
    sandbox.faults.set("edgecases.test", Fault("servfail", times=2))
    async with Resolver(options(sandbox)) as resolver:
        answer = await resolver.query("edgecases.test", "A")
        assert resolver.metrics.snapshot()["retries"] == {"A": 2}
    assert answer.status == "ok" and answer.records == ("192.0.2.80",)
    assert answer.errors == (f"{sandbox.address} udp: servfail",) * 2
    assert sent(sandbox, "edgecases.test") == 3


async def test_dropped_query_times_out_and_is_retried(sandbox: SandboxDns) -> None:
    sandbox.faults.set("edgecases.test", Fault("drop", times=1))
    async with Resolver(options(sandbox)) as resolver:
        answer = await resolver.query("edgecases.test", "A")
        assert resolver.metrics.total("timeouts") == 1
    assert answer.status == "ok"
    assert answer.errors == (f"{sandbox.address} udp: timeout",)


async def test_refused_is_reported_per_attempt(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox, attempts=2)) as resolver:
        answer = await resolver.query("refused.faults.test", "A")
    assert answer.status == "error"
    assert answer.errors == (f"{sandbox.address} udp: refused",) * 2


async def test_nxdomain_is_final_and_not_retried(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox)) as resolver:
        await resolver.query("nothing.edgecases.test", "A")
        assert resolver.metrics.total("retries") == 0
    assert sent(sandbox, "nothing.edgecases.test") == 1


# --- fallback ---------------------------------------------------------------------------

async def test_fallback_is_used_only_after_the_primary_failed(start_sandbox: Start) -> None:
    primary, fallback = await start_sandbox(dead=True), await start_sandbox()
    async with Resolver(options(primary, fallbacks=(fallback,), timeout=0.1)) as resolver:
        answer = await resolver.query("edgecases.test", "A")
        assert resolver.metrics.snapshot()["fallbacks"] == {"A": 1}
    assert answer.status == "ok" and answer.resolver == fallback.address
    assert sent(primary, "edgecases.test") == 3
    assert sent(fallback, "edgecases.test") == 1
    assert answer.errors == (f"{primary.address} udp: timeout",) * 3


async def test_healthy_primary_never_touches_the_fallback(start_sandbox: Start) -> None:
    primary, fallback = await start_sandbox(), await start_sandbox()
    async with Resolver(options(primary, fallbacks=(fallback,))) as resolver:
        await resolver.query("edgecases.test", "A")
        assert resolver.metrics.total("fallbacks") == 0
    assert sum(fallback.stats.values()) == 0


async def test_total_failure_is_an_error_answer_and_not_cached(start_sandbox: Start) -> None:
    primary, fallback = await start_sandbox(dead=True), await start_sandbox(dead=True)
    async with cached(options(primary, fallbacks=(fallback,), timeout=0.1)) as resolver:
        answer = await resolver.query("edgecases.test", "MX")
        assert answer.status == "error" and answer.records == () and answer.resolver is None
        assert answer.errors == ((f"{primary.address} udp: timeout",) * 3
                                 + (f"{fallback.address} udp: timeout",) * 3)
        assert resolver.cache is not None and len(resolver.cache) == 0
        primary.faults.clear()
        again = await resolver.query("edgecases.test", "MX")
    assert again.status == "nodata" and not again.from_cache


async def test_explicit_nameservers_are_the_only_ones_contacted(
        start_sandbox: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    primary = await start_sandbox(dead=True)
    loop = asyncio.get_running_loop()
    contacted: list[object] = []
    udp, tcp = loop.create_datagram_endpoint, loop.create_connection

    async def spy_udp(*args: object, **kwargs: object) -> object:
        contacted.append(kwargs.get("remote_addr"))
        return await udp(*args, **kwargs)  # type: ignore[arg-type]

    async def spy_tcp(*args: object, **kwargs: object) -> object:
        contacted.append(args[1:3])
        return await tcp(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loop, "create_datagram_endpoint", spy_udp)
    monkeypatch.setattr(loop, "create_connection", spy_tcp)
    async with Resolver(options(primary, timeout=0.1)) as resolver:
        answer = await resolver.query("edgecases.test", "A")
        assert resolver.metrics.snapshot()["sent_by_resolver"] == {primary.address: 3}
    assert answer.status == "error"
    assert contacted == [("127.0.0.1", primary.port)]


async def test_fallback_rotation_is_deterministic(start_sandbox: Start) -> None:
    primary = await start_sandbox(dead=True)
    fallbacks = (await start_sandbox(), await start_sandbox())
    names = ["edgecases.test", "gworkspace.test", "parked.test", "zoho-co.test"]
    opts = options(primary, fallbacks=fallbacks, timeout=0.05, attempts=1)
    async with Resolver(opts) as resolver:
        answers = [await resolver.query(name, "A") for name in names]
    for name, answer in zip(names, answers):
        first = fallbacks[zlib.crc32(name.encode()) % 2]
        assert answer.resolver == first.address
        assert sent(first, name) == 1 and sum(sent(f, name) for f in fallbacks) == 1
    assert {a.resolver for a in answers} == {f.address for f in fallbacks}


# --- cache and coalescing ---------------------------------------------------------------

async def test_second_query_comes_from_the_cache(sandbox: SandboxDns) -> None:
    async with cached(options(sandbox)) as resolver:
        first = await resolver.query("edgecases.test", "A")
        second = await resolver.query("edgecases.test", "A")
        fresh = await resolver.query("edgecases.test", "A", bypass_cache=True)
        assert resolver.cache is not None
        assert (resolver.cache.hits, resolver.cache.misses) == (1, 1)
    assert (first.from_cache, second.from_cache, fresh.from_cache) == (False, True, False)
    assert second.records == first.records
    assert sent(sandbox, "edgecases.test") == 2


async def test_bypassing_the_cache_still_shares_a_query_in_flight(sandbox: SandboxDns) -> None:
    """A rescan must not read the cache, but joining an identical query already on the wire
    is as fresh as asking again — one packet, not two."""
    async with cached(options(sandbox)) as resolver:
        await resolver.query("edgecases.test", "A")                  # now in the cache
        one, two = await asyncio.gather(*(resolver.query("edgecases.test", "A", bypass_cache=True)
                                          for _ in range(2)))
    assert not one.from_cache and not two.from_cache and one.records == two.records
    assert sent(sandbox, "edgecases.test") == 2


async def test_negative_answers_are_cached(sandbox: SandboxDns) -> None:
    async with cached(options(sandbox)) as resolver:
        await resolver.query("nothing.edgecases.test", "A")
        again = await resolver.query("nothing.edgecases.test", "A")
    assert again.status == "nxdomain" and again.from_cache
    assert sent(sandbox, "nothing.edgecases.test") == 1


async def test_invalidate_forgets_a_domain(sandbox: SandboxDns) -> None:
    async with cached(options(sandbox)) as resolver:
        await resolver.query("edgecases.test", "A")
        await resolver.query("split.edgecases.test", "MX")
        assert resolver.cache is not None and resolver.cache.invalidate("edgecases.test") == 2
        await resolver.query("split.edgecases.test", "MX")
    assert sent(sandbox, "split.edgecases.test", "MX") == 2


async def test_without_a_cache_every_query_goes_out(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox)) as resolver:
        await resolver.query("edgecases.test", "A")
        again = await resolver.query("edgecases.test", "A")
        assert resolver.metrics.total("cache_misses") == 0
    assert not again.from_cache
    assert sent(sandbox, "edgecases.test") == 2


async def test_concurrent_identical_queries_share_one_packet(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox)) as resolver:
        one, two = await asyncio.gather(resolver.query("edgecases.test", "TXT"),
                                        resolver.query("edgecases.test", "TXT"))
        assert resolver.metrics.total("coalesced") == 1
    assert one == two
    assert sent(sandbox, "edgecases.test", "TXT") == 1


# --- metrics, logs ----------------------------------------------------------------------

async def test_metrics_snapshot_counts_queries_answers_and_latency(sandbox: SandboxDns) -> None:
    async with cached(options(sandbox)) as resolver:
        await resolver.query("edgecases.test", "A")
        await resolver.query("edgecases.test", "A")
        await resolver.query("nothing.edgecases.test", "A")
        await resolver.query("nomx.edgecases.test", "MX")
        snap = resolver.metrics.snapshot()
    assert snap["queries"] == {"A": 3, "MX": 1}
    assert snap["cache_hits"] == {"A": 1}
    assert snap["cache_misses"] == {"A": 2, "MX": 1}
    assert snap["answers"] == {"A": {"ok": 2, "nxdomain": 1}, "MX": {"nodata": 1}}
    assert snap["latency"]["count"] == 3  # type: ignore[index]


async def test_failed_exchanges_are_logged_with_structure(
        sandbox: SandboxDns, caplog: pytest.LogCaptureFixture) -> None:
    sandbox.faults.set("edgecases.test", Fault("servfail", times=1))
    with caplog.at_level(logging.INFO, logger="hunter.dns"):
        async with Resolver(options(sandbox)) as resolver:
            await resolver.query("edgecases.test", "A")
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "dns_error"]
    assert (record.qname, record.rdtype, record.resolver, record.error) == (  # type: ignore[attr-defined]
        "edgecases.test", "A", sandbox.address, "udp: servfail")
