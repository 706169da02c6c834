"""``hunter enrichment status`` and ``hunter enrichment lookup IP``: is the IP enrichment set up,
and what does each offline database say about one address.

Both read the configured files whether or not ``HUNTER_ENRICHMENT_ENABLED`` is on (so a setup can
be checked before it is switched on) and say which it is.  ``status`` exits 1 when enrichment is
on but no database can be used; ``lookup`` exits 2 for text that is not an IP address.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from ..flows import inspect_enrichment
from ..settings import Settings
from .startup import build_settings, errors, fail

enrichment_app = typer.Typer(no_args_is_help=True, help="Offline IP enrichment (MaxMind, IP2Location, IP2Proxy).")
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object instead of text.")]
SKIPPED = {"ip", "sources", "special"}


@contextmanager
def opened(settings: Settings) -> Iterator[Any]:
    """The enricher over every configured database (None when there is none), closed after."""
    with errors():
        enricher = inspect_enrichment.open_enricher(settings)
    try:
        yield enricher
    finally:
        if enricher is not None:
            enricher.close()


@enrichment_app.command("status")
def status(json_out: JsonOpt = False) -> None:
    """The flag, each provider's files, whether they loaded, their versions and errors."""
    settings = build_settings()
    with opened(settings) as enricher:
        report = inspect_enrichment.status(enricher, enabled=settings.enrichment_enabled)
    typer.echo(json.dumps(report, indent=2, ensure_ascii=False) if json_out else status_text(report))
    if report["enabled"] and not report["available"]:
        raise typer.Exit(1)


def status_text(report: dict[str, Any]) -> str:
    flag = "enabled" if report["enabled"] else "disabled (HUNTER_ENRICHMENT_ENABLED is off)"
    lines = [f"enrichment: {flag}", f"providers:  {report['detail']}"]
    for provider in report["providers"]:
        lines.append(f"  {provider['name']:<24} {'ok' if provider['ok'] else 'UNAVAILABLE'}")
        lines.extend(f"    {file_line(f)}" for f in provider["files"])
    return "\n".join(lines)


def file_line(file: dict[str, Any]) -> str:
    state = f"loaded, {file['version'] or 'version unknown'}" if file["loaded"] else "not loaded"
    return f"{file['file']}: {state}" + (f" ({file['error']})" if file["error"] else "")


@enrichment_app.command("lookup")
def lookup(ip: Annotated[str, typer.Argument(help="An IPv4 or IPv6 address.")], json_out: JsonOpt = False) -> None:
    """Each provider's answer for IP and the merged one (special addresses are never looked up)."""
    if inspect_enrichment.address(ip) is None:
        raise fail(f"not an IP address: {ip!r}")
    settings = build_settings()
    with opened(settings) as enricher:
        report = inspect_enrichment.lookup(enricher, ip, enabled=settings.enrichment_enabled)
    typer.echo(json.dumps(report, indent=2, ensure_ascii=False) if json_out
               else lookup_text(report, configured=enricher is not None))


def lookup_text(report: dict[str, Any], *, configured: bool) -> str:
    lines = [report["ip"]]
    if not report["enabled"]:
        lines.append("  (enrichment is disabled: scans do not use these answers)")
    if report["special"]:
        lines.append(f"  special address ({report['special']}): not looked up")
        return "\n".join(lines)
    if not configured:
        lines.append("  no enrichment database is configured or found")
        return "\n".join(lines)
    for answer in report["providers"]:
        said = f"error: {answer['error']}" if answer["error"] else facts_text(answer["facts"])
        lines.append(f"  {answer['name']:<24} {said}")
    lines.append(f"  {'merged':<24} {facts_text(report['merged'])}")
    if report["merged"]:
        lines.append(f"  {'sources':<24} {', '.join(report['merged']['sources'])}")
    return "\n".join(lines)


def facts_text(facts: dict[str, Any] | None) -> str:
    if not facts:
        return "no data"
    shown = [f"{k}={v}" for k, v in facts.items() if k not in SKIPPED and v is not None]
    return ", ".join(shown) or "no data"
