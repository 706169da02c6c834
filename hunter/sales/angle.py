"""Which sales angle an analysis calls for: one word that picks every template.  Pure.

The angle follows the status first (a DNS failure is never a no-go speech), then the verdict's
priority; an ``ok`` analysis that was never scored gets the neutral ``unscored`` angle.  A
provider hidden behind a gateway (segment ``unknown_behind_gateway``) is a ``research`` call
whatever its priority: find out whose mailboxes they are before pitching.
"""

from __future__ import annotations

from typing import Literal

from ..model import Analysis

Angle = Literal[
    "invalid", "dns_error", "nxdomain", "no_mail",
    "greenfield", "competitive", "microsoft_weak", "microsoft_renewal",
    "nurture_greenfield", "nurture_competitive", "research", "unscored",
]
SELLING: tuple[Angle, ...] = (
    "greenfield", "competitive", "microsoft_weak", "microsoft_renewal",
    "nurture_greenfield", "nurture_competitive", "research", "unscored",
)
_BY_PRIORITY: dict[str, Angle] = {
    "P1": "greenfield", "P2": "competitive", "P3": "microsoft_weak", "P4": "microsoft_renewal",
    "P6": "no_mail",
}


def of(analysis: Analysis) -> Angle:
    """The angle for this analysis."""
    status = analysis.status
    if status in ("invalid", "dns_error", "nxdomain"):
        return status
    if status in ("no_mx", "null_mx") or analysis.provider.kind == "none" or analysis.segment == "no_mail":
        return "no_mail"
    if analysis.segment == "unknown_behind_gateway" and analysis.gateway is not None:
        return "research"
    if analysis.priority == "P5":
        return "nurture_competitive" if analysis.segment == "competitive" else "nurture_greenfield"
    if analysis.priority is not None:
        return _BY_PRIORITY[analysis.priority]
    return "unscored"


def family(analysis: Analysis) -> Literal["microsoft", "other"]:
    """Whose mailboxes we are talking about: Microsoft 365's, or anyone else's."""
    return "microsoft" if analysis.provider.key == "m365" else "other"


def group(angle: Angle) -> str:
    """The template group: both nurture angles share their script, questions and next step."""
    return "nurture" if angle.startswith("nurture") else angle


def is_hybrid(analysis: Analysis) -> bool:
    """An own mail server with Microsoft 365 evidence beside it (hybrid Exchange)."""
    if analysis.provider.kind != "self_hosted":
        return False
    return analysis.m365.detected or any("hybrid exchange" in e.lower() for e in analysis.provider.evidence)
