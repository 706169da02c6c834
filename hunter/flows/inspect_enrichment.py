"""What the IP enrichment is doing, for ``GET /debug/ip-enrichment/…`` and ``hunter enrichment``.

``status`` reports the flag, every provider's files (file names only: never a server path),
versions, errors, the cache and the enricher's metrics.  ``lookup`` asks one address of each
adapter separately (each provider's own answer), of the enricher (the merged answer), and
reports the cache and the stored rows for that address.  Values are plain JSON-ready dicts;
the API and the CLI only format them.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import PurePath
from typing import Any

from sqlalchemy.orm import Session

from .. import pipeline
from ..errors import IntegrationError
from ..integrations import ipfacts
from ..integrations.base import DbFileStatus, EnrichmentSettings, Health, IpFacts, IpLookup
from ..integrations.enrichment import Enricher
from ..store.enrichment import IpEnrichmentRepository

ABSOLUTE_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:)?[\\/][^\s'\",;)]*")


def open_enricher(settings: EnrichmentSettings) -> Enricher | None:
    """Every configured database whether or not the flag is on (to check a setup before it is
    switched on); None when none is configured or found.  The caller closes it."""
    return Enricher.from_settings(settings)


def status(enricher: Any | None, *, enabled: bool, cache: Any | None = None) -> dict[str, Any]:
    """The enrichment configuration as the running process sees it."""
    checks: list[Health] = enricher.checks() if enricher is not None else []
    return {
        "enabled": enabled,
        "available": any(h.ok for h in checks),
        "detail": _detail(enricher, enabled, checks),
        "providers": [provider_status(h) for h in checks],
        "cache": cache_status(cache),
        "metrics": enricher.metrics() if enricher is not None else None,
    }


def _detail(enricher: Any | None, enabled: bool, checks: list[Health]) -> str:
    if enricher is None:
        return ("no enrichment database is configured or found" if enabled
                else "IP enrichment is disabled (HUNTER_ENRICHMENT_ENABLED is off)")
    ok = sum(h.ok for h in checks)
    return f"{ok}/{len(checks)} providers available" + ("" if enabled else " (enrichment is disabled)")


def provider_status(health: Health) -> dict[str, Any]:
    return {"name": health.name, "ok": health.ok, "detail": scrub(health.detail),
            "files": [file_status(f) for f in health.files]}


def file_status(file: DbFileStatus) -> dict[str, Any]:
    """One database file, named by its file name only."""
    return {"file": PurePath(file.path).name, "loaded": file.loaded, "version": file.version,
            "error": scrub(file.error, file.path)}


def scrub(text: str | None, path: str | None = None) -> str | None:
    """``text`` with every absolute path cut to its last part (no server paths leave the host)."""
    if text is None:
        return None
    if path:
        text = text.replace(path, PurePath(path).name)
    return ABSOLUTE_PATH.sub(lambda m: re.split(r"[\\/]", m.group(0))[-1] or m.group(0), text)


def cache_status(cache: Any | None) -> dict[str, Any] | None:
    if cache is None:
        return None
    return {"backend": getattr(cache, "name", type(cache).__name__), "stats": cache.stats.snapshot()}


def address(ip: str) -> str | None:
    """The canonical text of ``ip``, or None when it is not an IP address."""
    parsed = ipfacts.parse(ip)
    return str(parsed) if parsed is not None else None


def lookup(enricher: Any | None, ip: str, *, enabled: bool, session: Session | None = None,
           cache: Any | None = None) -> dict[str, Any]:
    """Each provider's answer for ``ip``, the merged one, the cache entry and the stored rows.

    ``ip`` must be an address (see ``address``).  Special addresses are never looked up.
    """
    text = address(ip)
    if text is None:
        raise ValueError(f"not an IP address: {ip!r}")
    special = ipfacts.classify(ipfacts.parse(text))
    asked = enricher is not None and special is None
    return {
        "ip": text,
        "enabled": enabled,
        "special": special,
        "providers": [provider_answer(a, text) for a in enricher.adapters] if asked else [],
        "merged": facts_dict(enricher.lookup(text)) if enricher is not None else None,
        "cache": cache_entry(cache, enricher, text) if cache is not None and enricher is not None else None,
        "stored": stored(session, text) if session is not None else [],
    }


def cache_key(enricher: Any, ip: str) -> str:
    """The key under which the pipeline caches ``ip``'s facts (see ``pipeline._look_up``)."""
    return pipeline.ip_cache_key(ip, enricher)


def cache_entry(cache: Any, enricher: Any, ip: str) -> dict[str, Any]:
    """The pipeline's cache entry for ``ip``: hit or miss, seconds left when the backend can
    say (``cache.ttl(key)``), and the cached value.  The read counts as one hit or miss."""
    key = cache_key(enricher, ip)
    value = cache.get(key)
    ttl = cache.ttl(key) if callable(getattr(cache, "ttl", None)) else None
    return {"key": key, "state": "hit" if value is not None else "miss", "ttl": ttl, "value": value}


def provider_answer(adapter: IpLookup, ip: str) -> dict[str, Any]:
    """One adapter's own answer (``facts`` null when it knows nothing; ``error`` when it failed)."""
    try:
        return {"name": adapter.name, "facts": facts_dict(adapter.lookup(ip)), "error": None}
    except IntegrationError as exc:
        return {"name": adapter.name, "facts": None, "error": scrub(str(exc))}


def facts_dict(facts: IpFacts | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    values = dataclasses.asdict(facts)
    values["sources"] = list(facts.sources)
    return values


def stored(session: Session, ip: str) -> list[dict[str, Any]]:
    """The leads stored on ``ip``: domain, roles, when a scan last confirmed it."""
    return [{"domain": use.domain, "roles": use.roles, "updated_at": use.updated_at.isoformat()}
            for use in IpEnrichmentRepository(session).for_ip(ip)]


__all__ = ["address", "cache_entry", "cache_key", "cache_status", "file_status", "lookup",
           "open_enricher", "provider_answer", "scrub", "status"]
