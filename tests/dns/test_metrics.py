from __future__ import annotations

import pytest

from hunter.dns.metrics import COUNTERS, DnsMetrics


def test_snapshot_has_every_counter_per_rdtype() -> None:
    metrics = DnsMetrics()
    metrics.count("queries", "MX", 3)
    metrics.count("timeouts", "A")
    metrics.sent("MX", "127.0.0.1:5300")
    metrics.answer("MX", "ok")
    snap = metrics.snapshot()
    assert set(COUNTERS) <= set(snap)
    assert snap["queries"] == {"MX": 3}
    assert snap["timeouts"] == {"A": 1}
    assert snap["sent"] == {"MX": 1}
    assert snap["sent_by_resolver"] == {"127.0.0.1:5300": 1}
    assert snap["answers"] == {"MX": {"ok": 1}}
    assert metrics.total("queries") == 3


def test_latency_histogram_is_cumulative() -> None:
    metrics = DnsMetrics()
    for seconds in (0.001, 0.02, 0.3, 20.0):
        metrics.observe(seconds)
    latency = metrics.snapshot()["latency"]
    assert latency["count"] == 4  # type: ignore[index]
    assert latency["sum"] == pytest.approx(20.321)  # type: ignore[index]
    buckets = latency["buckets"]  # type: ignore[index]
    assert (buckets["0.005"], buckets["0.025"], buckets["0.5"], buckets["10.0"], buckets["+Inf"]) == (1, 2, 3, 3, 4)


def test_unknown_counter_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown DNS counter"):
        DnsMetrics().count("querys", "A")
