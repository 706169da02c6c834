"""``CeleryRunner``: the ``JobRunner`` whose jobs run on Celery workers.

``submit`` writes the job and its items (committed) and only then sends the messages: an item
job (a bulk scan) fans out as chunks of ``HUNTER_CELERY_CHUNK_SIZE`` items (``hunter.items``)
that any worker may take; a job-level job is one ``hunter.job`` message.  Status, progress and
cancellation are the database's, exactly as with the in-process runner, so every door (CLI,
API, web, schedule) works the same on both.  ``resume_pending`` sends again the chunks that still
hold pending items (after a broker was emptied, say); a chunk delivered twice is harmless.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from celery import Celery
from sqlalchemy.orm import Session

from ..settings import Settings
from ..store.jobs import JobRepository
from .base import JobStatus, cancel_job, job_status
from .celery_app import make_app
from .tasks import TASKS, job_tasks

log = logging.getLogger("hunter.jobs")


class CeleryRunner:
    def __init__(self, sessions: Callable[[], Session], settings: Settings, *, app: Celery | None = None) -> None:
        self._sessions, self._settings = sessions, settings
        self._app = app or make_app(settings)
        self._item_kinds, self._job_kinds = set(TASKS), set(job_tasks(settings))
        self._chunk = settings.celery_chunk_size

    def submit(self, kind: str, params: dict[str, Any], *, lead_ids: Sequence[int]) -> str:
        known = self._item_kinds | self._job_kinds
        if kind not in known:
            raise ValueError(f"unknown job kind {kind!r}; known: {', '.join(sorted(known))}")
        if kind in self._job_kinds and lead_ids:
            raise ValueError(f"a {kind!r} job has no items; pass lead_ids=[]")
        payload = json.loads(json.dumps(params))
        with self._sessions() as session:
            job = JobRepository(session).create(kind, payload, lead_ids)
            job_id, total = job.id, job.total
            session.commit()
        self._send(job_id, kind, [(start, start + self._chunk) for start in range(0, total, self._chunk)])
        return job_id

    def status(self, job_id: str) -> JobStatus:
        return job_status(self._sessions, job_id)

    def cancel(self, job_id: str) -> bool:
        """The workers see it before their next item; pending items stay pending."""
        return cancel_job(self._sessions, job_id)

    def resume_pending(self) -> list[str]:
        resumed = []
        with self._sessions() as session:
            repo = JobRepository(session)
            jobs = [(job.id, job.kind, repo.pending_chunks(job.id, self._chunk)) for job in repo.resumable()]
        for job_id, kind, chunks in jobs:
            self._send(job_id, kind, chunks)
            resumed.append(job_id)
        return resumed

    def close(self, timeout: float = 10.0) -> None:
        self._app.close()

    def _send(self, job_id: str, kind: str, chunks: list[tuple[int, int]]) -> None:
        if kind in self._job_kinds:
            self._app.send_task("hunter.job", args=[job_id])
            return
        for start, end in chunks:
            self._app.send_task("hunter.items", args=[job_id, start, end])
        if not chunks:                       # an empty job: nothing will finish it but us
            with self._sessions() as session:
                repo = JobRepository(session)
                job = repo.get(job_id)
                if job is not None and repo.mark_running(job):
                    repo.finish_if_complete(job_id)
                session.commit()
        log.info("job %s (%s) sent as %d chunks", job_id, kind, len(chunks), extra={"event": "job_sent", "job": job_id})


__all__ = ["CeleryRunner"]
