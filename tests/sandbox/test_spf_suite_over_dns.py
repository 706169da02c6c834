"""The openspf conformance suites again, this time over real DNS packets.

Each suite document's zone data is served by a ``SandboxDns`` on 127.0.0.1 (one zone at the
root); ``check_host`` is driven by Hunter's own ``Resolver``, so the whole path — walker,
resolver, UDP/TCP transport, server — is exercised.  ``TIMEOUT`` names answer SERVFAIL (the
resolver turns both into the same ``error`` answer; SERVFAIL keeps the run fast).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.zone
import pytest

from hunter.analysis import spf
from hunter.dns.lookup import Resolver
from hunter.dns.options import DnsOptions
from hunter.sandbox.dns import Fault, FaultPlan, SandboxDns, running
from tests.analysis.test_spf_suite import SUITES, suite_documents, suite_records

IN = dns.rdataclass.IN
SOA = "ns.sandbox.test. hostmaster.sandbox.test. 1 3600 600 604800 60"


def _rdata(rdtype: str, text: str) -> dns.rdata.Rdata:
    if rdtype == "TXT":
        raw = text.encode("utf-8")
        chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]
        return dns.rdtypes.ANY.TXT.TXT(IN, dns.rdatatype.TXT, chunks)
    return dns.rdata.from_text(IN, rdtype, text)


def zone_of(records: dict[tuple[str, str], Any]) -> tuple[dns.zone.Zone, FaultPlan]:
    zone = dns.zone.Zone(dns.name.root)
    with zone.writer() as txn:
        txn.add(dns.name.empty, 60, dns.rdata.from_text(IN, "SOA", SOA))
        txn.add(dns.name.empty, 60, dns.rdata.from_text(IN, "NS", "ns.sandbox.test."))
        faults = FaultPlan()
        for (name, rdtype), value in records.items():
            try:
                owner = dns.name.from_text(name + ".").relativize(dns.name.root)
            except dns.exception.DNSException:
                continue  # a name DNS cannot carry (label > 63 …): no server could hold it
            if value == "error":
                faults.set((name, rdtype), Fault("servfail"))
                continue
            for text in value:
                txn.add(owner, 60, _rdata(rdtype, text))
    return zone, faults


def cases() -> Iterator[Any]:
    for suite in SUITES:
        for index, doc in enumerate(suite_documents(suite)):
            for name, test in doc["tests"].items():
                yield pytest.param((suite, index), test, id=f"{suite}/{index}/{name}")


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[tuple[str, int], SandboxDns]]:
    """One sandbox per suite document, started on first use, all stopped at module end."""
    started: dict[tuple[str, int], SandboxDns] = {}
    contexts = []
    docs = {suite: suite_documents(suite) for suite in SUITES}

    class Lazy(dict):
        def __missing__(self, key):
            zone, faults = zone_of(suite_records(docs[key[0]][key[1]]))
            context = running([zone], faults=faults)
            contexts.append(context)
            self[key] = context.__enter__()
            return self[key]

    lazy = Lazy(started)
    yield lazy
    for context in contexts:
        context.__exit__(None, None, None)


async def check(server: SandboxDns, test: dict[str, Any]) -> spf.SpfResult:
    helo, mailfrom = str(test.get("helo", "")), str(test.get("mailfrom", ""))
    domain = mailfrom.rpartition("@")[2] if mailfrom else helo
    sender = mailfrom or f"postmaster@{helo}"
    options = DnsOptions.from_addresses([server.address], timeout=0.5, attempts=1, backoff=0)
    async with Resolver(options) as resolver:
        walker = spf.check_host(str(test["host"]), domain, sender, helo=helo, timestamp=0)
        return await resolver.drive(walker)


@pytest.mark.parametrize(("doc", "test"), list(cases()))
def test_suite_over_dns(servers, doc, test) -> None:
    result = asyncio.run(check(servers[doc], test))
    expected = test["result"] if isinstance(test["result"], list) else [test["result"]]
    assert result.result in expected, result
    if "explanation" in test:
        wanted = None if test["explanation"] == "DEFAULT" else test["explanation"]
        assert result.explanation == wanted, result
