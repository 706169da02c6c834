"""Parts of an analysis -> score 0–100, segment, priority P1–P6 and the reasons.  Pure.

One model everywhere: lists, sorting, exports and summaries all read this verdict.  ``rescore``
gives a stored ``Analysis`` the verdict again (new rules, a new referral state) without DNS;
the pipeline scores a fresh analysis through it too, so both read the parts the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..model import M365, Analysis, Dkim, Dmarc, Gateway, Provider, Reason, Spf, Status, TenantSize
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
    "m365_hybrid": "Microsoft 365 in DNS beside mail hosted elsewhere: hybrid Exchange or an unfinished move",
}
REFERRAL_TEXT = {
    "pc_referral_open": "Partner Center referral ({detail})",
    "pc_referral_won": "Partner Center referral won ({detail}): already our customer",
    "pc_referral_closed": "Partner Center referral closed ({detail}): interest was shown before",
}
SELLING = ("greenfield", "competitive", "microsoft", "unknown_behind_gateway")
WON_SUBSTATUSES = ("won",)
CLOSED_SUBSTATUSES = ("lost", "declined", "expired")
ReferralKind = Literal["open", "won", "closed"]


@dataclass(frozen=True, slots=True)
class Referral:
    """The lead's latest Partner Center referral state and how many referrals are linked."""

    status: str | None
    substatus: str | None
    count: int

    @property
    def state(self) -> str:
        """"New/Pending", as Partner Center names the state."""
        return f"{self.status or 'None'}/{self.substatus or 'None'}"

    @property
    def kind(self) -> ReferralKind:
        """Won, closed (lost, declined, expired, or status Closed) — anything else is open,
        including a status this model does not know: a linked referral is shown, never buried."""
        status, substatus = (self.status or "").casefold(), (self.substatus or "").casefold()
        if substatus in WON_SUBSTATUSES:
            return "won"
        if substatus in CLOSED_SUBSTATUSES or status == "closed":
            return "closed"
        return "open"


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
    m365: M365 = M365()
    referral: Referral | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    score: int | None
    segment: str | None
    priority: str | None
    priority_label: str | None
    reasons: tuple[Reason, ...]


def segment_of(parts: ScoringInput) -> str:
    """Exactly one segment for every status/provider combination: who hosts the mail."""
    if parts.status == "dns_error":
        return "unknown"
    if parts.status in ("nxdomain", "null_mx", "no_mx") or parts.provider.kind == "none":
        return "no_mail"
    if parts.provider.key == "m365":
        return "microsoft"
    if parts.provider.kind == "cloud_suite":
        return "competitive"
    if parts.m365.detected:             # a tenant beside mail elsewhere: hybrid, never greenfield
        return "microsoft"
    if parts.provider.kind == "unknown" and parts.gateway is not None:
        return "unknown_behind_gateway"
    return "greenfield"


def is_hybrid(parts: ScoringInput) -> bool:
    """Microsoft 365 in DNS while the mail is hosted elsewhere (own server, hosting firm …)."""
    return segment_of(parts) == "microsoft" and parts.provider.key != "m365"


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
    gateway = parts.gateway.name if parts.gateway is not None else None
    reasons = [Reason(code=f"segment_{segment}", points=rules.segments[segment].base,
                      text=segment_label(rules, segment, gateway=gateway))]
    if segment in SELLING:
        reasons += _opportunity(parts, rules)
    reasons += _referral(parts.referral, rules)
    total = max(0, min(100, sum(r.points for r in reasons)))
    priority = _priority(segment, total, parts, rules)
    return Verdict(total, segment, priority, label_of(rules, segment, priority, gateway=gateway), tuple(reasons))


def segment_label(rules: ScoringRules, segment: str, *, gateway: str | None) -> str:
    """The segment's English label; "Unknown behind Proofpoint" names the gateway."""
    seg = rules.segments[segment]
    if seg.named is not None and gateway is not None:
        return seg.named.en.format(gateway=gateway)
    return seg.en


def label_of(rules: ScoringRules, segment: str, priority: str | None, *, gateway: str | None) -> str:
    """The verdict's ``priority_label``: the segment's when it names the gateway ("Unknown behind
    Proofpoint", whatever the priority), else the priority's, else the segment's ("Unknown – rescan")."""
    if rules.segments[segment].named is not None and gateway is not None:
        return segment_label(rules, segment, gateway=gateway)
    return rules.priorities[priority].en if priority else rules.segments[segment].en


def _opportunity(parts: ScoringInput, rules: ScoringRules) -> list[Reason]:
    codes = posture_gaps(parts.spf, parts.dmarc, parts.dkim)
    if parts.gateway is not None:
        codes.append("gateway_present")
    if parts.local_provider:
        codes.append("local_provider")
    if is_hybrid(parts):
        codes.append("m365_hybrid")
    reasons = [Reason(code=c, points=rules.points[c], text=REASON_TEXT[c]) for c in codes]
    size = parts.tenant_size.value
    if size != "unknown":
        reasons.append(Reason(code=f"tenant_{size}", points=rules.points[f"tenant_{size}"],
                              text=f"Organisation looks {size}"))
    return reasons


def _referral(referral: Referral | None, rules: ScoringRules) -> list[Reason]:
    """The referral signal: one reason naming the state ("New/Pending; 3 referrals")."""
    if referral is None:
        return []
    code = f"pc_referral_{referral.kind}"
    detail = referral.state + (f"; {referral.count} referrals" if referral.count > 1 else "")
    return [Reason(code=code, points=rules.points[code], text=REFERRAL_TEXT[code].format(detail=detail))]


def _priority(segment: str, total: int, parts: ScoringInput, rules: ScoringRules) -> str | None:
    found = _segment_priority(segment, total, parts, rules)
    lift = rules.referral_priority.get(segment)
    if found is None or lift is None or parts.referral is None or parts.referral.kind != "open":
        return found
    return min(found, lift)             # "P1" < "P2" …: an open referral only ever lifts


def _segment_priority(segment: str, total: int, parts: ScoringInput, rules: ScoringRules) -> str | None:
    limits = rules.thresholds
    if segment == "unknown":
        return None
    if segment == "no_mail":
        return "P6"
    if segment == "microsoft":
        return "P3" if posture_gaps(parts.spf, parts.dmarc, parts.dkim) else "P4"
    if segment == "unknown_behind_gateway":
        return "P5"                     # research first: the mailboxes may well be Microsoft's
    if segment == "competitive":
        return "P2" if total >= limits.competitive_p2_min_score else "P5"
    return "P1" if total >= limits.greenfield_p1_min_score else "P5"


# --------------------------------------------------------------------------- stored analyses

def input_of(analysis: Analysis, *, referral: Referral | None = None) -> ScoringInput:
    """The scoring parts of an analysis: everything the verdict reads is in the ``Analysis``."""
    return ScoringInput(
        status=analysis.status, provider=analysis.provider, gateway=analysis.gateway,
        local_provider=analysis.local_provider, spf=analysis.spf, dmarc=analysis.dmarc, dkim=analysis.dkim,
        tenant_size=analysis.tenant_size, m365=analysis.m365, referral=referral,
    )


def rescore(analysis: Analysis, rules: ScoringRules, *, referral: Referral | None) -> Analysis:
    """``analysis`` with the verdict of ``rules`` (and the referral signal), no DNS involved.

    The pipeline scores a fresh analysis this way too.  The scoring part of ``rules_version``
    (and of ``evidence.rules_version``) becomes ``rules.version``; the provider part stays.
    """
    verdict = score(input_of(analysis, referral=referral), rules)
    version = _rules_version(analysis.rules_version, rules.version)
    update: dict[str, object] = {
        "score": verdict.score, "segment": verdict.segment, "priority": verdict.priority,
        "priority_label": verdict.priority_label, "reasons": list(verdict.reasons), "rules_version": version,
    }
    if analysis.evidence.rules_version is not None:
        update["evidence"] = analysis.evidence.model_copy(
            update={"rules_version": _rules_version(analysis.evidence.rules_version, rules.version)})
    return analysis.model_copy(update=update)


_SCORING_VERSION = re.compile(r"scoring [^;]*")


def _rules_version(text: str | None, version: str) -> str:
    """"scoring 2026.11-1; providers 7" -> "scoring <version>; providers 7"."""
    if not text or not _SCORING_VERSION.search(text):
        return f"scoring {version}"
    return _SCORING_VERSION.sub(lambda _: f"scoring {version}", text, count=1)


__all__ = ["Referral", "ScoringInput", "Verdict", "input_of", "is_hybrid", "label_of", "posture_gaps", "rescore",
           "score", "segment_label", "segment_of"]
