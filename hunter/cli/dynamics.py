"""``hunter dynamics push|check|status``: leads into Dynamics 365 Sales (Dataverse).

``push`` runs the same flow as ``POST /api/v1/leads/{id}/dynamics`` and the push job
(``flows.push_leads``).  With ``HUNTER_D365_ENABLED`` off, ``push`` and ``check`` say so and exit
1 without sending a request; ``status`` reads the database only.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .. import normalise
from ..flows.push_leads import PushOptions, PushSummary, push_leads
from ..integrations.base import LeadSink
from ..sales import load_config
from ..settings import Settings
from ..store import db, migrate
from ..store.dynamics import DynamicsRepository
from ..store.leads import LeadFilter, LeadRepository
from ..wiring import lead_sink
from .startup import build_settings, errors, fail, migrated_session

dynamics_app = typer.Typer(no_args_is_help=True, help="Dynamics 365 Sales: push leads with Hunter's verdict.")
FLAG = "HUNTER_D365_ENABLED"
OFF = f"Dynamics 365 is off: set {FLAG}=true (and the HUNTER_D365_* settings, see docs/dynamics.md)"


@dynamics_app.command("push")
def push(
    domains: Annotated[Optional[list[str]], typer.Argument(help="Lead domains to push.")] = None,
    all_leads: Annotated[bool, typer.Option("--all", help="Every lead.")] = False,
    changed: Annotated[bool, typer.Option("--changed", help="The leads whose verdict changed since their push (stale).")] = False,
    failed: Annotated[bool, typer.Option("--failed", help="The leads whose last push failed.")] = False,
    priority: Annotated[Optional[list[str]], typer.Option("--priority", help="P1…P6; repeatable.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Send even when the values equal what was pushed.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="The summary as one JSON line.")] = False,
) -> None:
    """Create or update the leads in Dynamics 365 (upsert by hnt_domain: never a duplicate)."""
    chosen = [bool(domains), all_leads, changed, failed, bool(priority)]
    if sum(chosen) != 1:
        raise fail("name DOMAINs, or one of --all, --changed, --failed, --priority")
    settings = build_settings()
    if not settings.d365_enabled:
        raise fail(OFF, code=1)
    url = settings.database()
    with errors(url):
        migrate.upgrade(url)
        sink = lead_sink(settings)
        assert sink is not None
        try:
            summary = _push(settings, sink, url, _selection(domains, changed, failed, priority), force=force,
                            quiet=json_out)
        finally:
            sink.close()
    _report(summary, json_out=json_out)
    if summary.failed or summary.aborted:
        raise typer.Exit(1)


def _selection(domains: list[str] | None, changed: bool, failed: bool, priority: list[str] | None) -> LeadFilter | list[str]:
    if domains:
        return domains
    if changed:
        return LeadFilter(dynamics="stale")
    if failed:
        return LeadFilter(dynamics="failed")
    return LeadFilter(priority=tuple(priority or ()))


def _push(settings: Settings, sink: LeadSink, url: str, selection: LeadFilter | list[str], *, force: bool,
          quiet: bool) -> PushSummary:
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    try:
        with sessions() as session:
            ids = _lead_ids(LeadRepository(session), selection)
        options = PushOptions(sales_config=load_config(settings.sales_config), public_url=settings.public_url,
                              force=force, trigger="cli")
        with Progress(TextColumn("pushing to Dynamics 365"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=Console(stderr=True), disable=quiet or not ids) as bar:
            task = bar.add_task("push", total=len(ids))
            return push_leads(sessions, sink, ids, options=options,
                              progress=lambda done, total: bar.update(task, completed=done))
    finally:
        engine.dispose()


def _lead_ids(leads: LeadRepository, selection: LeadFilter | list[str]) -> list[int]:
    if isinstance(selection, LeadFilter):
        return list(leads.ids_matching(selection))
    ids = []
    for text in selection:
        target = normalise.parse(text)
        lead = leads.by_domain(target.domain) if target.domain else None
        if lead is None:
            raise fail(f"{text}: not a lead in the database (hunter import / hunter analyze first)")
        ids.append(lead.id)
    return ids


def _report(summary: PushSummary, *, json_out: bool) -> None:
    if json_out:
        sys.stdout.write(json.dumps(summary.to_dict(), ensure_ascii=False) + "\n")
        return
    typer.echo(f"created {summary.created}, updated {summary.updated}, unchanged {summary.unchanged}, "
               f"failed {summary.failed}")
    for failure in summary.failures:
        typer.secho(f"  {failure['domain']}: {failure['error']}"
                    + (f" ({failure['code']}, request id {failure['request_id']})" if failure["code"] else ""),
                    err=True, fg=typer.colors.RED)
    if summary.aborted:
        typer.secho(f"stopped early: {summary.aborted}", err=True, fg=typer.colors.RED)


@dynamics_app.command("check")
def check(json_out: Annotated[bool, typer.Option("--json", help="The findings as JSON lines.")] = False) -> None:
    """Is the Dataverse environment ready? Column by column, and the hnt_domain alternate key;
    exit 1 when it is not (2 when it cannot be asked)."""
    settings = build_settings()
    if not settings.d365_enabled:
        raise fail(OFF, code=1)
    with errors():
        sink = lead_sink(settings)
        assert sink is not None
        try:
            problems = sink.readiness()
        finally:
            sink.close()
    for p in problems:
        if json_out:
            sys.stdout.write(json.dumps({"column": p.column, "problem": p.problem, "detail": p.detail}) + "\n")
        else:
            typer.secho(f"  {p.column}: {p.problem} — {p.detail}", fg=typer.colors.RED)
    if problems:
        typer.secho(f"not ready: {len(problems)} problem(s) in {settings.d365_url}; see docs/dynamics.md",
                    err=True, fg=typer.colors.RED)
        raise typer.Exit(1)
    if not json_out:
        typer.echo(f"ready: every mapped column and the hnt_domain alternate key are in place ({settings.d365_url})")


@dynamics_app.command("status")
def status(json_out: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False) -> None:
    """The flag, the environment, leads by push state and the latest failures."""
    settings = build_settings()
    url = settings.database()
    with errors(url):
        with migrated_session(url) as session:
            repo = DynamicsRepository(session)
            data = {"enabled": settings.d365_enabled, "url": settings.d365_url, "counts": repo.counts(),
                    "recent_failures": repo.recent_failures()}
    if json_out:
        sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False) + "\n")
        return
    typer.echo(f"Dynamics 365: {'on, ' + str(data['url']) if data['enabled'] else 'off (' + FLAG + ')'}")
    typer.echo("leads: " + ", ".join(f"{k} {v}" for k, v in data["counts"].items()))
    for f in data["recent_failures"]:
        Console().print(f"  [red]failed[/] {escape(f['domain'])}: {escape(str(f['error']))}")


__all__ = ["dynamics_app"]
