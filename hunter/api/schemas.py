"""Request and response bodies of the API (the analysis object itself is ``model.Analysis``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..model import Analysis, Priority, ProviderKind, Reason, Status, TenantSizeValue
from ..sales import SalesSummary
from .referral_schemas import PartnerCenterRef
from ..store.leads import LeadFilter

Role = Literal["viewer", "sales", "admin"]
Segment = Literal["greenfield", "competitive", "microsoft", "unknown_behind_gateway", "no_mail", "unknown"]
Sort = Literal["score", "-score", "priority", "domain", "company", "scanned_at", "-scanned_at"]
Lang = Literal["tr", "en"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- health -------------------------------------------------------------------------------------

class Health(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyCheck(BaseModel):
    status: Literal["ok", "failing", "off"]     # off: not used by this configuration
    detail: str


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    revision: str
    checks: dict[str, ReadyCheck]               # database, cache, broker, enrichment


# --- leads --------------------------------------------------------------------------------------

class ProviderRef(BaseModel):
    key: str | None
    name: str | None
    kind: str | None


class GatewayRef(BaseModel):
    key: str
    name: str


DynamicsState = Literal["pending", "pushed", "stale", "failed"]


class DynamicsRef(BaseModel):
    """The lead in Dynamics 365: its push state, Dataverse id, deep link, last push, last error."""

    state: DynamicsState | None = Field(description="null: never pushed")
    id: str | None
    url: str | None = Field(description="the record in Dynamics (main.aspx deep link)")
    pushed_at: datetime | None
    error: str | None = Field(description="the service's own message when the last push failed")


class LeadSummary(BaseModel):
    id: int
    domain: str
    company: str | None
    provider: ProviderRef
    local_provider: str | None
    gateway: GatewayRef | None
    segment: str | None
    priority: str | None
    priority_label: str | None
    score: int | None
    tenant_size: str | None
    status: str | None
    scanned_at: datetime | None
    partner_center: PartnerCenterRef
    dynamics: DynamicsRef


class LeadPage(BaseModel):
    items: list[LeadSummary]
    next_cursor: str | None
    total: int


class ScanRef(BaseModel):
    id: int
    scanned_at: datetime
    status: str
    provider: str | None
    priority: str | None
    score: int | None


class ChangeOut(BaseModel):
    id: int
    scan_id: int
    at: datetime
    kind: str
    before: str | None
    after: str | None


class Verdict(BaseModel):
    score: int | None
    segment: str | None
    priority: str | None
    priority_label: str | None
    reasons: list[Reason]          # the score breakdown: every applied rule with its points


class LeadDetail(BaseModel):
    lead: LeadSummary
    source: str | None
    contacts: list[dict[str, str]]
    tags: list[str]
    verdict: Verdict | None
    evidence: Analysis | None      # the latest scan's full analysis object
    sales: SalesSummary | None     # in the language asked for (?lang=tr|en)
    history: list[ScanRef]
    changes: list[ChangeOut]


# --- analyze, scans, jobs, imports ----------------------------------------------------------------

class AnalyzeRequest(Body):
    domain: str = Field(min_length=1, max_length=2048, examples=["karadenizfindik.com.tr"])
    store: bool = False


class LeadSelection(Body):
    """The lead filters (query parameters of the list and exports; a JSON object for scans)."""

    provider: str | None = Field(None, max_length=60, description="provider key, e.g. m365, google, natro")
    kind: ProviderKind | None = None
    gateway: str | None = Field(None, max_length=60,
                                description="`true` (any gateway), `false` (none) or a gateway key")
    local_provider: str | None = Field(None, max_length=100,
                                       description="`true`, `false` or a local hosting firm's name")
    segment: Segment | None = None
    priority: list[Priority] = Field([], description="repeatable: priority=P1&priority=P2")
    score_min: int | None = Field(None, ge=0, le=100)
    score_max: int | None = Field(None, ge=0, le=100)
    tenant_size: TenantSizeValue | None = None
    status: Status | None = None
    q: str | None = Field(None, max_length=200, description="substring of the domain or company")
    referral: bool | None = Field(None, description="true: leads that are Partner Center referrals; "
                                                    "false: leads that are not")
    dynamics: DynamicsState | Literal["none"] | None = Field(
        None, description="push state in Dynamics 365; `none`: never pushed")

    def to_filter(self, *, scanned_before: datetime | None = None) -> LeadFilter:
        gateway, local = _switch(self.gateway), _switch(self.local_provider)
        return LeadFilter(
            provider_key=self.provider, provider_kind=self.kind,
            gateway_key=gateway if isinstance(gateway, str) else None,
            gateway=gateway if isinstance(gateway, bool) else None,
            local_provider=local, segment=self.segment, priority=tuple(self.priority),
            score_min=self.score_min, score_max=self.score_max, tenant_size=self.tenant_size,
            status=self.status, q=self.q, scanned_before=scanned_before, referral=self.referral,
            dynamics=self.dynamics)


def _switch(value: str | None) -> str | bool | None:
    """``true``/``false`` as booleans (any / none), anything else as the key or name."""
    lowered = value.strip().lower() if value else None
    return {"true": True, "false": False}.get(lowered, value) if lowered else None  # type: ignore[arg-type]


class ExportQuery(LeadSelection):
    sort: Sort = "-score"


class ListQuery(ExportQuery):
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, max_length=2000, description="next_cursor of the previous page")
    offset: int = Field(0, ge=0, le=1_000_000)


class ScanRequest(Body):
    lead_ids: list[int] | None = Field(None, min_length=1, max_length=10_000)
    filter: LeadSelection | None = None
    older_than_days: int | None = Field(None, ge=0, le=36500)
    rescan: bool = True


class JobAccepted(BaseModel):
    job_id: str
    leads: int


class JobOut(BaseModel):
    id: str
    kind: str
    status: str
    total: int
    done: int
    failed: int
    progress: float
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None = Field(
        None, description="a job-level job's answer once done, e.g. an import's counts "
                          "{imported, duplicates, rejected, rejected_count, batch_id, scan_job}")


class ImportAccepted(BaseModel):
    job_id: str


# --- tokens -------------------------------------------------------------------------------------

class TokenRequest(Body):
    role: Role
    name: str | None = Field(None, max_length=100)


class TokenCreated(BaseModel):
    id: int
    role: Role
    name: str | None
    token: str = Field(description="Shown once; only its SHA-256 digest is stored.")


class TokenInfo(BaseModel):
    id: int
    role: str
    name: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class DynamicsPushRequest(Body):
    filter: LeadSelection | None = Field(None, description="which leads; none: every lead")
    changed: bool = Field(False, description="only the leads whose verdict changed since their push (stale)")
    force: bool = Field(False, description="send even when the values equal what was pushed")


class DynamicsPushed(DynamicsRef):
    outcome: Literal["created", "updated", "unchanged", "failed"]


class DynamicsStatus(BaseModel):
    enabled: bool
    url: str | None
    problem: str | None = Field(description="why pushes are refused although enabled (a setting)")
    counts: dict[str, int]
    recent_failures: list[dict[str, Any]]
