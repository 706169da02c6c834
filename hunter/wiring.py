"""Build the ``Context`` from ``Settings``: the only place feature flags are read."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import MemoryCache
from .dns.cache import DnsCache
from .dns.lookup import Resolver
from .dns.metrics import DnsMetrics
from .dns.options import DnsOptions
from .pipeline import Context, IpCache
from .rules import catalogue
from .scoring import rules as scoring_rules
from .integrations.base import IpLookup, LeadSink, ReferralSource
from .settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .jobs.base import JobRunner

log = logging.getLogger("hunter.wiring")
_logged: set[str] = set()   # once-per-process warnings already given


# A domain asks about 30-odd names at once in its second round (plan + SPF + DMARC + the
# addresses for enrichment): the in-flight cap must leave room for all of them for every domain
# in flight, or queries queue behind it and every extra round trip costs a wait at the cap —
# ``dns_concurrency`` sets the pace, the cap only guards against runaway fan-out.
QUERIES_PER_DOMAIN = 32


def dns_options(settings: Settings) -> DnsOptions:
    return DnsOptions.from_addresses(
        settings.dns_nameservers, settings.dns_fallback_nameservers,
        timeout=settings.dns_timeout, attempts=settings.dns_attempts,
        domain_time_limit=settings.dns_domain_time_limit,
        cache_max_entries=settings.dns_cache_max_entries,
        max_in_flight=max(512, settings.dns_concurrency * QUERIES_PER_DOMAIN),
        max_qps=settings.dns_max_qps, public_max_qps=settings.dns_public_max_qps,
    )


def build_context(settings: Settings) -> Context:
    """Everything ``analyze`` needs; raises ConfigError/RulesError with a clear message."""
    options = dns_options(settings)
    cache = DnsCache(ttl_floor=options.cache_ttl_floor, ttl_ceiling=options.cache_ttl_ceiling,
                     negative_ceiling=options.cache_negative_ceiling,
                     max_entries=options.cache_max_entries) if settings.dns_cache_enabled else None
    resolver = Resolver(options, cache=cache, metrics=DnsMetrics())
    rules_dir = settings.rules_dir
    ip_lookup, ip_cache = ip_enrichment(settings)
    return Context(
        resolver=resolver,
        catalogue=catalogue.load(_rules_file(rules_dir, "providers.yaml")),
        scoring_rules=scoring_rules.load(_rules_file(rules_dir, "scoring.yaml") or scoring_rules.DEFAULT_PATH),
        dkim_selectors=settings.dns_dkim_selectors,
        domain_time_limit=settings.dns_domain_time_limit,
        dns_plan=settings.dns_plan,
        ip_lookup=ip_lookup,
        ip_cache=ip_cache,
    )


def ip_enrichment(settings: Settings) -> tuple[IpLookup | None, IpCache | None]:
    """The IP lookup and its cache when ``HUNTER_ENRICHMENT_ENABLED``; (None, None) when off or
    when no database file is found (logged once).  Redis when ``HUNTER_REDIS_URL`` is set."""
    if not settings.enrichment_enabled:
        return None, None
    from .integrations.enrichment import Enricher

    enricher = Enricher.from_settings(settings)
    if enricher is None:
        _warn_once("no_databases", "enrichment on but no databases found: infrastructure stays empty")
        return None, None
    return enricher, _ip_cache(settings)


def referral_source(settings: Settings) -> ReferralSource | None:
    """The Partner Center referral source when ``HUNTER_PARTNER_CENTER_SYNC_ENABLED``, else None;
    raises ConfigError naming the setting when it is on but incomplete.  No request is sent."""
    if not settings.partner_center_sync_enabled:
        return None
    from .integrations.partner_center.adapter import PartnerCenterSource

    return PartnerCenterSource.from_settings(settings)


def lead_sink(settings: Settings) -> LeadSink | None:
    """The Dynamics 365 (Dataverse) sink when ``HUNTER_D365_ENABLED``, else None; raises
    ConfigError naming the setting when it is on but incomplete.  No request is sent."""
    if not settings.d365_enabled:
        return None
    from .integrations.dataverse.adapter import DataverseSink

    return DataverseSink.from_settings(settings)


def dynamics_link(settings: Settings, record_id: str) -> str | None:
    """The deep link to a lead record in Dynamics 365 (``main.aspx``), when the URL is set."""
    if not settings.d365_url:
        return None
    from .integrations.dataverse.adapter import record_url

    return record_url(settings.d365_url, record_id)


def _ip_cache(settings: Settings) -> IpCache:
    if settings.redis_url is None:
        return MemoryCache()
    from .cache.redis import RedisCache

    return RedisCache(settings.redis_url.get_secret_value(), namespace="ip")


def _warn_once(key: str, message: str) -> None:
    if key not in _logged:
        _logged.add(key)
        log.warning(message, extra={"event": "enrichment_" + key})


def _rules_file(rules_dir: Path | None, name: str) -> Path | None:
    return rules_dir / name if rules_dir is not None else None


def job_runner(settings: Settings, sessions: Callable[[], Session]) -> JobRunner:
    """The job runner every door uses (CLI, API, demo), with every job kind the settings allow:
    Celery workers when ``HUNTER_JOBS_BACKEND=celery``, else the in-process runner."""
    if settings.jobs_backend == "celery":
        from .jobs.celery_runner import CeleryRunner

        return CeleryRunner(sessions, settings)
    from .jobs.inprocess import InProcessRunner
    from .jobs.tasks import job_tasks

    return InProcessRunner(sessions, lambda: build_context(settings), concurrency=settings.jobs_concurrency,
                           job_tasks=job_tasks(settings))
