"""Job-level tasks (a job without items, e.g. ``import``) on SQLite and PostgreSQL: the result is
stored, a failure recorded, cancel and close stop it at a checkpoint, a crashed import resumes
without losing a row, and scan items keep running while an import runs."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hunter.jobs import JOB_TASKS, JobInterrupted, JobScope, JobTask
from hunter.jobs.tasks import import_file
from hunter.store.imports import ImportRepository
from hunter.store.models import ImportBatch, JobItem, Lead

from .test_runner import (Sessions, add_leads, finished, numbered, recording, sessions,  # noqa: F401
                          start, wait_for)


def ticking(ticks: int, cleaned: list[str], *, delay: float = 0.0,
            gate: threading.Event | None = None, fail: str | None = None) -> JobTask:
    """A blocking job-level task (run in a thread) that commits one tick of progress at a time."""
    async def task(ctx, scope: JobScope, job) -> dict:
        scope.after_finish(lambda: cleaned.append(job.id))

        def work() -> dict:
            with scope.sessions() as session:
                for tick in range(1, ticks + 1):
                    if gate is not None:
                        assert gate.wait(30)
                    time.sleep(delay)
                    scope.progress(session, done=tick, total=ticks)
                    session.commit()
            if fail:
                raise ValueError(fail)
            return {"ticks": ticks, "resumed": scope.resumed, "params": job.params}
        return await asyncio.to_thread(work)
    return task


def test_a_job_level_task_stores_its_result(sessions: Sessions, start) -> None:
    cleaned: list[str] = []
    runner = start(job_tasks={"import": ticking(3, cleaned)})
    job_id = runner.submit("import", {"path": "x.csv"}, lead_ids=[])
    status = finished(runner, job_id)
    assert (status.kind, status.status, status.error) == ("import", "done", None)
    assert (status.total, status.done, status.progress) == (3, 3, 1.0)
    assert status.result == {"ticks": 3, "resumed": False, "params": {"path": "x.csv"}}
    wait_for(lambda: cleaned == [job_id])                   # after the final state is committed
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(JobItem)) == 0


def test_a_failing_job_level_task_fails_the_job_with_its_message(start) -> None:
    cleaned: list[str] = []
    runner = start(job_tasks={"import": ticking(2, cleaned, fail="row 7 is broken\nmore")})
    job_id = runner.submit("import", {}, lead_ids=[])
    status = finished(runner, job_id)
    assert (status.status, status.error, status.result, status.done) == (
        "failed", "ValueError: row 7 is broken", None, 2)
    wait_for(lambda: cleaned == [job_id])


def test_submit_refuses_items_for_a_job_level_kind(sessions: Sessions, start) -> None:
    runner = start(job_tasks={"import": ticking(1, [])})
    with pytest.raises(ValueError, match="has no items"):
        runner.submit("import", {}, lead_ids=add_leads(sessions, ["a.test"]))
    with pytest.raises(ValueError, match="both item and job-level"):
        start(tasks={"import": recording([])}, job_tasks={"import": ticking(1, [])})


def test_cancel_stops_a_job_level_task_at_its_next_checkpoint(start) -> None:
    cleaned: list[str] = []
    runner = start(job_tasks={"import": ticking(10_000, cleaned, delay=0.005)})
    job_id = runner.submit("import", {}, lead_ids=[])
    wait_for(lambda: runner.status(job_id).done >= 2)
    assert runner.cancel(job_id)
    wait_for(lambda: cleaned == [job_id])
    status = runner.status(job_id)
    assert status.status == "cancelled" and status.done < 10_000


def test_close_leaves_a_job_level_job_running_and_a_restart_finishes_it(start) -> None:
    cleaned: list[str] = []
    first = start(job_tasks={"import": ticking(10_000, cleaned, delay=0.005)})
    job_id = first.submit("import", {}, lead_ids=[])
    wait_for(lambda: first.status(job_id).done >= 2)
    first.close()
    time.sleep(0.1)                                           # the thread stops at a checkpoint
    assert first.status(job_id).status == "running" and cleaned == []
    second = start(job_tasks={"import": ticking(3, cleaned)})
    assert second.resume_pending() == [job_id]
    status = finished(second, job_id)
    assert status.status == "done" and status.result["resumed"] is True
    wait_for(lambda: cleaned == [job_id])


def test_scan_items_keep_running_while_an_import_runs(sessions: Sessions, start) -> None:
    """Job-level jobs have their own lane and run in a thread: the loop is never blocked."""
    gate = threading.Event()
    calls: list[int] = []
    runner = start(tasks={"scan": recording(calls, delay=0.01)},
                   job_tasks={"import": ticking(2, [], gate=gate)}, concurrency=2)
    importing = runner.submit("import", {}, lead_ids=[])
    wait_for(lambda: runner.status(importing).status == "running")
    ids = add_leads(sessions, numbered(6))
    scan = runner.submit("scan", {}, lead_ids=ids)
    assert finished(runner, scan).done == 6 and sorted(calls) == ids
    assert runner.status(importing).status == "running"      # still blocked on the gate
    gate.set()
    assert finished(runner, importing).status == "done"


# --- the real import task: crash in the middle, resume, nothing lost ----------------------------

ROWS = [f"firma{i}.com.tr" for i in range(10)] + ["telefon yok", "firma0.com.tr"]


class DiesAtCheckpoint(JobScope):
    """The process dies at the n-th checkpoint: that chunk is rolled back, the job stays running."""

    def __init__(self, scope: JobScope, dies_at: int) -> None:
        super().__init__(scope.job_id, scope.sessions, scope.submit, resumed=scope.resumed,
                         stopping=scope.stopping, cleanups=scope.cleanups)
        self.dies_at, self.calls = dies_at, 0

    def progress(self, session, **kw) -> None:
        self.calls += 1
        if self.calls == self.dies_at:
            raise JobInterrupted("the process died")
        super().progress(session, **kw)


def test_a_crashed_import_resumes_without_losing_a_row(sessions: Sessions, start,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "liste.txt"
    path.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    params = {"path": str(path), "name": "liste.txt", "source": "fuar", "scan": True,
              "chunk_size": 2, "max_rows": 1000, "max_bytes": 10_000}

    async def crashing(ctx, scope, job) -> dict:
        return await import_file(ctx, DiesAtCheckpoint(scope, dies_at=4), job)

    first = start(job_tasks={"import": crashing})
    job_id = first.submit("import", params, lead_ids=[])
    wait_for(lambda: first.status(job_id).done == 4)          # batch start + 2 chunks committed
    time.sleep(0.1)
    crashed = first.status(job_id)
    assert crashed.status == "running" and path.exists()      # the upload stays for the resume
    interrupted = crashed.result["batch_id"]
    first.close()

    calls: list[int] = []
    second = start(tasks={"scan": recording(calls)}, job_tasks=JOB_TASKS)
    assert second.resume_pending() == [job_id]
    status = finished(second, job_id)
    assert (status.status, status.error) == ("done", None), status.error
    result = status.result
    assert (result["imported"], result["duplicates"], result["rejected_count"]) == (10, 1, 1)
    assert result["rejected"] == [{"row": 11, "value": "telefon yok", "reason": result["rejected"][0]["reason"]}]
    assert result["resumed"] is True and result["previous_batches"] == [interrupted]
    assert result["batch_id"] != interrupted and "new batch" in result["note"]
    assert status.done == len(ROWS)
    with sessions() as session:
        assert sorted(session.scalars(select(Lead.domain))) == sorted(set(ROWS[:10]))
        assert session.get(ImportBatch, interrupted).status == "failed"
        assert ImportRepository(session).get(result["batch_id"]).status == "done"
    scan = finished(second, result["scan_job"])               # submitted after the commit
    assert (scan.kind, scan.status, scan.done) == ("scan", "done", 10) and len(calls) == 10
    wait_for(lambda: not path.exists())                       # deleted once the job finished
