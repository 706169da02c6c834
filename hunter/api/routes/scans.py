"""Scan stored leads in the background [sales]: by id, by filter, or those not scanned lately."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from ...store.leads import LeadFilter, LeadRepository
from ..deps import RunnerDep, Sales, SessionDep
from ..errors import BadRequest, NotFound, responses
from ..schemas import JobAccepted, ScanRequest

router = APIRouter(tags=["scans"], responses=responses(401, 403, 422))
KIND = "scan"


@router.post("/scans", status_code=status.HTTP_202_ACCEPTED, responses=responses(400, 404),
             summary="Start a scan job; poll GET /api/v1/jobs/{job_id}")
def start_scan(body: ScanRequest, session: SessionDep, runner: RunnerDep, _: Sales) -> JobAccepted:
    lead_ids = select_leads(session, body)
    session.rollback()          # the read is over: the runner writes the job in its own transaction
    job_id = runner.submit(KIND, {"rescan": body.rescan}, lead_ids=lead_ids)
    return JobAccepted(job_id=job_id, leads=len(lead_ids))


def select_leads(session: Session, body: ScanRequest) -> list[int]:
    """The leads a request names: ``lead_ids`` (existing ones, in the given order) or the filter."""
    repo = LeadRepository(session)
    if body.lead_ids is not None:
        if body.filter is not None or body.older_than_days is not None:
            raise BadRequest("Give either lead_ids or filter/older_than_days, not both.")
        wanted = list(dict.fromkeys(body.lead_ids))
        unknown = [i for i in wanted if repo.get(i) is None]
        if unknown:
            raise NotFound(f"There are no leads {', '.join(map(str, unknown[:20]))}.")
        return wanted
    before = (datetime.now(UTC) - timedelta(days=body.older_than_days)
              if body.older_than_days is not None else None)
    selection = body.filter.to_filter(scanned_before=before) if body.filter else LeadFilter(scanned_before=before)
    return list(repo.ids_matching(selection))
