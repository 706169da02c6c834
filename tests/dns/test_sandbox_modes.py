"""The sandbox DNS modes behind the query-economy benchmarks: template zones (one zone file for
every domain of a kind) and the rate-limited resolver (REFUSED or silence above N queries a second)."""

from __future__ import annotations

import dns.asyncquery
import dns.exception
import dns.message
import dns.rcode
import dns.zone
import pytest

from hunter.sandbox.dns import FaultPlan, RateLimit, SandboxDns
from hunter.sandbox.dns_faults import Fault
from tests.dns.support import Clock

TEMPLATE = """$ORIGIN *.m365.bench.test.
$TTL 300
@ IN SOA ns1.bench.test. hostmaster.bench.test. ( 1 3600 600 604800 60 )
@ IN NS ns1.bench.test.
@ IN MX 10 mail
@ IN TXT "v=spf1 mx -all"
mail IN A 192.0.2.25
www IN CNAME @
autodiscover IN CNAME autodiscover.outlook.com.
_sip._tls IN SRV 100 1 443 sip
"""
BENCH = """$ORIGIN bench.test.
$TTL 300
@ IN SOA ns1.bench.test. hostmaster.bench.test. ( 1 3600 600 604800 60 )
@ IN NS ns1
ns1 IN A 127.0.0.1
"""
OWN = """$ORIGIN own.m365.bench.test.
$TTL 300
@ IN SOA ns1.bench.test. hostmaster.bench.test. ( 1 3600 600 604800 60 )
@ IN NS ns1.bench.test.
@ IN MX 0 .
"""


def zones(*texts: str) -> list[dns.zone.Zone]:
    return [dns.zone.from_text(text, relativize=False) for text in texts]


async def ask(server: SandboxDns, name: str, rdtype: str) -> dns.message.Message:
    return await dns.asyncquery.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=server.port, timeout=2)


def texts(reply: dns.message.Message) -> list[str]:
    return [rrset.to_text() for rrset in reply.answer]


async def test_a_template_zone_is_the_zone_of_every_domain_of_its_kind() -> None:
    async with SandboxDns(zones(TEMPLATE, BENCH, OWN)) as server:
        mx = await ask(server, "Firma7.m365.bench.test", "MX")
        srv = await ask(server, "_sip._tls.firma7.m365.bench.test", "SRV")
        www = await ask(server, "www.firma8.m365.bench.test", "A")
        missing = await ask(server, "selector1._domainkey.firma7.m365.bench.test", "TXT")
        own = await ask(server, "own.m365.bench.test", "MX")                 # a served zone is closer
        outside = await ask(server, "firma7.google.bench.test", "MX")
    assert texts(mx) == ["Firma7.m365.bench.test. 300 IN MX 10 mail.firma7.m365.bench.test."]
    assert texts(srv) == ["_sip._tls.firma7.m365.bench.test. 300 IN SRV 100 1 443 sip.firma7.m365.bench.test."]
    assert texts(www) == ["www.firma8.m365.bench.test. 300 IN CNAME firma8.m365.bench.test."]
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert [r.to_text() for r in missing.authority][0].startswith("firma7.m365.bench.test. 60 IN SOA")
    assert texts(own) == ["own.m365.bench.test. 300 IN MX 0 ."]
    assert outside.rcode() == dns.rcode.NXDOMAIN



def test_the_rate_limit_is_a_token_bucket() -> None:
    clock = Clock()
    limit = RateLimit(8, burst=3, clock=clock)
    assert [limit.take() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.125                                 # one token back
    assert [limit.take(), limit.take()] == [True, False]
    clock.now += 5
    assert all(limit.take() for _ in range(3))
    assert (limit.limited, sum(limit.answered.values()), limit.busiest_second()) == (2, 7, 4)


def test_the_default_burst_is_a_tenth_of_a_second() -> None:
    assert RateLimit(1500).burst == 150 and RateLimit(5).burst == 1
    with pytest.raises(ValueError):
        RateLimit(0)
    with pytest.raises(ValueError):
        RateLimit(10, action="servfail")  # type: ignore[arg-type]


async def test_above_the_limit_the_server_refuses_or_stays_silent() -> None:
    clock = Clock()
    plan = FaultPlan(rate_limit=RateLimit(1, burst=1, clock=clock))
    async with SandboxDns(zones(TEMPLATE, BENCH), faults=plan) as server:
        first = await ask(server, "firma1.m365.bench.test", "MX")
        second = await ask(server, "firma1.m365.bench.test", "MX")
        plan.rate_limit = RateLimit(1, burst=1, action="drop", clock=clock)
        await ask(server, "firma1.m365.bench.test", "TXT")
        with pytest.raises(dns.exception.Timeout):
            await dns.asyncquery.udp(dns.message.make_query("firma1.m365.bench.test", "MX"), "127.0.0.1",
                                     port=server.port, timeout=0.2)
    assert first.rcode() == dns.rcode.NOERROR and second.rcode() == dns.rcode.REFUSED


def test_clear_lifts_the_rate_limit() -> None:
    plan = FaultPlan({"x.test": Fault("drop")}, rate_limit=RateLimit(5))
    plan.clear()
    assert plan.rate_limit is None and plan.match("x.test", "A", "udp") is None
