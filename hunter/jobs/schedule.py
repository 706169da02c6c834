"""A daily schedule inside ``hunter serve``: submit a job at a time of day (UTC).

The job itself is a plain task on the job runner (``pc_sync``), so a Celery beat can take over
the schedule later without touching the task.  ``next_run`` is pure; ``DailySchedule`` is the
small asyncio loop around it that the API's lifespan starts and cancels.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

log = logging.getLogger("hunter.schedule")


def parse_time(text: str) -> time:
    """``"05:30"`` -> 05:30 UTC (the setting is validated; this raises ValueError otherwise)."""
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes), tzinfo=UTC)


def next_run(now: datetime, at: time) -> datetime:
    """The first moment strictly after ``now`` whose UTC time of day is ``at``."""
    now = now.astimezone(UTC)
    today = datetime.combine(now.date(), at.replace(tzinfo=None), tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)


class DailySchedule:
    """Calls ``submit()`` every day at ``at`` (UTC) until cancelled; a failing submit is logged
    and the schedule goes on."""

    def __init__(self, name: str, at: time, submit: Callable[[], str], *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 sleep: Callable[[float], object] = asyncio.sleep) -> None:
        self.name, self.at, self._submit, self._clock, self._sleep = name, at, submit, clock, sleep
        self._task: asyncio.Task[None] | None = None
        self.next_at: datetime | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"schedule:{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            self.next_at = next_run(self._clock(), self.at)
            log.info("%s next at %s", self.name, self.next_at.isoformat(timespec="minutes"),
                     extra={"event": "schedule_next", "schedule": self.name})
            while (wait := (self.next_at - self._clock()).total_seconds()) > 0:
                await self._sleep(min(wait, 3600.0))     # wake up hourly: clock jumps are caught
            try:
                job_id = self._submit()
                log.info("%s submitted job %s", self.name, job_id,
                         extra={"event": "schedule_submitted", "schedule": self.name, "job": job_id})
            except Exception as exc:                     # a schedule must outlive one bad day
                log.error("%s could not submit its job: %s", self.name, exc,
                          extra={"event": "schedule_failed", "schedule": self.name})


__all__ = ["DailySchedule", "next_run", "parse_time"]
