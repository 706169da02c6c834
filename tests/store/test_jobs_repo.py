"""JobRepository on SQLite and PostgreSQL (``session`` from tests/store/conftest.py: a migrated
database, each test in a transaction rolled back at the end)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hunter.store.jobs import JobRepository
from hunter.store.models import Job, JobItem, Lead


def add_leads(session: Session, count: int) -> list[int]:
    now = datetime.now(UTC)
    leads = [Lead(domain=f"lead{i}.test", created_at=now, updated_at=now) for i in range(count)]
    session.add_all(leads)
    session.flush()
    return [lead.id for lead in leads]


def items(session: Session, job_id: str) -> list[JobItem]:
    return list(session.scalars(select(JobItem).where(JobItem.job_id == job_id).order_by(JobItem.seq)))


def test_create_makes_a_queued_job_with_one_pending_item_per_lead(session: Session) -> None:
    ids = add_leads(session, 4)
    job = JobRepository(session).create("scan", {"rescan": True}, [ids[2], ids[0], ids[2], ids[3]])
    session.commit()
    session.expire_all()
    stored = session.get(Job, job.id)
    assert (stored.kind, stored.status, stored.params, stored.total) == ("scan", "queued", {"rescan": True}, 3)
    assert (stored.done, stored.failed, stored.started_at, stored.finished_at) == (0, 0, None, None)
    assert [(i.seq, i.lead_id, i.state) for i in items(session, job.id)] == [
        (0, ids[2], "pending"), (1, ids[0], "pending"), (2, ids[3], "pending")]


def test_an_empty_job_has_no_items(session: Session) -> None:
    job = JobRepository(session).create("scan", {}, [])
    assert job.total == 0 and items(session, job.id) == []


def test_claim_pending_returns_pending_items_in_seq_order(session: Session) -> None:
    repo = JobRepository(session)
    job = repo.create("scan", {}, add_leads(session, 6))
    assert repo.finish_item(job.id, 1, "done")
    assert [i.seq for i in repo.claim_pending(job.id, 3)] == [0, 2, 3]
    assert [i.seq for i in repo.claim_pending(job.id, 10, after=2)] == [3, 4, 5]
    assert repo.claim_pending(job.id, 10, after=5) == []


def test_finish_item_counts_once_and_refuses_a_second_finish(session: Session) -> None:
    repo = JobRepository(session)
    job = repo.create("scan", {}, add_leads(session, 3))
    assert repo.finish_item(job.id, 0, "done")
    assert repo.finish_item(job.id, 1, "failed", "ValueError: bad")
    assert not repo.finish_item(job.id, 0, "done")
    assert not repo.finish_item(job.id, 1, "done")
    session.commit()
    session.expire_all()
    stored = repo.get(job.id)
    assert (stored.done, stored.failed) == (1, 1)
    assert [(i.state, i.error) for i in items(session, job.id)] == [
        ("done", None), ("failed", "ValueError: bad"), ("pending", None)]


def test_finish_item_takes_only_a_final_state(session: Session) -> None:
    repo = JobRepository(session)
    job = repo.create("scan", {}, add_leads(session, 1))
    with pytest.raises(ValueError):
        repo.finish_item(job.id, 0, "pending")  # type: ignore[arg-type]


def test_a_job_runs_then_finishes_once(session: Session) -> None:
    repo = JobRepository(session)
    job = repo.create("scan", {}, add_leads(session, 1))
    assert repo.mark_running(job)
    started = job.started_at
    assert job.status == "running" and started is not None
    assert repo.mark_running(job) and job.started_at == started      # a resumed job keeps it
    assert repo.finish(job, "failed", "RuntimeError: boom")
    assert (job.status, job.error) == ("failed", "RuntimeError: boom") and job.finished_at
    assert not repo.finish(job, "done") and job.status == "failed"
    assert not repo.mark_running(job)
    with pytest.raises(ValueError):
        repo.finish(job, "running")  # type: ignore[arg-type]


def test_cancel_wins_over_a_later_finish(session: Session) -> None:
    repo = JobRepository(session)
    job = repo.create("scan", {}, add_leads(session, 2))
    repo.mark_running(job)
    assert repo.cancel(job.id)
    assert not repo.cancel(job.id)
    assert not repo.finish(job.id, "done")
    session.commit()
    session.expire_all()
    assert repo.get(job.id).status == "cancelled"
    assert [i.state for i in items(session, job.id)] == ["pending", "pending"]


def test_resumable_lists_queued_and_running_jobs_oldest_first(session: Session) -> None:
    repo = JobRepository(session)
    ids = add_leads(session, 1)
    jobs = [repo.create("scan", {}, ids) for _ in range(4)]
    base = datetime.now(UTC) - timedelta(hours=1)
    for minutes, job in enumerate(jobs):
        job.created_at = base + timedelta(minutes=minutes)
    running, queued, done, cancelled = jobs
    repo.mark_running(running)
    repo.finish(done, "done")
    repo.cancel(cancelled.id)
    session.commit()
    assert [j.id for j in repo.resumable()] == [running.id, queued.id]
    assert [j.id for j in repo.list(10)] == [cancelled.id, done.id, queued.id, running.id]
    assert [j.id for j in repo.list(10, status="done")] == [done.id]
    assert len(repo.list(2)) == 2
    assert repo.get("no-such-job") is None


def test_a_long_error_is_clipped(session: Session) -> None:
    repo = JobRepository(session)
    job = repo.create("scan", {}, add_leads(session, 1))
    repo.finish(job, "failed", "x" * 10_000)
    assert len(job.error) == 2000 and job.error.endswith("…")
