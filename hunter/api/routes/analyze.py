"""Analyse one domain now [sales]; optionally keep it as a lead with its scan."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from ...flows.scan_leads import store_analysis, with_referral
from ...model import Analysis
from ...pipeline import Context
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
        analysis = await run_in_threadpool(_store, svc.sessions, analysis, ctx)
    return analysis


def _store(sessions: sessionmaker[Session], analysis: Analysis, ctx: Context) -> Analysis:
    """Upsert the lead and store the scan (with its change events) in one transaction; the
    stored verdict counts the lead's Partner Center referral, and is what is answered."""
    with sessions() as session:
        lead, _ = LeadRepository(session).upsert(analysis.domain or "", source=SOURCE)
        analysis = with_referral(session, lead, analysis, rules=ctx.scoring_rules)
        store_analysis(session, lead, analysis)
        session.commit()
    return analysis
