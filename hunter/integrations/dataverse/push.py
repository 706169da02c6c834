"""Pushing leads to Dataverse: the per-lead protocol, ``$batch`` rounds, retries and concurrency.

Each lead is addressed by its alternate key, ``PATCH leads(hnt_domain='<key>')`` (``'`` doubled,
URL-encoded), never by a search, so a push is idempotent and two pushes of one lead can never
make two records:

* a record without ``record_id`` is first sent in the **create form**: ``If-None-Match: *``
  (create only) and every column but the key (B.4: the service takes it from the URL).  204 is
  ``created``; 412 (the key exists: another worker, or an acknowledgement that was lost) turns
  it into the **update form**: ``If-Match: *`` (update only) and the columns that are not
  create-only, so a subject a salesperson has edited is never overwritten.  204 is ``updated``;
* a record with ``record_id`` starts in the update form; 404 (deleted in Dynamics) turns it
  into the create form again.  At most ``MAX_HOPS`` such turns per lead.

The id comes from the ``OData-EntityId`` header of the answer (no ``Prefer: return=representation``).

The records are cut into chunks of ``batch_size`` (at most 1000 requests, B.7) and at most
``concurrency`` chunks are in flight (threads; Dataverse allows 52 concurrent requests per
user).  A chunk goes out as one ``$batch`` with one change set per lead, so one bad lead never
rolls back another; what comes back decides, per lead, whether it is done, needs its follow-up
form, or must be sent again in the chunk's next round — only those leads, never one that
succeeded: nothing is lost and nothing is pushed twice.

* 429 (on the batch or on one part): wait ``Retry-After`` — every chunk waits, not only the one
  refused — and send again; a throttled answer does not use up an attempt, up to
  ``THROTTLE_LIMIT`` of them per lead;
* 5xx, a network error or a lead the batch did not answer: backoff with jitter (or
  ``Retry-After`` when given), within ``max_attempts`` per lead;
* anything else is final: the lead is ``failed`` with the service's own message and code, the
  HTTP status and the request id, and one log line names the lead, the request id and the code.

``push`` raises only when nothing can be pushed: ``AuthFailed`` (sign-in refused, the token
refused twice, 403) and ``IntegrationUnavailable`` (the sign-in endpoint, or the Web API
unreachable for every lead after the retries).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote

from ...errors import IntegrationError, IntegrationUnavailable
from ..base import LeadRecord, PushResult
from ..http_retry import MAX_WAIT
from . import batch
from .client import SYSTEM, Reply, WebApi

log = logging.getLogger("hunter.dynamics")

MAX_HOPS = 3                  # create → update → create … turns per lead
THROTTLE_LIMIT = 50           # 429 answers one lead may meet in one push before it is failed
NOT_A_KEY_CONFLICT = frozenset({"0x80040333"})     # 412 from a duplicate-detection rule (B.4)


class Gate:
    """The moment every chunk may send again after a 429 (shared by the threads)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock, self._until, self._lock = clock, 0.0, threading.Lock()

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self._clock() + seconds)

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._until - self._clock())


@dataclass(slots=True)
class _Lead:
    record: LeadRecord
    form: str                          # "create" or "update"
    sent: int = 0
    tries: int = 0                     # answers that used up an attempt (5xx, network, not answered)
    throttled: int = 0
    hops: int = 0
    result: PushResult | None = None


class Pusher:
    """Pushes ``LeadRecord`` values into one table through a ``WebApi``."""

    def __init__(self, api: WebApi, *, entity_set: str, key_column: str, batch_size: int = 100,
                 concurrency: int = 4) -> None:
        if not 1 <= batch_size <= batch.MAX_REQUESTS:
            raise ValueError(f"batch_size must be 1..{batch.MAX_REQUESTS}, got {batch_size}")
        self.api, self.entity_set, self.key_column = api, entity_set, key_column
        self.batch_size, self.concurrency = batch_size, max(1, concurrency)
        self.gate = Gate()

    def push(self, records: Sequence[LeadRecord]) -> list[PushResult]:
        """One ``PushResult`` per record, in order (see the module docstring)."""
        leads = [_Lead(record, "update" if record.record_id else "create") for record in records]
        chunks = [leads[start:start + self.batch_size] for start in range(0, len(leads), self.batch_size)]
        abort = threading.Event()
        if len(chunks) <= 1:
            for chunk in chunks:
                self._run(chunk, abort)
        else:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(chunks)),
                                    thread_name_prefix="dataverse-push") as pool:
                for future in [pool.submit(self._run, chunk, abort) for chunk in chunks]:
                    future.result()
        results = [lead.result for lead in leads if lead.result is not None]
        if results and all(result.outcome == "failed" and result.status is None for result in results):
            raise IntegrationUnavailable(SYSTEM, f"nothing could be pushed: {results[0].error}")
        return results

    def _run(self, chunk: list[_Lead], abort: threading.Event) -> None:
        """Rounds of one ``$batch`` each until every lead of the chunk is done."""
        pending, delay = chunk, 0.0
        try:
            while pending and not abort.is_set():
                wait = max(delay, self.gate.remaining())
                if wait > 0:
                    self.api.sleep(wait)
                replies = self.api.send_batch([self._request(lead) for lead in pending])
                waits = [(lead, self._settle(lead, reply)) for lead, reply in zip(pending, replies, strict=True)]
                pending = [lead for lead, after in waits if after is not None]
                delay = max((after for _, after in waits if after is not None), default=0.0)
        except IntegrationError:
            abort.set()
            raise

    def _request(self, lead: _Lead) -> batch.Request:
        record = lead.record
        skip = {self.key_column} | (set(record.create_only) if lead.form == "update" else set())
        body = {name: value for name, value in record.values.items() if name not in skip}
        condition = ("If-None-Match", "*") if lead.form == "create" else ("If-Match", "*")
        return batch.Request("PATCH", self.url(record.key),
                             (("Content-Type", "application/json; type=entry"), condition),
                             json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    def url(self, key: str) -> str:
        """``<api>/leads(hnt_domain='<key>')``: quotes doubled (OData), then URL-encoded."""
        literal = quote(key.replace("'", "''"), safe="")
        return f"{self.api.base_url}/{self.entity_set}({self.key_column}='{literal}')"

    def _settle(self, lead: _Lead, reply: Reply) -> float | None:
        """None when the lead is done (``result`` set); else the seconds to wait before sending it again."""
        lead.sent += 1
        if reply.ok:
            lead.result = _result(lead, "created" if lead.form == "create" else "updated", reply)
            return None
        turn = _turn(lead.form, reply)
        if turn is not None and lead.hops < MAX_HOPS:
            lead.form, lead.hops = turn, lead.hops + 1
            return 0.0
        if reply.status == 429:
            lead.throttled += 1
            if lead.throttled <= THROTTLE_LIMIT:
                wait = self._after(reply, lead.throttled)
                self.gate.hold(wait)
                return wait
        elif reply.status is None or reply.status >= 500:
            lead.tries += 1
            if lead.tries < self.api.max_attempts:
                return self._after(reply, lead.tries)
        lead.result = _result(lead, "failed", reply)
        log.warning("dataverse refused lead %s: %s", lead.record.key, reply.error, extra={
            "event": "d365_push_failed", "key": lead.record.key, "status": reply.status,
            "request_id": reply.request_id, "error_code": reply.error_code, "error": reply.error,
            "attempts": lead.sent})
        return None

    def _after(self, reply: Reply, count: int) -> float:
        if reply.retry_after is not None:
            return min(reply.retry_after, MAX_WAIT)
        return self.api.backoff.delay(min(count - 1, 16))


def _turn(form: str, reply: Reply) -> str | None:
    """The other form when the answer says the record is (412) or is not (404) there."""
    if form == "create" and reply.status == 412 and reply.error_code not in NOT_A_KEY_CONFLICT:
        return "update"
    if form == "update" and reply.status == 404:
        return "create"
    return None


def _result(lead: _Lead, outcome: str, reply: Reply) -> PushResult:
    failed = outcome == "failed"
    return PushResult(key=lead.record.key, outcome=outcome, record_id=reply.record_id or lead.record.record_id,
                      status=reply.status, request_id=reply.request_id,
                      error_code=reply.error_code if failed else None, error=reply.error if failed else None,
                      attempts=lead.sent)


__all__ = ["Gate", "MAX_HOPS", "Pusher", "THROTTLE_LIMIT"]
