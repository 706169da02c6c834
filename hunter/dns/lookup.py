"""Resolve ``Query`` values for real: cache, coalescing, pacing, retry, resolver fallback.

Policy (docs/dns.md): for each of ``attempts`` attempts, ask every primary resolver in
order; NOERROR and NXDOMAIN replies are final.  Only when every primary failed every
attempt, the fallback resolvers get the same treatment, in a rotation that starts at
crc32(qname).  Attempts are spaced by a deterministic, jittered exponential backoff
(tenacity).  Every exchange waits for its resolver's ``pacing.Pacer``; when the attempts
failed because the resolvers were throttling (REFUSED or timeouts while they pushed back),
the query waits the load out over ``THROTTLE_ROUNDS`` more, slower attempts.  When everything
failed the ``Answer`` has status ``error`` and one line per failed exchange in ``errors``;
DNS failures never raise.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import TypeVar

import dns.rdatatype
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from . import response, wire
from .cache import CacheKey, DnsCache
from .facts import Answer, DnsFacts, Query, Walker
from .metrics import DnsMetrics, log_error
from .options import DnsOptions, Nameserver
from .pacing import Pacer
from .transport import Transport, TransportError

__all__ = ["ADMIT_BACKLOG", "THROTTLE_ROUNDS", "Recording", "Resolver", "backoff"]

R = TypeVar("R")

THROTTLE_ROUNDS = 4      # extra attempts of a query whose resolvers were throttling …
THROTTLE_WAIT = 0.5      # … the first after about this many seconds, then twice as long each time
ADMIT_BACKLOG = 1.0      # seconds of queued queries above which a new domain waits to start


class _SetFailed(Exception):
    """Every resolver of one set failed one attempt (internal: drives the retry);
    ``throttled`` when each of them refused or timed out while pushing back under load."""

    def __init__(self, *, throttled: bool = False) -> None:
        super().__init__()
        self.throttled = throttled


def delay(base: float, qname: str, n: int) -> float:
    """Wait after failed attempt ``n``: ``base * 2**(n-1)`` scaled by a jitter in [0.5, 1.5)
    that is a stable function of (qname, n): spread between names, identical between runs."""
    jitter = (zlib.crc32(f"{qname}#{n}".encode()) % 1000) / 1000
    return base * 2 ** (n - 1) * (0.5 + jitter)


def backoff(base: float, qname: str, *, done: int = 0) -> Callable[[RetryCallState], float]:
    """``delay`` as a tenacity wait; ``done`` attempts already ran before tenacity took over."""

    def wait(state: RetryCallState) -> float:
        return delay(base, qname, state.attempt_number + done)

    return wait


def _query(name: str, rdtype: str) -> Query:
    return Query(name.lower().rstrip("."), rdtype.upper())


class _Lookups:
    """``drive`` and ``collect`` on top of a ``query`` method."""

    async def query(self, name: str, rdtype: str, *, bypass_cache: bool = False) -> Answer:
        raise NotImplementedError

    async def drive(self, walker: Walker[R]) -> R:
        """Run a ``facts.Walker``, answering each query it yields."""
        try:
            query = next(walker)
            while True:
                query = walker.send(await self.query(query.name, query.rdtype))
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    async def collect(self, queries: Iterable[Query]) -> dict[Query, Answer]:
        """Answer every query concurrently (bounded by the resolver's in-flight limit)."""
        unique = list(dict.fromkeys(queries))
        answers = await asyncio.gather(*(self.query(q.name, q.rdtype) for q in unique))
        return dict(zip(unique, answers))

    async def unfold(self, step: Callable[[], Iterable[Query]]) -> None:
        """Ask what ``step()`` wants, concurrently, and call it again after every answer until it
        wants nothing more and nothing is in flight (``plan.Staged.next`` reads the answers)."""
        pending = {asyncio.ensure_future(self.query(q.name, q.rdtype)) for q in step()}
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
                pending |= {asyncio.ensure_future(self.query(q.name, q.rdtype)) for q in step()}
        finally:
            for task in pending:
                task.cancel()


class Resolver(_Lookups):
    """Answers DNS questions through the resolvers chosen by ``DnsOptions``.

    Use one per event loop (it owns UDP sockets) and ``aclose()`` it at the end, or use it
    as ``async with Resolver(options) as resolver``.  ``cache=None`` means no caching
    (identical concurrent queries are still coalesced); build one with
    ``DnsCache.from_options(options)``.
    """

    def __init__(self, options: DnsOptions, *, cache: DnsCache | None = None,
                 metrics: DnsMetrics | None = None) -> None:
        self.options = options
        self.sets = options.resolver_sets()
        self._identity = self.sets.identity  # part of every cache key; computed once
        self.cache = cache
        self.metrics = metrics if metrics is not None else DnsMetrics()
        self._transport = Transport(timeout=options.timeout, udp_payload=options.udp_payload)
        self._semaphore = asyncio.Semaphore(options.max_in_flight)
        self._inflight: dict[tuple[str, str], asyncio.Future[Answer | None]] = {}
        servers = dict.fromkeys(self.sets.primaries + self.sets.fallbacks)
        self.pacers = {server: Pacer(options.ceiling(server)) for server in servers}
        self.metrics.pacers = self.pacers
        self._admitting = asyncio.Lock()

    async def __aenter__(self) -> Resolver:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def query(self, name: str, rdtype: str, *, bypass_cache: bool = False) -> Answer:
        """The final ``Answer`` for (name, rdtype); never raises for DNS failures."""
        query = _query(name, rdtype)
        self.metrics.count("queries", query.rdtype)
        if bypass_cache:      # not from the cache; an identical query in flight is fresh too
            answer = await self._shared(query)
        else:
            answer = self._cached(query) or await self._shared(query)
        self.metrics.answer(query.rdtype, answer.status)
        return answer

    def recording(self, *, bypass_cache: bool = False) -> Recording:
        """A per-domain view that keeps every answer it returns (see ``Recording``)."""
        return Recording(self, bypass_cache=bypass_cache)

    async def admit(self) -> None:
        """Wait, in turn, while the first resolver's pace has its queries queued more than
        ``ADMIT_BACKLOG`` seconds ahead; at once when it is not paced.  ``pipeline.analyze`` starts a
        domain's time limit after this, so that a slow resolver slows a scan down instead of
        timing its domains out."""
        servers = self.sets.primaries or self.sets.fallbacks
        pacer = self.pacers[servers[0]] if servers else None
        if pacer is None or pacer.rate is None:
            return
        if pacer.backlog() <= ADMIT_BACKLOG and not self._admitting.locked():
            return
        async with self._admitting:
            while (wait := pacer.backlog() - ADMIT_BACKLOG) > 0:
                await asyncio.sleep(wait)

    async def aclose(self) -> None:
        for future in self._inflight.values():
            if not future.done():
                future.set_result(None)
        self._inflight.clear()
        await self._transport.aclose()

    # cache and coalescing

    def _key(self, query: Query) -> CacheKey:
        return CacheKey(query.name, query.rdtype, self._identity)

    def _cached(self, query: Query) -> Answer | None:
        if self.cache is None:
            return None
        answer = self.cache.get(self._key(query))
        self.metrics.count("cache_hits" if answer else "cache_misses", query.rdtype)
        return answer

    async def _shared(self, query: Query) -> Answer:
        """Coalesce identical concurrent queries: the first asker resolves, the others wait
        on its future (no extra task per query).  If the first asker is cancelled (its
        domain hit its time limit), a waiter is not: it asks again itself."""
        flight = (query.name, query.rdtype)
        while (waiter := self._inflight.get(flight)) is not None:
            self.metrics.count("coalesced", query.rdtype)
            answer = await asyncio.shield(waiter)
            if answer is not None:
                return answer
        future: asyncio.Future[Answer | None] = asyncio.get_running_loop().create_future()
        self._inflight[flight] = future
        answer = None
        try:
            answer = await self._resolve_and_store(query)
            return answer
        finally:
            if self._inflight.get(flight) is future:
                del self._inflight[flight]
            if not future.done():
                future.set_result(answer)

    async def _resolve_and_store(self, query: Query) -> Answer:
        async with self._semaphore:
            started = time.perf_counter()
            answer = await self._resolve(query)
            self.metrics.observe(time.perf_counter() - started)
        if self.cache is not None:
            self.cache.set(self._key(query), answer)
        return answer

    # retry and fallback

    async def _resolve(self, query: Query) -> Answer:
        try:
            wire.encode_name(query.name)
        except wire.WireError as exc:
            return Answer(query, "error", errors=(f"invalid query name: {exc}",))
        errors = _Trail()
        if not self.sets.primaries:
            errors.append("no primary nameservers configured")
        answer = await self._try_set(query, self.sets.primaries, errors)
        if answer is None and self.sets.fallbacks:
            self.metrics.count("fallbacks", query.rdtype)
            answer = await self._try_set(query, self.sets.fallbacks_for(query.name), errors)
        return answer or Answer(query, "error", errors=tuple(errors))

    async def _try_set(self, query: Query, servers: tuple[Nameserver, ...],
                       errors: _Trail) -> Answer | None:
        """``attempts`` attempts over ``servers``; the first runs directly (the hot path of
        bulk work), the retries under tenacity with the backoff; then, when the resolvers were
        throttling, the slower attempts of ``_outlast``."""
        if not servers:
            return None
        try:
            return await self._attempt(query, servers, errors)
        except _SetFailed as failed:
            last = failed
        if self.options.attempts > 1:
            await asyncio.sleep(delay(self.options.backoff, query.name, 1))
            retrying = AsyncRetrying(
                stop=stop_after_attempt(self.options.attempts - 1),
                wait=backoff(self.options.backoff, query.name, done=1),
                retry=retry_if_exception_type(_SetFailed),
                before=lambda _: self.metrics.count("retries", query.rdtype),
                reraise=True,
            )
            try:
                async for attempt in retrying:
                    with attempt:
                        return await self._attempt(query, servers, errors)
            except _SetFailed as failed:
                last = failed
        return await self._outlast(query, servers, errors) if last.throttled else None

    async def _outlast(self, query: Query, servers: tuple[Nameserver, ...],
                       errors: _Trail) -> Answer | None:
        """Ask again while the resolvers throttle: up to ``THROTTLE_ROUNDS`` attempts, waiting
        ``THROTTLE_WAIT`` (jittered) before the first and twice as long before each next — the
        pace has slowed meanwhile.  A name refused on every one of them is refused for itself."""
        for n in range(1, THROTTLE_ROUNDS + 1):
            self.metrics.count("throttled", query.rdtype)
            await asyncio.sleep(delay(THROTTLE_WAIT, query.name, n))
            try:
                return await self._attempt(query, servers, errors)
            except _SetFailed as failed:
                if not failed.throttled:
                    return None
        return None

    async def _attempt(self, query: Query, servers: tuple[Nameserver, ...],
                       errors: _Trail) -> Answer:
        rdtype = int(dns.rdatatype.from_text(query.rdtype))
        throttled = True
        for server in servers:
            pacer = self.pacers[server]
            slotted = 0.0                   # when it queued: failures from before a decrease are old news
            if pacer.rate is not None:
                slotted = pacer.clock()
                await pacer.wait()
            self.metrics.sent(query.rdtype, server.address)
            try:
                reply = await self._transport.exchange(server, query.name, rdtype)
            except TransportError as exc:
                self._failed(query, server, exc, errors)
                pacer.failed()
                errors.since.setdefault(server, slotted)
                throttled = throttled and exc.kind in ("refused", "timeout") and pacer.throttled
                continue
            if errors:
                pacer.answered(**_passing(errors, server), since=errors.since.get(server))
            else:
                pacer.answered()
            if reply.via == "tcp":
                self.metrics.count("tcp_retries", query.rdtype)
            return response.evaluate(query, reply.reply, resolver=server.address,
                                     errors=tuple(errors))
        raise _SetFailed(throttled=throttled)

    def _failed(self, query: Query, server: Nameserver, exc: TransportError,
                errors: list[str]) -> None:
        errors.append(f"{server.address} {exc}")
        self.metrics.count("timeouts" if exc.kind == "timeout" else "failures", query.rdtype)
        if exc.via == "tcp":
            self.metrics.count("tcp_retries", query.rdtype)
        log_error(query.name, query.rdtype, server.address, str(exc))


class _Trail(list[str]):
    """The error lines of one query, and when its first failed exchange with each resolver queued
    for a token (``Pacer.answered`` ignores one from before its last slow-down: the old pace)."""

    def __init__(self) -> None:
        super().__init__()
        self.since: dict[Nameserver, float] = {}


def _passing(errors: list[str], server: Nameserver) -> dict[str, int]:
    """How often the query was refused by / timed out at ``server`` before it answered."""
    mine = [line for line in errors if line.startswith(server.address + " ")]
    return {"refused": sum(line.endswith(": refused") for line in mine),
            "timeouts": sum(line.endswith(": timeout") for line in mine)}


class Recording(_Lookups):
    """The answers one domain's analysis used, for ``DnsFacts`` (the evidence).

    Every query goes through the parent ``Resolver``; answers are kept as they arrive, so
    when the caller's per-domain time limit cancels the work, ``facts()`` still holds what was
    learned.  (The limit is one ``asyncio.timeout`` around the domain in ``pipeline``, not one
    per query: that would cost a timer per query on the hot path.)  A question already answered
    for this domain is not asked again (the SPF walk's ``mx`` term and the plan's MX, say), cache
    or no cache, even when it failed: the resolver retried it already.
    """

    def __init__(self, resolver: Resolver, *, bypass_cache: bool) -> None:
        self.resolver = resolver
        self.bypass_cache = bypass_cache
        self.answers: dict[Query, Answer] = {}

    async def query(self, name: str, rdtype: str, *, bypass_cache: bool = False) -> Answer:
        known = self.answers.get(_query(name, rdtype))
        if known is not None and not bypass_cache:
            return known
        answer = await self.resolver.query(name, rdtype, bypass_cache=bypass_cache or self.bypass_cache)
        self.answers[answer.query] = answer
        return answer

    def facts(self, domain: str) -> DnsFacts:
        """Everything recorded so far, as the ``DnsFacts`` of ``domain``."""
        return DnsFacts(domain, MappingProxyType(dict(self.answers)))
