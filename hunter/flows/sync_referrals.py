"""Sync Partner Center referrals into the store and merge them with the leads by domain.

One run, in three steps that never overlap a network wait with an open transaction:

1. record the run (``running``, the watermark it starts from) and commit;
2. fetch every page from the source (a delta from the last succeeded run's watermark, or
   everything on the first run and with ``full``);
3. apply the whole batch in ONE transaction: derive each customer's company domain, link the
   referral to the lead of that domain (creating the lead, source ``partner_center``, when there
   is none and ``create_leads``), upsert the referral (created / updated / unchanged by content),
   recount the touched leads, re-score those already scanned (a new scan row holding the same
   DNS evidence and the new verdict, with a ``pc_referral_changed`` event), and finish the run
   with the new watermark.

A failure of the source (down, throttled past its retries, sign-in refused) finishes the run as
``failed`` with the reason; nothing else is written and the watermark stays, so the next run
catches up.  The leads created here are returned for the caller to queue a scan *after* the
commit (the CLI waits for it; the job submits a follow-up job).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import metrics
from ..errors import IntegrationError
from ..integrations.base import ReferralBatch, ReferralRecord, ReferralSource
from ..normalise import company_domain
from ..scoring.rules import ScoringRules
from ..store.changes import ChangeRepository
from ..store.dynamics import DynamicsRepository
from ..store.leads import LeadRepository
from ..store.models import Lead, PcReferral, PcSyncRun
from ..store.referrals import ReferralRepository, SyncRunRepository
from ..store.scans import ScanRepository
from . import referral_verdict
from .scan_leads import store_analysis

log = logging.getLogger("hunter.partner_center")

SOURCE = "partner_center"
MAX_DETAIL = 200            # per-referral problems kept in the run's detail
STALE_RUN = timedelta(hours=6)   # a run still "running" after this was cut off by a stopped process


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    run_id: int
    mode: str                       # full, delta
    status: str                     # succeeded, failed
    reason: str | None
    pages: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    leads_created: int = 0
    leads_linked: int = 0
    leads_rescored: int = 0
    watermark: str | None = None
    watermark_before: str | None = None
    new_lead_ids: tuple[int, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        """The JSON summary of ``hunter partner-center sync --json`` and of the job result."""
        data = asdict(self)
        data["new_lead_ids"] = list(self.new_lead_ids)
        return data


def sync_referrals(sessions: Callable[[], Session], source: ReferralSource, *, rules: ScoringRules,
                   full: bool = False, trigger: str = "cli", job_id: str | None = None,
                   create_leads: bool = True) -> SyncOutcome:
    """One sync run (see the module docstring); never raises for a failing source."""
    run_id, mode, before = _start(sessions, full=full, trigger=trigger, job_id=job_id)
    try:
        batch = source.fetch(since=None if mode == "full" else before)
    except IntegrationError as exc:
        log.warning("partner center sync failed: %s", exc, extra={"event": "pc_sync_failed", "run": run_id})
        return _fail(sessions, run_id, mode=mode, before=before, reason=str(exc))
    try:
        with sessions() as session:
            outcome = _apply(session, run_id, batch, mode=mode, before=before, rules=rules,
                             create_leads=create_leads)
            session.commit()
    except Exception as exc:
        _fail(sessions, run_id, mode=mode, before=before, reason=f"storing the referrals failed: {exc}")
        raise
    log.info("partner center sync %s: %d fetched, %d created, %d updated", outcome.mode, outcome.fetched,
             outcome.created, outcome.updated, extra={"event": "pc_sync_done", "run": run_id})
    metrics.observe_pc_sync("succeeded", fetched=outcome.fetched)
    return outcome


def _start(sessions: Callable[[], Session], *, full: bool, trigger: str,
           job_id: str | None) -> tuple[int, str, str | None]:
    with sessions() as session:
        runs = SyncRunRepository(session)
        runs.abandon_running(job_id=job_id, started_before=datetime.now(UTC) - STALE_RUN)
        before = runs.watermark()
        mode = "full" if full or before is None else "delta"
        run = runs.start(mode=mode, trigger=trigger, job_id=job_id, watermark_before=before)
        session.commit()
        return run.id, mode, before


def _fail(sessions: Callable[[], Session], run_id: int, *, mode: str, before: str | None,
          reason: str) -> SyncOutcome:
    with sessions() as session:
        runs = SyncRunRepository(session)
        run = runs.get(run_id)
        assert run is not None
        runs.finish(run, status="failed", reason=reason[:2000], watermark_after=before)
        session.commit()
    metrics.observe_pc_sync("failed")
    return SyncOutcome(run_id=run_id, mode=mode, status="failed", reason=reason, watermark=before,
                       watermark_before=before)


def _apply(session: Session, run_id: int, batch: ReferralBatch, *, mode: str, before: str | None,
           rules: ScoringRules, create_leads: bool) -> SyncOutcome:
    referrals, leads = ReferralRepository(session), LeadRepository(session)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    states = _States(referrals)             # each touched lead's referral state before the run
    new_leads: list[int] = []
    linked = 0
    for record in unique_latest(batch.records):
        derived = company_domain.derive(record.contact_emails, website=record.website)
        lead_id, created = _lead_for(leads, record, derived, create_leads=create_leads)
        if created:
            new_leads.append(lead_id)            # type: ignore[arg-type]
        old_lead = referrals.lead_of(record.id)
        states.remember(lead_id, old_lead)
        _, outcome = referrals.upsert(record.id, _values(record, derived), raw=record.raw, lead_id=lead_id)
        counts[outcome] += 1
        linked += lead_id is not None and old_lead != lead_id
    relinked = _relink(session, states)
    referrals.recount(states.before)
    rescored = _rescore(session, states, rules=rules)
    after = newest_watermark([before, *(r.updated_text for r in batch.records)])
    outcome = SyncOutcome(run_id=run_id, mode=mode, status="succeeded", reason=None, pages=batch.pages,
                          fetched=len(batch.records), errors=len(batch.errors), leads_created=len(new_leads),
                          leads_linked=linked + len(relinked), leads_rescored=rescored, watermark=after,
                          watermark_before=before, new_lead_ids=tuple(new_leads), **counts)
    _finish(session, run_id, outcome, batch)
    return outcome


def _finish(session: Session, run_id: int, outcome: SyncOutcome, batch: ReferralBatch) -> None:
    runs = SyncRunRepository(session)
    run = runs.get(run_id)
    assert run is not None
    counts = {k: getattr(outcome, k) for k in ("pages", "fetched", "created", "updated", "unchanged",
                                               "errors", "leads_created", "leads_linked")}
    detail = {"problems": list(batch.errors[:MAX_DETAIL]), "leads_rescored": outcome.leads_rescored,
              "new_lead_ids": list(outcome.new_lead_ids[:1000])}
    runs.finish(run, status="succeeded", watermark_after=outcome.watermark,
                request_ids=list(batch.request_ids[:1000]), detail=detail, **counts)


def _lead_for(leads: LeadRepository, record: ReferralRecord, derived: company_domain.CompanyDomain, *,
              create_leads: bool) -> tuple[int | None, bool]:
    """The lead this referral belongs to (created when allowed) and whether it was created."""
    if derived.domain is None:
        return None, False
    existing = leads.by_domain(derived.domain)
    if existing is None and not create_leads:
        return None, False
    lead, created = leads.upsert(derived.domain, company=record.customer_name, source=SOURCE,
                                 contacts=_contacts(record))
    return lead.id, created


def _contacts(record: ReferralRecord) -> list[dict[str, Any]]:
    """The customer's own contacts (never Microsoft's or the partner's sellers)."""
    team = (record.raw.get("customerProfile") or {}).get("team") or []
    found = []
    for person in team if isinstance(team, list) else []:
        if not isinstance(person, dict) or not str(person.get("email") or "").strip():
            continue
        name = " ".join(str(person.get(k) or "").strip() for k in ("firstName", "lastName")).strip()
        found.append({"email": str(person["email"]), "name": name or None, "source": SOURCE})
    return found


def _values(record: ReferralRecord, derived: company_domain.CompanyDomain) -> dict[str, Any]:
    return {
        "engagement_id": record.engagement_id, "name": _cut(record.name, 300), "status": record.status,
        "substatus": record.substatus, "type": record.type, "qualification": record.qualification,
        "direction": record.direction, "customer_name": _cut(record.customer_name, 300),
        "customer_country": _cut(record.customer_country, 10), "customer_size": _cut(record.customer_size, 40),
        "domain": derived.domain, "domain_source": derived.source, "domain_reason": derived.reason,
        "deal_value": record.deal_value, "currency": _cut(record.currency, 3), "created": record.created,
        "updated": record.updated, "updated_text": record.updated_text,
    }


def _cut(text: str | None, size: int) -> str | None:
    return text[:size] if text else text


class _States:
    """The referral state text ("New/Pending") of each lead a run touches, as it was before."""

    def __init__(self, referrals: ReferralRepository) -> None:
        self.referrals = referrals
        self.before: dict[int, str | None] = {}

    def remember(self, *lead_ids: int | None) -> None:
        for lead_id in lead_ids:
            if lead_id is not None and lead_id not in self.before:
                latest = self.referrals.latest_for_leads([lead_id]).get(lead_id)
                self.before[lead_id] = referral_verdict.state(latest)


def _relink(session: Session, states: _States) -> set[int]:
    """Referrals that had no lead but whose domain is now a lead (imported since): link them."""
    rows = session.execute(select(PcReferral.id, Lead.id).join(Lead, Lead.domain == PcReferral.domain)
                           .where(PcReferral.lead_id.is_(None), PcReferral.domain.is_not(None))).all()
    for referral_pk, lead_id in rows:
        states.remember(lead_id)
        session.execute(update(PcReferral).where(PcReferral.id == referral_pk).values(lead_id=lead_id))
    return {lead_id for _, lead_id in rows}


def _rescore(session: Session, states: _States, *, rules: ScoringRules) -> int:
    """Give every touched lead that has a scan the verdict with its referral state; returns how
    many verdicts changed (each stored as a new scan with a ``pc_referral_changed`` event).  A
    lead pushed to Dynamics whose referral state moved becomes ``stale`` (Dynamics shows it)."""
    scans, events = ScanRepository(session), ChangeRepository(session)
    latest = states.referrals.latest_for_leads(states.before)
    moved = [i for i in states.before if states.before[i] != referral_verdict.state(latest.get(i))]
    DynamicsRepository(session).mark_stale(moved)
    changed = 0
    for lead_id in sorted(states.before):
        lead = session.get(Lead, lead_id)
        if lead is None or lead.last_scan_id is None:
            continue
        current = scans.get(lead.last_scan_id)
        assert current is not None
        stored = scans.analysis_of(current)
        fresh = referral_verdict.apply(stored, rules, latest.get(lead_id), count=lead.pc_referral_count)
        before, after = states.before[lead_id], referral_verdict.state(latest.get(lead_id))
        if fresh == stored and before == after:
            continue
        scan, _ = store_analysis(session, lead, fresh)
        if before != after:
            events.add_many(lead_id, scan.id, [("pc_referral_changed", before, after)])
        changed += 1
    return changed


def unique_latest(records: Sequence[ReferralRecord]) -> list[ReferralRecord]:
    """One record per referral id (pages may overlap): the most recently updated, input order."""
    best: dict[str, ReferralRecord] = {}
    for record in records:
        kept = best.get(record.id)
        if kept is None or ticks(record.updated_text) >= ticks(kept.updated_text):
            best[record.id] = record
    return list(best.values())


def newest_watermark(texts: Iterable[str | None]) -> str | None:
    """The latest of raw ``updatedDateTime`` texts, compared at 100 ns (7 fraction digits)."""
    best: str | None = None
    for text in texts:
        if text and (best is None or ticks(text) > ticks(best)):
            best = text
    return best


def ticks(text: str | None) -> int:
    """100-ns ticks since 0001-01-01 of an ISO 8601 UTC text with up to 7 fraction digits
    (the precision Partner Center sends; a float or a datetime would lose the last digit)."""
    match = _STAMP.match(text.strip()) if text else None
    if match is None:
        return -1
    whole, fraction, zone = match.groups()
    moment = datetime.fromisoformat(whole + (zone if zone and zone != "Z" else "+00:00"))
    seconds = int((moment - datetime(1, 1, 1, tzinfo=UTC)).total_seconds())
    return seconds * 10_000_000 + int(((fraction or "") + "0000000")[:7])


_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


@dataclass(frozen=True, slots=True)
class SyncState:
    """What ``hunter partner-center status`` and ``GET /partner-center/status`` report of the store."""

    watermark: str | None
    last_run: PcSyncRun | None
    last_success: PcSyncRun | None
    counts: dict[str, int]


def sync_state(session: Session) -> SyncState:
    runs = SyncRunRepository(session)
    return SyncState(watermark=runs.watermark(), last_run=runs.latest(), last_success=runs.last_succeeded(),
                     counts=ReferralRepository(session).counts())


__all__ = ["SOURCE", "SyncOutcome", "SyncState", "newest_watermark", "sync_referrals", "sync_state", "ticks",
           "unique_latest"]
