"""Beat schedules (one run per slot, whoever delivers the message) and poison chunks, on SQLite
and PostgreSQL; the Celery configuration that makes a killed worker lose nothing."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import crontab
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hunter.jobs.celery_app import MAX_ATTEMPTS, broker_url, make_app
from hunter.jobs.schedules import Schedule, beat_schedule, run_schedule, schedules
from hunter.settings import Settings
from hunter.store import migrate
from hunter.store.db import make_engine, session_factory
from hunter.store.jobs import JobRepository
from hunter.store.leads import LeadRepository
from hunter.store.models import Job, JobItem, ScheduleRun


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


class Submitted(list):
    def __call__(self, kind: str, params: dict, *, lead_ids: list[int]) -> str:
        self.append((kind, params, list(lead_ids)))
        return f"job-{len(self)}"


def test_slots() -> None:
    daily, every = Schedule("pc_sync", daily_at="05:30"), Schedule("d365_push", every_minutes=15)
    at = datetime(2026, 12, 7, 10, 29, 59, tzinfo=UTC)
    assert daily.slot(at) == "2026-12-07" and every.slot(at) == "2026-12-07T10:15"
    assert every.slot(at + timedelta(seconds=1)) == "2026-12-07T10:30"


def test_the_beat_schedule_follows_the_flags() -> None:
    assert set(beat_schedule(Settings())) == {"hunter-rescan"}
    on = Settings(partner_center_sync_enabled=True, d365_enabled=True, pc_sync_time="06:15",
                  d365_push_interval_minutes=30)
    entries = beat_schedule(on)
    assert set(entries) == {"hunter-rescan", "hunter-pc_sync", "hunter-d365_push"}
    assert entries["hunter-pc_sync"]["schedule"] == crontab(hour=6, minute=15)
    assert entries["hunter-d365_push"]["schedule"] == timedelta(minutes=30)
    assert all(e["task"] == "hunter.schedule" for e in entries.values())


def test_a_slot_runs_once_however_often_it_is_delivered(sessions) -> None:
    settings = Settings(partner_center_sync_enabled=True, d365_enabled=True)
    submitted = Submitted()
    now = datetime(2026, 12, 7, 5, 30, 1, tzinfo=UTC)
    first = run_schedule(settings, "pc_sync", submit=submitted, sessions=sessions, now=now)
    again = run_schedule(settings, "pc_sync", submit=submitted, sessions=sessions, now=now + timedelta(minutes=5))
    assert first == "job-1" and again is None and submitted == [("pc_sync", {"trigger": "schedule"}, [])]
    tomorrow = run_schedule(settings, "pc_sync", submit=submitted, sessions=sessions, now=now + timedelta(days=1))
    assert tomorrow == "job-2"
    push = run_schedule(settings, "d365_push", submit=submitted, sessions=sessions, now=now)
    assert push == "job-3" and submitted[-1][1]["filter"] == {"dynamics": "stale"}
    with sessions() as session:
        rows = session.scalars(select(ScheduleRun).order_by(ScheduleRun.id)).all()
        assert [(r.name, r.slot, r.job_id) for r in rows] == [
            ("pc_sync", "2026-12-07", "job-1"), ("pc_sync", "2026-12-08", "job-2"),
            ("d365_push", "2026-12-07T05:30", "job-3")]


def test_the_rescan_takes_leads_older_than_n_days_and_off_schedules_do_nothing(sessions) -> None:
    with sessions() as session:
        repo = LeadRepository(session)
        old, _ = repo.upsert("old.test")
        never, _ = repo.upsert("never.test")
        fresh, _ = repo.upsert("fresh.test")
        old.scanned_at = datetime.now(UTC) - timedelta(days=40)
        fresh.scanned_at = datetime.now(UTC) - timedelta(days=1)
        session.commit()
        ids = {old.id, never.id}
    submitted = Submitted()
    assert run_schedule(Settings(rescan_older_than_days=30), "rescan", submit=submitted, sessions=sessions)
    kind, params, lead_ids = submitted[0]
    assert kind == "scan" and params["rescan"] is True and set(lead_ids) == ids
    assert run_schedule(Settings(), "pc_sync", submit=submitted, sessions=sessions) is None     # the sync is off
    assert schedules(Settings())[0].name == "rescan"


def test_a_chunk_that_keeps_killing_its_worker_fails_its_items(sessions) -> None:
    with sessions() as session:
        lead_ids = [LeadRepository(session).upsert(f"p{i}.test")[0].id for i in range(4)]
        job = JobRepository(session).create("scan", {}, lead_ids)
        JobRepository(session).mark_running(job)
        session.commit()
        job_id = job.id
    for attempt in range(MAX_ATTEMPTS):               # delivered, worker killed, delivered again …
        with sessions() as session:
            assert JobRepository(session).start_chunk(job_id, 0, 2, max_attempts=MAX_ATTEMPTS) == 0
            session.commit()
    with sessions() as session:
        repo = JobRepository(session)
        assert repo.start_chunk(job_id, 0, 2, max_attempts=MAX_ATTEMPTS) == 2
        session.commit()
        items = {i.seq: i for i in session.scalars(select(JobItem).where(JobItem.job_id == job_id))}
        assert [items[s].state for s in range(4)] == ["failed", "failed", "pending", "pending"]
        assert "gave up after 3 attempts" in items[0].error
        assert not repo.finish_if_complete(job_id)
        for seq in (2, 3):
            repo.finish_item(job_id, seq, "done")
        assert repo.finish_if_complete(job_id) and not repo.finish_if_complete(job_id)
        session.commit()
        assert session.get(Job, job_id).status == "done"
        assert repo.pending_chunks(job_id, 2) == []


def test_the_celery_configuration_loses_nothing() -> None:
    app = make_app(Settings(jobs_backend="celery", celery_visibility_timeout=60))
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == 60
    assert {"hunter.items", "hunter.job", "hunter.schedule"} <= set(app.tasks)
    assert broker_url(Settings()) == "redis://127.0.0.1:6379/0"


def test_each_celery_app_runs_its_own_tasks() -> None:
    """Tasks are not shared between apps: a second app (other settings) in the same process gets
    its own tasks, not the first app's closures, and Celery warns of no clash."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = make_app(Settings(jobs_backend="celery", celery_visibility_timeout=60))
        second = make_app(Settings(jobs_backend="celery", celery_visibility_timeout=90))
        for name in ("hunter.items", "hunter.job", "hunter.schedule"):
            assert first.tasks[name].run is not second.tasks[name].run
            assert second.tasks[name].app is second
