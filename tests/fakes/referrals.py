"""A fake ``ReferralSource``: referrals held in memory, a delta by ``updatedDateTime``, and a
switch that makes the source fail the way Partner Center does when it is down."""

from __future__ import annotations

from typing import Any

from hunter.errors import IntegrationError, IntegrationUnavailable
from hunter.flows.sync_referrals import ticks
from hunter.integrations.base import Health, ReferralBatch
from hunter.integrations.partner_center import mapping


def referral(rid: str, *, emails: tuple[str, ...] = (), updated: str = "2026-11-01T08:00:00.0000001Z",
             status: str = "New", substatus: str = "Pending", customer: str = "Firma A.Ş.",
             deal: float | None = 1000.0) -> dict[str, Any]:
    """A referral's JSON in the documented shape (Microsoft sellers in the top-level team)."""
    return {
        "id": rid, "engagementId": f"eng-{rid}", "name": f"{customer} - Microsoft 365",
        "createdDateTime": "2026-10-01T08:00:00.0000000Z", "updatedDateTime": updated,
        "status": status, "substatus": substatus, "qualification": "SalesQualified", "type": "Independent",
        "direction": "Incoming",
        "customerProfile": {"name": customer, "address": {"country": "TR"}, "size": "10to50employees",
                            "team": [{"firstName": "Ayşe", "lastName": "Yılmaz", "email": e} for e in emails]},
        "details": {"dealValue": deal, "currency": "TRY"},
        "team": [{"firstName": "John", "lastName": "Doe", "email": "john.doe@microsoft.com"}],
    }


class FakeReferralSource:
    name = "partner_center"

    def __init__(self, referrals: list[dict[str, Any]] | None = None, *, page_size: int = 100) -> None:
        self.referrals = {r["id"]: r for r in referrals or []}
        self.page_size = page_size
        self.calls: list[str | None] = []
        self.failure: IntegrationError | None = None
        self.closed = False

    def put(self, raw: dict[str, Any]) -> None:
        self.referrals[raw["id"]] = raw

    def fetch(self, *, since: str | None) -> ReferralBatch:
        self.calls.append(since)
        if self.failure is not None:
            raise self.failure
        chosen = [r for r in self.referrals.values() if since is None or ticks(r["updatedDateTime"]) > ticks(since)]
        pages = max(1, -(-len(chosen) // self.page_size))
        return ReferralBatch(records=tuple(mapping.record(r) for r in chosen), pages=pages,
                             request_ids=tuple(f"req-{i}" for i in range(pages)))

    def down(self) -> None:
        self.failure = IntegrationUnavailable("partner_center", "the service did not answer (503) after 5 attempts")

    def check(self) -> Health:
        return Health(self.name, self.failure is None, "fake")

    def close(self) -> None:
        self.closed = True
