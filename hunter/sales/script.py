"""What to say, what to ask and what to do next.  Pure.

A selling call is opener, observation (who hosts the mail), the most telling gap, the pitch of
the angle and a close: three to five lines.  Domains without mail, DNS failures and invalid
input get their own short scripts (confirm the real domain; stay neutral; fix the input).
"""

from __future__ import annotations

from ..model import Analysis
from . import angle as angles
from . import provider
from .angle import Angle
from .texts import Lang, domain_name, phrase, phrases

# The gap a call opens with, most telling first.
HOOK_ORDER = (
    "dmarc_missing", "dmarc_not_enforced", "spf_missing", "spf_invalid",
    "dmarc_partial", "spf_not_strict", "dkim_missing",
)
MAX_QUESTIONS = 6
_OBSERVED_KINDS = ("cloud_suite", "local_hosting", "hosting", "self_hosted")
_QUESTIONS_OF = {"unscored": "greenfield", "nxdomain": "no_mail"}


def call_script(analysis: Analysis, angle: Angle, *, gaps: list[str], partner: str, lang: Lang) -> list[str]:
    values = _values(analysis, partner, lang)
    if angle not in angles.SELLING:
        return phrases(lang, f"script.{angle}", **values)
    lines = [phrase(lang, "script.opener", **values), _observe(analysis, lang)]
    hook = _hook(angle, gaps, lang)
    if hook:
        lines.append(hook)
    lines.append(phrase(lang, f"script.pitch.{_pitch(analysis, angle)}", **values))
    close = "nurture" if angles.group(angle) == "nurture" else "sales"
    lines.append(phrase(lang, f"script.close.{close}"))
    return lines


def discovery_questions(analysis: Analysis, angle: Angle, *, lang: Lang) -> list[str]:
    values = _values(analysis, "", lang)
    key = _QUESTIONS_OF.get(angle, angles.group(angle))
    questions = phrases(lang, f"questions.{key}", **values)
    if angle in angles.SELLING:
        questions += _extra_questions(analysis, lang)
    return questions[:MAX_QUESTIONS]


def next_step(analysis: Analysis, angle: Angle, *, lang: Lang) -> str:
    return phrase(lang, f"next.{angles.group(angle)}", **_values(analysis, "", lang))


def _values(analysis: Analysis, partner: str, lang: Lang) -> dict[str, object]:
    return {
        "partner": partner, "domain": domain_name(analysis.domain, analysis.input), "input": analysis.input,
        "provider": provider.display_name(analysis, lang), "tenant": analysis.m365.tenant,
        "gateway": analysis.gateway.name if analysis.gateway else None,
    }


def _observe(analysis: Analysis, lang: Lang) -> str:
    kind = analysis.provider.kind
    key = kind if kind in _OBSERVED_KINDS else "unknown"
    return phrase(lang, f"script.observe.{key}", provider=analysis.provider.name)


def _hook(angle: Angle, gaps: list[str], lang: Lang) -> str | None:
    first = next((g for g in HOOK_ORDER if g in gaps), None)
    if first is not None:
        return phrase(lang, f"script.hook.{first}")
    return phrase(lang, "script.hook.clean") if angle == "microsoft_renewal" else None


def _pitch(analysis: Analysis, angle: Angle) -> str:
    if angle in ("greenfield", "microsoft_renewal") and angles.is_hybrid(analysis):
        return "greenfield_hybrid"      # Microsoft 365 beside the own server: retire the server
    if angle == "greenfield" and analysis.provider.kind == "self_hosted":
        return "greenfield_self"
    return angles.group(angle)


def _extra_questions(analysis: Analysis, lang: Lang) -> list[str]:
    extra = []
    if analysis.provider.kind in ("local_hosting", "hosting"):
        extra.append(phrase(lang, "questions.contract", provider=analysis.provider.name))
    if analysis.provider.kind == "self_hosted":
        extra.append(phrase(lang, "questions.hybrid" if angles.is_hybrid(analysis) else "questions.self_hosted"))
    if analysis.gateway is not None:
        extra.append(phrase(lang, "questions.gateway", gateway=analysis.gateway.name))
    return extra
