"""Resolve ``Query`` values for real: cache, coalescing, retry, resolver fallback.

Policy (docs/dns.md): for each of ``attempts`` attempts, ask every primary resolver in
order; NOERROR and NXDOMAIN replies are final.  Only when every primary failed every
attempt, the fallback resolvers get the same treatment, in a rotation that starts at
crc32(qname).  Attempts are spaced by a deterministic, jittered exponential backoff
(tenacity).  When everything failed the ``Answer`` has status ``error`` and one line per
failed exchange in ``errors``; DNS failures never raise.
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
from .transport import Transport, TransportError

__all__ = ["Recording", "Resolver", "backoff"]

R = TypeVar("R")


class _SetFailed(Exception):
    """Every resolver of one set failed one attempt (internal: drives the retry)."""


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
        errors: list[str] = []
        if not self.sets.primaries:
            errors.append("no primary nameservers configured")
        answer = await self._try_set(query, self.sets.primaries, errors)
        if answer is None and self.sets.fallbacks:
            self.metrics.count("fallbacks", query.rdtype)
            answer = await self._try_set(query, self.sets.fallbacks_for(query.name), errors)
        return answer or Answer(query, "error", errors=tuple(errors))

    async def _try_set(self, query: Query, servers: tuple[Nameserver, ...],
                       errors: list[str]) -> Answer | None:
        """``attempts`` attempts over ``servers``; the first runs directly (the hot path of
        bulk work), the retries under tenacity with the backoff."""
        if not servers:
            return None
        try:
            return await self._attempt(query, servers, errors)
        except _SetFailed:
            if self.options.attempts == 1:
                return None
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
        except _SetFailed:
            pass
        return None

    async def _attempt(self, query: Query, servers: tuple[Nameserver, ...],
                       errors: list[str]) -> Answer:
        rdtype = int(dns.rdatatype.from_text(query.rdtype))
        for server in servers:
            self.metrics.sent(query.rdtype, server.address)
            try:
                reply = await self._transport.exchange(server, query.name, rdtype)
            except TransportError as exc:
                self._failed(query, server, exc, errors)
                continue
            if reply.via == "tcp":
                self.metrics.count("tcp_retries", query.rdtype)
            return response.evaluate(query, reply.reply, resolver=server.address,
                                     errors=tuple(errors))
        raise _SetFailed

    def _failed(self, query: Query, server: Nameserver, exc: TransportError,
                errors: list[str]) -> None:
        errors.append(f"{server.address} {exc}")
        self.metrics.count("timeouts" if exc.kind == "timeout" else "failures", query.rdtype)
        if exc.via == "tcp":
            self.metrics.count("tcp_retries", query.rdtype)
        log_error(query.name, query.rdtype, server.address, str(exc))


class Recording(_Lookups):
    """The answers one domain's analysis used, for ``DnsFacts`` (the evidence).

    Every query goes through the parent ``Resolver``; answers are kept as they arrive, so
    when the caller's per-domain time limit cancels the work, ``facts()`` still holds what was
    learned.  (The limit is one ``asyncio.timeout`` around the domain in ``pipeline``, not one
    per query: that would cost a timer per query on the hot path.)
    """

    def __init__(self, resolver: Resolver, *, bypass_cache: bool) -> None:
        self.resolver = resolver
        self.bypass_cache = bypass_cache
        self.answers: dict[Query, Answer] = {}

    async def query(self, name: str, rdtype: str, *, bypass_cache: bool = False) -> Answer:
        answer = await self.resolver.query(name, rdtype, bypass_cache=bypass_cache or self.bypass_cache)
        self.answers[answer.query] = answer
        return answer

    def facts(self, domain: str) -> DnsFacts:
        """Everything recorded so far, as the ``DnsFacts`` of ``domain``."""
        return DnsFacts(domain, MappingProxyType(dict(self.answers)))
