"""Parts of an analysis -> score 0–100, segment, priority P1–P6 and the reasons.  Pure.

One model everywhere: lists, sorting, exports and summaries all read this verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Dkim, Dmarc, Gateway, Provider, Reason, Spf, Status, TenantSize
from .rules import ScoringRules

REASON_TEXT = {
    "spf_missing": "No SPF record: anyone can send as this domain",
    "spf_invalid": "SPF record is broken (permerror)",
    "spf_not_strict": "SPF does not end in -all",
    "dmarc_missing": "No DMARC record",
    "dmarc_not_enforced": "DMARC policy is p=none (monitoring only)",
    "dmarc_partial": "DMARC applies to less than 100% of mail",
    "dkim_missing": "No DKIM key found on common selectors",
    "gateway_present": "A paid mail security gateway is in place",
    "local_provider": "Mail at a local hosting firm: easy migration",
}


@dataclass(frozen=True, slots=True)
class ScoringInput:
    status: Status
    provider: Provider
    gateway: Gateway | None
    local_provider: str | None
    spf: Spf
    dmarc: Dmarc
    dkim: Dkim
    tenant_size: TenantSize


@dataclass(frozen=True, slots=True)
class Verdict:
    score: int | None
    segment: str | None
    priority: str | None
    priority_label: str | None
    reasons: tuple[Reason, ...]


def segment_of(parts: ScoringInput) -> str:
    """Exactly one segment for every status/provider combination."""
    if parts.status == "dns_error":
        return "unknown"
    if parts.status in ("nxdomain", "null_mx", "no_mx") or parts.provider.kind == "none":
        return "no_mail"
    if parts.provider.key == "m365":
        return "microsoft"
    if parts.provider.kind == "cloud_suite":
        return "competitive"
    return "greenfield"


def posture_gaps(spf: Spf, dmarc: Dmarc, dkim: Dkim) -> list[str]:
    """Rule codes for the protections that are missing or weak (fewer gaps = better posture)."""
    gaps = []
    if not spf.present:
        gaps.append("spf_missing")
    elif not spf.valid:
        gaps.append("spf_invalid")
    elif spf.all != "-all":
        gaps.append("spf_not_strict")
    if not dmarc.valid:
        gaps.append("dmarc_missing")
    elif dmarc.policy == "none":
        gaps.append("dmarc_not_enforced")
    elif (dmarc.coverage or 0) < 100:
        gaps.append("dmarc_partial")
    if not dkim.present:
        gaps.append("dkim_missing")
    return gaps


def score(parts: ScoringInput, rules: ScoringRules) -> Verdict:
    if parts.status == "invalid":
        return Verdict(None, None, None, None, ())
    segment = segment_of(parts)
    seg = rules.segments[segment]
    reasons = [Reason(code=f"segment_{segment}", points=seg.base, text=seg.en)]
    if segment in ("greenfield", "competitive", "microsoft"):
        reasons += _opportunity(parts, rules)
    total = max(0, min(100, sum(r.points for r in reasons)))
    priority = _priority(segment, total, parts, rules)
    label = rules.priorities[priority].en if priority else seg.en
    return Verdict(total, segment, priority, label, tuple(reasons))


def _opportunity(parts: ScoringInput, rules: ScoringRules) -> list[Reason]:
    codes = posture_gaps(parts.spf, parts.dmarc, parts.dkim)
    if parts.gateway is not None:
        codes.append("gateway_present")
    if parts.local_provider:
        codes.append("local_provider")
    reasons = [Reason(code=c, points=rules.points[c], text=REASON_TEXT[c]) for c in codes]
    size = parts.tenant_size.value
    if size != "unknown":
        reasons.append(Reason(code=f"tenant_{size}", points=rules.points[f"tenant_{size}"],
                              text=f"Organisation looks {size}"))
    return reasons


def _priority(segment: str, total: int, parts: ScoringInput, rules: ScoringRules) -> str | None:
    limits = rules.thresholds
    if segment == "unknown":
        return None
    if segment == "no_mail":
        return "P6"
    if segment == "microsoft":
        return "P3" if posture_gaps(parts.spf, parts.dmarc, parts.dkim) else "P4"
    if segment == "competitive":
        return "P2" if total >= limits.competitive_p2_min_score else "P5"
    return "P1" if total >= limits.greenfield_p1_min_score else "P5"
