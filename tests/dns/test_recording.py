"""``Resolver.collect``, ``drive`` and ``recording()``: the per-domain evidence."""

from __future__ import annotations

import asyncio

import pytest

from hunter.dns import plan
from hunter.dns.facts import Answer, Query, Walker
from hunter.dns.lookup import Resolver
from hunter.sandbox.dns import Fault, SandboxDns
from tests.dns.support import cached, options


def dmarc_walk(domain: str) -> Walker[str | None]:
    """A tiny walker: the domain's DMARC record, else the parent's (organisational) one."""
    answer: Answer = yield Query(f"_dmarc.{domain}", "TXT")
    if answer.ok:
        return answer.records[0]
    parent = domain.split(".", 1)[1]
    answer = yield Query(f"_dmarc.{parent}", "TXT")
    return answer.records[0] if answer.ok else None


async def test_collect_answers_every_query(sandbox: SandboxDns) -> None:
    queries = plan.queries("gworkspace.test")
    async with Resolver(options(sandbox)) as resolver:
        answers = await resolver.collect(queries)
    assert list(answers) == queries
    assert answers[Query("gworkspace.test", "MX")].status == "ok"
    assert answers[Query("google._domainkey.gworkspace.test", "TXT")].records[0].startswith("v=DKIM1")
    assert answers[Query("selector1._domainkey.gworkspace.test", "TXT")].status == "nxdomain"


async def test_drive_runs_a_walker(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox)) as resolver:
        own = await resolver.drive(dmarc_walk("gworkspace.test"))
        inherited = await resolver.drive(dmarc_walk("www.gworkspace.test"))
    assert own == inherited == "v=DMARC1; p=quarantine; pct=50; rua=mailto:postmaster@gworkspace.test"


async def test_recording_keeps_every_answer_as_facts(sandbox: SandboxDns) -> None:
    async with Resolver(options(sandbox)) as resolver:
        await resolver.query("gworkspace.test", "A")          # outside the recording
        recording = resolver.recording()
        await recording.collect([Query("gworkspace.test", "MX"), Query("gworkspace.test", "TXT")])
        await recording.drive(dmarc_walk("www.gworkspace.test"))
        facts = recording.facts("gworkspace.test")
    assert facts.domain == "gworkspace.test"
    assert set(facts.answers) == {
        Query("gworkspace.test", "MX"), Query("gworkspace.test", "TXT"),
        Query("_dmarc.www.gworkspace.test", "TXT"), Query("_dmarc.gworkspace.test", "TXT"),
    }
    assert facts.records("gworkspace.test", "MX")[0] == "1 aspmx.l.google.com."
    assert facts.get("_dmarc.www.gworkspace.test", "TXT").status == "nxdomain"  # type: ignore[union-attr]


async def test_recording_can_bypass_the_cache(sandbox: SandboxDns) -> None:
    async with cached(options(sandbox)) as resolver:
        await resolver.query("gworkspace.test", "MX")
        cached_answer = await resolver.recording().query("gworkspace.test", "MX")
        fresh = await resolver.recording(bypass_cache=True).query("gworkspace.test", "MX")
    assert cached_answer.from_cache and not fresh.from_cache
    assert sandbox.stats[("gworkspace.test", "MX", "udp")] == 2


async def test_answers_survive_the_callers_time_limit(sandbox: SandboxDns) -> None:
    """The pipeline bounds a domain with one asyncio.timeout; what arrived before it stays."""
    sandbox.faults.set("gworkspace.test", Fault("delay", delay=1.0))
    async with Resolver(options(sandbox, timeout=1.5)) as resolver:
        recording = resolver.recording()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await asyncio.gather(recording.query("m365-tenant.test", "MX"),
                                     recording.query("gworkspace.test", "MX"))
    facts = recording.facts("m365-tenant.test")
    assert facts.records("m365-tenant.test", "MX")
    assert facts.get("gworkspace.test", "MX") is None
