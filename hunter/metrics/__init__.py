"""Prometheus metrics: what Hunter counts.  This package is the only place that imports
``prometheus_client`` (in ``recorder``); ``catalogue`` names every metric, ``readings`` adds the
counters other layers keep, ``scraped`` computes the gauges at scrape time.

Two kinds of metric (the list, with what each means, is docs/operations.md, "Metrics"):

* **recorded** — counters and histograms that the work updates as it happens (``RECORDED``):
  DNS exchanges, scans, enrichment look-ups, Partner Center runs, Dynamics pushes, job tasks,
  API requests.  Layers that must not know Prometheus (``dns/``, the enrichment adapters) keep
  their own plain counters; ``timed_scan`` reads them after each scan and adds what changed.
* **scraped** — gauges the API computes when ``/metrics`` is read (``SCRAPED``,
  ``ServiceCollector``): the job backlog and the last Partner Center success from the database,
  the enrichment databases' state from their files, the build.  No process writes a gauge, so
  a worker child that is killed leaves nothing stale behind.

Multiprocess: when ``PROMETHEUS_MULTIPROC_DIR`` is set before the first metric is touched,
every process writes its counters to files in that folder and ``exposition`` (the API) or
``start_worker_metrics_server`` (a Celery worker and its forked children) sums them.
``prometheus_client`` is imported on first use, so an entry point may still set the variable
after importing Hunter.

Label values are bounded: every value is checked against the label's pattern (a domain never
fits one: only ``resolver``, an address, and ``route``, a template from the code, allow a dot)
and a label takes at most ``MAX_VALUES`` distinct values per process; the rest are counted as
``other``.  Recording never breaks the work: a failing metrics folder is logged once and ignored.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Literal

from .catalogue import MAX_VALUES, PATTERNS, RECORDED, SCRAPED, Spec
from .readings import cache_counts, dns_counts, enrichment_counts, flush, observe_dns, observe_enrichment, sources
from .recorder import MULTIPROC_ENV, exposition, get, multiprocess_dir, never_raises, start_worker_metrics_server
from .scraped import ServiceCollector, built_at, database_files

if TYPE_CHECKING:
    from ..model import Analysis
    from ..pipeline import Context


@never_raises
def observe_task(kind: str, outcome: str, seconds: float) -> None:
    """One job execution (in process: a whole job; on Celery: one task) — outcome ``ok``,
    ``failed``, ``retried`` (it will run again) or ``cancelled``."""
    recorder = get()
    recorder.inc("hunter_job_tasks_total", kind=kind, outcome=outcome)
    recorder.observe("hunter_job_task_duration_seconds", seconds, kind=kind)
    flush()


@never_raises
def observe_scan(analysis: Analysis, seconds: float) -> None:
    provider = analysis.provider.key if analysis.provider is not None else "unknown"
    recorder = get()
    recorder.inc("hunter_domains_scanned_total", status=analysis.status, provider=provider)
    recorder.observe("hunter_scan_duration_seconds", seconds, status=analysis.status)


async def timed_scan(work: Awaitable[Analysis], ctx: Context) -> Analysis:
    """Await one domain's analysis and record it; add what the context's own counters (DNS,
    enrichment, their caches) counted meanwhile — at most every ``EXPORT_EVERY`` seconds, the
    rest by ``flush`` (``observe_task`` flushes at the end of every job execution)."""
    started = time.perf_counter()
    analysis = await work
    observe_scan(analysis, time.perf_counter() - started)
    for source, read in ((ctx.resolver.metrics, dns_counts), (ctx.ip_lookup, enrichment_counts),
                         (ctx.ip_cache, cache_counts)):
        if source is not None:
            sources.offer(source, read)
    return analysis


@never_raises
def observe_pc_sync(outcome: Literal["succeeded", "failed"], *, fetched: int = 0) -> None:
    recorder = get()
    recorder.inc("hunter_partner_center_sync_runs_total", outcome=outcome)
    recorder.inc("hunter_partner_center_referrals_fetched_total", fetched)


@never_raises
def observe_d365_push(summary: Any) -> None:
    """One push run (``flows.push_leads.PushSummary``): leads by outcome, and whether it was cut short."""
    recorder = get()
    for outcome in ("created", "updated", "unchanged", "failed"):
        recorder.inc("hunter_dynamics_leads_pushed_total", getattr(summary, outcome), outcome=outcome)
    recorder.inc("hunter_dynamics_push_runs_total", outcome="aborted" if summary.aborted else "completed")


@never_raises
def observe_d365_result(result: Any, *, mapped: bool = True) -> None:
    """One lead's ``PushResult``: requests sent again for it, and why it failed."""
    recorder = get()
    recorder.inc("hunter_dynamics_resends_total", max(0, result.attempts - 1))
    if result.outcome == "failed":
        recorder.inc("hunter_dynamics_push_failures_total", reason=failure_reason(result.status, mapped=mapped))


def failure_reason(status: int | None, *, mapped: bool = True) -> str:
    if not mapped:
        return "unmappable"
    if status is None:
        return "unreachable"
    if status == 429:
        return "throttled"
    return "server_error" if status >= 500 else "rejected"


@never_raises
def observe_request(method: str, route: str, code: int, seconds: float) -> None:
    get().observe("hunter_http_request_duration_seconds", seconds, method=method, route=route, code=code)


__all__ = ["MAX_VALUES", "MULTIPROC_ENV", "PATTERNS", "RECORDED", "SCRAPED", "ServiceCollector", "Spec", "built_at",
           "cache_counts", "database_files", "dns_counts", "enrichment_counts", "exposition", "failure_reason", "flush",
           "multiprocess_dir", "observe_d365_push", "observe_d365_result", "observe_dns", "observe_enrichment",
           "observe_pc_sync", "observe_request", "observe_scan", "observe_task", "start_worker_metrics_server",
           "timed_scan"]
