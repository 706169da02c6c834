"""Human-readable rendering of analyses for the terminal."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..model import Analysis

console = Console()


def provider_text(a: Analysis) -> str:
    text = a.local_provider or a.provider.name
    if a.gateway is not None:
        text += f" behind {a.gateway.name}"
    return text


def posture_text(a: Analysis) -> str:
    spf = f"SPF {a.spf.all or ('invalid' if a.spf.present else 'none')}"
    dmarc = f"DMARC {a.dmarc.policy or 'none'}" + (f" {a.dmarc.coverage}%" if a.dmarc.coverage not in (None, 100) else "")
    dkim = "DKIM " + (",".join(a.dkim.selectors) if a.dkim.present else "none")
    return f"{spf} · {dmarc} · {dkim}"


def print_analysis(a: Analysis) -> None:
    if a.status == "invalid":
        console.print(f"[bold]{a.input}[/]: [red]invalid[/] — {a.reason}")
        return
    head = f"[bold]{a.domain}[/] \\[{a.status}] {a.priority or '—'} {a.priority_label or ''} (score {a.score})"
    console.print(head)
    console.print(f"  mail: {provider_text(a)} [{a.provider.confidence}]")
    for line in a.provider.evidence:
        console.print(f"    · {line}")
    console.print(f"  posture: {posture_text(a)}")
    if a.m365.detected:
        console.print(f"  microsoft 365: tenant {a.m365.tenant or 'not revealed'}; {', '.join(a.m365.signals)}")
    console.print(f"  tenant size: {a.tenant_size.value}")
    if a.reason:
        console.print(f"  [yellow]{a.reason}[/]")


def print_table(results: Iterable[Analysis]) -> None:
    table = Table(title="Hunter — sample leads", show_lines=False)
    table.add_column("domain", overflow="fold", min_width=22)
    table.add_column("status")
    table.add_column("mail provider / reason", ratio=2)
    table.add_column("posture", ratio=2)
    table.add_column("score", justify="right")
    table.add_column("priority", ratio=1)
    for a in results:
        table.add_row(a.domain or a.input or "—", a.status,
                      provider_text(a) if a.status != "invalid" else a.reason or "",
                      posture_text(a) if a.status == "ok" else "", "" if a.score is None else str(a.score),
                      f"{a.priority or '—'} {a.priority_label or ''}")
    console.print(table)


def print_referrals(rows: Iterable[tuple]) -> None:
    """Leads beside their Partner Center referrals: (domain, priority, source, customer, status, substatus)."""
    table = Table(title="Leads that are Partner Center referrals")
    for column in ("domain", "priority", "lead source", "customer (referral)", "referral state"):
        table.add_column(column, overflow="fold")
    for domain, priority, source, customer, status, substatus in rows:
        table.add_row(*(escape(text) for text in (domain, priority or "—", source or "", customer or "",
                                                  f"{status}/{substatus}")))
    console.print(table)
