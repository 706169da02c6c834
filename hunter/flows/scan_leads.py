"""Scan stored leads: analyse, keep the scan with its evidence, record what changed.

The one place that joins ``analyze`` with the store; jobs, the API and the CLI call it.
The caller owns the transaction (repositories never commit).  A lead with Partner Center
referrals is stored with the verdict that includes the referral signal (``with_referral``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .. import changes, metrics
from ..model import Analysis
from ..pipeline import Context, analyze
from ..scoring.rules import ScoringRules
from ..store.changes import ChangeRepository
from ..store.dynamics import DynamicsRepository
from ..store.enrichment import IpEnrichmentRepository
from ..store.models import Lead, Scan
from ..store.scans import ScanRepository
from . import referral_verdict


async def scan_lead(ctx: Context, session: Session, lead_id: int, *, rescan: bool = False,
                    job_id: str | None = None) -> tuple[Scan, list[changes.Change]]:
    """Analyse the lead's domain and store the result; returns the scan and its change events.

    No database connection is held while DNS answers are awaited: the read that finds the
    domain is ended before the analysis, and the writes happen after it.
    """
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LookupError(f"lead {lead_id} no longer exists")
    domain = lead.domain
    session.rollback()                  # nothing written yet: just return the connection
    analysis = await metrics.timed_scan(analyze(domain, ctx, rescan=rescan), ctx)
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LookupError(f"lead {lead_id} was deleted during its scan")
    analysis = with_referral(session, lead, analysis, rules=ctx.scoring_rules)
    return store_analysis(session, lead, analysis, job_id=job_id)


def with_referral(session: Session, lead: Lead, analysis: Analysis, *, rules: ScoringRules) -> Analysis:
    """``analysis`` re-scored with the lead's Partner Center referral signal (unchanged without one)."""
    if not lead.pc_referral_count:
        return analysis
    latest = referral_verdict.latest(session, lead.id)
    return referral_verdict.apply(analysis, rules, latest, count=lead.pc_referral_count)


def store_analysis(session: Session, lead: Lead, analysis: Analysis, *,
                   job_id: str | None = None) -> tuple[Scan, list[changes.Change]]:
    scans = ScanRepository(session)
    before = scans.latest(lead.id)
    previous = scans.analysis_of(before) if before is not None else None
    scan = scans.add(lead.id, analysis, job_id=job_id)
    events = changes.diff(previous, analysis)
    if events:
        ChangeRepository(session).add_many(lead.id, scan.id, [(e.kind, e.before, e.after) for e in events])
    if analysis.infrastructure is not None:     # None: enrichment off, the stored rows stay
        IpEnrichmentRepository(session).replace_for_lead(lead.id, scan.id, analysis.infrastructure.ips)
    if lead.dynamics_state == "pushed" and pushed_view(previous) != pushed_view(analysis):
        DynamicsRepository(session).mark_stale([lead.id])       # `hunter dynamics push --changed` sends it
    return scan, events


def pushed_view(analysis: Analysis | None) -> tuple[object, ...]:
    """The parts of a verdict that Dynamics shows (score, segment, priority, provider, gateway,
    tenant size, the infrastructure sentences); a change in any of them makes a pushed lead stale."""
    if analysis is None:
        return ()
    infra = analysis.infrastructure
    return (analysis.score, analysis.segment, analysis.priority, analysis.provider.name if analysis.provider else None,
            analysis.gateway.name if analysis.gateway else None,
            analysis.tenant_size.value if analysis.tenant_size else None,
            (infra.summary_en, infra.summary_tr) if infra else None)
