"""The one small interface every job runner speaks (in-process today, Celery later).

A caller submits a job (a kind such as ``scan``, JSON params and the lead ids it covers) and
gets its id back; the job row and its items are committed *before* the job is scheduled, so a
runner never sees a job that a rolled-back transaction took away.  Progress is read back from
the database with ``status``, whichever runner (or process) is executing the job.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ..store.jobs import FINAL, JobRepository
from ..store.models import Job


class JobNotFound(LookupError):
    """No job has this id."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"no job {job_id!r}")


@dataclass(frozen=True, slots=True)
class JobStatus:
    id: str
    kind: str
    status: str                   # queued, running, done, failed, cancelled
    total: int
    done: int
    failed: int
    progress: float               # finished items / total, 0..1
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None = None   # a job-level task's answer (an import's counts)

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    @classmethod
    def of(cls, job: Job) -> JobStatus:
        return cls(id=job.id, kind=job.kind, status=job.status, total=job.total, done=job.done,
                   failed=job.failed, progress=_progress(job), error=job.error,
                   created_at=job.created_at, started_at=job.started_at,
                   finished_at=job.finished_at, result=job.result)


class JobStopped(Exception):
    """A job-level task must stop at its next checkpoint (raised by ``JobScope.progress``)."""


class JobCancelled(JobStopped):
    """The job was cancelled: roll back the open chunk and stop; the job stays ``cancelled``."""


class JobInterrupted(JobStopped):
    """The runner is closing: roll back and stop; the job stays ``running`` and is resumed."""


@dataclass(slots=True)
class JobScope:
    """What a job-level task gets besides the context (see ``hunter.jobs.tasks.JobTask``).

    ``progress`` writes the job's progress in the caller's transaction (commit it with the
    work it counts) and raises ``JobStopped`` when the job was cancelled or the runner is
    closing.  ``submit`` starts a follow-up job; call it only after your own commit and never
    wait on that job.  ``after_finish`` callbacks run once the job's final state (done, failed
    or cancelled) is committed — not when the runner closes mid-way, because the job resumes.
    """

    job_id: str
    sessions: Callable[[], Session]
    submit: Callable[..., str]
    resumed: bool = False               # the job was running when the process stopped
    stopping: threading.Event = field(default_factory=threading.Event)
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def progress(self, session: Session, *, done: int, total: int | None = None,
                 result: dict[str, Any] | None = None) -> None:
        if self.stopping.is_set():
            raise JobInterrupted(f"job {self.job_id}: the runner is closing")
        if not JobRepository(session).progress(self.job_id, done=done, total=total, result=result):
            raise JobCancelled(f"job {self.job_id} is no longer running")

    def after_finish(self, callback: Callable[[], None]) -> None:
        self.cleanups.append(callback)


class JobRunner(Protocol):
    def submit(self, kind: str, params: dict[str, Any], *, lead_ids: Sequence[int]) -> str:
        """Create the job (own transaction, committed), then schedule it; return its id."""
        ...

    def status(self, job_id: str) -> JobStatus:
        """The job's persisted progress; raises ``JobNotFound``."""
        ...

    def cancel(self, job_id: str) -> bool:
        """Stop a queued or running job (pending items stay pending); False if already final."""
        ...

    def resume_pending(self) -> list[str]:
        """At start-up: schedule every queued or running job again; return their ids."""
        ...

    def close(self, timeout: float = 10.0) -> None:
        """Stop taking work and release resources; unfinished jobs resume on the next start."""
        ...


_CREDENTIALS = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def describe(exc: BaseException) -> str:
    """A one-line, secret-free account of ``exc`` for ``jobs.error`` and ``job_items.error``."""
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return describe(exc.exceptions[0])
    if isinstance(exc, TimeoutError) and not str(exc):
        return "TimeoutError: timed out"
    lines = str(exc).strip().splitlines()
    text = _CREDENTIALS.sub(r"\1***@", lines[0] if lines else "")
    name = type(exc).__name__
    return f"{name}: {text}"[:500] if text else name


def _progress(job: Job) -> float:
    if job.total <= 0:
        return 1.0 if job.status == "done" else 0.0
    return min(1.0, (job.done + job.failed) / job.total)


def job_status(sessions: Callable[[], Session], job_id: str) -> JobStatus:
    """A job's status from the database, whichever runner executes it."""
    with sessions() as session:
        job = JobRepository(session).get(job_id)
        if job is None:
            raise JobNotFound(job_id)
        return JobStatus.of(job)


def cancel_job(sessions: Callable[[], Session], job_id: str) -> bool:
    """Cancel an active job in the database (False when already final); the runner then stops it."""
    with sessions() as session:
        repo = JobRepository(session)
        if repo.get(job_id) is None:
            raise JobNotFound(job_id)
        cancelled = repo.cancel(job_id)
        session.commit()
    return cancelled
