"""Commands on the lead database: ``hunter rescan`` and ``hunter leads list|show``.

Rescans run as a job through the same runner as the API (persisted progress; an interrupted
rescan resumes with ``hunter rescan --resume``) and bypass the DNS cache.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import normalise
from ..jobs.base import JobStatus
from ..jobs.inprocess import InProcessRunner
from ..sales import load_config, summarise
from ..store import db, migrate
from ..store.changes import ChangeRepository
from ..store.leads import LeadFilter, LeadRepository, PageRequest
from ..store.models import ChangeEvent, Scan
from ..store.scans import ScanRepository
from ..wiring import build_context
from .startup import build_settings, describe, errors, fail

leads_app = typer.Typer(no_args_is_help=True, help="Leads in the database.")


def rescan(
    domains: Annotated[Optional[list[str]], typer.Argument(help="Leads to rescan (domains, URLs or e-mails).")] = None,
    older_than: Annotated[Optional[int], typer.Option("--older-than", min=0, help="Leads last scanned more than DAYS ago, or never.")] = None,
    all_leads: Annotated[bool, typer.Option("--all", help="Every lead.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Finish interrupted jobs first.")] = False,
) -> None:
    """Scan leads again (bypassing the DNS cache) and record what changed."""
    if sum(bool(x) for x in (domains, older_than is not None, all_leads)) != 1 and not resume:
        raise fail("name DOMAINs, or --older-than DAYS, or --all")
    settings = build_settings()
    url = settings.database()
    with errors(url):
        _require_schema(url)
        engine = db.make_engine(url)
        sessions = db.session_factory(engine)
        with sessions() as session:
            ids = _targets(session, domains, older_than, all_leads) if not resume else []
        runner = InProcessRunner(sessions, lambda: build_context(settings), concurrency=settings.jobs_concurrency)
        try:
            jobs = runner.resume_pending() if resume else []
            if ids:
                jobs.append(runner.submit("scan", {"rescan": True}, lead_ids=ids))
            for job_id in jobs:
                status = _wait(runner, job_id)
                with sessions() as session:
                    typer.echo(_report(session, status))
        finally:
            runner.close()
            engine.dispose()


def _require_schema(url: str) -> None:
    if migrate.current(url) is None:
        raise fail(f"database not initialised: run `hunter db upgrade` ({describe(url)})")


def _targets(session: Session, domains: list[str] | None, older_than: int | None, all_leads: bool) -> list[int]:
    leads = LeadRepository(session)
    if domains:
        return [_lead_id(leads, text) for text in domains]
    cutoff = datetime.now(UTC) - timedelta(days=older_than) if older_than is not None else None
    return list(leads.ids_matching(LeadFilter(scanned_before=cutoff) if cutoff else LeadFilter()))


def _lead_id(leads: LeadRepository, text: str) -> int:
    target = normalise.parse(text)
    if target.status != "ok" or target.domain is None:
        raise fail(f"{text!r} is not a domain: {target.reason}")
    lead = leads.by_domain(target.domain)
    if lead is None:
        raise fail(f"{target.domain} is not a lead; import it first (hunter import)")
    return lead.id


def _wait(runner: InProcessRunner, job_id: str) -> JobStatus:
    status = runner.status(job_id)
    with Console(stderr=True).status(f"rescanning {status.total} leads …") as spinner:
        while not status.finished:
            time.sleep(0.2)
            status = runner.status(job_id)
            spinner.update(f"rescanning: {status.done + status.failed}/{status.total}")
    return status


def _report(session: Session, status: JobStatus) -> str:
    kinds = session.execute(
        select(ChangeEvent.kind, func.count()).join(Scan, Scan.id == ChangeEvent.scan_id)
        .where(Scan.job_id == status.id).group_by(ChangeEvent.kind)).all()
    changes = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds)) or "none"
    line = (f"job {status.id}: {status.status} — {status.done} scanned, {status.failed} failed"
            f" of {status.total}; changes: {changes}")
    return line + (f"; error: {status.error}" if status.error else "")


@leads_app.command("list")
def list_leads(
    provider: Annotated[Optional[str], typer.Option(help="Provider key, e.g. m365, google, natro.")] = None,
    segment: Annotated[Optional[str], typer.Option(help="greenfield, competitive, microsoft, no_mail, unknown.")] = None,
    priority: Annotated[Optional[list[str]], typer.Option(help="P1 … P6; repeatable.")] = None,
    q: Annotated[Optional[str], typer.Option("--q", help="Text in the domain or company name.")] = None,
    sort: Annotated[str, typer.Option(help="score, -score, priority, domain, company, scanned_at, -scanned_at.")] = "priority",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """List leads with their current verdict (the same priority model as the API)."""
    settings = build_settings()
    url = settings.database()
    with errors(url), _session(url) as session:
        _require_schema(url)
        page = LeadRepository(session).list(
            LeadFilter(provider_key=provider, segment=segment, priority=tuple(priority or ()), q=q),
            sort, PageRequest(limit=limit))
    table = Table(title=f"{page.total} leads")
    for column in ("domain", "company", "provider", "segment", "priority", "score", "scanned"):
        table.add_column(column, overflow="fold")
    for lead in page.items:
        table.add_row(lead.domain, lead.company or "", lead.local_provider or lead.provider_key or "",
                      lead.segment or "", lead.priority or "", "" if lead.score is None else str(lead.score),
                      lead.scanned_at.strftime("%Y-%m-%d") if lead.scanned_at else "never")
    Console().print(table)


@leads_app.command("show")
def show_lead(
    domain: Annotated[str, typer.Argument(help="The lead's domain.")],
    lang: Annotated[str, typer.Option(help="tr or en.")] = "tr",
) -> None:
    """The lead's verdict, reasons, sales summary and change history."""
    if lang not in ("tr", "en"):
        raise fail("--lang must be tr or en")
    settings = build_settings()
    url = settings.database()
    with errors(url), _session(url) as session:
        _require_schema(url)
        leads = LeadRepository(session)
        lead = leads.get(_lead_id(leads, domain))
        scan = ScanRepository(session).latest(lead.id)
        events = ChangeRepository(session).for_lead(lead.id, limit=20)
        if scan is None:
            raise fail(f"{lead.domain} has not been scanned yet: hunter rescan {lead.domain}")
        analysis = ScanRepository.analysis_of(scan)
        summary = summarise(analysis, lang=lang, config=load_config(settings.sales_config))
    _print_summary(lead.domain, analysis, summary, events)


def _print_summary(domain, analysis, summary, events) -> None:
    console = Console()
    console.print(f"[bold]{domain}[/] — {summary.priority or '—'} {summary.priority_label or ''} (score {analysis.score})")
    console.print(summary.one_liner)
    for title, lines in (("why", summary.why), ("posture", summary.posture), ("call script", summary.call_script),
                         ("discovery questions", summary.discovery_questions)):
        console.print(f"[bold]{title}[/]")
        for line in lines:
            console.print(f"  · {line}")
    console.print(f"[bold]provider[/] {summary.provider}")
    console.print(f"[bold]next step[/] {summary.next_step}")
    for offer in summary.offers:
        console.print(f"  offer: {offer.name} — {offer.price_text}")
    for event in events:
        console.print(f"  {event.at:%Y-%m-%d %H:%M} {event.kind}: {event.before or '—'} → {event.after or '—'}")


class _session:
    """A session on a fresh engine, disposed afterwards (commands are short-lived)."""

    def __init__(self, url: str) -> None:
        self.engine = db.make_engine(url)

    def __enter__(self) -> Session:
        self.session = db.session_factory(self.engine)()
        return self.session

    def __exit__(self, *exc: object) -> None:
        self.session.close()
        self.engine.dispose()


__all__ = ["leads_app", "rescan"]
