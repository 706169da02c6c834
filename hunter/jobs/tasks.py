"""The task registries: job kind -> the thin function that handles ONE item of such a job
(``TASKS``), or the whole job when it has no items (``JOB_TASKS``).

An item task is ``async def task(ctx, session, job, item) -> None``.  It does the work for
``item.lead_id`` and writes its result into ``session`` without committing: the runner commits
the result together with the item's ``done`` state, so a result is stored exactly once.

Rules for a task (STYLE.md §9): take ids and JSON only (``job.params``), call one flow, never
wait on another task, raise to mark the item failed.  Hold no database connection across a slow await
(end the read transaction first, as ``flows.scan_leads.scan_lead`` does): concurrent items
would otherwise exhaust the connection pool.  Under Celery the kind
``scan`` is the task named ``hunter.scan`` (see ``celery_name``).

A job-level task is ``async def task(ctx, scope, job) -> dict``: the job has no items; the
returned dict is stored in ``jobs.result`` when the job is ``done`` (an exception makes it
``failed`` with the message in ``jobs.error``).  Blocking work (files, bulk database writes)
runs in a thread (``asyncio.to_thread``) so the runner's loop keeps serving the scan items.
It reports progress with ``scope.progress(session, done=…)`` in the transaction it commits,
which also raises ``JobStopped`` when the job was cancelled or the runner is closing.  It must
be safe to run again from the start: a job that was running when the process died is resumed
by re-running it (``scope.resumed`` is then true).
"""

from __future__ import annotations

import asyncio
from dataclasses import fields, replace
from datetime import datetime
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import leadfile
from ..errors import ConfigError, InputError, IntegrationError
from ..flows import scan_leads
from ..flows.import_leads import CHUNK_SIZE, import_leads
from ..flows.sync_referrals import sync_referrals
from ..flows.push_leads import PushOptions, push_leads
from ..integrations.base import LeadSink, ReferralSource
from ..sales import load_config
from ..store.leads import LeadFilter, LeadRepository
from ..pipeline import Context
from ..settings import Settings
from ..store.imports import ImportRepository
from ..store.models import ImportRow, Job, JobItem
from .base import JobScope

ItemTask = Callable[[Context, Session, Job, JobItem], Awaitable[None]]
JobTask = Callable[[Context, JobScope, Job], Awaitable[dict[str, Any]]]


async def scan(ctx: Context, session: Session, job: Job, item: JobItem) -> None:
    """Analyse the item's lead and store the scan and its change events (``params.rescan``
    bypasses the DNS cache)."""
    await scan_leads.scan_lead(ctx, session, item.lead_id, rescan=bool(job.params.get("rescan", False)),
                               job_id=job.id)


TASKS: dict[str, ItemTask] = {"scan": scan}


# --- import: a job-level task -----------------------------------------------------------------

RESUMED_NOTE = ("resumed after a restart: the file was imported again from its first row as a "
                "new batch (leads are merged, never doubled); the interrupted batch is marked "
                "failed and listed in previous_batches, its new leads counted as imported here")


async def import_file(ctx: Context, scope: JobScope, job: Job) -> dict[str, Any]:
    """Import the saved upload ``params.path`` (a blocking job: run in a thread); with
    ``params.scan`` start a scan job for the file's leads after the import is committed."""
    path = Path(job.params["path"])
    scope.after_finish(lambda: path.unlink(missing_ok=True))   # done, failed or cancelled
    return await asyncio.to_thread(_import_file, scope, job)


def _import_file(scope: JobScope, job: Job) -> dict[str, Any]:
    params = job.params
    path, shown = Path(params["path"]), params.get("name") or Path(params["path"]).name
    earlier = _interrupted_batches(scope, job)
    rows_read = 0

    def counted(rows):
        nonlocal rows_read
        for row in rows:
            rows_read += 1
            yield row

    partial: dict[str, Any] = {"previous_batches": earlier} if earlier else {}
    with scope.sessions() as session:
        def started(batch_id: int) -> None:
            partial["batch_id"] = batch_id

        def checkpoint() -> None:      # the chunk and the job's progress: one transaction
            scope.progress(session, done=rows_read, result=dict(partial))
            session.commit()

        try:
            if not path.is_file():
                raise InputError(f"file {shown}: the uploaded file is gone; upload it again")
            rows = leadfile.read(path, max_rows=params.get("max_rows"), max_bytes=params.get("max_bytes"))
            outcome = import_leads(session, counted(rows), source=params.get("source") or shown,
                                   chunk_size=int(params.get("chunk_size") or CHUNK_SIZE),
                                   checkpoint=checkpoint, started=started)
        except InputError as exc:
            raise InputError(str(exc).replace(str(path), shown)) from None
        earlier_imported = _imported_rows(session, earlier)
    result: dict[str, Any] = {
        "imported": outcome.imported + earlier_imported,
        "duplicates": max(0, outcome.duplicates - earlier_imported),
        "rejected": [{"row": r.row, "value": r.value, "reason": r.reason} for r in outcome.rejected],
        "rejected_count": outcome.rejected_count,
        "batch_id": outcome.batch_id,
        "scan_job": None,
    }
    if earlier or scope.resumed:
        result |= {"resumed": True, "previous_batches": earlier, "note": RESUMED_NOTE}
    if params.get("scan") and outcome.lead_ids:                 # enqueued after the commit
        result["scan_job"] = scope.submit("scan", {"rescan": False}, lead_ids=outcome.lead_ids)
    return result


def _interrupted_batches(scope: JobScope, job: Job) -> list[int]:
    """The batches of earlier, interrupted runs of this job (from its partial result), now
    marked failed; a fresh job has none."""
    partial = job.result or {}
    earlier = [int(b) for b in partial.get("previous_batches", [])]
    if partial.get("batch_id") is not None:
        earlier.append(int(partial["batch_id"]))
    if not earlier:
        return []
    with scope.sessions() as session:
        imports = ImportRepository(session)
        for batch_id in earlier:
            batch = imports.get(batch_id)
            if batch is not None and batch.status == "running":
                imports.finish(batch, imported=0, duplicates=0, rejected=0, status="failed",
                               error=f"interrupted; job {job.id} imported the file again")
        session.commit()
    return list(dict.fromkeys(earlier))


def _imported_rows(session: Session, batches: list[int]) -> int:
    """Rows that created a lead in the interrupted batches (the rerun sees those as duplicates)."""
    if not batches:
        return 0
    return int(session.scalar(select(func.count()).select_from(ImportRow)
                              .where(ImportRow.batch_id.in_(batches), ImportRow.outcome == "imported")) or 0)


JOB_TASKS: dict[str, JobTask] = {"import": import_file}


# --- pc_sync: the Partner Center referral sync, a job-level task --------------------------------

def pc_sync_task(source_factory: Callable[[], ReferralSource | None], *, create_leads: bool) -> JobTask:
    """The ``pc_sync`` task for a source built on demand (``wiring.referral_source``): one
    ``flows.sync_referrals`` run in a thread; a scan job for the leads it created is started
    after its commit.  A failed run (source down, sign-in refused) fails the job with the run's
    reason; the run row keeps the detail.  Re-running from the start is safe (the merge is
    idempotent), so a resumed job simply syncs again."""

    async def pc_sync(ctx: Context, scope: JobScope, job: Job) -> dict[str, Any]:
        return await asyncio.to_thread(_pc_sync, ctx, scope, job, source_factory, create_leads)

    return pc_sync


def _pc_sync(ctx: Context, scope: JobScope, job: Job, source_factory: Callable[[], ReferralSource | None],
             create_leads: bool) -> dict[str, Any]:
    source = source_factory()
    if source is None:
        raise ConfigError("HUNTER_PARTNER_CENTER_SYNC_ENABLED", "is off; turn it on to sync referrals")
    try:
        outcome = sync_referrals(scope.sessions, source, rules=ctx.scoring_rules,
                                 full=bool(job.params.get("full")), trigger=str(job.params.get("trigger") or "job"),
                                 job_id=job.id, create_leads=create_leads)
    finally:
        source.close()
    if outcome.status != "succeeded":
        raise IntegrationError("partner_center", f"sync run {outcome.run_id} failed: {outcome.reason}")
    result = outcome.summary() | {"scan_job": None}
    if outcome.new_lead_ids:                                  # enqueued after the flow's commit
        result["scan_job"] = scope.submit("scan", {"rescan": False}, lead_ids=list(outcome.new_lead_ids))
    return result


# --- d365_push: leads into Dynamics 365, a job-level task ---------------------------------------

def d365_push_task(sink_factory: Callable[[], LeadSink | None], options: PushOptions) -> JobTask:
    """The ``d365_push`` task: the leads matching ``params.filter`` (a ``LeadFilter`` as JSON;
    ``{"dynamics": "stale"}`` is ``--changed``) pushed by ``flows.push_leads`` in a thread, with
    progress.  Safe to run again: pushes are upserts by the alternate key, and leads already
    pushed with the same values cost no request."""

    async def d365_push(ctx: Context, scope: JobScope, job: Job) -> dict[str, Any]:
        return await asyncio.to_thread(_d365_push, scope, job, sink_factory, options)

    return d365_push


def _d365_push(scope: JobScope, job: Job, sink_factory: Callable[[], LeadSink | None],
               options: PushOptions) -> dict[str, Any]:
    sink = sink_factory()
    if sink is None:
        raise ConfigError("HUNTER_D365_ENABLED", "is off; turn it on to push leads to Dynamics 365")
    try:
        with scope.sessions() as session:
            ids = list(LeadRepository(session).ids_matching(lead_filter(job.params.get("filter") or {})))
            scope.progress(session, done=0, total=len(ids))
            session.commit()

        def progress(done: int, total: int) -> None:
            with scope.sessions() as session:
                scope.progress(session, done=done, total=total)
                session.commit()

        run = replace(options, force=bool(job.params.get("force")), job_id=job.id,
                      trigger=str(job.params.get("trigger") or "job"))
        summary = push_leads(scope.sessions, sink, ids, options=run, progress=progress)
    finally:
        sink.close()
    if summary.aborted:
        raise IntegrationError("dataverse", f"push stopped: {summary.aborted}")
    return summary.to_dict() | {"leads": len(ids)}


def lead_filter(data: dict[str, Any]) -> LeadFilter:
    """A ``LeadFilter`` from job params (unknown keys refused: a job never guesses)."""
    known = {f.name for f in fields(LeadFilter)}
    unknown = set(data) - known
    if unknown:
        raise InputError(f"unknown lead filter fields: {', '.join(sorted(unknown))}")
    values = dict(data)
    if values.get("priority") is not None:
        values["priority"] = tuple(values["priority"])
    if values.get("scanned_before"):
        values["scanned_before"] = datetime.fromisoformat(values["scanned_before"])
    return LeadFilter(**values)


def filter_params(filters: LeadFilter) -> dict[str, Any]:
    """The JSON form of a ``LeadFilter`` (``lead_filter`` reads it back); unset fields left out."""
    data = {f.name: getattr(filters, f.name) for f in fields(LeadFilter)}
    data = {k: v for k, v in data.items() if v not in (None, ())}
    if "priority" in data:
        data["priority"] = list(data["priority"])
    if "scanned_before" in data:
        data["scanned_before"] = data["scanned_before"].isoformat()
    return data


def job_tasks(settings: Settings) -> dict[str, JobTask]:
    """Every job-level task, the ones that need settings bound to ``settings``."""
    from ..wiring import lead_sink, referral_source

    push = PushOptions(sales_config=load_config(settings.sales_config), public_url=settings.public_url)
    return {**JOB_TASKS,
            "pc_sync": pc_sync_task(lambda: referral_source(settings), create_leads=settings.pc_create_leads),
            "d365_push": d365_push_task(lambda: lead_sink(settings), push)}


def celery_name(kind: str) -> str:
    """The Celery task name for a job kind: ``hunter.<verb>``."""
    return f"hunter.{kind}"
