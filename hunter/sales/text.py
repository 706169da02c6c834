"""A sales summary as plain text: what a copy button copies and what Dynamics' description holds.
Pure; section titles in the summary's own language."""

from __future__ import annotations

from .summary import SalesSummary

TITLES = {
    "tr": {"why": "Neden", "posture": "Güvenlik durumu", "script": "Arama metni", "questions": "Sorular",
           "provider": "E-posta sağlayıcısı", "next": "Sonraki adım", "offers": "Teklifler",
           "infrastructure": "Altyapı"},
    "en": {"why": "Why", "posture": "Posture", "script": "Call script", "questions": "Questions",
           "provider": "Mail provider", "next": "Next step", "offers": "Offers", "infrastructure": "Infrastructure"},
}


def plain(summary: SalesSummary) -> str:
    """The summary, most important first (a cut keeps the head): the one-liner, the next step,
    why, the provider, posture, offers, the call script and the questions."""
    t = TITLES[summary.lang]
    parts = [summary.one_liner, f"{t['next']}: {summary.next_step}"]
    parts += _section(t["why"], summary.why)
    parts.append(f"{t['provider']}: {summary.provider}")
    if summary.infrastructure:
        parts.append(f"{t['infrastructure']}: {summary.infrastructure}")
    parts += _section(t["posture"], summary.posture)
    parts += _section(t["offers"], [f"{o.name} — {o.price_text}" for o in summary.offers])
    parts += _section(t["script"], summary.call_script)
    parts += _section(t["questions"], summary.discovery_questions)
    return "\n".join(parts)


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"{title}:", *(f"- {line}" for line in lines)] if lines else []
