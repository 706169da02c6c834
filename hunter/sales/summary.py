"""Analysis -> the sales summary a salesperson can act on, in Turkish or English.  Pure.

Every sentence is a template from ``turkish.py``/``english.py`` filled with values of the
analysis or the configuration: no figure appears that the analysis or the configuration does
not hold.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from ..model import Analysis, Priority, Reason, Status
from . import angle as angles
from . import offers as catalogue
from . import posture, provider, script
from .angle import Angle
from .config import SalesConfig
from .offers import OfferLine
from .texts import Lang, domain_name, invalid_reason, known, phrase

REASON_CODES = (
    "spf_missing", "spf_invalid", "spf_not_strict", "dmarc_missing", "dmarc_not_enforced",
    "dmarc_partial", "dkim_missing", "gateway_present", "local_provider", "m365_hybrid",
)
REFERRAL_CODES = ("pc_referral_open", "pc_referral_won", "pc_referral_closed")
_NEEDS_PRIORITY = ("greenfield", "competitive", "microsoft_weak", "microsoft_renewal",
                   "nurture_greenfield", "nurture_competitive", "research", "no_mail", "nxdomain")
# The referral reason's detail as scoring writes it: "(New/Pending)" or "(New/Pending; 3 referrals)".
_REFERRAL_DETAIL = re.compile(r"\((?P<state>[^();]+?)(?:; (?P<count>\d+) referrals)?\)")


class SalesSummary(BaseModel):
    """The summary of one analysis; the same shape in both languages."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lang: Lang
    domain: str | None
    status: Status
    segment: str | None
    priority: Priority | None
    priority_label: str | None
    one_liner: str
    why: list[str]
    provider: str
    posture: list[str]
    call_script: list[str]
    discovery_questions: list[str]
    next_step: str
    offers: list[OfferLine]
    infrastructure: str | None


def summarise(analysis: Analysis, *, lang: Lang, config: SalesConfig) -> SalesSummary:
    """The sales summary of ``analysis`` in ``lang``, with the offers of ``config`` that fit."""
    angle = angles.of(analysis)
    gaps = posture.gaps(analysis)
    partner = config.partner.display(lang)
    return SalesSummary(
        lang=lang, domain=analysis.domain, status=analysis.status, segment=analysis.segment,
        priority=analysis.priority, priority_label=label(analysis, lang),
        one_liner=one_liner(analysis, angle, lang),
        why=why(analysis, angle, lang),
        provider=provider.describe(analysis, angle, lang),
        posture=posture.describe(analysis, angle, lang),
        call_script=script.call_script(analysis, angle, gaps=gaps, partner=partner, lang=lang),
        discovery_questions=script.discovery_questions(analysis, angle, lang=lang),
        next_step=script.next_step(analysis, angle, lang=lang),
        offers=catalogue.choose(analysis, gaps=gaps, config=config, lang=lang),
        infrastructure=infrastructure(analysis, lang),
    )


def infrastructure(analysis: Analysis, lang: Lang) -> str | None:
    """The infrastructure sentence in ``lang`` (the analysis holds both); else the stored line."""
    infra = analysis.infrastructure
    text = (infra.summary_tr if lang == "tr" else infra.summary_en) if infra is not None else None
    return text or analysis.infrastructure_summary or None


def label(analysis: Analysis, lang: Lang) -> str | None:
    """The segment's label when it names the gateway ("Unknown behind Proofpoint"), else the
    priority's, else the segment's (DNS failure: "Unknown – rescan") — as ``scoring.label_of``."""
    if _names_gateway(analysis):
        return segment_label(analysis, lang)
    if analysis.priority is not None:
        return phrase(lang, f"priority.{analysis.priority}")
    if analysis.status == "dns_error":
        return phrase(lang, "segment.unknown")
    return phrase(lang, f"segment.{analysis.segment}") if analysis.segment else None


def one_liner(analysis: Analysis, angle: Angle, lang: Lang) -> str:
    if angle == "invalid":
        why_not = invalid_reason(lang, analysis.reason)
        return phrase(lang, "one_liner.invalid", input=analysis.input, why=why_not)
    gateway = analysis.gateway.name if analysis.gateway else None
    parts = [_head(analysis, lang), phrase(lang, f"one_liner.{angle}", provider=provider.display_name(analysis, lang),
                                           gateway=gateway)]
    if analysis.m365.tenant and angle in angles.SELLING:
        parts.append(phrase(lang, "one_liner.tenant", tenant=analysis.m365.tenant))
    if any(r.code == "pc_referral_open" for r in analysis.reasons):
        parts.append(phrase(lang, "one_liner.referral"))
    return " ".join(parts)


def _head(analysis: Analysis, lang: Lang) -> str:
    domain = domain_name(analysis.domain, analysis.input)
    shown = label(analysis, lang)
    if analysis.priority is not None:
        return phrase(lang, "one_liner.head", domain=domain, priority=analysis.priority, label=shown)
    if shown is None:
        return phrase(lang, "one_liner.head_bare", domain=domain)
    return phrase(lang, "one_liner.head_unranked", domain=domain, label=shown)


def why(analysis: Analysis, angle: Angle, lang: Lang) -> list[str]:
    """Why this segment and priority: the verdict, then each reason with its points."""
    if angle in _NEEDS_PRIORITY and analysis.priority is None:
        angle = "unscored"
    segment = segment_label(analysis, lang)
    head = phrase(lang, f"why.head.{angle}", segment=segment, priority=analysis.priority,
                  label=label(analysis, lang))
    if angle in ("invalid", "dns_error") or not analysis.reasons:
        return [head]
    lines = [head, *(reason_line(r, lang, segment=segment) for r in analysis.reasons)]
    if analysis.score is not None:
        lines.append(phrase(lang, "why.total", score=analysis.score))
    return lines


def segment_label(analysis: Analysis, lang: Lang) -> str:
    """The segment's label; "Unknown behind Proofpoint" names the gateway."""
    if _names_gateway(analysis) and analysis.gateway is not None:
        return phrase(lang, f"segment.{analysis.segment}.named", gateway=analysis.gateway.name)
    return phrase(lang, f"segment.{analysis.segment or 'unknown'}")


def _names_gateway(analysis: Analysis) -> bool:
    return analysis.gateway is not None and known(f"segment.{analysis.segment}.named")


def reason_line(reason: Reason, lang: Lang, *, segment: str | None = None) -> str:
    text = reason_text(reason, lang, segment=segment)
    return phrase(lang, "reason.line", text=text, points=f"{reason.points:+d}")


def reason_text(reason: Reason, lang: Lang, *, segment: str | None = None) -> str:
    """A reason in ``lang``; a code this module does not know keeps the analysis's own text.
    ``segment`` is the analysis's own segment label (``segment_label``) when the caller has it."""
    code = reason.code
    if code.startswith("segment_") and known(f"segment.{code[8:]}"):
        return phrase(lang, "reason.segment", segment=segment or phrase(lang, f"segment.{code[8:]}"))
    if code.startswith("tenant_") and code[7:] in ("small", "medium", "large", "enterprise"):
        return phrase(lang, "reason.tenant", size=phrase(lang, f"size.{code[7:]}"))
    if code in REASON_CODES:
        return phrase(lang, f"reason.{code}")
    if code in REFERRAL_CODES:
        return _referral_text(reason, lang)
    return reason.text


def _referral_text(reason: Reason, lang: Lang) -> str:
    """The referral reason in ``lang``, with the state (and count) the scoring text holds."""
    found = _REFERRAL_DETAIL.search(reason.text)
    if found is None:
        return reason.text
    detail = found["state"]
    if found["count"]:
        detail = phrase(lang, "reason.pc_referral_count", state=detail, count=found["count"])
    return phrase(lang, f"reason.{reason.code}", detail=detail)
