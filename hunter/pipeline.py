"""The one analysis pipeline: text -> Analysis.  CLI, API, jobs and flows all call ``analyze``.

    normalise.parse -> DNS (the staged plan + SPF walk + DMARC walk, concurrently) -> analysis parts
    -> scoring -> Analysis (with the evidence it was derived from)
    -> when ``ctx.ip_lookup`` is set: the A/AAAA of MX hosts, apex, www and autodiscover (asked
       beside the main queries), each distinct address looked up once in the offline IP
       databases -> infrastructure
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, Protocol

from . import normalise
from .analysis import dkim, dmarc, google, infrastructure, m365, mx, provider, spf, tenant, transport_security
from .dns import plan
from .dns.facts import Answer, DnsFacts, Query
from .dns.lookup import Recording, Resolver
from .integrations.base import IpLookup
from .model import Analysis, Dmarc, DnsError, Evidence, Provider, Spf, Status
from .normalise import Target
from .rules.catalogue import Catalogue
from .scoring import score as scoring
from .scoring.rules import ScoringRules

UNKNOWN_PROVIDER = Provider(key="unknown", name="Unknown", kind="unknown", confidence="none")
IP_CACHE_TTL = 24 * 3600.0          # seconds an address's facts are reused
_ENRICHED_STATUSES = ("ok", "no_mx")

log = logging.getLogger("hunter.pipeline")
_failed_lookups: set[str] = set()   # adapters whose failure was already logged (once per process)


class IpCache(Protocol):
    """What the IP stage needs of a cache (``hunter.cache.Cache`` fits): plain-dict values.
    A cache with a true ``local`` attribute (in-process, no I/O) is read on the event loop."""

    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any, *, ttl: float) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Context:
    """Everything ``analyze`` needs, built once by ``wiring.build_context``."""

    resolver: Resolver
    catalogue: Catalogue
    scoring_rules: ScoringRules
    dkim_selectors: tuple[str, ...] = plan.DEFAULT_DKIM_SELECTORS
    domain_time_limit: float = 30.0
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    ip_lookup: IpLookup | None = None     # offline IP databases; None = enrichment off
    ip_cache: IpCache | None = None
    dns_plan: Literal["staged", "full"] = "staged"    # full: every name of ``plan.queries``

    @property
    def rules_version(self) -> str:
        return f"scoring {self.scoring_rules.version}; providers {self.catalogue.version}"

    async def aclose(self) -> None:
        """Release what the context holds: the resolver's sockets, the IP databases and cache."""
        await self.resolver.aclose()
        for part in (self.ip_lookup, self.ip_cache):
            if part is not None:
                part.close()


async def analyze(text: str, ctx: Context, *, rescan: bool = False) -> Analysis:
    """Analyse one domain, URL or e-mail address.  Never raises for bad input or DNS failure."""
    target = normalise.parse(text)
    if target.status != "ok" or target.domain is None:
        return _invalid(target, ctx)
    admit = getattr(ctx.resolver, "admit", None)     # a paced resolver with a queue: wait in turn
    if admit is not None:
        await admit()
    recording = ctx.resolver.recording(bypass_cache=rescan)
    deadline = asyncio.get_running_loop().time() + ctx.domain_time_limit
    addresses = _AddressRound(target.domain, recording) if ctx.ip_lookup is not None else None
    try:
        try:
            async with asyncio.timeout_at(deadline):
                spf_part, dmarc_part = await _lookup(target, recording, ctx, addresses)
        except TimeoutError:
            return _timed_out(target, recording.facts(target.domain), ctx)
        ip_queries = await addresses.result(deadline) if addresses is not None else None
    finally:
        if addresses is not None:
            addresses.cancel()
    facts = recording.facts(target.domain)
    analysis = _judge(target, facts, spf_part, dmarc_part, ctx)
    if ip_queries is None or analysis.status not in _ENRICHED_STATUSES:
        return analysis
    return await _enrich(analysis, target, facts, ip_queries, ctx, deadline=deadline)


async def _lookup(target: Target, recording: Recording, ctx: Context,
                  addresses: _AddressRound | None) -> tuple[Spf, Dmarc]:
    """MX first; the rest only when the name exists and answers, as the staged plan says.

    A domain that does not exist or whose resolvers fail costs one query, not thirty — most of
    a raw lead list's failures end here, and nothing that could change the verdict is skipped.
    Then the SPF and DMARC walks and the plan (``plan.Staged``: about 7 to 17 names, by what the
    MX and SPF say; docs/dns.md) run side by side.  With enrichment on, the A/AAAA of the MX
    hosts, www and autodiscover start at the same time.
    """
    domain = target.domain
    first = await recording.query(domain, "MX")
    if first.status in ("error", "nxdomain"):
        return Spf(), Dmarc()
    if addresses is not None:
        addresses.start(mx.parse(recording.facts(domain), domain))
    org = target.registrable_domain or domain
    _, spf_part, dmarc_part = await asyncio.gather(
        _planned(domain, recording, ctx),
        recording.drive(spf.walk(domain)),
        recording.drive(dmarc.walk(domain, org)),
    )
    return spf_part, dmarc_part


async def _planned(domain: str, recording: Recording, ctx: Context) -> None:
    """The names beside the walks: the staged plan's, re-planned on every answer, or all of them."""
    if ctx.dns_plan == "full":
        await recording.collect(plan.queries(domain, dkim_selectors=ctx.dkim_selectors))
        return
    staged = plan.Staged(domain, judge=_Judge(ctx.catalogue), selectors=ctx.dkim_selectors)
    await recording.unfold(lambda: staged.next(recording.answers))


@dataclass(frozen=True, slots=True)
class _Judge:
    """``plan.Judge`` from the analysis parts: what the staged plan needs judged."""

    catalogue: Catalogue

    def outlook(self, answers: Mapping[Query, Answer], domain: str) -> plan.Outlook:
        return provider.outlook(DnsFacts(domain, answers), domain, catalogue=self.catalogue)

    def microsoft(self, answers: Mapping[Query, Answer], domain: str) -> bool:
        return m365.discovery_seen(DnsFacts(domain, answers), domain, catalogue=self.catalogue)

    def implicit_mx(self, answer: Answer) -> bool:
        return mx.implicit(answer)

    def dkim_found(self, answer: Answer) -> bool:
        return dkim.found(answer)


class _AddressRound:
    """The A/AAAA queries behind enrichment (``plan.ip_queries``), asked beside round two.

    The MX hosts are known after round one, so none of these names needs a round of its own
    and the analysis takes no longer with enrichment on when the resolvers set the pace.
    Autodiscover's addresses are asked at the same time as its CNAME (waiting for it would
    cost a round); they count only when that answer says the name is the company's own
    (``plan.autodiscover_counts``), never a cloud name.  A task of its own: a slow name
    here never holds up or fails the analysis — at the deadline it is cancelled and
    ``infrastructure`` stays null.  The answers go through the same recording: they are evidence.
    ``result`` gives every query of ``plan.ip_queries``; ``_counted`` then drops autodiscover's
    when its CNAME answer (from round two) says so.
    """

    def __init__(self, domain: str, recording: Recording) -> None:
        self.domain, self.recording = domain, recording
        self._task: asyncio.Task[list[Query]] | None = None

    def start(self, mx_part: mx.MxResult) -> None:
        if mx_part.status in _ENRICHED_STATUSES:
            self._task = asyncio.create_task(self._ask([host.host for host in mx_part.hosts]))

    async def result(self, deadline: float) -> list[Query] | None:
        """The address queries (see ``_counted``); None when not started or too slow."""
        if self._task is None:
            return None
        try:
            async with asyncio.timeout_at(deadline):
                return await self._task
        except TimeoutError:
            return None

    def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _ask(self, mx_hosts: list[str]) -> list[Query]:
        queries = plan.ip_queries(self.domain, mx_hosts)
        await self.recording.collect(queries)   # a name the plan asks too goes out once (coalesced)
        return queries


def _counted(queries: list[Query], facts: DnsFacts, domain: str, ctx: Context) -> list[Query]:
    """``queries`` without autodiscover's when its CNAME answer says they are not the company's
    (where the plan did not ask the CNAME, the A answer's chain says the same)."""
    name = f"autodiscover.{domain}"
    is_cloud = ctx.catalogue.match_autodiscover
    cname = facts.get(name, "CNAME") or facts.get(name, "A")
    if plan.autodiscover_counts(cname, is_cloud=lambda target: is_cloud(target) is not None):
        return queries
    return [q for q in queries if q.name != name]


async def _enrich(analysis: Analysis, target: Target, facts: DnsFacts, queries: list[Query],
                  ctx: Context, *, deadline: float) -> Analysis:
    """Where the servers are: each distinct address looked up once (cached for a day); a
    lookup failure or the time limit leaves ``infrastructure`` null."""
    domain = target.domain
    mx_hosts = [host.host for host in analysis.mx]
    addresses = infrastructure.locate(facts, _counted(queries, facts, domain, ctx), domain=domain,
                                      own=target.registrable_domain or domain, mx_hosts=mx_hosts)
    try:
        async with asyncio.timeout_at(deadline):
            found = await _look_up([a.ip for a in addresses], ctx)
    except TimeoutError:
        found = None
    if found is None:
        return analysis
    infra = infrastructure.build(addresses, found, provider=analysis.provider, gateway=analysis.gateway)
    return analysis.model_copy(update={"infrastructure": infra, "infrastructure_summary": infra.summary_en})


async def _look_up(ips: Sequence[str], ctx: Context) -> dict[str, dict[str, Any]] | None:
    """Each address's facts as a plain dict; None when the lookup failed.

    Hits of an in-process cache are read on the event loop (no thread hand-off for the common
    case of a bulk scan); the database lookups themselves — and every call to a cache that does
    network I/O — run on a worker thread, so a slow adapter never blocks the loop.
    """
    lookup, cache = ctx.ip_lookup, ctx.ip_cache
    assert lookup is not None
    found: dict[str, dict[str, Any]] = {}
    missing, checked = list(ips), False      # distinct already (``infrastructure.locate``)
    version = _recent_version(lookup)
    if cache is not None and getattr(cache, "local", False) and version is not None:
        for ip in missing:
            values = cache.get(_cache_key(ip, version))
            if values is not None:
                found[ip] = values
        missing, checked = [ip for ip in missing if ip not in found], True
    if not missing:
        return found
    try:
        found.update(await asyncio.to_thread(_fetch, missing, lookup, cache, checked=checked))
    except Exception as exc:  # noqa: BLE001 - the adapter edge: scanning must never break
        _log_failure(lookup, exc)
        return None
    return found


def _fetch(ips: Sequence[str], lookup: IpLookup, cache: IpCache | None, *,
           checked: bool) -> dict[str, dict[str, Any]]:
    """On a worker thread: the cache (unless ``checked`` already), else the databases + store."""
    version = _version(lookup)
    out = {}
    for ip in ips:
        key = _cache_key(ip, version)
        values = cache.get(key) if cache is not None and not checked else None
        if values is None:
            values = infrastructure.fact_values(lookup.lookup(ip))
            if cache is not None:
                cache.set(key, values, ttl=IP_CACHE_TTL)
        out[ip] = values
    return out


def ip_cache_key(ip: str, lookup: IpLookup) -> str:
    """The key of ``ip``'s facts in the IP cache: the address and what changes the answer (the
    databases' versions when the adapter says, else its name), hashed to keep keys short."""
    return _cache_key(ip, _version(lookup))


def _version(lookup: IpLookup) -> str:
    """What changes ``lookup``'s answers (may stat or open files: not for the event loop)."""
    version = getattr(lookup, "version", None)
    version = version() if callable(version) else version
    return str(version or getattr(lookup, "name", "ip"))


def _recent_version(lookup: IpLookup) -> str | None:
    """``_version`` without touching files or waiting on locks, when the adapter can say it
    (``Enricher.recent_version``); None otherwise."""
    recent = getattr(lookup, "recent_version", None)
    if callable(recent):
        return recent()  # type: ignore[no-any-return]
    version = getattr(lookup, "version", None)
    return None if callable(version) else str(version or getattr(lookup, "name", "ip"))


@lru_cache(maxsize=64)
def _digest(version: str) -> str:
    return hashlib.sha256(version.encode()).hexdigest()[:16]


def _cache_key(ip: str, version: str) -> str:
    return f"ip:{ip}:{_digest(version)}"


def _log_failure(lookup: IpLookup, exc: Exception) -> None:
    name = getattr(lookup, "name", type(lookup).__name__)
    if name in _failed_lookups:
        return
    _failed_lookups.add(name)
    log.warning("IP lookup %s failed (%s): infrastructure left empty", name, type(exc).__name__,
                extra={"event": "ip_lookup_failed", "adapter": name, "error": type(exc).__name__})


def _status(facts: DnsFacts, domain: str, mx_part: mx.MxResult) -> Status:
    answer = facts.get(domain, "MX")
    if answer is None or answer.status == "error":
        return "dns_error"
    if answer.status == "nxdomain":
        return "nxdomain"
    if mx_part.null_mx:
        return "null_mx"
    return "ok" if mx_part.hosts else "no_mx"


def _judge(target: Target, facts: DnsFacts, spf_part, dmarc_part, ctx: Context) -> Analysis:
    domain = target.domain
    mx_part = mx.parse(facts, domain)
    status = _status(facts, domain, mx_part)
    m365_part = m365.detect(facts, domain, catalogue=ctx.catalogue)
    google_part = google.detect(facts, domain, catalogue=ctx.catalogue)
    if status == "dns_error":         # the MX failed: nothing to classify, say unknown
        verdict = provider.ProviderVerdict(UNKNOWN_PROVIDER, None, None)
    else:
        verdict = provider.classify(facts, domain=domain, mx_hosts=mx_part.hosts, spf=spf_part,
                                    m365=m365_part, google=google_part, catalogue=ctx.catalogue,
                                    registrable_domain=target.registrable_domain)
    size = tenant.estimate(facts, domain, m365=m365_part, google=google_part,
                           gateway=verdict.gateway, spf=spf_part, dmarc=dmarc_part, catalogue=ctx.catalogue)
    dkim_part = dkim.evaluate(facts, domain, ctx.dkim_selectors)
    return scoring.rescore(Analysis(
        domain=domain, input=target.input, status=status,
        reason=_reason(status, facts, domain), registrable_domain=target.registrable_domain,
        mx=mx_part.hosts, mx_fallback_a=mx_part.fallback_a, provider=verdict.provider,
        local_provider=verdict.local_provider, gateway=verdict.gateway, spf=spf_part,
        dmarc=dmarc_part, dkim=dkim_part, m365=m365_part, google=google_part,
        mail_security=transport_security.evaluate(facts, domain), tenant_size=size,
        evidence=_evidence(facts, ctx), analysed_at=_now(ctx), rules_version=ctx.rules_version,
    ), ctx.scoring_rules, referral=None)     # the verdict from the Analysis alone, as a re-score


def _reason(status: Status, facts: DnsFacts, domain: str) -> str | None:
    if status != "dns_error":
        return None
    answer = facts.get(domain, "MX")
    errors = "; ".join(answer.errors) if answer is not None else ""
    return f"MX lookup failed after retries and fallback: {errors or 'no answer'}"


def _evidence(facts: DnsFacts, ctx: Context) -> Evidence:
    records, errors, resolvers = {}, [], set()
    for query, answer in facts.answers.items():
        key = f"{query.name} {query.rdtype}"
        if answer.status == "error":
            errors.append(DnsError(name=query.name, rdtype=query.rdtype, errors=list(answer.errors)))
            continue
        if answer.resolver:
            resolvers.add(answer.resolver)
        shown = [f"CNAME {c}" for c in answer.cnames] + list(answer.records)
        if shown:
            records[key] = shown
        elif answer.status == "nxdomain":
            records[key] = ["NXDOMAIN"]
    return Evidence(records=records, dns_errors=errors, resolvers=sorted(resolvers),
                    rules_version=ctx.rules_version)


def _now(ctx: Context) -> str:
    return ctx.clock().isoformat(timespec="seconds")


def _invalid(target: Target, ctx: Context) -> Analysis:
    return Analysis(domain=target.domain, input=target.input, status="invalid", reason=target.reason,
                    provider=UNKNOWN_PROVIDER, analysed_at=_now(ctx), rules_version=ctx.rules_version)


def _timed_out(target: Target, facts: DnsFacts, ctx: Context) -> Analysis:
    """``dns_error`` with what was learned before the limit, so the evidence shows how far it got."""
    limit = ctx.domain_time_limit
    return scoring.rescore(Analysis(
        domain=target.domain, input=target.input, status="dns_error",
        reason=f"time limit of {limit:g} s per domain exceeded", registrable_domain=target.registrable_domain,
        provider=UNKNOWN_PROVIDER, evidence=_evidence(facts, ctx), analysed_at=_now(ctx),
        rules_version=ctx.rules_version,
    ), ctx.scoring_rules, referral=None)     # segment unknown, no priority: never No-go
