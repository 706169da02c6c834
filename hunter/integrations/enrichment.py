"""``Enricher``: the one ``IpLookup`` the pipeline gets, over every configured offline database.

Special addresses (``ipfacts.classify``: private, loopback, documentation, CGNAT…) are labelled
without asking any provider.  Other addresses are asked of each adapter in turn and the answers
merged by ``ipfacts.PRECEDENCE``.  The feature flag ``HUNTER_ENRICHMENT_ENABLED`` is read by
``wiring``, never here: ``Enricher.from_settings`` builds whatever is configured.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Self

from ..errors import IntegrationError, IntegrationUnavailable
from . import ip2location, ipfacts, maxmind
from .base import EnrichmentSettings, Health, IpFacts, IpLookup

log = logging.getLogger("hunter.enrichment")


@dataclass(slots=True)
class _ProviderStats:
    latency_sum: float = 0.0
    latency_count: int = 0
    errors: int = 0

    def snapshot(self) -> dict[str, Any]:
        return {"latency_sum": round(self.latency_sum, 6), "latency_count": self.latency_count,
                "errors": self.errors}


class Enricher:
    """Composite ``IpLookup``: special-address labels first, then every adapter, merged."""

    name = "enrichment"

    def __init__(self, adapters: Sequence[IpLookup], *, recheck_seconds: float = 60.0,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.adapters = tuple(adapters)
        self._clock, self._recheck = clock, recheck_seconds
        self._version_seen: tuple[float, str] | None = None    # (when, what) of the last version()
        self._lock = threading.Lock()
        self._counts = {"lookups": 0, "special": 0, "invalid": 0, "answered": 0}
        self._providers = {a.name: _ProviderStats() for a in self.adapters}
        self._reported: set[tuple[str, str]] = set()

    @classmethod
    def from_settings(cls, settings: EnrichmentSettings, *, recheck_seconds: float = 60.0) -> Self | None:
        """Every database configured or found in the db dir; None when there is none."""
        adapters: list[IpLookup] = []
        for build in (maxmind.from_settings, ip2location.from_settings):
            try:
                adapters.extend(build(settings, recheck_seconds=recheck_seconds))
            except IntegrationUnavailable as exc:   # client library missing: say which extra
                log.warning("enrichment provider skipped: %s", exc,
                            extra={"event": "enrichment_provider_skipped", "system": exc.system})
        return cls(adapters, recheck_seconds=recheck_seconds) if adapters else None

    def lookup(self, ip: str) -> IpFacts | None:
        self._count("lookups")
        address = ipfacts.parse(ip)
        if address is None:
            self._count("invalid")
            return None
        label = ipfacts.classify(address)
        if label is not None:
            self._count("special")
            return IpFacts(ip=str(address), special=label)
        text = str(address)
        answers = [a for a in (self._ask(adapter, text) for adapter in self.adapters) if a is not None]
        merged = ipfacts.merge(text, answers)
        if merged is not None:
            self._count("answered")
        return merged

    def metrics(self) -> dict[str, Any]:
        with self._lock:
            counts = dict(self._counts)
            providers = {name: s.snapshot() for name, s in self._providers.items()}
        for adapter in self.adapters:        # failures the adapters absorbed (missing/corrupt files)
            providers[adapter.name]["errors"] += getattr(adapter, "failures", 0)
        return {**counts, "providers": providers}

    def version(self) -> str:
        """What changes the answers: each provider's file version ("?" while unavailable).
        Cheap: files are stat-ed at most every ``recheck_seconds``.  Use it in cache keys."""
        parts = (f"{h.name}={'+'.join(f.version or '?' for f in h.files) or '?'}" for h in self.checks())
        version = ";".join(parts)
        self._version_seen = (self._clock(), version)
        return version

    def recent_version(self) -> str | None:
        """The last ``version()`` while it is younger than ``recheck_seconds`` (the adapters
        would not have looked at their files again before then either), else None.  Touches no
        file and takes no lock: what the event loop may call before reading a cache."""
        seen = self._version_seen
        if seen is None or self._clock() - seen[0] >= self._recheck:
            return None
        return seen[1]

    def checks(self) -> list[Health]:
        return [adapter.check() for adapter in self.adapters]

    def check(self) -> Health:
        checks = self.checks()
        ok = [h.name for h in checks if h.ok]
        down = [h.name for h in checks if not h.ok]
        detail = f"{len(ok)}/{len(checks)} providers available" + (f"; unavailable: {', '.join(down)}"
                                                                   if down else "")
        files = tuple(f for h in checks for f in h.files)
        return Health(name=self.name, ok=bool(ok), detail=detail, files=files)

    def close(self) -> None:
        for adapter in self.adapters:
            adapter.close()

    def _ask(self, adapter: IpLookup, ip: str) -> IpFacts | None:
        started = self._clock()
        try:
            return adapter.lookup(ip)
        except IntegrationError as exc:
            self._failed(adapter.name, exc)
            return None
        finally:
            self._timed(adapter.name, self._clock() - started)

    def _timed(self, name: str, seconds: float) -> None:
        with self._lock:
            stats = self._providers.setdefault(name, _ProviderStats())
            stats.latency_sum += seconds
            stats.latency_count += 1

    def _failed(self, name: str, exc: IntegrationError) -> None:
        with self._lock:
            self._providers.setdefault(name, _ProviderStats()).errors += 1
            first = (name, str(exc)) not in self._reported
            self._reported.add((name, str(exc)))
        if first:
            log.warning("enrichment provider failed: %s", exc,
                        extra={"event": "enrichment_provider_failed", "provider": name})

    def _count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1
