"""Change events: what moved between two scans of a lead (provider_moved, gateway_added …).

The events themselves are computed elsewhere (``hunter/changes.py``); this stores and reads
them.  Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .models import ChangeEvent

Event = tuple[str, str | None, str | None]      # (kind, before, after)


class ChangeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_many(self, lead_id: int, scan_id: int, events: Iterable[Event]) -> int:
        """Store the events found by scan ``scan_id``; returns how many were stored."""
        now = datetime.now(UTC)
        rows = [{"lead_id": lead_id, "scan_id": scan_id, "at": now, "kind": kind,
                 "before": before, "after": after} for kind, before, after in events]
        if rows:
            self.session.execute(insert(ChangeEvent), rows)
        return len(rows)

    def for_lead(self, lead_id: int, limit: int = 100) -> Sequence[ChangeEvent]:
        """The lead's events, newest first."""
        return self.session.scalars(select(ChangeEvent).where(ChangeEvent.lead_id == lead_id)
                                    .order_by(ChangeEvent.id.desc()).limit(limit)).all()


__all__ = ["ChangeRepository", "Event"]
