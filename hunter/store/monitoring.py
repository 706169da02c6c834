"""What the metrics endpoint reads from the database at scrape time: the job backlog and the
state of the Partner Center sync.  A few cheap aggregate queries (on ``ix_jobs_status`` and
``ix_job_items_pending``); like every repository it never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .jobs import ACTIVE
from .models import Job, JobItem, PcSyncRun


@dataclass(frozen=True, slots=True)
class Backlog:
    jobs: dict[tuple[str, str], int]          # (kind, status) -> active jobs (queued, running)
    pending_items: dict[str, int]             # kind -> items still pending in active jobs
    oldest_queued: datetime | None            # when the oldest job still queued was submitted


@dataclass(frozen=True, slots=True)
class SyncState:
    last_success: datetime | None             # the newest succeeded run's end
    last_run_ok: bool | None                  # the newest finished run succeeded (None: no run yet)


class MonitoringRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def backlog(self) -> Backlog:
        jobs = self.session.execute(select(Job.kind, Job.status, func.count())
                                    .where(Job.status.in_(ACTIVE)).group_by(Job.kind, Job.status)).all()
        items = self.session.execute(select(Job.kind, func.count()).select_from(JobItem)
                                     .join(Job, Job.id == JobItem.job_id)
                                     .where(Job.status.in_(ACTIVE), JobItem.state == "pending")
                                     .group_by(Job.kind)).all()
        oldest = self.session.scalar(select(func.min(Job.created_at)).where(Job.status == "queued"))
        return Backlog(jobs={(kind, status): n for kind, status, n in jobs},
                       pending_items={kind: n for kind, n in items}, oldest_queued=_utc(oldest))

    def sync_state(self) -> SyncState:
        last_success = self.session.scalar(select(func.max(PcSyncRun.finished_at))
                                           .where(PcSyncRun.status == "succeeded"))
        last_status = self.session.scalar(select(PcSyncRun.status)
                                          .where(PcSyncRun.status.in_(("succeeded", "failed")))
                                          .order_by(PcSyncRun.id.desc()).limit(1))
        return SyncState(last_success=_utc(last_success),
                         last_run_ok=None if last_status is None else last_status == "succeeded")


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (stored as UTC)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
