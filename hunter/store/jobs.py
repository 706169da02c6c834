"""Jobs and their items: the persisted progress of long work (bulk scan, import, rescan).

A job is a row in ``jobs`` plus one ``job_items`` row per unit (a lead), numbered ``seq`` 0..n-1.
An item moves ``pending -> done|failed`` exactly once: ``finish_item`` only updates a row that
is still pending and bumps the job's counters in the same statement batch, so the caller can
commit an item's result together with its state and a second attempt becomes a no-op.

Like every repository, this one never commits: the caller owns the transaction.

    queued ──mark_running──> running ──finish──> done | failed
       └──────────────┴──cancel──> cancelled
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from .models import Job, JobItem

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
ItemState = Literal["pending", "done", "failed"]

ACTIVE: tuple[str, ...] = ("queued", "running")
FINAL: tuple[str, ...] = ("done", "failed", "cancelled")
ERROR_LIMIT = 2000


class JobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, kind: str, params: dict[str, Any], lead_ids: Iterable[int]) -> Job:
        """A queued job with one pending item per distinct lead (``seq`` in the given order)."""
        ids = list(dict.fromkeys(int(lead_id) for lead_id in lead_ids))
        job = Job(id=str(uuid.uuid4()), kind=kind, status="queued", params=dict(params),
                  total=len(ids), done=0, failed=0, created_at=_now())
        self.session.add(job)
        self.session.flush()
        if ids:
            rows = [{"job_id": job.id, "seq": seq, "lead_id": lead_id, "state": "pending"}
                    for seq, lead_id in enumerate(ids)]
            self.session.execute(insert(JobItem), rows)
        return job

    def get(self, job_id: str) -> Job | None:
        return self.session.get(Job, job_id)

    def list(self, limit: int = 50, status: str | None = None) -> list[Job]:
        """The newest jobs first, optionally only those in ``status``."""
        query = select(Job).order_by(Job.created_at.desc(), Job.id).limit(limit)
        if status is not None:
            query = query.where(Job.status == status)
        return list(self.session.scalars(query))

    def mark_running(self, job: Job) -> bool:
        """queued|running -> running (``started_at`` kept from a first start); False if final."""
        result = self.session.execute(
            update(Job).where(Job.id == job.id, Job.status.in_(ACTIVE))
            .values(status="running", started_at=job.started_at or _now())
            .execution_options(synchronize_session=False))
        self.session.refresh(job)
        return result.rowcount == 1

    def claim_pending(self, job_id: str, limit: int, *, after: int = -1,
                      before: int | None = None) -> list[JobItem]:
        """Up to ``limit`` items still pending, in ``seq`` order, with ``after < seq < before``.

        Reading is enough to claim here: ``finish_item`` refuses an item that somebody else
        (another worker given the same chunk again) finished meanwhile.
        """
        query = (select(JobItem)
                 .where(JobItem.job_id == job_id, JobItem.state == "pending", JobItem.seq > after)
                 .order_by(JobItem.seq).limit(limit))
        if before is not None:
            query = query.where(JobItem.seq < before)
        return list(self.session.scalars(query))

    def start_chunk(self, job_id: str, start: int, end: int, *, max_attempts: int) -> int:
        """A worker starts on items ``start <= seq < end``: count the attempt of each pending
        one, and fail those that already had ``max_attempts`` (their chunk killed its worker
        every time: a poison item).  Returns how many were failed so."""
        in_chunk = (JobItem.job_id == job_id, JobItem.state == "pending", JobItem.seq >= start, JobItem.seq < end)
        poison = self.session.scalars(select(JobItem.seq).where(*in_chunk, JobItem.attempts >= max_attempts)).all()
        for seq in poison:
            self.finish_item(job_id, seq, "failed", f"gave up after {max_attempts} attempts: the worker "
                                                    "stopped (killed or crashed) while scanning this lead")
        self.session.execute(update(JobItem).where(*in_chunk).values(attempts=JobItem.attempts + 1)
                             .execution_options(synchronize_session=False))
        return len(poison)

    def finish_if_complete(self, job_id: str) -> bool:
        """A running job whose items are all finished becomes ``done`` (once, whoever asks)."""
        pending = select(JobItem.seq).where(JobItem.job_id == job_id, JobItem.state == "pending").exists()
        moved = self.session.execute(
            update(Job).where(Job.id == job_id, Job.status == "running", ~pending)
            .values(status="done", finished_at=_now()).execution_options(synchronize_session=False))
        return moved.rowcount == 1

    def pending_chunks(self, job_id: str, size: int) -> list[tuple[int, int]]:
        """``(start, end)`` seq ranges of ``size`` that still hold pending items (for a resume)."""
        seqs = self.session.scalars(select(JobItem.seq).where(JobItem.job_id == job_id, JobItem.state == "pending")
                                    .order_by(JobItem.seq)).all()
        starts = sorted({seq - seq % size for seq in seqs})
        return [(start, start + size) for start in starts]

    def finish_item(self, job_id: str, seq: int, state: ItemState, error: str | None = None) -> bool:
        """pending -> ``state`` and the job's done/failed counter + 1; False if not pending.

        Loaded ``Job`` objects are not refreshed (one call per item must stay cheap).
        """
        if state not in ("done", "failed"):
            raise ValueError(f"an item finishes as done or failed, not {state!r}")
        moved = self.session.execute(
            update(JobItem).where(JobItem.job_id == job_id, JobItem.seq == seq,
                                  JobItem.state == "pending")
            .values(state=state, error=_clip(error)).execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            return False
        counter = Job.done if state == "done" else Job.failed
        self.session.execute(update(Job).where(Job.id == job_id).values({counter: counter + 1})
                             .execution_options(synchronize_session=False))
        return True

    def finish(self, job: Job | str, status: JobState, error: str | None = None,
               result: dict[str, Any] | None = None) -> bool:
        """An active job becomes ``status`` (with a job-level task's ``result``); False if it
        was already final (e.g. cancelled)."""
        if status not in FINAL:
            raise ValueError(f"a job finishes as one of {FINAL}, not {status!r}")
        return self._close(_job_id(job), status, error, result)

    def progress(self, job_id: str, *, done: int, total: int | None = None,
                 result: dict[str, Any] | None = None) -> bool:
        """A running job-level job's progress (and, optionally, ``total`` and a partial
        ``result``); False when the job is no longer running (cancelled or finished)."""
        values: dict[str, Any] = {"done": done}
        if total is not None:
            values["total"] = total
        if result is not None:
            values["result"] = result
        moved = self.session.execute(
            update(Job).where(Job.id == job_id, Job.status == "running").values(values)
            .execution_options(synchronize_session=False))
        return moved.rowcount == 1

    def resumable(self) -> list[Job]:
        """Jobs that were queued or running, oldest first: what a restart must pick up."""
        query = select(Job).where(Job.status.in_(ACTIVE)).order_by(Job.created_at, Job.id)
        return list(self.session.scalars(query))

    def cancel(self, job_id: str) -> bool:
        """An active job becomes cancelled (its pending items stay pending); False otherwise."""
        return self._close(job_id, "cancelled", None)

    def _close(self, job_id: str, status: str, error: str | None,
               outcome: dict[str, Any] | None = None) -> bool:
        values: dict[str, Any] = {"status": status, "error": _clip(error), "finished_at": _now()}
        if outcome is not None:
            values["result"] = outcome
        result = self.session.execute(
            update(Job).where(Job.id == job_id, Job.status.in_(ACTIVE)).values(values)
            .execution_options(synchronize_session=False))
        self.session.get(Job, job_id, populate_existing=True)   # a loaded Job shows the change
        return result.rowcount == 1


def _job_id(job: Job | str) -> str:
    return job if isinstance(job, str) else job.id


def _clip(text: str | None) -> str | None:
    return text if text is None or len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"


def _now() -> datetime:
    return datetime.now(UTC)
