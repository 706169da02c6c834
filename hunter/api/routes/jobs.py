"""Background jobs: progress [viewer] and cancellation [sales]."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from ...jobs.base import JobStatus
from ...store.jobs import JobRepository
from ..deps import RunnerDep, Sales, SessionDep, Viewer
from ..errors import responses
from ..schemas import JobOut

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=responses(401, 403))
JobState = Annotated[str | None, Query(pattern="^(queued|running|done|failed|cancelled)$")]


@router.get("", summary="Recent jobs, newest first", responses=responses(422))
def list_jobs(session: SessionDep, _: Viewer, state: JobState = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[JobOut]:
    return [job_out(JobStatus.of(job)) for job in JobRepository(session).list(limit, state)]


@router.get("/{job_id}", summary="One job's status and progress", responses=responses(404))
def get_job(job_id: str, runner: RunnerDep, _: Viewer) -> JobOut:
    return job_out(runner.status(job_id))


@router.delete("/{job_id}", status_code=status.HTTP_202_ACCEPTED, responses=responses(404),
               summary="Cancel a queued or running job (a finished job stays as it is)")
def cancel_job(job_id: str, runner: RunnerDep, _: Sales) -> JobOut:
    runner.cancel(job_id)
    return job_out(runner.status(job_id))


def job_out(job: JobStatus) -> JobOut:
    return JobOut(id=job.id, kind=job.kind, status=job.status, total=job.total, done=job.done,
                  failed=job.failed, progress=job.progress, error=job.error,
                  created_at=job.created_at, started_at=job.started_at,
                  finished_at=job.finished_at, result=job.result)
