"""How fast Hunter asks one resolver: a token bucket that slows down when the resolver pushes back.

One ``Pacer`` per resolver (docs/dns.md, "Pacing").  Its rate is the fixed limit when one is set
(``HUNTER_DNS_MAX_QPS``; the public fallback resolvers at most ``public_max_qps``), else none: the
queries go out as fast as the in-flight cap lets them.  Either way it adapts, as TCP does
(additive increase, multiplicative decrease):

- **decrease** when the resolver pushes back *under load*: a query it refused (REFUSED) and then
  answered on a later attempt, or timeouts later answered on at least ``TIMEOUT_SHARE`` of the
  exchanges that ended in the last second (``MIN_TIMEOUTS`` of them at least: a lossy path loses
  a few).  Only such *passing* failures count: a name the resolver refuses or never answers on
  every attempt is refused for itself (a policy, a dead zone, a test server outside its zones),
  and must not slow a whole scan down.  The new rate is ``BETA`` times the rate the resolver
  answered in the last second (what it can carry), at most once per ``COOLDOWN`` (replies to
  queries already sent keep coming back refused for a while), never below ``FLOOR``;
- **increase** by ``STEP`` of the rate at the last decrease per second of answers, up to the
  fixed limit (without one, without bound: the resolver says when it is too much).

The bucket holds ``BURST_SECONDS`` worth of tokens at most; a query takes one, or waits in a
queue that one timer drains as tokens come in (in order; a few at a time, never more than a full
bucket, so a stalled event loop cannot send a clump).  ``backlog()`` is how long the queue is in
seconds; ``Resolver.admit`` keeps a domain from starting (and its time limit from running) while
it is long, so that a slow resolver makes a scan slower instead of timing its domains out.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

__all__ = ["BETA", "COOLDOWN", "FLOOR", "Pacer"]

BETA = 0.85            # multiplicative decrease
STEP = 0.05            # additive increase per second, as a share of the rate at the last decrease
COOLDOWN = 1.0         # seconds between two decreases
FLOOR = 5.0            # queries per second, the lowest rate
MIN_TIMEOUTS = 5       # passing timeouts in the last second before they count as a load signal …
TIMEOUT_SHARE = 0.05   # … and their share of the exchanges that ended in it
THROTTLED_FOR = 30.0   # seconds after a decrease during which the resolver counts as throttling
BURST_SECONDS = 0.02   # a full bucket holds this many seconds' worth of queries (at least one)


class Pacer:
    """The pace of one resolver; ``ceiling=None`` means no fixed limit."""

    def __init__(self, ceiling: float | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        if ceiling is not None and ceiling <= 0:
            raise ValueError(f"a rate limit must be positive, got {ceiling}")
        self.ceiling, self.clock = ceiling, clock
        self.rate: float | None = ceiling
        self.decreases = 0
        self._tokens = max(1.0, BURST_SECONDS * ceiling) if ceiling else 0.0
        self._filled = clock()
        self._queue: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._reference = ceiling or 0.0
        self._decreased_at = -COOLDOWN - THROTTLED_FOR
        self._increased_at = 0.0
        self._second = 0.0               # start of the current one-second window
        self._answered = self._answered_before = 0
        self._peak = 0                   # the most answers in one whole second so far
        self._ended = self._timeouts = 0

    # the bucket

    async def wait(self) -> None:
        """Take a token, waiting in turn for one when there is none (at once when unpaced).

        Waiting queries are let go by one timer, at most a full bucket at a time: a stalled event
        loop (a long analysis, a busy machine) loses that time rather than sending a clump."""
        rate = self.rate
        if rate is None:
            return
        self._refill(rate)
        if not self._queue and self._tokens >= 1.0:
            self._tokens -= 1.0
            return
        waiter = asyncio.get_running_loop().create_future()
        self._queue.append(waiter)
        self._schedule(rate)
        await waiter

    def backlog(self) -> float:
        """Seconds until a query asked now could go out (0 when unpaced or no one waits)."""
        if self.rate is None or not self._queue:
            return 0.0
        return (len(self._queue) - self._tokens) / self.rate

    def _refill(self, rate: float) -> None:
        now = self.clock()
        burst = max(1.0, BURST_SECONDS * rate)
        self._tokens = min(burst, self._tokens + (now - self._filled) * rate)
        self._filled = now

    def _schedule(self, rate: float) -> None:
        """Wake ``_release`` when a few tokens (a quarter bucket, at least one) have come in."""
        if self._timer is None:
            batch = max(1.0, BURST_SECONDS * rate / 4)
            pause = max(0.0, (batch - self._tokens) / rate)
            self._timer = asyncio.get_running_loop().call_later(pause, self._release)

    def _release(self) -> None:
        self._timer = None
        rate, queue = self.rate, self._queue
        assert rate is not None              # once paced, always paced
        self._refill(rate)
        while queue and self._tokens >= 1.0:
            waiter = queue.popleft()
            if not waiter.done():            # a cancelled waiter (its domain's time was up) takes none
                waiter.set_result(None)
                self._tokens -= 1.0
        if queue:
            self._schedule(rate)

    @property
    def throttled(self) -> bool:
        """Whether the resolver pushed back lately (a decrease in the last ``THROTTLED_FOR`` s)."""
        return self.clock() - self._decreased_at < THROTTLED_FOR

    # what came back

    def answered(self, *, refused: int = 0, timeouts: int = 0, since: float | None = None) -> None:
        """A final reply; ``refused`` / ``timeouts``: how often the same query failed so at this
        resolver before (passing failures: the load signal), the first time at ``since`` — a
        failure before the last decrease was sent at the old pace and says nothing new."""
        now = self.clock()
        self._count(now)
        self._ended += 1
        self._answered += 1
        if (refused or timeouts) and (since is None or since >= self._decreased_at):
            self._timeouts += timeouts
            if refused or (self._timeouts >= MIN_TIMEOUTS and self._timeouts >= TIMEOUT_SHARE * self._ended):
                self._decrease(now)
                return
        rate = self.rate
        if rate is not None and (self.ceiling is None or rate < self.ceiling):
            step = STEP * self._reference * max(0.0, now - self._increased_at)
            self.rate = rate + step if self.ceiling is None else min(self.ceiling, rate + step)
        self._increased_at = now

    def failed(self) -> None:
        """An exchange failed (the next attempt's answer says whether it was load)."""
        now = self.clock()
        self._count(now)
        self._ended += 1

    # inside

    def _decrease(self, now: float) -> None:
        if now - self._decreased_at < COOLDOWN:
            return
        base = max(self._carried(now), self._peak, FLOOR) if self.rate is None else self.rate
        self.rate = max(FLOOR, BETA * base)
        self._reference = self.rate / BETA
        self._decreased_at = self._increased_at = now
        self.decreases += 1

    def _carried(self, now: float) -> float:
        """Answers per second lately: this window and the last, over the time they cover."""
        covered = now - self._second + (1.0 if self._answered_before else 0.0)
        return (self._answered + self._answered_before) / max(covered, 0.25)

    def _count(self, now: float) -> None:
        """Move the one-second window along."""
        if now - self._second < 1.0:
            return
        recent = now - self._second < 2.0
        self._answered_before = self._answered if recent else 0
        self._peak = max(self._peak, self._answered_before)
        self._second = now
        self._answered = self._ended = self._timeouts = 0

    def snapshot(self) -> dict[str, float | int | None]:
        return {"rate": self.rate, "ceiling": self.ceiling, "decreases": self.decreases,
                "backlog": round(self.backlog(), 3)}
