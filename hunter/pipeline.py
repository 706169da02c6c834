"""The one analysis pipeline: text -> Analysis.  CLI, API, jobs and flows all call ``analyze``.

    normalise.parse -> DNS (plan + SPF walk + DMARC walk, concurrently) -> analysis parts
    -> scoring -> Analysis (with the evidence it was derived from)
    -> when ``ctx.ip_lookup`` is set: the A/AAAA of MX hosts, apex, www and autodiscover,
       each distinct address looked up once in the offline IP databases -> infrastructure
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from . import normalise
from .analysis import dkim, dmarc, google, infrastructure, m365, mx, provider, spf, tenant, transport_security
from .dns import plan
from .dns.facts import DnsFacts
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
    """What the IP stage needs of a cache (``hunter.cache.Cache`` fits): plain-dict values."""

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
    recording = ctx.resolver.recording(bypass_cache=rescan)
    deadline = asyncio.get_running_loop().time() + ctx.domain_time_limit
    try:
        async with asyncio.timeout_at(deadline):
            spf_part, dmarc_part = await _lookup(target, recording, ctx)
    except TimeoutError:
        return _timed_out(target, recording.facts(target.domain), ctx)
    analysis = _judge(target, recording.facts(target.domain), spf_part, dmarc_part, ctx)
    if ctx.ip_lookup is None or analysis.status not in _ENRICHED_STATUSES:
        return analysis
    return await _enrich(analysis, target, recording, ctx, deadline=deadline)


async def _lookup(target: Target, recording: Recording, ctx: Context) -> tuple[Spf, Dmarc]:
    """Two stages: MX first; the other ~25 queries only when the name exists and answers.

    A domain that does not exist or whose resolvers fail costs one query, not thirty — most of
    a raw lead list's failures end here, and nothing that could change the verdict is skipped.
    """
    domain = target.domain
    first = await recording.query(domain, "MX")
    if first.status in ("error", "nxdomain"):
        return Spf(), Dmarc()
    org = target.registrable_domain or domain
    _, spf_part, dmarc_part = await asyncio.gather(
        recording.collect(plan.queries(domain, dkim_selectors=ctx.dkim_selectors)),
        recording.drive(spf.walk(domain)),
        recording.drive(dmarc.walk(domain, org)),
    )
    return spf_part, dmarc_part


async def _enrich(analysis: Analysis, target: Target, recording: Recording, ctx: Context, *,
                  deadline: float) -> Analysis:
    """Stage 3: where the servers are.  The A/AAAA answers go through the same recording (they
    are evidence); a lookup failure or the time limit leaves ``infrastructure`` null."""
    domain = target.domain
    mx_hosts = [host.host for host in analysis.mx]
    queries = plan.ip_queries(domain, mx_hosts, _autodiscover_target(recording.facts(domain), domain),
                              is_cloud=lambda name: ctx.catalogue.match_autodiscover(name) is not None)
    infra = None
    try:
        async with asyncio.timeout_at(deadline):
            await recording.collect(queries)
            addresses = infrastructure.locate(recording.facts(domain), queries, domain=domain,
                                              own=target.registrable_domain or domain, mx_hosts=mx_hosts)
            found = await asyncio.to_thread(_look_up, [a.ip for a in addresses], ctx)
        if found is not None:
            infra = infrastructure.build(addresses, found, provider=analysis.provider, gateway=analysis.gateway)
    except TimeoutError:
        pass
    return analysis.model_copy(update={
        "infrastructure": infra, "infrastructure_summary": infra.summary_en if infra else None,
        "evidence": _evidence(recording.facts(domain), ctx)})


def _autodiscover_target(facts: DnsFacts, domain: str) -> str | None:
    targets = provider.cname_targets(facts, f"autodiscover.{domain}")
    return targets[0] if targets else None


def _look_up(ips: Sequence[str], ctx: Context) -> dict[str, dict[str, Any]] | None:
    """Each address's facts as a plain dict (cached for a day); None when the lookup failed."""
    lookup = ctx.ip_lookup
    assert lookup is not None
    try:
        return {ip: _facts(ip, lookup, ctx.ip_cache) for ip in ips}
    except Exception as exc:  # noqa: BLE001 - the adapter edge: scanning must never break
        _log_failure(lookup, exc)
        return None


def _facts(ip: str, lookup: IpLookup, cache: IpCache | None) -> dict[str, Any]:
    key = ip_cache_key(ip, lookup)
    values = cache.get(key) if cache is not None else None
    if values is None:
        values = infrastructure.fact_values(lookup.lookup(ip))
        if cache is not None:
            cache.set(key, values, ttl=IP_CACHE_TTL)
    return values


def ip_cache_key(ip: str, lookup: IpLookup) -> str:
    """The key of ``ip``'s facts in the IP cache: the address and what changes the answer (the
    databases' versions when the adapter says, else its name), hashed to keep keys short."""
    version = getattr(lookup, "version", None)
    version = version() if callable(version) else version
    digest = hashlib.sha256(str(version or getattr(lookup, "name", "ip")).encode()).hexdigest()[:16]
    return f"ip:{ip}:{digest}"


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
    scored = scoring.score(scoring.ScoringInput(
        status=status, provider=verdict.provider, gateway=verdict.gateway,
        local_provider=verdict.local_provider, spf=spf_part, dmarc=dmarc_part,
        dkim=dkim_part, tenant_size=size), ctx.scoring_rules)
    return Analysis(
        domain=domain, input=target.input, status=status,
        reason=_reason(status, facts, domain), registrable_domain=target.registrable_domain,
        mx=mx_part.hosts, mx_fallback_a=mx_part.fallback_a, provider=verdict.provider,
        local_provider=verdict.local_provider, gateway=verdict.gateway, spf=spf_part,
        dmarc=dmarc_part, dkim=dkim_part, m365=m365_part, google=google_part,
        mail_security=transport_security.evaluate(facts, domain), tenant_size=size,
        score=scored.score, segment=scored.segment, priority=scored.priority,
        priority_label=scored.priority_label, reasons=list(scored.reasons),
        evidence=_evidence(facts, ctx), analysed_at=_now(ctx), rules_version=ctx.rules_version,
    )


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
    return Analysis(domain=target.domain, input=target.input, status="dns_error",
                    reason=f"time limit of {limit:g} s per domain exceeded",
                    registrable_domain=target.registrable_domain, provider=UNKNOWN_PROVIDER,
                    segment="unknown", priority_label=ctx.scoring_rules.segments["unknown"].en,
                    evidence=_evidence(facts, ctx), analysed_at=_now(ctx), rules_version=ctx.rules_version)
