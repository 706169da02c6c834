"""Partner Center referrals [viewer], the sync [admin: a job] and its status [viewer].

The sync is the same job-level task the daily schedule and ``hunter partner-center sync`` run
(``pc_sync`` → ``flows.sync_referrals``).  With ``HUNTER_PARTNER_CENTER_SYNC_ENABLED`` off the
referrals already stored can still be read; a sync is refused with 409 and no request is sent.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from ...flows.sync_referrals import sync_state
from ...store.referrals import ReferralFilter, ReferralRepository
from ..deps import Admin, RunnerDep, SessionDep, SettingsDep, Viewer
from ..errors import Conflict, NotFound, responses
from ..referral_schemas import (PartnerCenterStatus, ReferralDetail, ReferralOut, ReferralPage, SyncRequest,
                                SyncRunOut)
from ..schemas import JobOut
from .jobs import job_out

router = APIRouter(tags=["partner center"], responses=responses(401, 403, 422))
FLAG = "HUNTER_PARTNER_CENTER_SYNC_ENABLED"


@router.get("/referrals", summary="Partner Center referrals, the most recently updated first")
def list_referrals(session: SessionDep, _: Viewer,
                   status_: Annotated[str | None, Query(alias="status", max_length=30)] = None,
                   substatus: Annotated[str | None, Query(max_length=30)] = None,
                   domain: Annotated[str | None, Query(max_length=253)] = None,
                   lead_id: int | None = None,
                   linked: Annotated[bool | None, Query(description="false: referrals without a lead")] = None,
                   q: Annotated[str | None, Query(max_length=200, description="customer, referral name or domain")] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> ReferralPage:
    filters = ReferralFilter(status=status_, substatus=substatus, domain=domain, lead_id=lead_id,
                             linked=linked, q=q)
    rows, total = ReferralRepository(session).list(filters, limit=limit, offset=offset)
    return ReferralPage(items=[ReferralOut.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/referrals/{referral_id}", summary="One referral with its raw JSON", responses=responses(404))
def get_referral(referral_id: str, session: SessionDep, _: Viewer) -> ReferralDetail:
    row = ReferralRepository(session).get(referral_id)
    if row is None:
        raise NotFound(f"There is no referral {referral_id!r}.")
    return ReferralDetail.of(row)


@router.post("/partner-center/sync", status_code=status.HTTP_202_ACCEPTED, responses=responses(409),
             summary="Start a Partner Center sync (a job; delta unless full)")
def start_sync(runner: RunnerDep, settings: SettingsDep, _: Admin, body: SyncRequest | None = None) -> JobOut:
    if not settings.partner_center_sync_enabled:
        raise Conflict(f"The Partner Center sync is off: set {FLAG}=true to turn it on.")
    job_id = runner.submit("pc_sync", {"full": bool(body and body.full), "trigger": "api"}, lead_ids=[])
    return job_out(runner.status(job_id))


@router.get("/partner-center/status", summary="The sync's settings, last runs, watermark and counts")
def get_status(session: SessionDep, settings: SettingsDep, _: Viewer) -> PartnerCenterStatus:
    state = sync_state(session)
    enabled = settings.partner_center_sync_enabled
    return PartnerCenterStatus(
        enabled=enabled, auth_mode=settings.pc_auth_mode,
        token_cache_present=settings.token_cache_path().is_file(),
        schedule=f"{settings.pc_sync_time} UTC" if enabled else None, watermark=state.watermark,
        last_run=SyncRunOut.of(state.last_run), last_success=SyncRunOut.of(state.last_success),
        counts=state.counts)
