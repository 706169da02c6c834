"""The embedded job runner: one daemon thread with its own event loop, off the request path.

``InProcessRunner`` takes submissions from any thread, keeps a FIFO of job ids and executes the
jobs one at a time on its loop (the API's loop is never blocked).  ``JobExecution`` runs one
job: the items of a job run concurrently (at most ``concurrency`` at once); each item's result
is committed in the same transaction that marks the item done, so a crash loses at most the
items in flight (still pending, redone on resume) and never stores an item twice.

Database calls are synchronous and short (one statement batch and a commit per item); they run
on the runner's loop between the awaits, so one runner needs one connection at a time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .. import metrics
from .. import logs
from ..pipeline import Context
from ..store.jobs import ItemState, JobRepository, JobState
from ..store.models import Job, JobItem, Lead
from .base import JobCancelled, JobInterrupted, JobNotFound, JobScope, JobStatus, cancel_job, describe, job_status
from .tasks import JOB_TASKS, TASKS, ItemTask, JobTask

log = logging.getLogger("hunter.jobs")

SessionFactory = Callable[[], Session]
ContextFactory = Callable[[], Context]
Batch = list[tuple[JobItem, Lead | None]]
OUTCOMES = {"done": "ok", "failed": "failed", "cancelled": "cancelled"}     # else: "retried"


class JobExecution:
    """Executes jobs from the database on the running event loop (one job at a time).

    Shared by the in-process runner and, later, the Celery worker task ``hunter.<kind>``.
    The ``Context`` is built on first use, on this loop, and closed by ``aclose``.
    """

    def __init__(self, sessions: SessionFactory, context_factory: ContextFactory, *,
                 tasks: Mapping[str, ItemTask], concurrency: int, item_timeout: float,
                 job_tasks: Mapping[str, JobTask] = JOB_TASKS,
                 submit: Callable[..., str] | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._sessions, self._context_factory, self._tasks = sessions, context_factory, tasks
        self._job_tasks, self._submit = job_tasks, submit
        self._stopping = threading.Event()      # seen by job-level tasks at their checkpoints
        self._concurrency, self._item_timeout = concurrency, item_timeout
        self._ctx: Context | None = None
        self._halted: set[str] = set()          # jobs to stop: cancelled or closed elsewhere
        self._current: str | None = None
        self._inflight: set[asyncio.Task[None]] = set()

    async def run(self, job_id: str, *, seqs: tuple[int, int] | None = None) -> None:
        """Process the job's pending items (or its job-level task), then finish it (done, or
        failed with a message).  With ``seqs`` (a Celery chunk: ``start <= seq < end``) only
        those items; the job is finished by whichever chunk completes it last."""
        try:
            started = self._start(job_id)
            if started is None:
                return
            job, resumed = started
            if job.kind in self._job_tasks:
                await self._run_whole(job, self._job_tasks[job.kind], resumed)
            else:
                await self._run(job, seqs)
        finally:
            self._halted.discard(job_id)

    def stop(self) -> None:
        """The runner is closing: job-level tasks stop at their next checkpoint (any thread)."""
        self._stopping.set()

    def interrupt(self, job_id: str) -> None:
        """The job was cancelled: claim nothing more and stop the items in flight."""
        self._halted.add(job_id)
        if self._current == job_id:
            for task in list(self._inflight):
                task.cancel()

    async def aclose(self, timeout: float = 5.0) -> None:
        if self._ctx is not None:
            ctx, self._ctx = self._ctx, None
            async with asyncio.timeout(timeout):
                await ctx.aclose()

    # one job

    async def _run(self, job: Job, seqs: tuple[int, int] | None) -> None:
        self._current = job.id
        try:
            task = self._task_for(job.kind)
            completed = await self._run_items(job, task, self._context(), seqs)
        except Exception as exc:  # an item's failure is caught per item; this is the job's own
            self._fail(job.id, exc)
            return
        finally:
            self._current = None
        if completed and seqs is None:
            self._finish(job.id, "done")
        elif completed:
            with self._sessions() as session:
                JobRepository(session).finish_if_complete(job.id)
                session.commit()

    # a job-level task: the whole job is one unit, its answer goes to ``jobs.result``

    async def _run_whole(self, job: Job, task: JobTask, resumed: bool) -> None:
        scope = JobScope(job.id, self._sessions, self._submit or _no_submit, resumed=resumed,
                         stopping=self._stopping)
        try:
            result = await task(self._context(), scope, job)
        except JobInterrupted:                  # closing: stays running, resumed on restart
            log.info("job %s interrupted; it resumes on the next start", job.id)
            return
        except JobCancelled:
            log.info("job %s stopped: cancelled", job.id)
        except Exception as exc:
            self._fail(job.id, exc)
        else:
            self._finish(job.id, "done", result=json.loads(json.dumps(result)))
        for callback in scope.cleanups:         # the job is final and committed
            try:
                callback()
            except Exception as exc:
                log.warning("job %s clean-up failed: %s", job.id, describe(exc))

    def _fail(self, job_id: str, exc: Exception) -> None:
        log.error("job %s failed: %s", job_id, describe(exc))
        log.debug("job %s traceback", job_id, exc_info=True)
        self._finish(job_id, "failed", describe(exc))

    def _task_for(self, kind: str) -> ItemTask:
        task = self._tasks.get(kind)
        if task is None:
            raise LookupError(f"unknown job kind {kind!r}")
        return task

    def _context(self) -> Context:
        if self._ctx is None:
            self._ctx = self._context_factory()
        return self._ctx

    async def _run_items(self, job: Job, task: ItemTask, ctx: Context, seqs: tuple[int, int] | None) -> bool:
        """Run every pending item (of ``seqs``); False when the job was cancelled before the end."""
        gate = asyncio.Semaphore(self._concurrency)
        after, before = (seqs[0] - 1, seqs[1]) if seqs else (-1, None)
        async with asyncio.TaskGroup() as group:
            while batch := self._next_batch(job.id, after, before):
                for item, lead in batch:
                    await gate.acquire()
                    if job.id in self._halted:
                        gate.release()
                        return False
                    self._spawn(group, self._item(ctx, task, job, item, lead), gate)
                after = batch[-1][0].seq
        return job.id not in self._halted

    def _spawn(self, group: asyncio.TaskGroup, work: Coroutine[Any, Any, None],
               gate: asyncio.Semaphore) -> None:
        running = group.create_task(work)
        self._inflight.add(running)
        running.add_done_callback(self._inflight.discard)
        running.add_done_callback(lambda _: gate.release())   # also when cancelled unstarted

    # one item: the result and the item's state in ONE transaction

    async def _item(self, ctx: Context, task: ItemTask, job: Job, item: JobItem,
                    lead: Lead | None) -> None:
        with self._sessions() as session:
            if lead is not None:
                session.merge(lead, load=False)     # session.get(Lead, id) needs no query
            try:
                async with asyncio.timeout(self._item_timeout):
                    await task(ctx, session, job, item)
                session.flush()
            except Exception as exc:
                session.rollback()
                log.warning("job %s item %s failed: %s", job.id, item.seq, describe(exc))
                self._record(session, item, "failed", describe(exc))
            else:
                self._record(session, item, "done")

    def _record(self, session: Session, item: JobItem, state: ItemState,
                error: str | None = None) -> None:
        if JobRepository(session).finish_item(item.job_id, item.seq, state, error):
            session.commit()
        else:                                   # finished elsewhere: the first result stays
            session.rollback()

    # short transactions around the job

    def _start(self, job_id: str) -> tuple[Job, bool] | None:
        """The job, now running and detached, and whether it was running before (a resume)."""
        with self._sessions() as session:
            repo = JobRepository(session)
            job = repo.get(job_id)
            if job is None or job.id in self._halted:
                return None
            resumed = job.status == "running"
            if not repo.mark_running(job):
                return None
            session.commit()
            session.refresh(job)
            return job, resumed                 # detached, fully loaded

    def _next_batch(self, job_id: str, after: int, before: int | None = None) -> Batch:
        """The next pending items with their leads, or nothing when the job was cancelled."""
        with self._sessions() as session:
            repo = JobRepository(session)
            job = repo.get(job_id)
            if job is None or job.status != "running" or job_id in self._halted:
                self._halted.add(job_id)
                return []
            items = repo.claim_pending(job_id, self._concurrency, after=after, before=before)
            ids = {item.lead_id for item in items}
            leads = {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(ids)))}
            return [(item, leads.get(item.lead_id)) for item in items]

    def _finish(self, job_id: str, status: JobState, error: str | None = None,
                result: dict[str, Any] | None = None) -> None:
        with self._sessions() as session:
            JobRepository(session).finish(job_id, status, error, result)
            session.commit()


def _no_submit(*args: Any, **kw: Any) -> str:
    raise RuntimeError("this execution cannot submit follow-up jobs")


class InProcessRunner:
    """The embedded ``JobRunner``: two lanes on a background thread, each running its jobs one
    at a time in submission order — item jobs (scans) and job-level jobs (imports)."""

    def __init__(self, session_factory: SessionFactory, context_factory: ContextFactory, *,
                 concurrency: int = 50, tasks: Mapping[str, ItemTask] = TASKS,
                 job_tasks: Mapping[str, JobTask] = JOB_TASKS,
                 item_timeout: float = 300.0) -> None:
        overlap = set(tasks) & set(job_tasks)
        if overlap:
            raise ValueError(f"job kinds both item and job-level: {', '.join(sorted(overlap))}")
        self._sessions, self._tasks, self._job_tasks = session_factory, tasks, job_tasks
        self._execution = JobExecution(session_factory, context_factory, tasks=tasks,
                                       concurrency=concurrency, item_timeout=item_timeout,
                                       job_tasks=job_tasks, submit=self.submit)
        self._loop = asyncio.new_event_loop()
        self._lanes: dict[str, asyncio.Queue[str]] = {"items": asyncio.Queue(),
                                                      "whole": asyncio.Queue()}
        self._scheduled: set[str] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._main: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._serve, name="hunter-jobs", daemon=True)
        self._thread.start()

    # the JobRunner interface (called from any thread)

    def submit(self, kind: str, params: dict[str, Any], *, lead_ids: Sequence[int]) -> str:
        known = {**self._tasks, **self._job_tasks}
        if kind not in known:
            raise ValueError(f"unknown job kind {kind!r}; known: {', '.join(sorted(known))}")
        if kind in self._job_tasks and lead_ids:
            raise ValueError(f"a {kind!r} job has no items; pass lead_ids=[]")
        payload = json.loads(json.dumps(params))        # JSON only, as a Celery message would be
        self._check_open()
        with self._sessions() as session:
            job_id = JobRepository(session).create(kind, payload, lead_ids).id
            session.commit()
        self._schedule(job_id, kind)                    # enqueued after commit
        return job_id

    def status(self, job_id: str) -> JobStatus:
        return job_status(self._sessions, job_id)

    def cancel(self, job_id: str) -> bool:
        cancelled = cancel_job(self._sessions, job_id)
        if cancelled:
            self._call(self._execution.interrupt, job_id)
        return cancelled

    def resume_pending(self) -> list[str]:
        with self._sessions() as session:
            jobs = [(job.id, job.kind) for job in JobRepository(session).resumable()]
        return [job_id for job_id, kind in jobs if self._schedule(job_id, kind)]

    def close(self, timeout: float = 10.0) -> None:
        """Stop now: items in flight are abandoned uncommitted and redone on resume."""
        with self._lock:
            self._closed = True
        self._execution.stop()                          # job-level tasks: stop at a checkpoint
        self._call(self._stop)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("job runner did not stop within %.1f s", timeout)

    # scheduling

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the job runner is closed")

    def _schedule(self, job_id: str, kind: str) -> bool:
        with self._lock:
            self._check_open()
            if job_id in self._scheduled:
                return False
            self._scheduled.add(job_id)
        lane = self._lanes["whole" if kind in self._job_tasks else "items"]
        self._call(lane.put_nowait, job_id)
        return True

    def _call(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:                            # the loop has already stopped
            log.debug("job runner loop is closed; %s dropped", callback)

    # the runner thread

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._main = self._loop.create_task(self._work())
        try:
            self._loop.run_until_complete(self._main)
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    async def _work(self) -> None:
        try:
            await asyncio.gather(*(self._lane(queue) for queue in self._lanes.values()))
        except asyncio.CancelledError:
            pass
        finally:
            await self._execution.aclose()

    async def _lane(self, queue: asyncio.Queue[str]) -> None:
        while True:
            job_id = await queue.get()
            started = time.perf_counter()
            try:
                with logs.job_context(job_id):
                    await self._execution.run(job_id)
            except Exception as exc:            # e.g. the database went away: keep serving
                log.error("job %s could not be run: %s", job_id, describe(exc))
            finally:
                self._observe(job_id, time.perf_counter() - started)
                with self._lock:
                    self._scheduled.discard(job_id)

    def _observe(self, job_id: str, seconds: float) -> None:
        """The execution's time and how it ended, for the metrics (still running: it resumes)."""
        try:
            job = self.status(job_id)
        except (JobNotFound, SQLAlchemyError):  # deleted, or the database is gone (logged above)
            return
        metrics.observe_task(job.kind, OUTCOMES.get(job.status, "retried"), seconds)

    def _stop(self) -> None:
        if self._main is not None:
            self._main.cancel()
