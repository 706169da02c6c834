"""One lead: the verdict with its reasons, the evidence, the infrastructure, the sales summary
in both languages (with the text the copy button copies), the Partner Center referrals, the
Dynamics panel, the history; and its two actions, rescan [sales] and create/update in Dynamics
[sales].  The lead itself is the API's ``get_lead``; the actions are the API's ``start_scan``
and ``push_one``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from .. import exports, sales
from ..api.deps import Services, services
from ..api.errors import Conflict
from ..api.routes import dynamics as api_dynamics
from ..api.routes import leads as api_leads
from ..api.routes import scans as api_scans
from ..api.schemas import LeadDetail, ScanRequest
from ..sales.summary import label as verdict_label
from ..sales.summary import reason_text, segment_label
from ..sales.text import plain
from ..store.dynamics import DynamicsRepository
from ..store.referrals import ReferralRepository
from . import listing
from .auth import SalesAction, Viewer
from .pages import flash, render, translator
from .progress import job_of

router = APIRouter(include_in_schema=False)
SPECIAL = {name: key for key, name in exports.SPECIAL_PROVIDERS.items()}     # "Own mail server": "self_hosted"
PUSHED = {"created": "flash.pushed_created", "updated": "flash.pushed_updated",
          "unchanged": "flash.pushed_unchanged", "failed": "flash.push_failed"}


@dataclass(frozen=True, slots=True)
class Summary:
    lang: str
    summary: sales.SalesSummary
    text: str                           # what the copy button copies


@router.get("/leads/{lead_id:int}")
def lead_page(lead_id: int, request: Request, user: Viewer) -> Response:
    svc, t = services(request), translator(request)
    with svc.sessions() as session:
        detail = api_leads.get_lead(lead_id, session, svc, user, lang=t.lang)   # type: ignore[arg-type]
        referrals = ReferralRepository(session).for_lead(lead_id)
        pushes = DynamicsRepository(session).log(lead_id, 5)
    analysis = detail.evidence
    segment = segment_label(analysis, t.lang) if analysis is not None else None     # type: ignore[arg-type]
    reasons = [(r, reason_text(r, t.lang, segment=segment)) for r in analysis.reasons] if analysis else []  # type: ignore[arg-type]
    return render(request, "lead.html", user=user, detail=detail, lead=detail.lead, analysis=analysis,
                  reasons=reasons, summaries=_summaries(detail, svc, t.lang), referrals=referrals,
                  pushes=pushes, job=job_of(svc, request.query_params.get("job")),
                  label=listing.labeller(t, svc.context), segment=segment,
                  verdict_label=verdict_label(analysis, t.lang) if analysis is not None else None,   # type: ignore[arg-type]
                  provider_shown=lambda name: t.maybe(f"provider.{SPECIAL.get(name)}", name),
                  dynamics_on=svc.settings.d365_enabled and svc.sink is not None,
                  dynamics_problem=svc.sink_error if svc.settings.d365_enabled else None)


def _summaries(detail: LeadDetail, svc: Services, lang: str) -> list[Summary]:
    """The page's language first (the API's ``sales``), then the other one."""
    if detail.sales is None or detail.evidence is None:
        return []
    other = "en" if lang == "tr" else "tr"
    second = sales.summarise(detail.evidence, lang=other, config=svc.sales_config)   # type: ignore[arg-type]
    return [Summary(lang, detail.sales, plain(detail.sales)), Summary(other, second, plain(second))]


@router.post("/leads/{lead_id:int}/rescan")
def rescan(lead_id: int, request: Request, user: SalesAction) -> Response:
    svc = services(request)
    with svc.sessions() as session:
        accepted = api_scans.start_scan(ScanRequest(lead_ids=[lead_id], rescan=True), session, svc.runner,
                                        user)   # type: ignore[arg-type]
    return flash(RedirectResponse(f"/leads/{lead_id}?job={accepted.job_id}", status_code=303), "flash.rescan_started")


@router.post("/leads/{lead_id:int}/dynamics")
async def push(lead_id: int, request: Request, user: SalesAction) -> Response:
    svc = services(request)
    back = RedirectResponse(f"/leads/{lead_id}#dynamics", status_code=303)
    try:
        with svc.sessions() as session:
            pushed = await api_dynamics.push_one(lead_id, svc, session, user)   # type: ignore[arg-type]
    except Conflict:
        return flash(back, "flash.dynamics_off", level="error")
    return flash(back, PUSHED[pushed.outcome], level="error" if pushed.outcome == "failed" else "ok")
