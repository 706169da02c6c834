"""Counters and a latency histogram of the DNS layer, plus its structured error log.

Counters are kept per rdtype (names in docs/dns.md, "Metrics"); ``snapshot()`` returns plain
dicts ready for JSON or a Prometheus exporter.  Failed exchanges are logged on the
``hunter.dns`` logger with ``extra={"event": "dns_error", "qname", "rdtype", "resolver",
"error"}``.
"""

from __future__ import annotations

import bisect
import logging
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

__all__ = ["COUNTERS", "LATENCY_BUCKETS", "DnsMetrics", "log_error"]

logger = logging.getLogger("hunter.dns")

COUNTERS = (
    "queries",        # query() calls, cache hits included
    "cache_hits",
    "cache_misses",
    "coalesced",      # queries that joined an identical one already in flight
    "sent",           # exchanges started (one per resolver per attempt)
    "timeouts",       # exchanges that timed out
    "failures",       # exchanges that failed otherwise (SERVFAIL, REFUSED, network …)
    "retries",        # attempts after the first, per resolver set
    "fallbacks",      # queries that had to go to the fallback resolvers
    "tcp_retries",    # UDP replies with TC=1 asked again over TCP
    "throttled",      # queries asked again later because a throttling resolver refused them or timed out
)

# Upper bounds in seconds; the last bucket is +Inf.
LATENCY_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class DnsMetrics:
    """Per-rdtype counters, answers by status, per-resolver exchanges, resolution latency."""

    def __init__(self) -> None:
        self.counters: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.answers: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.by_resolver: Counter[str] = Counter()
        self.latency_sum = 0.0
        self.latency_count = 0
        self.latency_buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.pacers: Mapping[object, Any] = {}     # the resolver's ``pacing.Pacer`` by nameserver

    def count(self, counter: str, rdtype: str, n: int = 1) -> None:
        if counter not in COUNTERS:
            raise ValueError(f"unknown DNS counter {counter!r}")
        self.counters[counter][rdtype] += n

    def sent(self, rdtype: str, resolver: str) -> None:
        self.counters["sent"][rdtype] += 1
        self.by_resolver[resolver] += 1

    def answer(self, rdtype: str, status: str) -> None:
        self.answers[rdtype][status] += 1

    def observe(self, seconds: float) -> None:
        """Record the wall time of one resolution that went to the network."""
        self.latency_sum += seconds
        self.latency_count += 1
        self.latency_buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1

    def total(self, counter: str) -> int:
        return sum(self.counters[counter].values())

    def snapshot(self) -> dict[str, object]:
        """Every counter as ``{name: {rdtype: n}}`` plus answers, per-resolver and latency."""
        snap: dict[str, object] = {name: dict(self.counters[name]) for name in COUNTERS}
        snap["answers"] = {rdtype: dict(statuses) for rdtype, statuses in self.answers.items()}
        snap["sent_by_resolver"] = dict(self.by_resolver)
        snap["latency"] = self._latency()
        snap["pacing"] = {str(server): pacer.snapshot() for server, pacer in self.pacers.items()}
        return snap

    def _latency(self) -> dict[str, object]:
        """Cumulative buckets, as Prometheus histograms count them."""
        buckets: dict[str, int] = {}
        running = 0
        for bound, n in zip((*map(str, LATENCY_BUCKETS), "+Inf"), self.latency_buckets):
            running += n
            buckets[bound] = running
        return {"sum": self.latency_sum, "count": self.latency_count, "buckets": buckets}


def log_error(qname: str, rdtype: str, resolver: str, error: str) -> None:
    """One structured line per failed exchange (nothing secret is involved in DNS).

    INFO, not WARNING: a failed attempt is routine in bulk work, is retried, and its outcome is
    carried in the result (``status: dns_error`` with every resolver's error).
    """
    logger.info("dns error %s %s via %s: %s", qname, rdtype, resolver, error,
                   extra={"event": "dns_error", "qname": qname, "rdtype": rdtype,
                          "resolver": resolver, "error": error})
