"""Partner Center referrals: the stored referrals with their status, derived domain and lead;
those without a lead apart; the last sync and its outcome; "sync now" [admin].  The list and the
status are the API's (``api.routes.referrals``); a sync is the same ``pc_sync`` job."""

from __future__ import annotations

import re
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ..api.deps import services
from ..api.routes import referrals as api_referrals
from .auth import AdminAction, Viewer
from .i18n import Translator
from .pages import flash, render, translator
from .progress import job_of

router = APIRouter(include_in_schema=False)
NO_CONTACT = "no customer contact e-mail and no website"
NO_COMPANY_DOMAIN = "no customer contact at a company domain"
PAGE = 50
APART = 20


@router.get("/referrals")
def referrals_page(request: Request, user: Viewer) -> Response:
    svc = services(request)
    params = request.query_params
    view = params.get("linked") if params.get("linked") in ("true", "false") else None
    status = (params.get("status") or "").strip()[:30] or None
    q = (params.get("q") or "").strip()[:200] or None
    offset = int(params["offset"]) if params.get("offset", "").isdigit() else 0
    with svc.sessions() as session:
        main = api_referrals.list_referrals(session, user, status_=status, q=q, linked=view != "false",   # type: ignore[arg-type]
                                            limit=PAGE, offset=offset)
        apart = (api_referrals.list_referrals(session, user, status_=status, q=q, linked=False, limit=APART)  # type: ignore[arg-type]
                 if view is None else None)
        sync = api_referrals.get_status(session, svc.settings, user)   # type: ignore[arg-type]
    return render(request, "referrals.html", user=user, main=main, apart=apart, sync=sync, view=view,
                  state=status, q=q or "", offset=offset, page_size=PAGE,
                  job=job_of(svc, params.get("job")), statuses=_statuses(sync.counts),
                  why_unlinked=partial(why_unlinked, translator(request)))


def why_unlinked(t: Translator, reason: str | None) -> str:
    """Why a referral has no lead (``normalise.company_domain``'s words) in the reader's language."""
    if not reason:
        return "–"
    if reason.startswith(NO_CONTACT):
        return t("pc.reason.no_contact")
    if reason.startswith(NO_COMPANY_DOMAIN):
        dropped = re.findall(r"\(([^()]+)\)", reason)
        return t("pc.reason.no_company_domain", detail=", ".join(dropped[-1:]) or "–")
    return reason


def _statuses(counts: dict[str, int]) -> list[str]:
    return sorted(key.removeprefix("status_") for key in counts if key.startswith("status_"))


@router.post("/referrals/sync")
def sync_now(request: Request, user: AdminAction) -> Response:
    """A delta sync now (the job the daily schedule runs); refused while the sync is off."""
    svc = services(request)
    if not svc.settings.partner_center_sync_enabled:
        return flash(RedirectResponse("/referrals", status_code=303), "flash.sync_off", level="error")
    job_id = svc.runner.submit("pc_sync", {"full": False, "trigger": "web"}, lead_ids=[])
    return flash(RedirectResponse(f"/referrals?job={job_id}", status_code=303), "flash.sync_started")
