"""Jobs on Celery: the app, its configuration from ``Settings``, and the worker-side tasks.

The job's state lives in the database (the same ``jobs`` / ``job_items`` rows the in-process
runner uses); the broker only carries *which chunk to work on*.  Three tasks, all thin:

* ``hunter.items(job_id, start, end)`` — the pending items ``start <= seq < end`` of an item job
  (a scan), run by ``JobExecution`` exactly as in-process.  Each item's result is committed with
  its ``done`` state, so a chunk delivered twice (a worker killed mid-chunk, a visibility
  timeout) redoes only what is still pending: every lead ends scanned once per job.  The job is
  finished by whichever chunk completes it last.  An item whose chunk killed its worker
  ``MAX_ATTEMPTS`` times is failed with that reason (a poison item), not redelivered forever.
* ``hunter.job(job_id)`` — a job-level task (import, Partner Center sync, Dynamics push).
* ``hunter.schedule(name)`` — what beat sends: submits the schedule's job once per time slot.

Messages are acknowledged late (after the work) and rejected back to the queue when the worker
process is lost; a worker takes one message at a time.  Celery is imported only here and in
``celery_runner``: the in-process default needs no broker and no Celery.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from celery import Celery

from .. import metrics
from .. import logs
from ..settings import Settings

log = logging.getLogger("hunter.jobs")

QUEUES = {"items": "hunter.items", "whole": "hunter.jobs", "schedule": "hunter.jobs"}
MAX_ATTEMPTS = 3            # deliveries of one chunk before its unfinished items are failed


def make_app(settings: Settings) -> Celery:
    """A Celery app configured from the settings (the broker URL is a secret: never logged)."""
    app = Celery("hunter", set_as_current=False)
    app.conf.update(
        broker_url=broker_url(settings),
        broker_connection_retry_on_startup=True,
        broker_transport_options={         # Redis: an unacked message (its worker was killed) returns after
            "visibility_timeout": settings.celery_visibility_timeout,      # this long, found by a sweep
            "unacked_restore_interval": max(1, min(10, settings.celery_visibility_timeout // 3)),
            "unacked_restore_throttle": 1},                                 # every interval, not every 10th
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json", accept_content=["json"],
        task_default_queue=QUEUES["items"],
        task_routes={"hunter.items": {"queue": QUEUES["items"]}, "hunter.job": {"queue": QUEUES["whole"]},
                     "hunter.schedule": {"queue": QUEUES["schedule"]}},
        worker_hijack_root_logger=False,
        worker_max_tasks_per_child=settings.celery_max_tasks_per_child,
        timezone="UTC", enable_utc=True,
    )
    register_tasks(app, settings)
    return app


def broker_url(settings: Settings) -> str:
    """``HUNTER_BROKER_URL``, else Redis (``HUNTER_REDIS_URL``), else Redis on 127.0.0.1."""
    if settings.broker_url is not None:
        return settings.broker_url.get_secret_value()
    if settings.redis_url is not None:
        return settings.redis_url.get_secret_value()
    return "redis://127.0.0.1:6379/0"


def register_tasks(app: Celery, settings: Settings) -> None:
    worker = _Worker(app, settings)

    @app.task(name="hunter.items", shared=False, bind=True, acks_late=True, reject_on_worker_lost=True)
    def items(self: Any, job_id: str, start: int, end: int) -> None:
        worker.items(job_id, start, end)

    @app.task(name="hunter.job", shared=False, bind=True, acks_late=True, reject_on_worker_lost=True)
    def job(self: Any, job_id: str) -> None:
        worker.whole(job_id)

    @app.task(name="hunter.schedule", shared=False, bind=True, acks_late=True)
    def schedule(self: Any, name: str) -> None:
        from .schedules import run_schedule

        run_schedule(settings, name, submit=worker.runner().submit, sessions=worker.sessions())


class _Worker:
    """Per worker process: one event loop, one ``Context``, one ``JobExecution`` (built after the
    fork, on first use) so the DNS cache and the database pool live as long as the process."""

    def __init__(self, app: Celery, settings: Settings) -> None:
        self.app, self.settings = app, settings
        self._pid: int | None = None
        self._state: dict[str, Any] = {}

    def items(self, job_id: str, start: int, end: int) -> None:
        from ..store.jobs import JobRepository

        with self.sessions()() as session:
            JobRepository(session).start_chunk(job_id, start, end, max_attempts=MAX_ATTEMPTS)
            session.commit()
        self._timed(job_id, self.execution().run(job_id, seqs=(start, end)))

    def whole(self, job_id: str) -> None:
        self._timed(job_id, self.execution().run(job_id))

    def _timed(self, job_id: str, work: Any) -> None:
        """Run ``work`` with the job's id on every log line; its duration by the job's kind."""
        from ..store.jobs import JobRepository

        with self.sessions()() as session:
            job = JobRepository(session).get(job_id)
            kind = job.kind if job is not None else "unknown"
        started, outcome = time.monotonic(), "ok"
        try:
            with logs.job_context(job_id):
                self._ensure()["loop"].run_until_complete(work)
        except Exception:
            outcome = "failed"
            raise
        finally:
            metrics.observe_task(kind, outcome, time.monotonic() - started)

    def sessions(self) -> Any:
        return self._ensure()["sessions"]

    def execution(self) -> Any:
        return self._ensure()["execution"]

    def runner(self) -> Any:
        return self._ensure()["runner"]

    def _ensure(self) -> dict[str, Any]:
        if self._pid != os.getpid():           # first use in this (forked) process
            self._state = self._build()
            self._pid = os.getpid()
        return self._state

    def _build(self) -> dict[str, Any]:
        from ..store import db
        from ..wiring import build_context
        from .celery_runner import CeleryRunner
        from .inprocess import JobExecution
        from .tasks import TASKS, job_tasks

        engine = db.make_engine(self.settings.database())
        sessions = db.session_factory(engine)
        runner = CeleryRunner(sessions, self.settings, app=self.app)
        execution = JobExecution(sessions, lambda: build_context(self.settings), tasks=TASKS,
                                 concurrency=self.settings.jobs_concurrency, item_timeout=300.0,
                                 job_tasks=job_tasks(self.settings), submit=runner.submit)
        return {"loop": asyncio.new_event_loop(), "sessions": sessions, "execution": execution,
                "runner": runner, "engine": engine}


__all__ = ["MAX_ATTEMPTS", "QUEUES", "broker_url", "make_app"]
