"""SQLAlchemy 2 models: leads, scans with their evidence, change history, imports, jobs, tokens.

The lead row carries a copy of its current verdict (provider, segment, priority, score …) so
that the lead list can filter and sort 100 000 leads on indexed columns; the full analysis
object of every scan is kept in ``scans.analysis`` (JSON) with its rules version, so any
verdict can be explained and re-derived.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text,
                        UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


# JSONB on PostgreSQL (indexable, ``||`` and equality: used to merge contacts/tags in SQL);
# plain JSON (text) on SQLite.  Migrations use the same type (see migrations/versions/0001).
JSON_TYPE = JSON().with_variant(JSONB(), "postgresql")

# Every constraint gets a predictable name, so later (SQLite batch) migrations can drop it.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON_TYPE, list[Any]: JSON_TYPE,
                           datetime: DateTime(timezone=True)}


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    company: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str | None] = mapped_column(String(300))        # file name, "api", "cli" …
    contacts: Mapped[list[Any]] = mapped_column(default=list)       # [{"email": …, "name": …}]
    tags: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # the current verdict (copied from the latest scan; null until the first scan)
    last_scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id", use_alter=True,
                                                                name="fk_leads_last_scan"))
    scanned_at: Mapped[datetime | None]
    status: Mapped[str | None] = mapped_column(String(20))
    provider_key: Mapped[str | None] = mapped_column(String(60))
    provider_kind: Mapped[str | None] = mapped_column(String(20))
    local_provider: Mapped[str | None] = mapped_column(String(100))
    gateway_key: Mapped[str | None] = mapped_column(String(60))
    segment: Mapped[str | None] = mapped_column(String(30))
    priority: Mapped[str | None] = mapped_column(String(2))
    score: Mapped[int | None]
    tenant_size: Mapped[str | None] = mapped_column(String(20))
    m365_tenant: Mapped[str | None] = mapped_column(String(253))
    dmarc_policy: Mapped[str | None] = mapped_column(String(20))
    rules_version: Mapped[str | None] = mapped_column(String(100))
    # Partner Center referrals linked to this lead (kept by the sync; the rows are pc_referrals)
    pc_referral_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pc_referral_state: Mapped[str | None] = mapped_column(String(61))   # latest: "Status/Substatus"
    # Dynamics 365: the push state (kept by the push flow; the acknowledgement is dynamics_pushes)
    dynamics_state: Mapped[str | None] = mapped_column(String(10))       # pending, pushed, stale, failed

    scans: Mapped[list[Scan]] = relationship(back_populates="lead", foreign_keys="Scan.lead_id",
                                             order_by="Scan.id.desc()", lazy="raise")

    __table_args__ = (
        Index("ix_leads_priority_score", "priority", "score", "id"),
        Index("ix_leads_score", "score", "id"),
        Index("ix_leads_provider_key", "provider_key", "score"),
        Index("ix_leads_provider_kind", "provider_kind", "score"),
        Index("ix_leads_segment", "segment", "score"),
        Index("ix_leads_gateway_key", "gateway_key"),
        Index("ix_leads_local_provider", "local_provider"),
        Index("ix_leads_status", "status"),
        Index("ix_leads_tenant_size", "tenant_size"),
        Index("ix_leads_scanned_at", "scanned_at"),
        Index("ix_leads_company", "company"),
        Index("ix_leads_pc_referral_count", "pc_referral_count"),
        Index("ix_leads_dynamics_state", "dynamics_state"),
    )


class Scan(Base):
    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    scanned_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    rules_version: Mapped[str | None] = mapped_column(String(100))
    job_id: Mapped[str | None] = mapped_column(String(36), index=True)
    analysis: Mapped[dict[str, Any]]                                # the whole contract object

    lead: Mapped[Lead] = relationship(back_populates="scans", foreign_keys=[lead_id], lazy="raise")

    # a lead's scans newest first (latest, previous, history): one index range, however many
    # scans the table holds (lead_id alone let PostgreSQL walk the primary key backwards)
    __table_args__ = (Index("ix_scans_lead", "lead_id", "id"),)


class ChangeEvent(Base):
    __tablename__ = "change_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))     # provider_moved, gateway_added, …
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_change_events_lead", "lead_id", "id"),)


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))   # running, done, failed
    imported: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)


class ImportRow(Base):
    __tablename__ = "import_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    row: Mapped[int]
    value: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))  # imported, duplicate, rejected
    reason: Mapped[str | None] = mapped_column(Text)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_import_rows_batch", "batch_id", "row"),)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)   # uuid4 text
    kind: Mapped[str] = mapped_column(String(20))                   # scan, rescan, import
    status: Mapped[str] = mapped_column(String(20))                 # queued, running, done, failed, cancelled
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)     # e.g. an import's counts

    __table_args__ = (Index("ix_jobs_status", "status", "created_at"),)


class JobItem(Base):
    """One unit of a job (a lead to scan).  ``state`` moves pending -> done|failed in the same
    transaction that stores the unit's result, so a restart resumes without losing or
    duplicating a domain."""

    __tablename__ = "job_items"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")   # Celery: deliveries started

    __table_args__ = (Index("ix_job_items_pending", "job_id", "state", "seq"),)


class ScheduleRun(Base):
    """One run of a beat schedule (the daily sync, the rescan, the Dynamics re-push): unique per
    schedule and time slot, so a slot runs once however often its message is delivered."""

    __tablename__ = "schedule_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    slot: Mapped[str] = mapped_column(String(40))                  # e.g. 2026-12-07 or 2026-12-07T10:15
    job_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("name", "slot"),)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(10))                   # viewer, sales, admin
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex; the token is never stored
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class IpEnrichment(Base):
    """One IP address behind a lead, as its latest scan with enrichment on saw it: the roles it
    plays and what the offline IP databases said (``facts`` = the contract's ``IpInfo``)."""

    __tablename__ = "ip_enrichment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id"))     # the latest scan that saw it
    ip: Mapped[str] = mapped_column(String(45))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    facts: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("lead_id", "ip"), Index("ix_ip_enrichment_ip", "ip"))


class PcReferral(Base):
    """One Partner Center referral as the last sync saw it: the fields a person filters on, the
    company domain derived from the customer's contacts (and how), the lead it is linked to, and
    the raw JSON it all came from (``raw``; ``content_hash`` tells a changed referral apart)."""

    __tablename__ = "pc_referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[str] = mapped_column(String(64), unique=True)
    engagement_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str | None] = mapped_column(String(30))
    substatus: Mapped[str | None] = mapped_column(String(30))
    type: Mapped[str | None] = mapped_column(String(30))
    qualification: Mapped[str | None] = mapped_column(String(30))
    direction: Mapped[str | None] = mapped_column(String(30))
    customer_name: Mapped[str | None] = mapped_column(String(300))
    customer_country: Mapped[str | None] = mapped_column(String(10))
    customer_size: Mapped[str | None] = mapped_column(String(40))
    domain: Mapped[str | None] = mapped_column(String(253))
    domain_source: Mapped[str | None] = mapped_column(String(20))   # website, contact_email
    domain_reason: Mapped[str | None] = mapped_column(Text)         # how derived, or why none
    deal_value: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    created: Mapped[datetime | None]                                # createdDateTime
    updated: Mapped[datetime | None]                                # updatedDateTime
    updated_text: Mapped[str | None] = mapped_column(String(40))    # raw, 7 fraction digits
    raw: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    first_synced_at: Mapped[datetime]
    last_synced_at: Mapped[datetime]
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_pc_referrals_lead", "lead_id", "updated"),
        Index("ix_pc_referrals_domain", "domain"),
        Index("ix_pc_referrals_status", "status", "updated"),
    )


class PcSyncRun(Base):
    """One run of the Partner Center sync: what it asked, what it got, how it ended."""

    __tablename__ = "pc_sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    mode: Mapped[str] = mapped_column(String(10))                   # full, delta
    trigger: Mapped[str | None] = mapped_column(String(20))         # cli, api, schedule
    job_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20))                 # running, succeeded, failed
    reason: Mapped[str | None] = mapped_column(Text)                # why it failed (no secrets)
    pages: Mapped[int] = mapped_column(default=0)
    fetched: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    leads_created: Mapped[int] = mapped_column(default=0)
    leads_linked: Mapped[int] = mapped_column(default=0)
    watermark_before: Mapped[str | None] = mapped_column(String(40))
    watermark_after: Mapped[str | None] = mapped_column(String(40))
    request_ids: Mapped[list[Any]] = mapped_column(default=list)    # the service's request-id per page
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)    # per-referral problems, scan job

    __table_args__ = (Index("ix_pc_sync_runs_status", "status", "id"),)


class DynamicsPush(Base):
    """The acknowledgement of a lead in Dynamics 365 (one per lead): the Dataverse id, the state,
    the fingerprint of the values last pushed, when, how many attempts, the last error in plain
    words with the service's code and request id."""

    __tablename__ = "dynamics_pushes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    record_id: Mapped[str | None] = mapped_column(String(36))       # the Dataverse leadid
    state: Mapped[str] = mapped_column(String(10))                  # pending, pushed, stale, failed
    fingerprint: Mapped[str | None] = mapped_column(String(64))     # of the values last pushed
    pushed_at: Mapped[datetime | None]                              # last successful push
    attempts: Mapped[int] = mapped_column(default=0)                # every attempt ever made
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)            # plain words, no secrets
    last_error_code: Mapped[str | None] = mapped_column(String(40))
    last_request_id: Mapped[str | None] = mapped_column(String(100))


class DynamicsPushLog(Base):
    """One push attempt of one lead: the outcome, the service's answer and request id."""

    __tablename__ = "dynamics_push_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    job_id: Mapped[str | None] = mapped_column(String(36))
    trigger: Mapped[str | None] = mapped_column(String(20))         # cli, api, job, schedule
    outcome: Mapped[str] = mapped_column(String(10))                # created, updated, failed
    record_id: Mapped[str | None] = mapped_column(String(36))
    status_code: Mapped[int | None]
    request_id: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=1)

    __table_args__ = (Index("ix_dynamics_push_log_lead", "lead_id", "at"),)


class User(Base):
    """A person who signs in to the lead screen: a unique name, an argon2 password hash (never the
    password), a role as the API tokens have (viewer, sales, admin), and whether it is disabled."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)      # stored case-folded
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))                    # viewer, sales, admin
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class WebSession(Base):
    """A signed-in browser: stored under the SHA-256 digest of the cookie's value (the value
    itself is never stored), with its CSRF token and when it ends (absolute and idle)."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)    # sha256 hex of the cookie value
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]                                     # absolute end

    __table_args__ = (Index("ix_web_sessions_user", "user_id"), Index("ix_web_sessions_expires", "expires_at"))


__all__ = ["ApiToken", "Base", "ChangeEvent", "DynamicsPush", "DynamicsPushLog", "ImportBatch", "ImportRow",
           "IpEnrichment", "Job", "JobItem", "Lead", "PcReferral", "PcSyncRun", "Scan", "ScheduleRun", "User", "WebSession"]
