"""Push leads, with Hunter's verdict, into Dynamics 365 Sales — and keep them current.

One flow for every door (``hunter dynamics push``, ``POST /leads/{id}/dynamics``, the push job):

1. in chunks, read each lead, its latest analysis, its referral state and its acknowledgement;
   build the source fields, let the sink map them to columns (``LeadSink.record``) and
   fingerprint them; a lead whose fingerprint equals the one last pushed is ``unchanged`` (no
   request, unless ``force``); the others are marked ``pending`` and committed;
2. push the chunk (no database connection is held while Dataverse answers);
3. store every result (acknowledgement, log row, the lead's state) and commit.

One bad lead is a ``failed`` result with the service's own message; the others go on.  When
nothing can be pushed at all (sign-in refused, service unreachable after the retries) the
chunk's leads are ``failed`` with that reason, the remaining chunks are left as they were, and
the summary says the run was cut short.  Pushing twice is harmless: the sink upserts by the
alternate key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import metrics
from ..errors import IntegrationError
from ..integrations.base import LeadRecord, LeadSink, PushResult
from ..model import Analysis
from ..sales import SalesConfig, summarise
from ..sales.text import plain
from ..store.dynamics import Attempt, DynamicsRepository
from ..store.models import Lead
from ..store.scans import ScanRepository

log = logging.getLogger("hunter.dynamics")

CHUNK = 200
MAX_FAILURES_LISTED = 200


@dataclass(frozen=True, slots=True)
class PushOptions:
    sales_config: SalesConfig
    public_url: str | None = None
    force: bool = False                  # push even when the values equal what was pushed
    trigger: str = "cli"
    job_id: str | None = None


@dataclass(slots=True)
class PushSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)     # {domain, error, code, request_id}
    results: dict[int, dict[str, Any]] = field(default_factory=dict)  # lead id -> outcome, id, error
    aborted: str | None = None           # why the run stopped early (service down, sign-in refused)

    def to_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "failed": self.failed, "failures": self.failures[:MAX_FAILURES_LISTED], "aborted": self.aborted}


def push_leads(sessions: Callable[[], Session], sink: LeadSink, lead_ids: Sequence[int], *, options: PushOptions,
               progress: Callable[[int, int], None] | None = None) -> PushSummary:
    """Push these leads (see the module docstring); never raises for a failing service."""
    summary = PushSummary()
    ids = list(dict.fromkeys(lead_ids))
    done = 0
    for chunk in _chunks(ids, CHUNK):
        prepared = _prepare(sessions, sink, chunk, options=options, summary=summary)
        if prepared:
            if not _send(sessions, sink, prepared, options=options, summary=summary):
                break
        done += len(chunk)
        if progress is not None:
            progress(done, len(ids))
    metrics.observe_d365_push(summary)
    return summary


@dataclass(frozen=True, slots=True)
class _Prepared:
    lead_id: int
    domain: str
    record: LeadRecord | None
    fingerprint: str | None


def _prepare(sessions: Callable[[], Session], sink: LeadSink, chunk: list[int], *, options: PushOptions,
             summary: PushSummary) -> list[_Prepared]:
    with sessions() as session:
        dynamics = DynamicsRepository(session)
        acks = dynamics.acks(chunk)
        prepared: list[_Prepared] = []
        for lead, analysis in _leads(session, chunk):
            ack = acks.get(lead.id)
            fields = source_fields(lead, analysis, lang=sink.language, options=options)
            try:
                record = sink.record(fields, record_id=ack.record_id if ack else None)
            except ValueError as exc:           # a value the mapping cannot send: this lead fails alone
                _store(dynamics, _Prepared(lead.id, lead.domain, None, None),     # type: ignore[arg-type]
                       PushResult(key=lead.domain, outcome="failed", error=f"cannot map the lead: {exc}"),
                       options=options, summary=summary)
                continue
            print_ = sink.fingerprint(record)
            if ack is not None and ack.record_id and ack.fingerprint == print_ and not options.force \
                    and ack.state in ("pushed", "stale"):
                dynamics.confirm_unchanged(lead.id)
                summary.unchanged += 1
                summary.results[lead.id] = {"outcome": "unchanged", "id": ack.record_id, "error": None}
                continue
            prepared.append(_Prepared(lead.id, lead.domain, record, print_))
        dynamics.mark_pending([p.lead_id for p in prepared])
        session.commit()
    return prepared


def _send(sessions: Callable[[], Session], sink: LeadSink, prepared: list[_Prepared], *, options: PushOptions,
          summary: PushSummary) -> bool:
    """Push one chunk and store the results; False when the service could not be used at all."""
    try:
        results = {r.key: r for r in sink.push([p.record for p in prepared if p.record is not None])}
        cut_short = None
    except IntegrationError as exc:
        log.warning("dynamics push stopped: %s", exc, extra={"event": "d365_push_aborted", "system": exc.system})
        results, cut_short = {}, str(exc)
    with sessions() as session:
        dynamics = DynamicsRepository(session)
        for item in prepared:
            key = item.record.key if item.record else item.domain
            result = results.get(key) or PushResult(key=key, outcome="failed",
                                                    error=cut_short or "no answer for this lead")
            _store(dynamics, item, result, options=options, summary=summary)
        session.commit()
    if cut_short is not None:
        summary.aborted = cut_short
    return cut_short is None


def _store(dynamics: DynamicsRepository, item: _Prepared, result: PushResult, *, options: PushOptions,
           summary: PushSummary) -> None:
    attempt = Attempt(lead_id=item.lead_id, outcome=result.outcome, record_id=result.record_id,
                      fingerprint=item.fingerprint if result.outcome != "failed" else None,
                      status_code=result.status, request_id=result.request_id, error_code=result.error_code,
                      error=result.error, attempts=result.attempts)
    dynamics.record(attempt, job_id=options.job_id, trigger=options.trigger)
    metrics.observe_d365_result(result, mapped=item.record is not None)
    if result.outcome == "failed":               # the sink logged its own failures (request id, code)
        summary.failed += 1
        summary.failures.append({"domain": item.domain, "error": result.error, "code": result.error_code,
                                 "request_id": result.request_id})
    elif result.outcome == "created":
        summary.created += 1
    else:
        summary.updated += 1
    summary.results[item.lead_id] = {"outcome": result.outcome, "id": result.record_id, "error": result.error}


def _leads(session: Session, ids: list[int]) -> Iterator[tuple[Lead, Analysis | None]]:
    leads = {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(ids)))}
    scans = ScanRepository(session)
    for lead_id in ids:
        lead = leads.get(lead_id)
        if lead is None:
            continue
        scan = scans.get(lead.last_scan_id) if lead.last_scan_id is not None else None
        yield lead, scans.analysis_of(scan) if scan is not None else None


def source_fields(lead: Lead, analysis: Analysis | None, *, lang: str, options: PushOptions) -> dict[str, Any]:
    """The lead in the mapping's vocabulary (``integrations/dataverse/mapping.SOURCES``)."""
    company = (lead.company or "").strip() or None
    fields: dict[str, Any] = {
        "subject": f"Hunter: {company or lead.domain}", "company": company, "domain": lead.domain,
        "website": f"https://{lead.domain}", "contact_email": contact_email(lead),
        "pc_referral": lead.pc_referral_state, "hunter_url": hunter_url(options.public_url, lead.id),
        "summary": None, "score": None, "segment": None, "priority": None, "provider": None, "gateway": None,
        "tenant_size": None, "infra_summary": None,
    }
    if analysis is not None:
        infra = analysis.infrastructure
        fields |= {
            "score": analysis.score, "segment": analysis.segment, "priority": analysis.priority,
            "provider": analysis.provider.name if analysis.provider else None,
            "gateway": analysis.gateway.name if analysis.gateway else None,
            "tenant_size": analysis.tenant_size.value if analysis.tenant_size else None,
            "infra_summary": (infra.summary_tr if lang == "tr" else infra.summary_en) if infra else None,
            "summary": plain(summarise(analysis, lang=lang, config=options.sales_config)),  # type: ignore[arg-type]
        }
    return fields


def contact_email(lead: Lead) -> str | None:
    """A known contact at the company's own domain (the first one), else the first contact."""
    emails = [str(c.get("email")).strip().lower() for c in lead.contacts or []
              if isinstance(c, Mapping) and c.get("email")]
    own = [e for e in emails if e.rsplit("@", 1)[-1].endswith(lead.domain)]
    return (own or emails or [None])[0]


def hunter_url(public_url: str | None, lead_id: int) -> str | None:
    """The link back to the lead's page in Hunter (needs ``HUNTER_PUBLIC_URL``)."""
    return f"{public_url.rstrip('/')}/leads/{lead_id}" if public_url else None


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


__all__ = ["PushOptions", "PushSummary", "contact_email", "hunter_url", "push_leads", "source_fields"]
