"""The beat schedules: the daily Partner Center sync, the daily rescan of leads older than N
days, and the periodic Dynamics push of stale leads — each a plain job submitted once per slot.

Beat sends ``hunter.schedule(name)``; whichever worker takes it records the (name, slot) row in
``schedule_runs`` first: a second delivery of the same slot (a redelivered message, a second
beat by mistake) finds the row and submits nothing.  Schedules whose integration is off are not
in the beat schedule at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..settings import Settings
from ..store.leads import LeadFilter, LeadRepository
from ..store.models import ScheduleRun

log = logging.getLogger("hunter.schedule")


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    daily_at: str | None = None          # "HH:MM" UTC
    every_minutes: int | None = None

    def slot(self, now: datetime) -> str:
        """The time slot ``now`` falls in: the day for a daily schedule, the interval otherwise."""
        now = now.astimezone(UTC)
        if self.daily_at is not None:
            return now.strftime("%Y-%m-%d")
        minutes = self.every_minutes or 1
        start = now.replace(second=0, microsecond=0) - timedelta(minutes=(now.hour * 60 + now.minute) % minutes)
        return start.strftime("%Y-%m-%dT%H:%M")


def schedules(settings: Settings) -> list[Schedule]:
    found = [Schedule("rescan", daily_at=settings.rescan_time)]
    if settings.partner_center_sync_enabled:
        found.append(Schedule("pc_sync", daily_at=settings.pc_sync_time))
    if settings.d365_enabled:
        found.append(Schedule("d365_push", every_minutes=settings.d365_push_interval_minutes))
    return found


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Celery's ``beat_schedule`` for the settings."""
    from celery.schedules import crontab

    entries = {}
    for schedule in schedules(settings):
        if schedule.daily_at is not None:
            hour, minute = schedule.daily_at.split(":")
            when: Any = crontab(hour=int(hour), minute=int(minute))
        else:
            when = timedelta(minutes=schedule.every_minutes or 1)
        entries[f"hunter-{schedule.name}"] = {"task": "hunter.schedule", "schedule": when, "args": [schedule.name]}
    return entries


def run_schedule(settings: Settings, name: str, *, submit: Callable[..., str], sessions: Callable[[], Session],
                 now: datetime | None = None) -> str | None:
    """Submit the schedule's job unless its slot ran already; returns the job id (None: skipped)."""
    schedule = next((s for s in schedules(settings) if s.name == name), None)
    if schedule is None:
        log.warning("schedule %s is not configured (its integration is off); nothing submitted", name)
        return None
    slot = schedule.slot(now or datetime.now(UTC))
    with sessions() as session:
        run = ScheduleRun(name=name, slot=slot, created_at=datetime.now(UTC))
        session.add(run)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            log.info("schedule %s slot %s already ran", name, slot, extra={"event": "schedule_duplicate"})
            return None
        run_id = run.id
        kind, params, lead_ids = _job_of(session, settings, name)
        session.rollback()
    job_id = submit(kind, params, lead_ids=lead_ids)
    with sessions() as session:
        session.get(ScheduleRun, run_id).job_id = job_id      # type: ignore[union-attr]
        session.commit()
    log.info("schedule %s slot %s submitted job %s", name, slot, job_id, extra={"event": "schedule_submitted"})
    return job_id


def _job_of(session: Session, settings: Settings, name: str) -> tuple[str, dict[str, Any], list[int]]:
    if name == "pc_sync":
        return "pc_sync", {"trigger": "schedule"}, []
    if name == "d365_push":
        return "d365_push", {"filter": {"dynamics": "stale"}, "trigger": "schedule"}, []
    cutoff = datetime.now(UTC) - timedelta(days=settings.rescan_older_than_days)
    ids = list(LeadRepository(session).ids_matching(LeadFilter(scanned_before=cutoff)))
    return "scan", {"rescan": True, "trigger": "schedule"}, ids


__all__ = ["Schedule", "beat_schedule", "run_schedule", "schedules"]
