"""The task registry: job kind -> the thin function that handles ONE item of such a job.

An item task is ``async def task(ctx, session, job, item) -> None``.  It does the work for
``item.lead_id`` and writes its result into ``session`` without committing: the runner commits
the result together with the item's ``done`` state, so a result is stored exactly once.

Rules for a task (STYLE.md §9): take ids and JSON only (``job.params``), call one flow, never
wait on another task, raise to mark the item failed.  Hold no database connection across a slow await
(end the read transaction first, as ``flows.scan_leads.scan_lead`` does): concurrent items
would otherwise exhaust the connection pool.  Under Celery the kind
``scan`` is the task named ``hunter.scan`` (see ``celery_name``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.orm import Session

from ..flows import scan_leads
from ..pipeline import Context
from ..store.models import Job, JobItem

ItemTask = Callable[[Context, Session, Job, JobItem], Awaitable[None]]


async def scan(ctx: Context, session: Session, job: Job, item: JobItem) -> None:
    """Analyse the item's lead and store the scan and its change events (``params.rescan``
    bypasses the DNS cache)."""
    await scan_leads.scan_lead(ctx, session, item.lead_id, rescan=bool(job.params.get("rescan", False)),
                               job_id=job.id)


TASKS: dict[str, ItemTask] = {"scan": scan}


def celery_name(kind: str) -> str:
    """The Celery task name for a job kind: ``hunter.<verb>``."""
    return f"hunter.{kind}"
