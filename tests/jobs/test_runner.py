"""InProcessRunner on SQLite and PostgreSQL: scans, order, failures, cancel, crash and resume.

The runner commits from its own thread, so each test gets a fresh migrated database (not a
rolled-back transaction)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hunter.jobs import TASKS, InProcessRunner, JobNotFound, JobStatus
from hunter.jobs.tasks import ItemTask
from hunter.settings import Settings
from hunter.store import migrate
from hunter.store.db import make_engine, session_factory
from hunter.store.jobs import JobRepository
from hunter.store.models import JobItem, Lead, Scan
from hunter.wiring import build_context

Sessions = sessionmaker[Session]

SANDBOX_DOMAINS = [
    "m365-tenant.test", "gworkspace.test", "selfhosted.test", "zoho-co.test", "hybrid-co.test",
    "mimecast-co.test", "gateway-m365.test", "akdenizmedikal.com.tr", "anadolutekstil.com.tr",
    "bogazicimimarlik.com", "cukurovatarim.com.tr", "egelojistik.com.tr",
]


# --- fixtures and helpers --------------------------------------------------------------------

@pytest.fixture
def sessions(database_url: str) -> Iterator[Sessions]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def start(sessions: Sessions) -> Iterator[Callable[..., InProcessRunner]]:
    """Start runners on this test's database; every one is closed at the end."""
    started: list[InProcessRunner] = []

    def make(context_factory: Callable[[], object] | None = None, **kw: object) -> InProcessRunner:
        runner = InProcessRunner(sessions, context_factory or FakeContext, **kw)  # type: ignore[arg-type]
        started.append(runner)
        return runner

    yield make
    for runner in started:
        runner.close(timeout=5)


@dataclass
class FakeResolver:
    built_on: str = field(default_factory=lambda: threading.current_thread().name)
    closed_on: str | None = None

    async def aclose(self) -> None:
        self.closed_on = threading.current_thread().name


@dataclass
class FakeContext:
    """Enough of a Context for tasks that never call ``analyze``."""
    resolver: FakeResolver = field(default_factory=FakeResolver)

    async def aclose(self) -> None:
        await self.resolver.aclose()


def add_leads(sessions: Sessions, domains: list[str]) -> list[int]:
    now = datetime.now(UTC)
    with sessions() as session:
        leads = [Lead(domain=d, created_at=now, updated_at=now) for d in domains]
        session.add_all(leads)
        session.commit()
        return [lead.id for lead in leads]


def numbered(count: int) -> list[str]:
    return [f"lead{i}.test" for i in range(count)]


def store_scan(session: Session, job_id: str, lead: Lead) -> None:
    session.add(Scan(lead_id=lead.id, scanned_at=datetime.now(UTC), status="ok", job_id=job_id,
                     analysis={"domain": lead.domain}))


def recording(calls: list[int], *, delay: float = 0.0, fail: set[int] = frozenset()) -> ItemTask:
    """A task that stores a stand-in scan (no DNS) and records the leads it was called for."""
    async def task(ctx, session: Session, job, item: JobItem) -> None:
        calls.append(item.lead_id)
        lead = session.get(Lead, item.lead_id)
        await asyncio.sleep(delay)
        if item.lead_id in fail:
            raise ValueError(f"cannot handle {lead.domain}")
        store_scan(session, job.id, lead)
    return task


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def finished(runner: InProcessRunner, job_id: str, timeout: float = 30.0) -> JobStatus:
    wait_for(lambda: runner.status(job_id).finished, timeout)
    return runner.status(job_id)


def scans_per_lead(sessions: Sessions, job_id: str) -> Counter[int]:
    with sessions() as session:
        return Counter(session.scalars(select(Scan.lead_id).where(Scan.job_id == job_id)))


def item_states(sessions: Sessions, job_id: str) -> list[tuple[str, str | None]]:
    with sessions() as session:
        rows = session.execute(select(JobItem.state, JobItem.error)
                               .where(JobItem.job_id == job_id).order_by(JobItem.seq))
        return [tuple(row) for row in rows]


# --- the happy path ----------------------------------------------------------------------------

def test_a_scan_job_stores_one_scan_per_lead(sessions: Sessions, start,
                                             world_settings: Settings) -> None:
    ids = add_leads(sessions, SANDBOX_DOMAINS)
    runner = start(lambda: build_context(world_settings), concurrency=4)
    job_id = runner.submit("scan", {"rescan": True}, lead_ids=ids)
    status = finished(runner, job_id)
    assert (status.kind, status.status, status.error) == ("scan", "done", None)
    assert (status.total, status.done, status.failed, status.progress) == (12, 12, 0, 1.0)
    assert status.created_at <= status.started_at <= status.finished_at
    assert scans_per_lead(sessions, job_id) == Counter(ids)
    with sessions() as session:
        scans = {s.lead_id: s for s in session.scalars(select(Scan).where(Scan.job_id == job_id))}
        leads = {lead.id: lead for lead in session.scalars(select(Lead))}
    assert all(scans[i].analysis["domain"] == leads[i].domain for i in ids)
    assert all(leads[i].last_scan_id == scans[i].id for i in ids)     # the verdict is copied
    assert scans[ids[0]].analysis["provider"]["key"] != "unknown"


def test_slow_dns_never_holds_a_database_connection(database_url: str, start, world,
                                                    world_settings: Settings) -> None:
    """More concurrent items than the pool has connections, each waiting on slow DNS: an item
    must not keep a connection while it waits (regression: the pool ran dry)."""
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    engine.pool._max_overflow, engine.pool._pool.maxsize = 0, 2      # a pool of 2
    sessions = session_factory(engine)
    ids = add_leads(sessions, SANDBOX_DOMAINS)
    runner = InProcessRunner(sessions, lambda: build_context(world_settings), concurrency=12)
    world.latency = 0.2
    try:
        status = finished(runner, runner.submit("scan", {"rescan": True}, lead_ids=ids))
    finally:
        world.latency = 0.0
        runner.close(timeout=5)
        engine.dispose()
    assert (status.status, status.done, status.failed) == ("done", len(ids), 0)


def test_jobs_run_one_at_a_time_in_submission_order(sessions: Sessions, start) -> None:
    calls: list[int] = []
    first, second = add_leads(sessions, numbered(3)), add_leads(sessions, ["x.test", "y.test"])
    runner = start(tasks={"scan": recording(calls, delay=0.01)}, concurrency=1)
    jobs = [runner.submit("scan", {}, lead_ids=first), runner.submit("scan", {}, lead_ids=second)]
    assert [finished(runner, job).status for job in jobs] == ["done", "done"]
    assert calls == first + second


def test_an_empty_job_is_done_at_once(start) -> None:
    runner = start(tasks={"scan": recording([])})
    status = finished(runner, runner.submit("scan", {}, lead_ids=[]))
    assert (status.status, status.total, status.progress) == ("done", 0, 1.0)


def test_the_context_is_built_and_closed_on_the_runner_thread(start, sessions: Sessions) -> None:
    contexts: list[FakeContext] = []
    runner = start(lambda: contexts.append(FakeContext()) or contexts[-1],
                   tasks={"scan": recording([])})
    finished(runner, runner.submit("scan", {}, lead_ids=add_leads(sessions, numbered(2))))
    runner.close()
    [ctx] = contexts
    assert ctx.resolver.built_on == ctx.resolver.closed_on == "hunter-jobs"


def test_items_run_concurrently_up_to_the_bound(sessions: Sessions, start) -> None:
    active = peak = 0

    async def task(ctx, session, job, item) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.02)
        active -= 1

    runner = start(tasks={"scan": task}, concurrency=3)
    status = finished(runner, runner.submit("scan", {}, lead_ids=add_leads(sessions, numbered(20))))
    assert (status.status, status.done) == ("done", 20)
    assert peak == 3


# --- failures ---------------------------------------------------------------------------------

def test_a_failing_item_is_recorded_and_the_job_still_finishes(sessions: Sessions, start) -> None:
    ids = add_leads(sessions, numbered(4))
    runner = start(tasks={"scan": recording([], fail={ids[1]})})
    job_id = runner.submit("scan", {}, lead_ids=ids)
    status = finished(runner, job_id)
    assert (status.status, status.done, status.failed, status.progress) == ("done", 3, 1, 1.0)
    assert item_states(sessions, job_id)[1] == ("failed", "ValueError: cannot handle lead1.test")
    assert scans_per_lead(sessions, job_id) == Counter([ids[0], ids[2], ids[3]])


def test_an_item_that_overruns_its_timeout_fails(sessions: Sessions, start) -> None:
    runner = start(tasks={"scan": recording([], delay=5)}, item_timeout=0.05)
    job_id = runner.submit("scan", {}, lead_ids=add_leads(sessions, numbered(1)))
    assert finished(runner, job_id).failed == 1
    assert item_states(sessions, job_id) == [("failed", "TimeoutError: timed out")]


def test_a_job_level_error_fails_the_job_without_secrets(sessions: Sessions, start) -> None:
    def broken_context() -> FakeContext:
        raise RuntimeError("cannot reach postgresql://hunter:s3cret@db.example/hunter\nmore")

    runner = start(broken_context, tasks={"scan": recording([])})
    status = finished(runner, runner.submit("scan", {}, lead_ids=add_leads(sessions, numbered(2))))
    assert status.status == "failed"
    assert status.error == "RuntimeError: cannot reach postgresql://hunter:***@db.example/hunter"
    ok = start(tasks={"scan": recording([])})        # the next job is unaffected
    assert finished(ok, ok.submit("scan", {}, lead_ids=add_leads(sessions, ["z.test"]))).status == "done"


def test_submit_rejects_what_it_cannot_run(sessions: Sessions, start) -> None:
    runner = start(tasks={"scan": recording([])})
    with pytest.raises(ValueError, match="unknown job kind 'mine'"):
        runner.submit("mine", {}, lead_ids=[])
    with pytest.raises(TypeError):
        runner.submit("scan", {"when": datetime.now(UTC)}, lead_ids=[])
    with pytest.raises(IntegrityError):                 # no such lead: nothing is committed
        runner.submit("scan", {}, lead_ids=[424242])
    with sessions() as session:
        assert JobRepository(session).list(10) == []
    with pytest.raises(JobNotFound):
        runner.status("no-such-job")


# --- cancel -----------------------------------------------------------------------------------

def blocking(started: list[int], release: threading.Event) -> ItemTask:
    async def task(ctx, session, job, item) -> None:
        started.append(item.lead_id)
        while not release.is_set():
            await asyncio.sleep(0.005)
        store_scan(session, job.id, session.get(Lead, item.lead_id))
    return task


def test_cancel_stops_a_running_job_and_a_queued_one(sessions: Sessions, start) -> None:
    started: list[int] = []
    release = threading.Event()
    runner = start(tasks={"scan": blocking(started, release)}, concurrency=2)
    running = runner.submit("scan", {}, lead_ids=add_leads(sessions, numbered(10)))
    queued = runner.submit("scan", {}, lead_ids=add_leads(sessions, ["q.test"]))
    wait_for(lambda: len(started) == 2)
    assert runner.cancel(queued) and runner.cancel(running)
    assert not runner.cancel(running)
    release.set()
    later_ids = add_leads(sessions, ["later.test"])
    later = runner.submit("scan", {}, lead_ids=later_ids)
    assert finished(runner, later).status == "done"      # the runner moved on
    for job_id in (running, queued):
        status = runner.status(job_id)
        assert (status.status, status.done, status.failed) == ("cancelled", 0, 0)
        assert scans_per_lead(sessions, job_id) == Counter()
    assert runner.status(queued).started_at is None
    assert len(started) == 3 and started[2:] == later_ids
    assert item_states(sessions, running) == [("pending", None)] * 10
    with pytest.raises(JobNotFound):
        runner.cancel("no-such-job")


# --- crash and resume: no domain lost, none done twice -----------------------------------------

def test_resume_after_a_crash_neither_loses_nor_repeats_a_domain(sessions: Sessions, start,
                                                                 world_settings: Settings) -> None:
    ids = add_leads(sessions, SANDBOX_DOMAINS)
    first: list[int] = []

    async def dies_after_three(ctx, session, job, item) -> None:
        if len(first) >= 3:                   # the process dies while these are in flight
            await asyncio.Event().wait()
        first.append(item.lead_id)
        await TASKS["scan"](ctx, session, job, item)

    crashing = start(lambda: build_context(world_settings), tasks={"scan": dies_after_three},
                     concurrency=4)
    job_id = crashing.submit("scan", {}, lead_ids=ids)
    wait_for(lambda: crashing.status(job_id).done == 3)
    crashing.close()
    assert (crashing.status(job_id).status, crashing.status(job_id).done) == ("running", 3)

    second: list[int] = []

    async def counted(ctx, session, job, item) -> None:
        second.append(item.lead_id)
        await TASKS["scan"](ctx, session, job, item)

    restarted = start(lambda: build_context(world_settings), tasks={"scan": counted}, concurrency=4)
    assert restarted.resume_pending() == [job_id]
    status = finished(restarted, job_id)
    assert (status.status, status.done, status.failed, status.progress) == ("done", 12, 0, 1.0)
    assert scans_per_lead(sessions, job_id) == Counter(ids)
    assert sorted(first + second) == sorted(ids)         # a committed item is never redone


def test_resume_does_only_the_items_still_pending(sessions: Sessions, start) -> None:
    ids = add_leads(sessions, numbered(6))
    with sessions() as session:                          # what a crash leaves behind
        repo = JobRepository(session)
        crashed = repo.create("scan", {}, ids)
        repo.mark_running(crashed)
        for seq in (0, 1, 3):
            store_scan(session, crashed.id, session.get(Lead, ids[seq]))
            repo.finish_item(crashed.id, seq, "done")
        queued = repo.create("scan", {}, ids[:1])
        finished_job = repo.create("scan", {}, ids[:1])
        repo.finish(finished_job, "done")
        session.commit()
        crashed_id, queued_id = crashed.id, queued.id
    calls: list[int] = []
    runner = start(tasks={"scan": recording(calls)})
    assert runner.resume_pending() == [crashed_id, queued_id]
    assert finished(runner, crashed_id).done == 6 and finished(runner, queued_id).done == 1
    assert calls == [ids[2], ids[4], ids[5], ids[0]]
    assert scans_per_lead(sessions, crashed_id) == Counter(ids)


def test_two_runners_on_one_job_store_each_item_once(sessions: Sessions, start) -> None:
    ids = add_leads(sessions, numbered(30))
    with sessions() as session:
        job_id = JobRepository(session).create("scan", {}, ids).id
        session.commit()
    calls: list[int] = []
    runners = [start(tasks={"scan": recording(calls, delay=0.005)}, concurrency=5)
               for _ in range(2)]
    assert [runner.resume_pending() for runner in runners] == [[job_id], [job_id]]
    status = finished(runners[0], job_id)
    for runner in runners:
        runner.close()
    assert (status.status, status.done, status.failed) == ("done", 30, 0)
    assert scans_per_lead(sessions, job_id) == Counter(ids)
