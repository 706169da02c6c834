"""``hunter partner-center sync|status|login|referrals``: the Partner Center referrals.

``sync`` runs the same flow as the API's job and the daily schedule (``flows.sync_referrals``),
then scans the leads it created (``--no-scan`` leaves them queued for the next ``hunter
rescan``/``serve``).  With ``HUNTER_PARTNER_CENTER_SYNC_ENABLED`` off, ``sync`` and ``login`` say
so and exit 1 without sending a request; ``status`` and ``referrals`` read the database only.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import HunterError
from ..flows.sync_referrals import SyncOutcome, sync_referrals, sync_state
from ..settings import Settings
from ..store import db, migrate
from ..store.models import PcReferral, PcSyncRun
from ..store.referrals import ReferralFilter, ReferralRepository
from ..wiring import build_context, job_runner, referral_source
from .startup import build_settings, errors, fail, migrated_session, wait_for

pc_app = typer.Typer(no_args_is_help=True, help="Partner Center referrals (read-only, synced by delta).")
FLAG = "HUNTER_PARTNER_CENTER_SYNC_ENABLED"
OFF = f"the Partner Center sync is off: set {FLAG}=true (and the HUNTER_PC_* settings, see docs/partner-center.md)"


@pc_app.command("sync")
def sync(
    full: Annotated[bool, typer.Option("--full", help="Re-read every referral instead of the delta.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="The summary as one JSON line.")] = False,
    scan: Annotated[bool, typer.Option("--scan/--no-scan", help="Scan the leads the sync created.")] = True,
) -> None:
    """Fetch new and changed referrals, merge them with the leads by domain, and re-score."""
    settings = build_settings()
    if not settings.partner_center_sync_enabled:
        raise fail(OFF, code=1)
    with errors(settings.database()):
        outcome, scan_line = run_sync(settings, full=full, scan=scan)
    _report(outcome, scan_line, json_out=json_out)
    if outcome.status != "succeeded":
        raise typer.Exit(1)


def run_sync(settings: Settings, *, full: bool = False, scan: bool = True,
             trigger: str = "cli") -> tuple[SyncOutcome, str | None]:
    """One sync run (the flow the job and the schedule run too), then the scan of the leads it
    created; the database is migrated first.  Used by ``sync`` and the demo."""
    url = settings.database()
    migrate.upgrade(url)
    source = referral_source(settings)
    assert source is not None
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    try:
        outcome = sync_referrals(sessions, source, rules=build_context(settings).scoring_rules, full=full,
                                 trigger=trigger, create_leads=settings.pc_create_leads)
        scan_line = _scan_new(settings, sessions, outcome) if scan and outcome.new_lead_ids else None
    finally:
        source.close()
        engine.dispose()
    return outcome, scan_line


def _scan_new(settings: Settings, sessions, outcome: SyncOutcome) -> str:
    runner = job_runner(settings, sessions)
    try:
        status = wait_for(runner, runner.submit("scan", {"rescan": False}, lead_ids=list(outcome.new_lead_ids)),
                          doing="scanning new")
    finally:
        runner.close()
    return f"scan job {status.id}: {status.status}, {status.done} scanned, {status.failed} failed"


def _report(outcome: SyncOutcome, scan_line: str | None, *, json_out: bool) -> None:
    summary = outcome.summary()
    if json_out:
        keys = ("mode", "pages", "fetched", "created", "updated", "unchanged", "errors", "watermark", "status")
        line = {k: summary[k] for k in keys} | {k: summary[k] for k in summary if k not in keys}
        sys.stdout.write(json.dumps(line | {"scan": scan_line}, default=str) + "\n")
        return
    if outcome.status != "succeeded":
        typer.secho(f"error: sync run {outcome.run_id} failed: {outcome.reason}", err=True, fg=typer.colors.RED)
        typer.echo(f"watermark unchanged: {outcome.watermark or '(none: the next run reads everything)'}")
        return
    typer.echo(f"sync run {outcome.run_id} ({outcome.mode}): {outcome.pages} pages, {outcome.fetched} fetched — "
               f"{outcome.created} created, {outcome.updated} updated, {outcome.unchanged} unchanged, "
               f"{outcome.errors} errors; leads: {outcome.leads_created} created, {outcome.leads_linked} linked, "
               f"{outcome.leads_rescored} re-scored")
    typer.echo(f"watermark: {outcome.watermark or '—'}")
    if scan_line:
        typer.echo(scan_line)


@pc_app.command("login")
def login() -> None:
    """Sign in once (device code: prints a code and a URL, waits) and keep the token cache."""
    settings = build_settings()
    if not settings.partner_center_sync_enabled:
        raise fail(OFF, code=1)
    try:
        source = referral_source(settings)
        assert source is not None
        try:
            account = source.login(lambda message: typer.echo(message, err=True))
        finally:
            source.close()
    except HunterError as exc:
        raise fail(str(exc), code=1) from None
    typer.echo(f"signed in as {account}; token cache: {settings.token_cache_path()}")


@pc_app.command("status")
def status(json_out: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False) -> None:
    """The flag, the sign-in mode, the token cache, the last run, the watermark and the counts."""
    settings = build_settings()
    url = settings.database()
    with errors(url):
        with migrated_session(url) as session:
            state = sync_state(session)
            data = {
                "enabled": settings.partner_center_sync_enabled, "auth_mode": settings.pc_auth_mode,
                "token_cache_present": settings.token_cache_path().is_file(),
                "schedule": f"{settings.pc_sync_time} UTC" if settings.partner_center_sync_enabled else None,
                "watermark": state.watermark, "last_run": _run(state.last_run),
                "last_success": _run(state.last_success), "counts": state.counts,
            }
    if json_out:
        sys.stdout.write(json.dumps(data, default=str) + "\n")
        return
    typer.echo(f"sync: {'on' if data['enabled'] else 'off (' + FLAG + ')'}; sign-in: {data['auth_mode']}; "
               f"token cache: {'present' if data['token_cache_present'] else 'none'}")
    last = data["last_run"]
    typer.echo("last run: " + (f"#{last['id']} {last['status']} ({last['mode']}) at {last['started_at']}"
                               + (f": {last['reason']}" if last["reason"] else "") if last else "never"))
    typer.echo(f"watermark: {data['watermark'] or '— (the next run reads everything)'}")
    typer.echo("referrals: " + ", ".join(f"{k} {v}" for k, v in data["counts"].items()))


def _run(run: PcSyncRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    names = ("id", "started_at", "finished_at", "mode", "trigger", "status", "reason", "pages", "fetched",
             "created", "updated", "unchanged", "errors", "leads_created", "leads_linked",
             "watermark_before", "watermark_after")
    return {n: getattr(run, n) for n in names}


@pc_app.command("referrals")
def referrals(
    json_out: Annotated[bool, typer.Option("--json", help="JSON Lines, one referral a line.")] = False,
    domain: Annotated[Optional[str], typer.Option("--domain", help="Only this company domain.")] = None,
    unlinked: Annotated[bool, typer.Option("--unlinked", help="Only referrals without a lead.")] = False,
    status_: Annotated[Optional[str], typer.Option("--status", help="New, Active or Closed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
) -> None:
    """The stored referrals, the most recently updated first."""
    settings = build_settings()
    url = settings.database()
    filters = ReferralFilter(domain=domain, linked=False if unlinked else None, status=status_)
    with errors(url):
        with migrated_session(url) as session:
            rows, total = ReferralRepository(session).list(filters, limit=limit)
            if json_out:
                for row in rows:
                    sys.stdout.write(json.dumps(referral_line(row), default=str, ensure_ascii=False) + "\n")
                return
            _table(rows, total)


def referral_line(row: PcReferral) -> dict[str, Any]:
    return {"id": row.referral_id, "engagement_id": row.engagement_id, "status": row.status,
            "substatus": row.substatus, "customer_name": row.customer_name, "domain": row.domain,
            "domain_source": row.domain_source, "domain_reason": row.domain_reason, "lead_id": row.lead_id,
            "type": row.type, "qualification": row.qualification, "direction": row.direction,
            "deal_value": row.deal_value, "currency": row.currency, "updated": row.updated_text}


def _table(rows: list[PcReferral], total: int) -> None:
    table = Table(title=f"{total} referrals" + (f" (first {len(rows)})" if total > len(rows) else ""))
    for column in ("customer", "domain", "status", "type", "deal", "lead", "updated"):
        table.add_column(column, overflow="fold")
    for r in rows:
        deal = f"{r.deal_value:,.0f} {r.currency or ''}".strip() if r.deal_value is not None else ""
        cells = (r.customer_name or "", r.domain or f"— {r.domain_reason or ''}", f"{r.status}/{r.substatus}",
                 r.type or "", deal, str(r.lead_id or ""), r.updated.strftime("%Y-%m-%d") if r.updated else "")
        table.add_row(*(escape(cell) for cell in cells))       # remote text is never markup
    Console().print(table)


__all__ = ["pc_app", "referral_line", "run_sync"]
