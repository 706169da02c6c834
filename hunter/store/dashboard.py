"""The dashboard's figures: leads by priority, segment and provider, and the latest changes.

Each figure is one query: the counts are the lead list's facets with no filter (``facets``: a
walk of ``ix_leads_priority_score``, ``ix_leads_segment``, ``ix_leads_provider_key``), the newest
changes walk the primary key of ``change_events``.  Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .facets import Counts, FacetRepository
from .leads import LeadFilter
from .models import ChangeEvent, Lead

PRIORITIES = ("P1", "P2", "P3", "P4", "P5", "P6")
OTHER = "other"


@dataclass(frozen=True, slots=True)
class RecentChange:
    domain: str
    lead_id: int
    kind: str                   # provider_moved, gateway_added, …
    before: str | None
    after: str | None
    at: datetime


class DashboardRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_priority(self) -> Counts:
        """``[(priority, leads), …]`` in P1 … P6 order, then ``None`` (never scored); only the
        priorities some lead has."""
        rank = {p: i for i, p in enumerate(PRIORITIES)}
        return sorted(self._counts("priority"),
                      key=lambda item: (item[0] is None, rank.get(item[0], len(rank)), item[0] or ""))

    def by_segment(self) -> Counts:
        """``[(segment, leads), …]``, most first (ties by name, ``None`` last)."""
        return self._counts("segment")

    def by_provider(self, limit: int = 10) -> Counts:
        """The ``limit`` largest providers by ``provider_key``, most first; when there are more,
        the rest summed as one last ``("other", leads)``."""
        counts = self._counts("provider_key")
        if len(counts) <= limit:
            return counts
        return counts[:limit] + [(OTHER, sum(n for _, n in counts[limit:]))]

    def recent_changes(self, limit: int = 20) -> list[RecentChange]:
        """The ``limit`` newest change events of any lead, newest first (by insertion)."""
        rows = self.session.execute(
            select(Lead.domain, ChangeEvent.lead_id, ChangeEvent.kind, ChangeEvent.before, ChangeEvent.after,
                   ChangeEvent.at).join(Lead, Lead.id == ChangeEvent.lead_id)
            .order_by(ChangeEvent.id.desc()).limit(limit)).all()
        return [RecentChange(*row) for row in rows]

    def _counts(self, field: str) -> Counts:
        return FacetRepository(self.session).counts(LeadFilter(), [field])[field]


__all__ = ["DashboardRepository", "OTHER", "PRIORITIES", "RecentChange"]
