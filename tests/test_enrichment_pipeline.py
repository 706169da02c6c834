"""IP enrichment inside ``analyze``: the sandbox DNS plus the real MaxMind test databases."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

import pytest

from hunter.cache import MemoryCache
from hunter.dns.facts import Answer, Query
from hunter.integrations.base import IpFacts
from hunter.model import Analysis
from hunter.pipeline import Context, analyze
from hunter.rules import catalogue
from hunter.scoring import rules as scoring_rules
from hunter.sales import load_config, summarise
from hunter.settings import Settings
from hunter.wiring import build_context

from .conftest import shared_dir
from .dns.support import TableResolver

MAXMIND = shared_dir() / "data" / "maxmind"
needs_databases = pytest.mark.skipif(not (MAXMIND / "GeoIP2-City-Test.mmdb").is_file(),
                                     reason="shared MaxMind test databases not found")


def enriched(world, **extra) -> Settings:
    options = {"enrichment_enabled": True, "enrichment_db_dir": MAXMIND, **extra}
    return Settings(dns_nameservers=(world.address,), dns_timeout=0.3, dns_domain_time_limit=10, **options)


async def scan(ctx, *texts: str) -> list[Analysis]:
    try:
        return [await analyze(text, ctx) for text in texts]
    finally:
        await ctx.resolver.aclose()


def by_ip(analysis: Analysis) -> dict:
    return {info.ip: info for info in analysis.infrastructure.ips}


@needs_databases
async def test_own_servers_are_located_and_the_mail_provider_is_not(world):
    (a,) = await scan(build_context(enriched(world)), "poyrazyazilim.com.tr")
    assert a.status == "ok" and a.provider.key == "m365"
    ips = by_ip(a)
    mail, web = ips["81.2.69.160"], ips["89.160.20.112"]
    assert (mail.city, mail.country_code, mail.roles, mail.hosts) == (
        "London", "GB", ["mail", "own_server"], ["mail.poyrazyazilim.com.tr"])
    assert (web.asn, web.as_org, web.country_code, web.roles) == (29518, "Bredband2 AB", "SE", ["web"])
    assert web.hosts == ["poyrazyazilim.com.tr", "www.poyrazyazilim.com.tr"]
    assert "maxmind-city" in web.sources
    en, tr = a.infrastructure.summary_en, a.infrastructure.summary_tr
    assert en.startswith("Mail on Microsoft 365 (Microsoft's network); website on Bredband2 AB (AS29518) in Sweden; "
                         "own mail server") and "London, United Kingdom" in en
    assert "İsveç'te Bredband2 AB (AS29518) ağında" in tr and "Londra, Birleşik Krallık'ta" in tr
    assert a.infrastructure_summary == en
    assert a.evidence.records["mail.poyrazyazilim.com.tr A"] == ["81.2.69.160"]     # answers are evidence


@needs_databases
async def test_ipv6_cdn_and_private_addresses(world):
    (a,) = await scan(build_context(enriched(world)), "karayelmakina.com.tr")
    ips = by_ip(a)
    assert ips["2a02:cf40::"].country_code == "NO" and ips["2a02:cf40::"].roles == ["mail", "own_server"]
    assert ips["23.32.0.1"].asn == 35994
    assert ips["10.20.30.40"].special == "private" and ips["10.20.30.40"].country is None
    assert a.infrastructure.summary_en == (
        "Website behind a CDN (Akamai); own mail server in Norway; "
        "own Exchange (autodiscover) server at a private address (not looked up).")
    assert a.evidence.records["mx.karayelmakina.com.tr AAAA"] == ["2a02:cf40::"]


@needs_databases
async def test_cloud_autodiscover_is_not_looked_up(world):
    (a,) = await scan(build_context(enriched(world)), "anadolutekstil.com.tr")
    assert all("autodiscover.anadolutekstil.com.tr" not in info.hosts for info in a.infrastructure.ips)
    assert a.evidence.records["autodiscover.anadolutekstil.com.tr CNAME"] == ["autodiscover.outlook.com."]


async def test_flag_off_leaves_infrastructure_null(world, world_settings):
    ctx = build_context(world_settings)
    assert ctx.ip_lookup is None and ctx.ip_cache is None
    (a,) = await scan(ctx, "poyrazyazilim.com.tr")
    assert a.status == "ok" and a.infrastructure is None and a.infrastructure_summary is None
    assert "mail.poyrazyazilim.com.tr A" not in a.evidence.records


async def test_no_database_files_never_breaks_scanning(world, tmp_path, caplog):
    empty = tmp_path / "empty"
    empty.mkdir()
    with caplog.at_level(logging.WARNING):
        ctx = build_context(enriched(world, enrichment_db_dir=empty))
    assert ctx.ip_lookup is None
    (a,) = await scan(ctx, "poyrazyazilim.com.tr")
    assert a.status == "ok" and a.provider.key == "m365" and a.infrastructure is None


async def test_configured_file_missing_gives_addresses_without_facts(world, tmp_path):
    settings = enriched(world, enrichment_db_dir=None,
                        enrichment_db_path_maxmind_city=tmp_path / "GeoIP2-City.mmdb")
    ctx = build_context(settings)
    (a,) = await scan(ctx, "poyrazyazilim.com.tr")
    assert a.status == "ok" and a.score is not None
    if a.infrastructure is not None:     # the adapter is built and skips its missing file
        assert {"81.2.69.160", "89.160.20.112"} <= set(by_ip(a))
        assert all(info.city is None and info.asn is None for info in a.infrastructure.ips)
        assert a.infrastructure.summary_en is None and a.infrastructure_summary is None


class Boom:
    name = "boom"

    def lookup(self, ip: str) -> IpFacts | None:
        raise RuntimeError("database exploded")

    def check(self):  # pragma: no cover - not used
        raise NotImplementedError

    def close(self) -> None:
        pass


async def test_a_failing_lookup_is_caught_and_logged_once(world, world_settings, caplog):
    ctx = dataclasses.replace(build_context(world_settings), ip_lookup=Boom())
    with caplog.at_level(logging.WARNING, logger="hunter.pipeline"):
        first, second = await scan(ctx, "poyrazyazilim.com.tr", "karayelmakina.com.tr")
    assert first.status == second.status == "ok"
    assert first.infrastructure is None and second.infrastructure_summary is None
    lines = [r for r in caplog.records if "boom" in r.getMessage()]
    assert len(lines) <= 1 and all("exploded" not in r.getMessage() for r in lines)


async def test_failed_domains_are_not_enriched(world, world_settings):
    ctx = dataclasses.replace(build_context(world_settings), ip_lookup=Boom())
    nx, broken = await scan(ctx, "does-not-exist.edgecases.test", "vanmermer.com.tr")
    assert nx.status == "nxdomain" and broken.status == "dns_error"
    assert nx.infrastructure is None and broken.infrastructure is None


@needs_databases
async def test_second_scan_hits_the_cache(world):
    ctx = build_context(enriched(world))
    first, second = await scan(ctx, "poyrazyazilim.com.tr", "poyrazyazilim.com.tr")
    stats = ctx.ip_cache.stats
    assert stats.hits >= 2 and stats.misses == 2
    assert first.infrastructure.summary_en == second.infrastructure.summary_en
    lookups = ctx.ip_lookup.metrics()["lookups"]
    assert lookups == 2                                   # each address looked up once, then cached


@needs_databases
async def test_sales_summary_reads_the_sentence_in_its_language(world):
    (a,) = await scan(build_context(enriched(world)), "poyrazyazilim.com.tr")
    config = load_config()
    assert summarise(a, lang="tr", config=config).infrastructure == a.infrastructure.summary_tr
    assert summarise(a, lang="en", config=config).infrastructure == a.infrastructure.summary_en


class Slow(Boom):
    name = "slow"

    def lookup(self, ip: str) -> IpFacts | None:
        time.sleep(1.5)
        return IpFacts(ip=ip, country_code="SE", country="Sweden")


async def test_the_ip_stage_stays_within_the_domain_time_limit(world, world_settings):
    ctx = dataclasses.replace(build_context(world_settings), ip_lookup=Slow(), domain_time_limit=1.0)
    started = time.monotonic()
    (a,) = await scan(ctx, "poyrazyazilim.com.tr")
    assert time.monotonic() - started < 1.5
    assert a.status == "ok" and a.infrastructure is None and a.infrastructure_summary is None


# ------------------------------------------------------------------ the address round

class Sweden(Boom):
    name = "sweden"

    def __init__(self) -> None:
        self.threads: set[int] = set()
        self.asked: list[str] = []

    def lookup(self, ip: str) -> IpFacts | None:
        self.threads.add(threading.get_ident())
        self.asked.append(ip)
        return IpFacts(ip=ip, country_code="SE", country="Sweden", asn=29518, as_org="Bredband2 AB")


# SPF needs three dependent rounds after the MX (TXT, then two includes), as in real life.
FIRMA = {
    ("firma.com.tr", "MX"): ["10 mail.firma.com.tr."],
    ("firma.com.tr", "TXT"): ["v=spf1 include:_spf.hoster.test -all"],
    ("_spf.hoster.test", "TXT"): ["v=spf1 include:_spf2.hoster.test -all"],
    ("_spf2.hoster.test", "TXT"): ["v=spf1 ip4:192.0.2.0/24 -all"],
    ("firma.com.tr", "A"): ["89.160.20.112"],
    ("www.firma.com.tr", "A"): ["89.160.20.112"],
    ("mail.firma.com.tr", "A"): ["81.2.69.160"],
}


def timed_context(table: dict, delay: float, *, lookup=None, cache=None) -> Context:
    return Context(resolver=TableResolver(table, delay), catalogue=catalogue.load(),  # type: ignore[arg-type]
                   scoring_rules=scoring_rules.load(), ip_lookup=lookup or Sweden(),
                   ip_cache=cache if cache is not None else MemoryCache())


async def test_address_queries_ride_beside_the_main_round_not_after_it() -> None:
    delay = 0.2
    ctx = timed_context(FIRMA, delay)
    a = await analyze("firma.com.tr", ctx)
    timed = ctx.resolver
    assert a.status == "ok" and a.infrastructure is not None
    assert {ip.ip for ip in a.infrastructure.ips} == {"89.160.20.112", "81.2.69.160"}
    # asked as soon as the MX answer named the hosts, while the SPF walk still had rounds to go
    for name in ("mail.firma.com.tr", "www.firma.com.tr"):
        assert timed.when(name, "A") < 1.5 * delay and timed.when(name, "AAAA") < 1.5 * delay
    assert timed.when("_spf2.hoster.test", "TXT") > 2.5 * delay
    assert max(t for t, _, _ in timed.sent) < 3.5 * delay      # no round of their own at the end


async def test_autodiscover_addresses_count_only_for_the_companys_own_name() -> None:
    cloud = {**FIRMA, ("autodiscover.firma.com.tr", "CNAME"): ["autodiscover.outlook.com."],
             ("autodiscover.firma.com.tr", "A"): Answer(Query("autodiscover.firma.com.tr", "A"), "ok",
                                                       ("52.97.1.1",), ("autodiscover.outlook.com.",))}
    own = {**FIRMA, ("autodiscover.firma.com.tr", "CNAME"): ["exchange.firma.com.tr."],
           ("autodiscover.firma.com.tr", "A"): Answer(Query("autodiscover.firma.com.tr", "A"), "ok",
                                                     ("81.2.69.161",), ("exchange.firma.com.tr.",))}
    for table, counted in ((FIRMA, False), (cloud, False), (own, True)):   # FIRMA: NXDOMAIN
        ctx = timed_context(table, 0.05)
        lookup = ctx.ip_lookup
        a = await analyze("firma.com.tr", ctx)
        asked = {(n, r): t for t, n, r in ctx.resolver.sent}
        # asked beside its CNAME, not after it: no extra round
        assert asked[("autodiscover.firma.com.tr", "A")] < 1.5 * 0.05
        hosts = {host for ip in a.infrastructure.ips for host in ip.hosts}
        assert ("autodiscover.firma.com.tr" in hosts) is counted
        if table is cloud:          # the provider's address is never looked up or reported
            assert "52.97.1.1" not in {ip.ip for ip in a.infrastructure.ips}
            assert "52.97.1.1" not in lookup.asked
    roles = {ip.ip: ip.roles for ip in a.infrastructure.ips}
    assert roles["81.2.69.161"] == ["autodiscover", "own_server"]


class Spy(MemoryCache):
    def __init__(self, *, local: bool) -> None:
        super().__init__()
        self.local, self.threads = local, []

    def get(self, key: str):
        self.threads.append(threading.get_ident())
        return super().get(key)


async def test_cache_hits_are_read_on_the_loop_and_lookups_run_off_it() -> None:
    loop_thread = threading.get_ident()
    lookup, cache = Sweden(), Spy(local=True)
    ctx = timed_context(FIRMA, 0.0, lookup=lookup, cache=cache)
    first = await analyze("firma.com.tr", ctx)
    assert loop_thread not in lookup.threads                   # the databases: never on the loop
    lookup.threads.clear()
    cache.threads.clear()
    second = await analyze("firma.com.tr", ctx)
    assert lookup.threads == set()                              # all from the cache ...
    assert cache.threads and set(cache.threads) == {loop_thread}   # ... read without a thread
    assert cache.stats.misses == 2 and cache.stats.hits == 2    # nothing counted twice
    assert first.infrastructure == second.infrastructure


async def test_a_cache_with_io_is_never_read_on_the_loop() -> None:
    loop_thread = threading.get_ident()
    cache = Spy(local=False)                                    # e.g. Redis: a network round trip
    ctx = timed_context(FIRMA, 0.0, cache=cache)
    for _ in range(2):
        a = await analyze("firma.com.tr", ctx)
        assert a.infrastructure is not None
    assert cache.threads and loop_thread not in cache.threads
    assert cache.stats.hits == 2 and cache.stats.misses == 2
