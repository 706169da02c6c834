"""The in-process daily schedule of ``hunter serve`` (the Partner Center sync)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hunter.jobs.schedule import DailySchedule, next_run, parse_time


def test_next_run_is_strictly_later_and_in_utc() -> None:
    at = time(5, 30, tzinfo=UTC)
    assert next_run(datetime(2026, 12, 7, 1, 0, tzinfo=UTC), at) == datetime(2026, 12, 7, 5, 30, tzinfo=UTC)
    assert next_run(datetime(2026, 12, 7, 5, 30, tzinfo=UTC), at) == datetime(2026, 12, 8, 5, 30, tzinfo=UTC)
    istanbul = datetime(2026, 12, 7, 8, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/Istanbul"))
    assert next_run(istanbul, at) == datetime(2026, 12, 8, 5, 30, tzinfo=UTC)
    assert parse_time("05:30") == at


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)


async def test_submits_once_a_day_and_survives_a_failing_submit() -> None:
    clock = Clock(datetime(2026, 12, 7, 5, 0, tzinfo=UTC))
    submitted: list[datetime] = []

    def submit() -> str:
        submitted.append(clock.now)
        if len(submitted) == 2:
            raise RuntimeError("database down")
        return f"job-{len(submitted)}"

    schedule = DailySchedule("pc sync", time(5, 30, tzinfo=UTC), submit, clock=clock, sleep=clock.sleep)
    schedule.start()
    for _ in range(200):
        await asyncio.sleep(0)
        if len(submitted) >= 3:
            break
    await schedule.stop()
    assert submitted[:3] == [datetime(2026, 12, d, 5, 30, tzinfo=UTC) for d in (7, 8, 9)]
    assert max(clock.slept) <= 3600            # wakes hourly: a clock jump is noticed
