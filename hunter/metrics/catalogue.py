"""What Hunter exports: every metric's name, type, help and labels (``RECORDED``: counters and
histograms the work updates; ``SCRAPED``: gauges the API reads at scrape time), and the patterns
that keep label values bounded.  Plain data: no ``prometheus_client`` here."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Literal

MAX_VALUES = {"route": 300, "*": 100}     # distinct values one label may take in one process


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    type: Literal["counter", "histogram", "gauge"]
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()


SCAN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0)
TASK_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 21600.0)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

RECORDED: tuple[Spec, ...] = (
    Spec("hunter_dns_queries_total", "counter", "DNS questions asked, cache hits included.", ("rdtype",)),
    Spec("hunter_dns_answers_total", "counter", "Final DNS answers by status.", ("rdtype", "status")),
    Spec("hunter_dns_exchanges_total", "counter",
         "DNS exchanges sent, one per resolver per attempt.", ("resolver",)),
    Spec("hunter_dns_exchange_errors_total", "counter",
         "DNS exchanges that timed out or failed otherwise (SERVFAIL, REFUSED, network).", ("rdtype", "kind")),
    Spec("hunter_dns_retries_total", "counter", "DNS attempts after the first, per resolver set.", ("rdtype",)),
    Spec("hunter_dns_fallbacks_total", "counter", "DNS questions that went on to the fallback resolvers.",
         ("rdtype",)),
    Spec("hunter_dns_tcp_retries_total", "counter", "Truncated UDP answers asked again over TCP.", ("rdtype",)),
    Spec("hunter_dns_throttled_total", "counter",
         "DNS questions asked again later because a throttling resolver refused them or timed out.", ("rdtype",)),
    Spec("hunter_dns_pacing_decreases_total", "counter",
         "Times Hunter slowed its pace to a resolver because the resolver pushed back.", ("resolver",)),
    Spec("hunter_dns_coalesced_total", "counter", "DNS questions that joined an identical one in flight.",
         ("rdtype",)),
    Spec("hunter_dns_cache_requests_total", "counter", "DNS cache look-ups by result (hit, miss).", ("result",)),
    Spec("hunter_domains_scanned_total", "counter", "Stored leads' domains analysed, by status and mail provider.",
         ("status", "provider")),
    Spec("hunter_scan_duration_seconds", "histogram", "Wall time of one domain's analysis.", ("status",),
         SCAN_BUCKETS),
    Spec("hunter_enrichment_lookups_total", "counter",
         "IP enrichment look-ups by result (answered, unanswered, special, invalid).", ("result",)),
    Spec("hunter_enrichment_provider_errors_total", "counter",
         "Failed reads of an enrichment database.", ("database",)),
    Spec("hunter_enrichment_cache_requests_total", "counter", "IP enrichment cache look-ups by result.",
         ("result",)),
    Spec("hunter_partner_center_sync_runs_total", "counter", "Partner Center sync runs by outcome.",
         ("outcome",)),
    Spec("hunter_partner_center_referrals_fetched_total", "counter", "Referrals read from Partner Center."),
    Spec("hunter_dynamics_leads_pushed_total", "counter",
         "Leads pushed to Dynamics 365 by outcome (created, updated, unchanged, failed).", ("outcome",)),
    Spec("hunter_dynamics_push_failures_total", "counter",
         "Leads Dynamics 365 did not take, by reason (throttled, rejected, server_error, unreachable, unmappable).",
         ("reason",)),
    Spec("hunter_dynamics_resends_total", "counter",
         "Requests sent again for a lead (throttled, retried, or create and update turned)."),
    Spec("hunter_dynamics_push_runs_total", "counter", "Dynamics 365 push runs by outcome (completed, aborted).",
         ("outcome",)),
    Spec("hunter_job_tasks_total", "counter", "Job executions by kind and outcome (ok, failed, retried, cancelled).",
         ("kind", "outcome")),
    Spec("hunter_job_task_duration_seconds", "histogram", "Wall time of one job execution.", ("kind",),
         TASK_BUCKETS),
    Spec("hunter_http_request_duration_seconds", "histogram", "API request latency by route template.",
         ("method", "route", "code"), HTTP_BUCKETS),
)

SCRAPED: tuple[Spec, ...] = (
    Spec("hunter_build_info", "gauge", "Always 1; the version and the jobs backend.", ("version", "jobs_backend")),
    Spec("hunter_database_up", "gauge", "1 when the database answered the scrape's queries."),
    Spec("hunter_jobs_active", "gauge", "Jobs queued or running, by kind and status.", ("kind", "status")),
    Spec("hunter_job_items_pending", "gauge", "Items (leads) still to do in queued and running jobs.", ("kind",)),
    Spec("hunter_job_oldest_queued_timestamp_seconds", "gauge",
         "When the oldest job still queued was submitted (absent when none is)."),
    Spec("hunter_partner_center_sync_enabled", "gauge", "1 when HUNTER_PARTNER_CENTER_SYNC_ENABLED is on."),
    Spec("hunter_partner_center_last_success_timestamp_seconds", "gauge",
         "When the last successful Partner Center sync finished (0: never)."),
    Spec("hunter_partner_center_last_run_success", "gauge",
         "1 when the last finished Partner Center sync succeeded, 0 when it failed (absent before the first)."),
    Spec("hunter_enrichment_enabled", "gauge", "1 when HUNTER_ENRICHMENT_ENABLED is on."),
    Spec("hunter_enrichment_databases_loaded", "gauge", "Enrichment database files loaded and usable."),
    Spec("hunter_enrichment_database_loaded", "gauge", "1 when this enrichment database is loaded.", ("database",)),
    Spec("hunter_enrichment_database_build_timestamp_seconds", "gauge",
         "When this enrichment database was built (its build date, else the file's modification time).",
         ("database",)),
)

WORD = re.compile(r"[a-z0-9_-]{1,40}")
PATTERNS: dict[str, re.Pattern[str]] = {
    "rdtype": re.compile(r"[A-Z0-9]{1,10}"),
    "resolver": re.compile(r"\[?[0-9A-Fa-f:.]{2,45}\]?(:\d{1,5})?"),     # an address, never a name
    "route": re.compile(r"/[A-Za-z0-9_{}/.:-]{0,119}|unmatched"),
    "method": re.compile(r"GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS"),
    "code": re.compile(r"[1-5]\d\d"),
}


class Labels:
    """Bounded label values: the label's pattern, and at most ``MAX_VALUES`` per label."""

    def __init__(self) -> None:
        self._seen: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def clean(self, name: str, value: object) -> str:
        text = str(value)
        if not PATTERNS.get(name, WORD).fullmatch(text):
            return "other"
        with self._lock:
            seen = self._seen.setdefault(name, set())
            if text not in seen:
                if len(seen) >= MAX_VALUES.get(name, MAX_VALUES["*"]):
                    return "other"
                seen.add(text)
        return text
