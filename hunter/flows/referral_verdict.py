"""A lead's Partner Center referral as the scoring signal: from the stored rows to the verdict.

The scan flow and the sync flow both come here, so a lead scanned after its referral arrived
and a lead re-scored by the sync get the same verdict from the same function.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..model import Analysis
from ..scoring import score as scoring
from ..scoring.rules import ScoringRules
from ..store.models import PcReferral
from ..store.referrals import ReferralRepository, state_text


def referral_of(latest: PcReferral | None, *, count: int) -> scoring.Referral | None:
    """The scoring value of a lead's referrals: the latest one's state and how many there are."""
    if latest is None or count <= 0:
        return None
    return scoring.Referral(status=latest.status, substatus=latest.substatus, count=count)


def apply(analysis: Analysis, rules: ScoringRules, latest: PcReferral | None, *, count: int) -> Analysis:
    """``analysis`` with the verdict that takes the referral into account (no DNS)."""
    return scoring.rescore(analysis, rules, referral=referral_of(latest, count=count))


def latest(session: Session, lead_id: int) -> PcReferral | None:
    """The lead's most recently updated referral."""
    return ReferralRepository(session).latest_for_leads([lead_id]).get(lead_id)


def for_lead(session: Session, lead_id: int, *, count: int) -> scoring.Referral | None:
    """The referral signal of one stored lead (None when it has none)."""
    if count <= 0:
        return None
    return referral_of(latest(session, lead_id), count=count)


def state(latest: PcReferral | None) -> str | None:
    """"New/Pending" for a change event; None without a referral."""
    return state_text(latest.status, latest.substatus) if latest is not None else None
