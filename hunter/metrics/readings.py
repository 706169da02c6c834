"""Counters kept elsewhere — a resolver's ``DnsMetrics``, the ``Enricher``, an IP cache — read
from outside and added to the metrics as increments, so the layers that keep them never import
Prometheus."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from .recorder import get, never_raises


Counts = dict[tuple[str, tuple[tuple[str, str], ...]], float]      # (metric, labels) -> running total
EXPORT_EVERY = 1.0


class Sources:
    """Counters kept elsewhere (a resolver's ``DnsMetrics``, the ``Enricher``, an IP cache), added
    to the metrics as increments since their last export."""

    def __init__(self) -> None:
        self._last: weakref.WeakKeyDictionary[object, Counts] = weakref.WeakKeyDictionary()
        self._when: weakref.WeakKeyDictionary[object, float] = weakref.WeakKeyDictionary()
        self._readers: weakref.WeakKeyDictionary[object, Callable[[Any], Counts]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def offer(self, source: object, read: Callable[[Any], Counts]) -> None:
        """Export when the source's last export is ``EXPORT_EVERY`` seconds old (a scan's hot path)."""
        if time.monotonic() - self._when.get(source, float("-inf")) >= EXPORT_EVERY:
            self.export(source, read)

    @never_raises
    def export(self, source: object, read: Callable[[Any], Counts]) -> None:
        now = read(source)
        with self._lock:
            before = self._last.get(source, {})
            self._last[source], self._when[source], self._readers[source] = now, time.monotonic(), read
        recorder = get()
        for key, value in now.items():
            grown = value - before.get(key, 0)
            if grown > 0:
                recorder.add(key, grown)

    def flush(self) -> None:
        with self._lock:
            sources = list(self._readers.items())
        for source, read in sources:
            self.export(source, read)


sources = Sources()


def flush() -> None:
    """Export every pending count of the sources seen by ``timed_scan`` (call it on the thread
    that runs the scans, e.g. when a job execution ends)."""
    sources.flush()


def observe_dns(dns_metrics: Any) -> None:
    """Add what a resolver's ``DnsMetrics`` counted since its last export, now."""
    sources.export(dns_metrics, dns_counts)


def observe_enrichment(ip_lookup: Any, ip_cache: Any = None) -> None:
    """Add what the IP lookup (``Enricher.metrics()``) and its cache counted since their last export."""
    for source, read in ((ip_lookup, enrichment_counts), (ip_cache, cache_counts)):
        if source is not None:
            sources.export(source, read)


DNS_COUNTERS = {"queries": "hunter_dns_queries_total", "retries": "hunter_dns_retries_total",
                "fallbacks": "hunter_dns_fallbacks_total", "tcp_retries": "hunter_dns_tcp_retries_total",
                "coalesced": "hunter_dns_coalesced_total", "throttled": "hunter_dns_throttled_total"}
DNS_ERRORS = {"timeouts": "timeout", "failures": "failure"}
DNS_CACHE = {"cache_hits": "hit", "cache_misses": "miss"}


def dns_counts(dns_metrics: Any) -> Counts:
    """The running totals of a ``DnsMetrics`` (``snapshot()``, docs/dns.md) as metric samples."""
    snap = dns_metrics.snapshot()
    counts: Counts = {}
    for counter, name in DNS_COUNTERS.items():
        for rdtype, n in (snap.get(counter) or {}).items():
            counts[(name, (("rdtype", rdtype),))] = n
    for counter, kind in DNS_ERRORS.items():
        for rdtype, n in (snap.get(counter) or {}).items():
            counts[("hunter_dns_exchange_errors_total", (("kind", kind), ("rdtype", rdtype)))] = n
    for counter, result in DNS_CACHE.items():
        counts[("hunter_dns_cache_requests_total", (("result", result),))] = sum((snap.get(counter) or {}).values())
    for rdtype, statuses in (snap.get("answers") or {}).items():
        for status, n in statuses.items():
            counts[("hunter_dns_answers_total", (("rdtype", rdtype), ("status", status)))] = n
    for resolver, n in (snap.get("sent_by_resolver") or {}).items():
        counts[("hunter_dns_exchanges_total", (("resolver", resolver),))] = n
    for resolver, pacer in (snap.get("pacing") or {}).items():
        counts[("hunter_dns_pacing_decreases_total", (("resolver", resolver),))] = pacer.get("decreases") or 0
    return counts


def enrichment_counts(ip_lookup: Any) -> Counts:
    """The running totals of an ``Enricher`` (``metrics()``); nothing for a lookup without them."""
    found = ip_lookup.metrics() if hasattr(ip_lookup, "metrics") else {}
    plain = {key: found.get(key, 0) for key in ("lookups", "special", "invalid", "answered")}
    results = {"special": plain["special"], "invalid": plain["invalid"], "answered": plain["answered"],
               "unanswered": plain["lookups"] - plain["special"] - plain["invalid"] - plain["answered"]}
    counts: Counts = {("hunter_enrichment_lookups_total", (("result", result),)): n
                      for result, n in results.items()} if found else {}
    for database, stats in (found.get("providers") or {}).items():
        counts[("hunter_enrichment_provider_errors_total", (("database", database),))] = stats.get("errors", 0)
    return counts


def cache_counts(cache: Any) -> Counts:
    """The hits and misses of the IP cache (``hunter.cache``'s ``stats``)."""
    stats = getattr(cache, "stats", None)
    if stats is None:
        return {}
    return {("hunter_enrichment_cache_requests_total", (("result", "hit"),)): stats.hits,
            ("hunter_enrichment_cache_requests_total", (("result", "miss"),)): stats.misses}
