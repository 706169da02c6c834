"""Scans: every analysis object kept whole, and the lead's current verdict copied from it.

``add`` stores ``analysis.model_dump(mode="json")`` (the contract's JSON, rules version
included) and, in the same session, copies the verdict onto the lead row so that lists filter
and sort on indexed columns.  Nothing here commits; the flow owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model import Analysis
from .models import Lead, Scan


class ScanRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, lead_id: int, analysis: Analysis, *, job_id: str | None = None) -> Scan:
        """Store ``analysis`` as the lead's newest scan and make it the lead's current verdict."""
        lead = self.session.get(Lead, lead_id)
        if lead is None:
            raise LookupError(f"no lead with id {lead_id}")
        scan = Scan(lead_id=lead_id, scanned_at=scanned_at(analysis), status=analysis.status,
                    rules_version=rules_version(analysis), job_id=job_id,
                    analysis=analysis.model_dump(mode="json"))
        self.session.add(scan)
        self.session.flush()
        for name, value in verdict(analysis).items():
            setattr(lead, name, value)
        lead.scanned_at = scan.scanned_at
        lead.last_scan_id = scan.id
        lead.updated_at = datetime.now(UTC)
        self.session.flush()
        return scan

    def get(self, scan_id: int) -> Scan | None:
        return self.session.get(Scan, scan_id)

    def latest(self, lead_id: int) -> Scan | None:
        return self.session.scalar(select(Scan).where(Scan.lead_id == lead_id)
                                   .order_by(Scan.id.desc()).limit(1))

    def previous(self, lead_id: int, before_scan_id: int) -> Scan | None:
        """The scan of the lead just before ``before_scan_id`` (for "what changed")."""
        return self.session.scalar(select(Scan).where(Scan.lead_id == lead_id, Scan.id < before_scan_id)
                                   .order_by(Scan.id.desc()).limit(1))

    def history(self, lead_id: int, limit: int = 20) -> Sequence[Scan]:
        """The lead's scans, newest first."""
        return self.session.scalars(select(Scan).where(Scan.lead_id == lead_id)
                                    .order_by(Scan.id.desc()).limit(limit)).all()

    @staticmethod
    def analysis_of(scan: Scan) -> Analysis:
        """The stored object back as an ``Analysis`` (validated)."""
        return Analysis.model_validate(scan.analysis)


def verdict(analysis: Analysis) -> dict[str, Any]:
    """The lead columns that mirror an analysis (see ``models.Lead``)."""
    return {
        "status": analysis.status,
        "provider_key": analysis.provider.key,
        "provider_kind": analysis.provider.kind,
        "local_provider": analysis.local_provider,
        "gateway_key": analysis.gateway.key if analysis.gateway else None,
        "segment": analysis.segment,
        "priority": analysis.priority,
        "score": analysis.score,
        "tenant_size": analysis.tenant_size.value,
        "m365_tenant": analysis.m365.tenant,
        "dmarc_policy": analysis.dmarc.policy,
        "rules_version": rules_version(analysis),
    }


def rules_version(analysis: Analysis) -> str | None:
    return analysis.rules_version or analysis.evidence.rules_version


def scanned_at(analysis: Analysis) -> datetime:
    """When the analysis ran (``analysed_at``, in UTC), or now when it does not say."""
    if not analysis.analysed_at:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(analysis.analysed_at.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


__all__ = ["ScanRepository", "rules_version", "scanned_at", "verdict"]
