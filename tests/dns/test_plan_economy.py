"""The staged query plan: which questions each kind of domain costs, in how many round trips,
and that the verdict is the one the full plan gives (docs/dns.md, "The query plan")."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hunter.dns import plan
from hunter.dns.facts import Answer, Query
from hunter.model import Analysis
from hunter.pipeline import Context, analyze
from hunter.rules import catalogue
from hunter.sandbox.dns import FaultPlan, SandboxDns, load_zone_dir
from hunter.scoring import rules as scoring_rules
from hunter.settings import Settings
from hunter.wiring import build_context
from tests.dns.support import TableResolver, shared_dir

D = "firma.com.tr"
BASE = {(D, "MX"), (D, "TXT"), (f"_dmarc.{D}", "TXT"), (f"_domainkey.{D}", "TXT"),
        (f"_mta-sts.{D}", "TXT"), (f"_smtp._tls.{D}", "TXT"), (f"default._bimi.{D}", "TXT")}
MICROSOFT = {(f"{label}.{D}", "CNAME") for label in plan.M365_CNAMES} | {
    (f"{label}.{D}", "SRV") for label in plan.M365_SRV}
SENTINELS = {(f"{label}.{D}", "CNAME") for label in plan.M365_SENTINELS}
ADDRESSES = {(D, "A"), (D, "AAAA")}


def selectors(*names: str) -> set[tuple[str, str]]:
    return {(f"{name}._domainkey.{D}", "TXT") for name in names}


EVERY_SELECTOR = selectors(*plan.DEFAULT_DKIM_SELECTORS)
KEY = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC0"
DKIM_EXISTS = {(f"_domainkey.{D}", "TXT"): []}          # an empty non-terminal: NODATA


def m365_dkim(n: int) -> dict:
    return {(f"selector{n}._domainkey.{D}", "TXT"): Answer(
        Query(f"selector{n}._domainkey.{D}", "TXT"), "nodata",
        cnames=(f"selector{n}-firma-com-tr._domainkey.firma.onmicrosoft.com",))}


M365 = {(D, "MX"): ["0 firma-com-tr.mail.protection.outlook.com."],
        (D, "TXT"): ["v=spf1 include:spf.protection.outlook.com -all", "MS=ms12345678"]}
GOOGLE = {(D, "MX"): ["1 aspmx.l.google.com."], (D, "TXT"): ["v=spf1 include:_spf.google.com ~all"]}
NATRO = {(D, "MX"): ["10 mx.natrohost.com."], (D, "TXT"): ["v=spf1 include:spf.natrohost.com ~all"]}
OWN = {(D, "MX"): [f"10 mail.{D}."], (D, "TXT"): ["v=spf1 ip4:192.0.2.0/24 -all"], (f"mail.{D}", "A"): ["192.0.2.25"]}

# provider type -> (the domain's DNS, the questions about names under the domain)
CASES = {
    "m365": (M365, BASE | MICROSOFT | selectors("selector1", "selector2")),
    "m365 with DKIM": ({**M365, **DKIM_EXISTS, **m365_dkim(1), **m365_dkim(2)},
                       BASE | MICROSOFT | selectors("selector1", "selector2")),
    "google": ({**GOOGLE, **DKIM_EXISTS, (f"google._domainkey.{D}", "TXT"): [KEY]}, BASE | SENTINELS | selectors("google")),
    "google without DKIM": (GOOGLE, BASE | SENTINELS | selectors("google")),
    "yandex": ({(D, "MX"): ["10 mx.yandex.net."], (D, "TXT"): ["v=spf1 redirect=_spf.yandex.net"],
                **DKIM_EXISTS, (f"mail._domainkey.{D}", "TXT"): [KEY]}, BASE | SENTINELS | selectors("mail")),
    "zoho": ({(D, "MX"): ["10 mx.zoho.eu."], (D, "TXT"): ["v=spf1 include:zoho.eu ~all"],
              **DKIM_EXISTS, (f"zmail._domainkey.{D}", "TXT"): [KEY]}, BASE | SENTINELS | selectors("zoho", "zmail")),
    "local hosting": ({**NATRO, **DKIM_EXISTS, (f"default._domainkey.{D}", "TXT"): [KEY]},
                      BASE | SENTINELS | selectors("default")),
    "local hosting without DKIM": (NATRO, BASE | SENTINELS | selectors("default")),
    "self-hosted": (OWN, BASE | MICROSOFT),
    "self-hosted with DKIM": ({**OWN, **DKIM_EXISTS, (f"dkim._domainkey.{D}", "TXT"): [KEY]},
                              BASE | MICROSOFT | EVERY_SELECTOR),
    "no mail": ({(D, "A"): ["198.51.100.1"]}, BASE | SENTINELS | ADDRESSES),
    "null MX": ({(D, "MX"): ["0 ."], (D, "TXT"): ["v=spf1 -all"]}, BASE | SENTINELS),
    "does not exist": ({}, {(D, "MX")}),
    "unknown": ({(D, "MX"): ["10 mx.relay.example."], (D, "TXT"): ["v=spf1 ip4:192.0.2.0/24 -all"]},
                BASE | MICROSOFT),
    "gateway in front of m365": ({(D, "MX"): ["10 mx1-eu1.ppe-hosted.com."],
                                  (D, "TXT"): ["v=spf1 include:spf.protection.outlook.com -all", "MS=ms1"],
                                  **DKIM_EXISTS, **m365_dkim(1)}, BASE | MICROSOFT | EVERY_SELECTOR),
    "hybrid": ({**OWN, (D, "TXT"): ["v=spf1 mx include:spf.protection.outlook.com -all", "MS=ms1"]},
               BASE | MICROSOFT | selectors("selector1", "selector2")),
    "google with m365 beside": ({**GOOGLE, (D, "TXT"): ["v=spf1 include:_spf.google.com ~all", "MS=ms1"]},
                                BASE | MICROSOFT | selectors("selector1", "selector2", "google")),
    "google, DKIM at another selector": ({**GOOGLE, **DKIM_EXISTS, (f"k1._domainkey.{D}", "TXT"): [KEY]},
                                         BASE | SENTINELS | EVERY_SELECTOR),
    "google with another sender": ({**GOOGLE, (D, "TXT"): ["v=spf1 include:_spf.google.com include:sendgrid.net ~all"],
                                    **DKIM_EXISTS, (f"google._domainkey.{D}", "TXT"): [KEY]},
                                   BASE | SENTINELS | EVERY_SELECTOR),
    "apex TXT failed": ({**GOOGLE, (D, "TXT"): "error"}, BASE | MICROSOFT | selectors("google")),
}


def context(resolver: TableResolver, dns_plan: str = "staged") -> Context:
    return Context(resolver=resolver, catalogue=catalogue.load(),  # type: ignore[arg-type]
                   scoring_rules=scoring_rules.load(), dns_plan=dns_plan)  # type: ignore[arg-type]


async def asked(table: dict, dns_plan: str = "staged", delay: float = 0.0) -> tuple[Analysis, TableResolver]:
    resolver = TableResolver(table, delay)
    return await analyze(D, context(resolver, dns_plan)), resolver


@pytest.mark.parametrize("case", CASES)
async def test_each_provider_type_costs_its_own_questions(case: str) -> None:
    table, expected = CASES[case]
    _, resolver = await asked(table)
    assert resolver.asked(under=D) == expected


@pytest.mark.parametrize("case", CASES)
async def test_no_question_is_asked_twice_for_one_domain(case: str) -> None:
    _, resolver = await asked(CASES[case][0])
    questions = [(n, r) for _, n, r in resolver.sent]
    assert len(questions) == len(set(questions))


@pytest.mark.parametrize("case", CASES)
async def test_the_staged_plan_judges_as_the_full_one(case: str) -> None:
    staged, _ = await asked(CASES[case][0])
    full, _ = await asked(CASES[case][0], "full")
    assert same(staged, full)


@pytest.mark.parametrize("case", CASES)
async def test_one_domain_takes_at_most_one_round_trip_more(case: str) -> None:
    _, staged = await asked(CASES[case][0], delay=0.02)
    _, full = await asked(CASES[case][0], "full", delay=0.02)
    assert staged.rounds() <= full.rounds() + 1


def test_the_full_plan_is_every_name_the_staged_one_may_ask() -> None:
    every = {(q.name, q.rdtype) for q in plan.queries(D)}
    walks = {(f"_dmarc.{D}", "TXT")}         # the DMARC walk's
    staged = set().union(*(expected for _, expected in CASES.values())) - ADDRESSES - walks - {(f"_domainkey.{D}", "TXT")}
    assert staged <= every


def same(one: Analysis, other: Analysis) -> bool:
    """Equal but for the time and the DNS records kept as evidence (fewer names asked)."""
    def values(a: Analysis) -> dict:
        data = a.model_dump(mode="json")
        data.pop("analysed_at")
        data["evidence"].pop("records")
        return data
    return values(one) == values(other)


# --- every fixture, demo and benchmark zone: the same verdict as the full plan --------------

BENCH_ZONES = Path(__file__).resolve().parents[2] / "bench" / "zones"
DEMO_ZONES = Path(__file__).resolve().parents[2] / "hunter" / "sandbox" / "zones"


def zone_domains() -> list[str]:
    names = [p.name.removesuffix(".zone") for p in sorted((shared_dir() / "data" / "dns" / "zones").glob("*.zone"))]
    names += [p.name.removesuffix(".zone") for p in sorted(DEMO_ZONES.glob("*.zone")) if p.name[0] != "_"]
    names += ["nullmx.edgecases.test", "nomx.edgecases.test", "split.edgecases.test", "toomany.edgecases.test",
              "www.gworkspace.test", "does-not-exist.edgecases.test"]
    names += [f"firma1.{p.name.removesuffix('.zone')}.bench.test" for p in sorted(BENCH_ZONES.glob("*.zone"))
              if p.name not in ("_world.zone", "bench.test.zone")] + ["firma1.nx.bench.test"]
    return names


@pytest.fixture
async def everything() -> SandboxDns:
    zones = (load_zone_dir(shared_dir() / "data" / "dns" / "zones") + load_zone_dir(DEMO_ZONES)
             + [z for z in load_zone_dir(BENCH_ZONES) if z.origin.to_text() != "."])
    async with SandboxDns(zones, faults=FaultPlan.fixture_defaults(),
                          broken_zones=("broken.test", "vanmermer.com.tr")) as server:
        yield server


async def scan(server: SandboxDns, dns_plan: str, domains: list[str]) -> tuple[list[Analysis], int]:
    ctx = build_context(Settings(dns_nameservers=(server.address,), dns_timeout=0.3, dns_plan=dns_plan))
    try:
        analyses = [await analyze(domain, ctx) for domain in domains]
        return analyses, ctx.resolver.metrics.total("sent")
    finally:
        await ctx.aclose()


async def test_every_zone_gets_the_verdict_of_the_full_plan_from_far_fewer_queries(everything) -> None:
    domains = [d for d in zone_domains() if not d.startswith(("faults.test", "_"))]
    staged, staged_sent = await scan(everything, "staged", domains)
    full, full_sent = await scan(everything, "full", domains)
    different = [a.domain for a, b in zip(staged, full) if not same(a, b)]
    assert different == []
    assert staged_sent < 0.6 * full_sent


# --- shared names are asked once in a scan ---------------------------------------------------

async def test_two_domains_sharing_an_spf_include_ask_it_once(world_settings, world) -> None:
    include = ("spf.protection.outlook.com", "TXT", "udp")
    ctx = build_context(world_settings)
    try:
        before = world.stats[include]
        await asyncio.gather(analyze("anadolutekstil.com.tr", ctx), analyze("trakyaenerji.com.tr", ctx))
        together = world.stats[include] - before
        await analyze("poyrazyazilim.com.tr", ctx)
        later = world.stats[include] - before - together
    finally:
        await ctx.aclose()
    assert (together, later) == (1, 0)


async def test_without_a_cache_one_domain_still_asks_each_name_once(world, world_settings) -> None:
    settings = Settings(dns_nameservers=world_settings.dns_nameservers, dns_timeout=0.3, dns_cache_enabled=False)
    for domain in ("selfhosted.test", "m365-tenant.test", "xn--bakentholding-jtc.com.tr"):
        before = dict(world.stats)
        ctx = build_context(settings)
        try:
            await analyze(domain, ctx)
        finally:
            await ctx.aclose()
        mine = {key: n - before.get(key, 0) for key, n in world.stats.items()
                if key[0].endswith(domain) and n - before.get(key, 0)}
        assert mine and set(mine.values()) == {1}, mine


TEAMS = {(f"lyncdiscover.{D}", "CNAME"): ["webdir.online.lync.com."], (f"sip.{D}", "CNAME"): ["sipdir.online.lync.com."],
         (f"_sip._tls.{D}", "SRV"): ["100 1 443 sipdir.online.lync.com."],
         (f"_sipfederationtls._tcp.{D}", "SRV"): ["100 1 5061 sipfed.online.lync.com."]}
INTUNE = {(f"enterpriseregistration.{D}", "CNAME"): ["enterpriseregistration.windows.net."],
          (f"enterpriseenrollment.{D}", "CNAME"): ["enterpriseenrollment-s.manage.microsoft.com."]}
EXCHANGE_AUTODISCOVER = {(f"autodiscover.{D}", "CNAME"): ["autodiscover.outlook.com."]}
CPANEL_AUTODISCOVER = {(f"autodiscover.{D}", "CNAME"): [f"mail.{D}."]}

# mail elsewhere, a Microsoft footprint beside it: (the domain's DNS, every discovery name asked?)
FOOTPRINTS = {
    "Teams on a hosting firm's domain": ({**NATRO, **TEAMS}, True),
    "Intune on a Google domain": ({**GOOGLE, **INTUNE}, True),
    "Teams and Intune without MX": ({(D, "A"): ["198.51.100.1"], **TEAMS, **INTUNE}, True),
    "Exchange autodiscover on a Yandex domain": ({(D, "MX"): ["10 mx.yandex.net."], **EXCHANGE_AUTODISCOVER}, True),
    "a control panel's autodiscover": ({**NATRO, **CPANEL_AUTODISCOVER}, False),
}


@pytest.mark.parametrize("case", FOOTPRINTS)
async def test_a_microsoft_footprint_beside_other_mail_is_seen_as_the_full_plan_sees_it(case: str) -> None:
    """The sentinels (one name of each set Microsoft publishes) find it; then every discovery
    name is asked, so the M365 signals, the tenant size and the segment are the full plan's."""
    table, everything = FOOTPRINTS[case]
    staged, resolver = await asked(table)
    full, _ = await asked(table, "full")
    assert same(staged, full)
    assert staged.m365.detected is everything
    assert (MICROSOFT <= resolver.asked(under=D)) is everything
    assert SENTINELS <= resolver.asked(under=D)


@pytest.mark.parametrize("case", FOOTPRINTS)
async def test_a_footprint_costs_no_repeated_question_and_at_most_one_round_trip_more(case: str) -> None:
    """As ``test_no_question_is_asked_twice_for_one_domain`` and the round-trip bound above (the
    resolver's in-flight coalescing, not this table, merges the SPF walk's apex TXT with the plan's)."""
    table = FOOTPRINTS[case][0]
    _, once = await asked(table)
    questions = [(n, r) for _, n, r in once.sent]
    assert len(questions) == len(set(questions))
    _, staged = await asked(table, delay=0.02)
    _, full = await asked(table, "full", delay=0.02)
    assert staged.rounds() <= full.rounds() + 1


async def test_what_the_staged_plan_gives_up_knowingly() -> None:
    """docs/dns.md, "What it gives up": on a domain plainly at a hosting firm, a part of a
    Microsoft record set without its sentinel (a SIP SRV without lyncdiscover) is not asked
    about; the full plan sees it and calls the lead hybrid."""
    partial = {**NATRO, (f"_sipfederationtls._tcp.{D}", "SRV"): ["100 1 5061 sipfed.online.lync.com."]}
    staged, _ = await asked(partial)
    full, _ = await asked(partial, "full")
    assert (staged.m365.detected, staged.segment) == (False, "greenfield")
    assert (full.m365.detected, full.segment) == (True, "microsoft")
    assert (staged.provider.key, staged.provider.confidence) == (full.provider.key, full.provider.confidence)
