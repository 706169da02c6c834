"""hunter/store/dashboard.py: leads by priority, segment and provider; the latest changes."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from hunter.store.changes import ChangeRepository
from hunter.store.dashboard import DashboardRepository, RecentChange
from hunter.store.leads import LeadInput, LeadRepository
from hunter.store.models import Lead
from hunter.store.scans import ScanRepository


def add_leads(session: Session, values: dict[str, list]) -> dict[str, int]:
    """``len`` leads d0.test …; ``values`` gives each column's value per lead."""
    count = len(next(iter(values.values())))
    ids = LeadRepository(session).upsert_many([LeadInput(f"d{i}.test") for i in range(count)])
    for column, column_values in values.items():
        for i, value in enumerate(column_values):
            setattr(session.get(Lead, ids[f"d{i}.test"][0]), column, value)
    session.flush()
    return {domain: lead_id for domain, (lead_id, _) in ids.items()}


def test_by_priority_runs_p1_to_p6_then_none(session: Session) -> None:
    add_leads(session, {"priority": ["P3", None, "P1", "P6", "P3", "P1", "P1", None, "P2"]})
    assert DashboardRepository(session).by_priority() == [("P1", 3), ("P2", 1), ("P3", 2), ("P6", 1), (None, 2)]


def test_by_segment_most_first(session: Session) -> None:
    add_leads(session, {"segment": ["greenfield", "competitive", None, "greenfield", "microsoft", "competitive",
                                    "greenfield"]})
    assert DashboardRepository(session).by_segment() == [("greenfield", 3), ("competitive", 2), ("microsoft", 1),
                                                         (None, 1)]


def test_by_provider_sums_the_rest_as_other(session: Session) -> None:
    keys = ["m365"] * 5 + ["google"] * 4 + ["natro"] * 3 + ["turhost"] * 2 + ["zoho", None]
    add_leads(session, {"provider_key": keys})
    repo = DashboardRepository(session)
    assert repo.by_provider(limit=2) == [("m365", 5), ("google", 4), ("other", 7)]
    assert repo.by_provider(limit=4) == [("m365", 5), ("google", 4), ("natro", 3), ("turhost", 2), ("other", 2)]
    assert repo.by_provider(limit=5)[-2:] == [("zoho", 1), ("other", 1)]
    assert repo.by_provider() == [("m365", 5), ("google", 4), ("natro", 3), ("turhost", 2), ("zoho", 1), (None, 1)]
    assert repo.by_provider(limit=6) == repo.by_provider()


def test_an_empty_store(session: Session) -> None:
    repo = DashboardRepository(session)
    assert repo.by_priority() == repo.by_segment() == repo.by_provider() == []
    assert repo.recent_changes() == []


def test_recent_changes_newest_first_with_the_domain(session: Session, make_analysis) -> None:
    ids = add_leads(session, {"priority": ["P1", "P2"]})
    scans = ScanRepository(session)
    changes = ChangeRepository(session)
    first = scans.add(ids["d0.test"], make_analysis("d0.test"))
    changes.add_many(ids["d0.test"], first.id, [("provider_moved", "google", "m365"), ("gateway_added", None, "pp")])
    second = scans.add(ids["d1.test"], make_analysis("d1.test"))
    changes.add_many(ids["d1.test"], second.id, [("priority_changed", "P3", "P2")])
    session.flush()
    recent = DashboardRepository(session).recent_changes()
    assert [(c.domain, c.kind, c.before, c.after) for c in recent] == [
        ("d1.test", "priority_changed", "P3", "P2"), ("d0.test", "gateway_added", None, "pp"),
        ("d0.test", "provider_moved", "google", "m365")]
    assert recent[0].lead_id == ids["d1.test"] and isinstance(recent[0].at, datetime)
    assert [c.kind for c in DashboardRepository(session).recent_changes(limit=1)] == ["priority_changed"]
    with pytest.raises(AttributeError):
        recent[0].kind = "x"      # type: ignore[misc]
    assert isinstance(recent[0], RecentChange)
