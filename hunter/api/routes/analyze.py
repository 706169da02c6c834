"""Analyse one domain now [sales]; optionally keep it as a lead with its scan."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from ...flows.scan_leads import store_analysis
from ...model import Analysis
from ...pipeline import analyze as run_analysis
from ...store.leads import LeadRepository
from ..deps import ContextDep, Sales, ServicesDep
from ..errors import responses
from ..schemas import AnalyzeRequest

router = APIRouter(tags=["analyze"], responses=responses(401, 403, 422))
SOURCE = "api"


@router.post("/analyze", summary="The analysis object of one domain, URL or e-mail address")
async def analyze(body: AnalyzeRequest, ctx: ContextDep, svc: ServicesDep, _: Sales) -> Analysis:
    """Bad input is not an error: it comes back as ``status: invalid`` with a reason (and is
    never stored)."""
    analysis = await run_analysis(body.domain, ctx)
    if body.store and analysis.domain is not None and analysis.status != "invalid":
        await run_in_threadpool(_store, svc.sessions, analysis)
    return analysis


def _store(sessions: sessionmaker[Session], analysis: Analysis) -> None:
    """Upsert the lead and store the scan (with its change events) in one transaction."""
    with sessions() as session:
        lead, _ = LeadRepository(session).upsert(analysis.domain or "", source=SOURCE)
        store_analysis(session, lead, analysis)
        session.commit()
