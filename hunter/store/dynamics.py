"""Dynamics 365 acknowledgements and the push log.  Nothing here commits; the flow owns the
transaction.

``leads.dynamics_state`` is a copy of ``dynamics_pushes.state`` kept here (``set_state``) so
the lead list can filter on an indexed column; every state change goes through this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .models import DynamicsPush, DynamicsPushLog, Lead

STATES = ("pending", "pushed", "stale", "failed")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One push attempt's outcome, as the flow hands it over."""

    lead_id: int
    outcome: str                     # created, updated, failed
    record_id: str | None = None
    fingerprint: str | None = None
    status_code: int | None = None
    request_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    attempts: int = 1


class DynamicsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def acks(self, lead_ids: Iterable[int]) -> dict[int, DynamicsPush]:
        ids = list(lead_ids)
        if not ids:
            return {}
        rows = self.session.scalars(select(DynamicsPush).where(DynamicsPush.lead_id.in_(ids)))
        return {row.lead_id: row for row in rows}

    def ack(self, lead_id: int) -> DynamicsPush | None:
        return self.acks([lead_id]).get(lead_id)

    def mark_pending(self, lead_ids: Sequence[int]) -> None:
        """Before a push: the leads it will send (an existing acknowledgement keeps its id)."""
        found = self.acks(lead_ids)
        for lead_id in lead_ids:
            if lead_id not in found:
                self.session.add(DynamicsPush(lead_id=lead_id, state="pending", attempts=0))
        self.session.flush()
        self._set_state(lead_ids, "pending")

    def record(self, attempt: Attempt, *, job_id: str | None, trigger: str, now: datetime | None = None) -> DynamicsPush:
        """Store one attempt: the log row, the acknowledgement and the lead's state."""
        now = now or datetime.now(UTC)
        ack = self.ack(attempt.lead_id) or DynamicsPush(lead_id=attempt.lead_id, state="pending", attempts=0)
        ack.attempts = (ack.attempts or 0) + attempt.attempts
        ack.last_attempt_at = now
        ack.last_request_id = attempt.request_id
        if attempt.outcome == "failed":
            ack.state, ack.last_error, ack.last_error_code = "failed", attempt.error, attempt.error_code
        else:
            ack.state, ack.pushed_at, ack.fingerprint = "pushed", now, attempt.fingerprint
            ack.record_id = attempt.record_id or ack.record_id
            ack.last_error = ack.last_error_code = None
        self.session.add(ack)
        self.session.add(DynamicsPushLog(
            lead_id=attempt.lead_id, at=now, job_id=job_id, trigger=trigger, outcome=attempt.outcome,
            record_id=attempt.record_id, status_code=attempt.status_code, request_id=attempt.request_id,
            error_code=attempt.error_code, error=attempt.error, fingerprint=attempt.fingerprint,
            attempts=attempt.attempts))
        self.session.flush()
        self._set_state([attempt.lead_id], ack.state)
        return ack

    def confirm_unchanged(self, lead_id: int) -> None:
        """A lead whose values equal what was pushed: pushed again without a request."""
        ack = self.ack(lead_id)
        if ack is not None and ack.state != "pushed":
            ack.state = "pushed"
            self._set_state([lead_id], "pushed")

    def mark_stale(self, lead_ids: Iterable[int]) -> int:
        """Leads whose pushed values may have changed (a rescan, a referral): ``pushed`` → ``stale``."""
        ids = list(lead_ids)
        if not ids:
            return 0
        changed = self.session.execute(update(DynamicsPush).where(
            DynamicsPush.lead_id.in_(ids), DynamicsPush.state == "pushed").values(state="stale")).rowcount
        self.session.execute(update(Lead).where(Lead.id.in_(ids), Lead.dynamics_state == "pushed")
                             .values(dynamics_state="stale"))
        return changed or 0

    def log(self, lead_id: int, limit: int = 20) -> list[DynamicsPushLog]:
        return list(self.session.scalars(select(DynamicsPushLog).where(DynamicsPushLog.lead_id == lead_id)
                                          .order_by(DynamicsPushLog.at.desc(), DynamicsPushLog.id.desc())
                                          .limit(limit)))

    def counts(self) -> dict[str, int]:
        """Acknowledgements by state, plus ``never`` (leads never pushed)."""
        by_state = dict(self.session.execute(select(DynamicsPush.state, func.count()).group_by(DynamicsPush.state)).all())
        leads = self.session.scalar(select(func.count()).select_from(Lead)) or 0
        return {**{state: by_state.get(state, 0) for state in STATES}, "never": leads - sum(by_state.values())}

    def recent_failures(self, limit: int = 10) -> list[dict[str, Any]]:
        """The latest failed pushes: ``{domain, error, code, request_id, at}``."""
        rows = self.session.execute(select(Lead.domain, DynamicsPush).join(Lead, Lead.id == DynamicsPush.lead_id)
                                    .where(DynamicsPush.state == "failed")
                                    .order_by(DynamicsPush.last_attempt_at.desc()).limit(limit)).all()
        return [{"domain": domain, "error": ack.last_error, "code": ack.last_error_code,
                 "request_id": ack.last_request_id, "at": ack.last_attempt_at} for domain, ack in rows]

    def lead_ids(self, state: str) -> list[int]:
        return list(self.session.scalars(select(DynamicsPush.lead_id).where(DynamicsPush.state == state)
                                         .order_by(DynamicsPush.lead_id)))

    def _set_state(self, lead_ids: Iterable[int], state: str) -> None:
        self.session.execute(update(Lead).where(Lead.id.in_(list(lead_ids))).values(dynamics_state=state))


def view(ack: DynamicsPush | None, *, url: str | None) -> dict[str, Any]:
    """``{state, id, url, pushed_at, error}``: the ``dynamics`` object of a lead (API, CLI, exports)."""
    if ack is None:
        return {"state": None, "id": None, "url": None, "pushed_at": None, "error": None}
    return {"state": ack.state, "id": ack.record_id, "url": url if ack.record_id else None,
            "pushed_at": ack.pushed_at, "error": ack.last_error if ack.state == "failed" else None}


__all__ = ["Attempt", "DynamicsRepository", "STATES", "view"]
