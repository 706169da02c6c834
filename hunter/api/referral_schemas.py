"""Bodies of the Partner Center part of the API: referrals, sync runs, the status, and the
``partner_center`` object every lead carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ..store.models import PcReferral, PcSyncRun
from ..store.referrals import partner_center_view


class ReferralLatest(BaseModel):
    """The lead's most recently updated referral."""

    id: str
    status: str | None
    substatus: str | None
    type: str | None
    qualification: str | None
    direction: str | None
    deal_value: float | None
    currency: str | None
    created: datetime | None
    updated: datetime | None


class PartnerCenterRef(BaseModel):
    """Is this lead already a Partner Center referral, and in which state?"""

    referral: bool
    count: int = Field(description="referrals linked to the lead")
    latest: ReferralLatest | None

    @classmethod
    def of(cls, count: int, latest: PcReferral | None) -> PartnerCenterRef:
        return cls.model_validate(partner_center_view(count, latest))


class ReferralOut(BaseModel):
    id: str
    engagement_id: str | None
    name: str | None
    status: str | None
    substatus: str | None
    type: str | None
    qualification: str | None
    direction: str | None
    customer_name: str | None
    customer_country: str | None
    customer_size: str | None
    domain: str | None
    domain_source: str | None = Field(description="website or contact_email; null without a domain")
    domain_reason: str | None = Field(description="how the domain was derived, or why there is none")
    deal_value: float | None
    currency: str | None
    created: datetime | None
    updated: datetime | None
    updated_text: str | None = Field(description="updatedDateTime exactly as Partner Center sent it")
    first_synced_at: datetime
    last_synced_at: datetime
    lead_id: int | None

    @classmethod
    def of(cls, row: PcReferral) -> ReferralOut:
        return cls(**_fields(row, exclude=("raw",)))


class ReferralDetail(ReferralOut):
    raw: dict[str, Any] = Field(description="the referral's JSON as last fetched")

    @classmethod
    def of(cls, row: PcReferral) -> ReferralDetail:
        return cls(**_fields(row, exclude=()), raw=row.raw)


class ReferralPage(BaseModel):
    items: list[ReferralOut]
    total: int
    limit: int
    offset: int


class SyncRequest(BaseModel):
    full: bool = Field(False, description="re-read every referral instead of the delta")


class SyncRunOut(BaseModel):
    id: int
    started_at: datetime
    finished_at: datetime | None
    mode: str
    trigger: str | None
    job_id: str | None
    status: str
    reason: str | None
    pages: int
    fetched: int
    created: int
    updated: int
    unchanged: int
    errors: int
    leads_created: int
    leads_linked: int
    watermark_before: str | None
    watermark_after: str | None

    @classmethod
    def of(cls, run: PcSyncRun | None) -> SyncRunOut | None:
        if run is None:
            return None
        return cls(**{name: getattr(run, name) for name in cls.model_fields})


class PartnerCenterStatus(BaseModel):
    enabled: bool
    auth_mode: str
    token_cache_present: bool
    schedule: str | None = Field(description="the daily run's time of day (UTC), when enabled")
    watermark: str | None
    last_run: SyncRunOut | None
    last_success: SyncRunOut | None
    counts: dict[str, int]


def _fields(row: PcReferral, *, exclude: tuple[str, ...]) -> dict[str, Any]:
    names = [n for n in ReferralOut.model_fields if n not in exclude and n != "id"]
    return {"id": row.referral_id, **{n: getattr(row, n) for n in names}}
