"""Partner Center referrals and sync runs: idempotent upserts, links to leads, the watermark.

A referral row is keyed by the referral id; ``upsert`` compares a hash of the raw JSON, so a
re-run of the same page changes nothing and says ``unchanged``.  ``recount`` keeps the lead's
``pc_referral_count`` (the column lists filter on) equal to the rows linked to it.  The
watermark of the next delta run is the ``watermark_after`` of the last *succeeded* run: a
failed run never moves it.  Nothing here commits; the flow owns the transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from ..errors import InputError
from .models import Lead, PcReferral, PcSyncRun

Outcome = Literal["created", "updated", "unchanged"]

#: Columns of ``pc_referrals`` the sync writes from a referral (besides raw, hash, times, lead).
FIELDS = ("engagement_id", "name", "status", "substatus", "type", "qualification", "direction",
          "customer_name", "customer_country", "customer_size", "domain", "domain_source",
          "domain_reason", "deal_value", "currency", "created", "updated", "updated_text")

OPEN_STATUSES = ("New", "Active")


@dataclass(frozen=True, slots=True)
class ReferralFilter:
    """Every field narrows the list; ``None`` means "any"."""

    status: str | None = None
    substatus: str | None = None
    domain: str | None = None
    lead_id: int | None = None
    linked: bool | None = None          # False: no lead (no usable domain)
    q: str | None = None                # substring of the customer name, referral name or domain


def content_hash(raw: Mapping[str, Any]) -> str:
    """A stable fingerprint of a referral's JSON (key order does not matter)."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class ReferralRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert(self, referral_id: str, values: Mapping[str, Any], *, raw: Mapping[str, Any],
               lead_id: int | None, now: datetime | None = None) -> tuple[PcReferral, Outcome]:
        """Store one referral as fetched; ``values`` holds the ``FIELDS``."""
        now = now or datetime.now(UTC)
        digest = content_hash(raw)
        row = self.get(referral_id)
        if row is None:
            row = PcReferral(referral_id=referral_id, raw=dict(raw), content_hash=digest,
                             first_synced_at=now, last_synced_at=now, lead_id=lead_id,
                             **{k: values.get(k) for k in FIELDS})
            self.session.add(row)
            self.session.flush()
            return row, "created"
        row.last_synced_at = now
        if row.content_hash == digest and row.lead_id == lead_id:
            return row, "unchanged"
        changed = row.content_hash != digest
        for key in FIELDS:
            setattr(row, key, values.get(key))
        row.raw, row.content_hash, row.lead_id = dict(raw), digest, lead_id
        self.session.flush()
        return row, "updated" if changed else "unchanged"

    def get(self, referral_id: str) -> PcReferral | None:
        return self.session.scalar(select(PcReferral).where(PcReferral.referral_id == referral_id))

    def lead_of(self, referral_id: str) -> int | None:
        return self.session.scalar(select(PcReferral.lead_id).where(PcReferral.referral_id == referral_id))

    def for_lead(self, lead_id: int) -> Sequence[PcReferral]:
        """The lead's referrals, the most recently updated first."""
        return self.session.scalars(select(PcReferral).where(PcReferral.lead_id == lead_id)
                                    .order_by(*_newest())).all()

    def latest_for_leads(self, lead_ids: Iterable[int]) -> dict[int, PcReferral]:
        """The most recently updated referral of each lead that has one."""
        ids = sorted(set(lead_ids))
        found: dict[int, PcReferral] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self.session.scalars(select(PcReferral).where(PcReferral.lead_id.in_(chunk))
                                        .order_by(PcReferral.lead_id, *_newest()))
            for row in rows:
                found.setdefault(row.lead_id, row)      # type: ignore[arg-type]
        return found

    def recount(self, lead_ids: Iterable[int]) -> None:
        """Set ``leads.pc_referral_count`` and ``pc_referral_state`` (the latest referral's
        "Status/Substatus") of these leads from the rows linked to them."""
        ids = sorted(set(lead_ids))
        linked = (select(func.count()).select_from(PcReferral)
                  .where(PcReferral.lead_id == Lead.id).scalar_subquery())
        state = (select(func.coalesce(PcReferral.status, "None") + "/" + func.coalesce(PcReferral.substatus, "None"))
                 .where(PcReferral.lead_id == Lead.id).order_by(*_newest()).limit(1).scalar_subquery())
        for start in range(0, len(ids), 500):
            self.session.execute(update(Lead).where(Lead.id.in_(ids[start:start + 500]))
                                 .values(pc_referral_count=linked, pc_referral_state=state)
                                 .execution_options(synchronize_session=False))
        for lead in (self.session.get(Lead, i) for i in ids):
            if lead is not None:
                self.session.refresh(lead, ["pc_referral_count", "pc_referral_state"])

    def list(self, filters: ReferralFilter = ReferralFilter(), *, limit: int = 50,
             offset: int = 0) -> tuple[list[PcReferral], int]:
        """One page (most recently updated first) and the number of matching rows."""
        if limit < 1 or offset < 0:
            raise InputError("limit must be positive and offset not negative", column="limit")
        conditions = _conditions(filters)
        rows = self.session.scalars(select(PcReferral).where(*conditions).order_by(*_newest())
                                    .offset(offset).limit(limit)).all()
        total = self.session.scalar(select(func.count()).select_from(PcReferral).where(*conditions)) or 0
        return list(rows), total

    def stream(self, filters: ReferralFilter = ReferralFilter(), *, batch: int = 1000):
        stmt = (select(PcReferral).where(*_conditions(filters)).order_by(*_newest())
                .execution_options(yield_per=batch))
        yield from self.session.scalars(stmt)

    def counts(self) -> dict[str, int]:
        """Referrals by status, plus ``total``, ``linked`` and ``without_domain``."""
        by_status = dict(self.session.execute(
            select(func.coalesce(PcReferral.status, "None"), func.count()).group_by(PcReferral.status)).all())
        total = sum(by_status.values())
        linked = self.session.scalar(select(func.count()).select_from(PcReferral)
                                     .where(PcReferral.lead_id.is_not(None))) or 0
        no_domain = self.session.scalar(select(func.count()).select_from(PcReferral)
                                        .where(PcReferral.domain.is_(None))) or 0
        return {"total": total, "linked": linked, "without_domain": no_domain,
                **{f"status_{k}": v for k, v in sorted(by_status.items())}}


class SyncRunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def start(self, *, mode: str, trigger: str, job_id: str | None,
              watermark_before: str | None) -> PcSyncRun:
        run = PcSyncRun(started_at=datetime.now(UTC), mode=mode, trigger=trigger, job_id=job_id,
                        status="running", watermark_before=watermark_before, request_ids=[], detail={})
        self.session.add(run)
        self.session.flush()
        return run

    def finish(self, run: PcSyncRun, *, status: str, reason: str | None = None, **counts: Any) -> None:
        for key, value in counts.items():
            setattr(run, key, value)
        run.status, run.reason, run.finished_at = status, reason, datetime.now(UTC)
        self.session.flush()

    def get(self, run_id: int) -> PcSyncRun | None:
        return self.session.get(PcSyncRun, run_id)

    def abandon_running(self, *, job_id: str | None, started_before: datetime) -> int:
        """Runs left ``running`` by a process that stopped (the same job resumed, or started
        before ``started_before``) are finished as failed; returns how many."""
        stale = PcSyncRun.started_at < started_before
        if job_id is not None:
            stale = or_(stale, PcSyncRun.job_id == job_id)
        rows = self.session.scalars(select(PcSyncRun).where(PcSyncRun.status == "running", stale)).all()
        for run in rows:
            self.finish(run, status="failed", reason="interrupted: the process stopped before the run finished",
                        watermark_after=run.watermark_before)
        return len(rows)

    def latest(self) -> PcSyncRun | None:
        return self.session.scalar(select(PcSyncRun).order_by(PcSyncRun.id.desc()).limit(1))

    def last_succeeded(self) -> PcSyncRun | None:
        return self.session.scalar(select(PcSyncRun).where(PcSyncRun.status == "succeeded")
                                   .order_by(PcSyncRun.id.desc()).limit(1))

    def watermark(self) -> str | None:
        """Where the next delta run starts: the last succeeded run's watermark."""
        run = self.last_succeeded()
        return run.watermark_after if run is not None else None

    def recent(self, limit: int = 20) -> Sequence[PcSyncRun]:
        return self.session.scalars(select(PcSyncRun).order_by(PcSyncRun.id.desc()).limit(limit)).all()


def is_open(status: str | None) -> bool:
    return status in OPEN_STATUSES


def state_text(status: str | None, substatus: str | None) -> str:
    """"New/Pending": the form ``leads.pc_referral_state`` holds."""
    return f"{status or 'None'}/{substatus or 'None'}"


LATEST_FIELDS = ("status", "substatus", "type", "qualification", "direction", "deal_value", "currency",
                 "created", "updated")


def partner_center_view(count: int, latest: PcReferral | None) -> dict[str, Any]:
    """``{referral, count, latest}``: the ``partner_center`` object of a lead (API and CLI)."""
    shown = None
    if latest is not None:
        shown = {"id": latest.referral_id, **{name: getattr(latest, name) for name in LATEST_FIELDS}}
    return {"referral": count > 0, "count": count, "latest": shown}


def _newest() -> list[ColumnElement[Any]]:
    return [PcReferral.updated.is_(None), PcReferral.updated.desc(), PcReferral.id.desc()]


def _conditions(f: ReferralFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if f.status is not None:
        found.append(PcReferral.status == f.status)
    if f.substatus is not None:
        found.append(PcReferral.substatus == f.substatus)
    if f.domain is not None:
        found.append(PcReferral.domain == f.domain.strip().lower().rstrip("."))
    if f.lead_id is not None:
        found.append(PcReferral.lead_id == f.lead_id)
    if f.linked is True:
        found.append(PcReferral.lead_id.is_not(None))
    elif f.linked is False:
        found.append(PcReferral.lead_id.is_(None))
    if f.q and f.q.strip():
        pattern = "%" + f.q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found.append(func.lower(func.coalesce(PcReferral.customer_name, "") + " " +
                                func.coalesce(PcReferral.name, "") + " " +
                                func.coalesce(PcReferral.domain, "")).like(pattern, escape="\\"))
    return found


__all__ = ["FIELDS", "OPEN_STATUSES", "ReferralFilter", "ReferralRepository", "SyncRunRepository",
           "content_hash", "is_open", "partner_center_view", "state_text"]
