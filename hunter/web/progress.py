"""Jobs seen from the pages: a job's state for a page to show (import, rescan, sync), and the
JSON its progress bar polls (the API's ``JobOut``, as ``GET /api/v1/jobs/{id}`` answers)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ..api.deps import Services, services
from ..api.routes import jobs as api_jobs
from ..api.schemas import JobOut
from ..jobs.base import JobNotFound
from .auth import ViewerJson
from .errors import NotFound

router = APIRouter(include_in_schema=False)


def job_of(svc: Services, job_id: object) -> JobOut | None:
    """The job named in a URL or a result, if there is one."""
    if not isinstance(job_id, str) or not job_id or len(job_id) > 64:
        return None
    try:
        return api_jobs.job_out(svc.runner.status(job_id))
    except JobNotFound:
        return None


@router.get("/jobs/{job_id}")
def job(job_id: str, request: Request, user: ViewerJson, response: Response) -> JobOut:
    response.headers["Cache-Control"] = "no-store"
    try:
        return api_jobs.get_job(job_id, services(request).runner, user)   # type: ignore[arg-type]
    except JobNotFound:
        raise NotFound(json=True) from None
