"""Commands on the lead database: ``hunter rescan`` and ``hunter leads list|show``.

Rescans run as a job through the same runner as the API (persisted progress; an interrupted
rescan resumes with ``hunter rescan --resume``) and bypass the DNS cache.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import normalise
from ..jobs.base import JobStatus
from ..sales import load_config, summarise
from ..store import db, migrate
from ..store import dynamics
from ..store.changes import ChangeRepository
from ..store.dynamics import DynamicsRepository
from ..store.leads import LeadFilter, LeadRepository, PageRequest
from ..store.models import ChangeEvent, Scan
from ..store.referrals import ReferralRepository, partner_center_view
from ..store.scans import ScanRepository
from ..wiring import dynamics_link, job_runner
from .startup import DbSession, build_settings, describe, errors, fail, wait_for

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
        runner = job_runner(settings, sessions)
        try:
            jobs = runner.resume_pending() if resume else []
            if ids:
                jobs.append(runner.submit("scan", {"rescan": True}, lead_ids=ids))
            for job_id in jobs:
                status = wait_for(runner, job_id, doing="rescanning")
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
    segment: Annotated[Optional[str], typer.Option(help="greenfield, competitive, microsoft, unknown_behind_gateway, no_mail, unknown.")] = None,
    priority: Annotated[Optional[list[str]], typer.Option(help="P1 … P6; repeatable.")] = None,
    q: Annotated[Optional[str], typer.Option("--q", help="Text in the domain or company name.")] = None,
    sort: Annotated[str, typer.Option(help="score, -score, priority, domain, company, scanned_at, -scanned_at.")] = "priority",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    referral: Annotated[Optional[bool], typer.Option("--referral/--no-referral", help="Only Partner Center referrals, or only leads that are not.")] = None,
) -> None:
    """List leads with their current verdict (the same priority model as the API)."""
    settings = build_settings()
    url = settings.database()
    with errors(url), DbSession(url) as session:
        _require_schema(url)
        page = LeadRepository(session).list(
            LeadFilter(provider_key=provider, segment=segment, priority=tuple(priority or ()), q=q,
                       referral=referral),
            sort, PageRequest(limit=limit))
    table = Table(title=f"{page.total} leads")
    for column in ("domain", "company", "provider", "segment", "priority", "score", "referral", "scanned"):
        table.add_column(column, overflow="fold")
    for lead in page.items:
        table.add_row(lead.domain, lead.company or "", lead.local_provider or lead.provider_key or "",
                      lead.segment or "", lead.priority or "", "" if lead.score is None else str(lead.score),
                      lead.pc_referral_state or "", lead.scanned_at.strftime("%Y-%m-%d") if lead.scanned_at else "never")
    Console().print(table)


@leads_app.command("show")
def show_lead(
    domain: Annotated[str, typer.Argument(help="The lead's domain.")],
    lang: Annotated[str, typer.Option(help="tr or en.")] = "tr",
    json_out: Annotated[bool, typer.Option("--json", help="The lead, its verdict, partner_center and dynamics as JSON.")] = False,
) -> None:
    """The lead's verdict, reasons, sales summary, Partner Center referral and change history."""
    if lang not in ("tr", "en"):
        raise fail("--lang must be tr or en")
    settings = build_settings()
    url = settings.database()
    with errors(url), DbSession(url) as session:
        _require_schema(url)
        leads = LeadRepository(session)
        lead = leads.get(_lead_id(leads, domain))
        scan = ScanRepository(session).latest(lead.id)
        events = ChangeRepository(session).for_lead(lead.id, limit=20)
        latest = ReferralRepository(session).latest_for_leads([lead.id]).get(lead.id)
        partner = partner_center_view(lead.pc_referral_count or 0, latest)
        ack = DynamicsRepository(session).ack(lead.id)
        crm = dynamics.view(ack, url=dynamics_link(settings, ack.record_id) if ack and ack.record_id else None)
        analysis = ScanRepository.analysis_of(scan) if scan is not None else None
        if json_out:
            _print_json(lead, analysis, partner, crm)
            return
        if analysis is None:
            _print_integrations(partner, crm)
            raise fail(f"{lead.domain} has not been scanned yet: hunter rescan {lead.domain}")
        summary = summarise(analysis, lang=lang, config=load_config(settings.sales_config))
    _print_summary(lead.domain, analysis, summary, events)
    _print_integrations(partner, crm)


def _print_json(lead, analysis, partner, crm) -> None:
    verdict = None if analysis is None else {
        "score": analysis.score, "segment": analysis.segment, "priority": analysis.priority,
        "priority_label": analysis.priority_label, "reasons": [r.model_dump() for r in analysis.reasons]}
    data = {"id": lead.id, "domain": lead.domain, "company": lead.company, "source": lead.source,
            "scanned_at": lead.scanned_at, "verdict": verdict, "partner_center": partner, "dynamics": crm}
    typer.echo(json.dumps(data, default=str, ensure_ascii=False))


def _print_integrations(partner: dict, crm: dict) -> None:
    console = Console()
    if crm["state"] is not None:
        text = f"{crm['state']}" + (f", pushed {crm['pushed_at']:%Y-%m-%d %H:%M}" if crm["pushed_at"] else "")
        text += f" — {crm['url']}" if crm["url"] else ""
        text += f" — last error: {crm['error']}" if crm["error"] else ""
        console.print(f"[bold]dynamics 365[/] {escape(text)}", soft_wrap=True)
    latest = partner["latest"]
    if not partner["referral"] or latest is None:
        Console().print("[bold]partner center[/] not a referral")
        return
    parts = [latest["type"], latest["qualification"], latest["direction"]]
    if latest["deal_value"] is not None:
        parts.append(f"{latest['deal_value']:,.0f} {latest['currency'] or ''}".strip())
    if latest["updated"] is not None:
        parts.append(f"updated {latest['updated']:%Y-%m-%d}")
    text = (f"referral ×{partner['count']}, latest {latest['status']}/{latest['substatus']} "
            f"({', '.join(p for p in parts if p)}) — id {latest['id']}")
    Console().print(f"[bold]partner center[/] {escape(text)}")     # remote text is never markup


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


__all__ = ["leads_app", "rescan"]
