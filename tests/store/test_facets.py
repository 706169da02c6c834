"""hunter/store/facets.py: each facet counts the leads matching every other condition."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pytest
from sqlalchemy.orm import Session

from hunter.errors import InputError
from hunter.store.facets import FACET_FILTERS, FACETS, FacetRepository
from hunter.store.leads import LeadFilter, LeadInput, LeadRepository
from hunter.store.models import Lead

PROVIDERS = ["microsoft365", "google", "turhost", "self", None]
DYNAMICS = [None, "pending", "pushed", "stale", "failed", None, None]


def verdict(i: int) -> dict[str, Any]:
    """Deterministic, varied verdicts with NULLs and ties."""
    scanned = i % 10 != 0
    return {
        "priority": f"P{1 + i % 6}" if scanned else None,
        "score": (i * 37) % 101 if scanned else None,
        "segment": ["smb", "mid", "enterprise"][i // 7 % 3] if scanned else None,
        "provider_key": PROVIDERS[i % 5] if scanned else None,
        "gateway_key": {0: "mimecast", 1: "proofpoint"}.get(i % 7) if scanned else None,
        "local_provider": "Turhost" if scanned and i % 5 == 2 else None,
        "tenant_size": ["small", "medium", "large"][i % 4 % 3] if scanned else None,
        "status": ("nxdomain" if i % 11 == 0 else "ok") if scanned else None,
        "pc_referral_count": 2 if i % 8 == 0 else 0,
        "dynamics_state": DYNAMICS[i % 7],
    }


@pytest.fixture
def leads(session: Session) -> list[dict[str, Any]]:
    """120 leads with verdicts; returns their values."""
    ids = LeadRepository(session).upsert_many([LeadInput(f"lead{i:03d}.com.tr", company=f"Firma {i}")
                                               for i in range(120)])
    plain = []
    for i in range(120):
        lead = session.get(Lead, ids[f"lead{i:03d}.com.tr"][0])
        for name, value in verdict(i).items():
            setattr(lead, name, value)
        plain.append(verdict(i))
    session.flush()
    return plain


def expected(plain: list[dict[str, Any]], field: str, keep=lambda lead: True) -> list[tuple[str | None, int]]:
    counts: dict[str | None, int] = {}
    for lead in filter(keep, plain):
        value = {"referral": lambda: "true" if lead["pc_referral_count"] else "false",
                 "dynamics": lambda: lead["dynamics_state"] or "none"}.get(field, lambda: lead[field])()
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))


def test_without_a_filter_every_facet_counts_all_leads(session: Session, leads: list[dict[str, Any]]) -> None:
    counts = FacetRepository(session).counts(LeadFilter(), FACETS)
    assert list(counts) == list(FACETS)
    for field in FACETS:
        assert counts[field] == expected(leads, field), field
        assert sum(n for _, n in counts[field]) == 120
    assert dict(counts["referral"]) == {"true": 15, "false": 105}
    assert set(dict(counts["dynamics"])) == {"none", "pending", "pushed", "stale", "failed"}


def test_a_facet_ignores_its_own_condition_and_keeps_the_others(session: Session,
                                                                leads: list[dict[str, Any]]) -> None:
    chosen = LeadFilter(priority=("P1",), segment="smb")
    counts = FacetRepository(session).counts(chosen, ["priority", "segment", "status"])
    assert list(counts) == ["priority", "segment", "status"]
    assert counts["priority"] == expected(leads, "priority", lambda lead: lead["segment"] == "smb")
    assert counts["segment"] == expected(leads, "segment", lambda lead: lead["priority"] == "P1")
    both = lambda lead: lead["segment"] == "smb" and lead["priority"] == "P1"  # noqa: E731
    assert counts["status"] == expected(leads, "status", both)
    assert {p for p, _ in counts["priority"]} == {"P1", "P2", "P3", "P4", "P5", "P6"}
    alone = FacetRepository(session).counts(chosen, ["status", "status"])      # both conditions are others'
    assert alone == {"status": counts["status"]}


def test_referral_dynamics_and_local_provider_facets(session: Session, leads: list[dict[str, Any]]) -> None:
    chosen = LeadFilter(referral=True, dynamics="none", local_provider="Turhost")
    counts = FacetRepository(session).counts(chosen, ["referral", "dynamics", "local_provider"])
    no_dynamics = lambda lead: lead["dynamics_state"] is None  # noqa: E731
    turhost = lambda lead: lead["local_provider"] == "Turhost"  # noqa: E731
    referral = lambda lead: lead["pc_referral_count"] > 0  # noqa: E731
    assert counts["referral"] == expected(leads, "referral", lambda lead: no_dynamics(lead) and turhost(lead))
    assert counts["dynamics"] == expected(leads, "dynamics", lambda lead: referral(lead) and turhost(lead))
    assert counts["local_provider"] == expected(leads, "local_provider",
                                                lambda lead: referral(lead) and no_dynamics(lead))


def test_the_gateway_facet_owns_the_any_or_none_gateway_filter(session: Session,
                                                              leads: list[dict[str, Any]]) -> None:
    repo = FacetRepository(session)
    assert FACET_FILTERS["gateway_key"] == ("gateway_key", "gateway")
    for chosen in (LeadFilter(gateway=True), LeadFilter(gateway=False), LeadFilter(gateway_key="mimecast")):
        counts = repo.counts(chosen, ["gateway_key", "priority"])
        assert counts["gateway_key"] == expected(leads, "gateway_key"), chosen
        assert sum(n for _, n in counts["priority"]) == LeadRepository(session).count(chosen)


@pytest.mark.parametrize("chosen", [
    LeadFilter(),
    LeadFilter(priority=("P1", "P2"), score_min=30),
    LeadFilter(provider_key="google", tenant_size="small", status="ok"),
    LeadFilter(q="lead01", referral=False),
    LeadFilter(segment="mid", gateway_key="proofpoint", dynamics="pushed", local_provider=False),
])
def test_every_count_agrees_with_the_lead_list(session: Session, leads: list[dict[str, Any]],
                                               chosen: LeadFilter) -> None:
    """Each value's count is what the list shows when that value is chosen instead."""
    repo, counts = LeadRepository(session), FacetRepository(session).counts(chosen, FACETS)
    for field in FACETS:
        others = replace(chosen, **{name: _empty(name) for name in FACET_FILTERS[field]})
        assert sum(n for _, n in counts[field]) == repo.count(others), field
        for value, n in counts[field]:
            if value is not None:
                assert repo.count(replace(others, **{field: _as_filter(field, value)})) == n, (field, value)


def test_order_is_most_first_then_by_value_with_none_last(session: Session) -> None:
    repo = LeadRepository(session)
    ids = repo.upsert_many([LeadInput(f"d{i}.test") for i in range(7)])
    for i, segment in enumerate(["b", "a", None, "a", "b", None, "c"]):
        session.get(Lead, ids[f"d{i}.test"][0]).segment = segment
    session.flush()
    assert FacetRepository(session).counts(LeadFilter(), ["segment"])["segment"] == [
        ("a", 2), ("b", 2), (None, 2), ("c", 1)]


def test_an_empty_table_and_an_unknown_facet(session: Session) -> None:
    repo = FacetRepository(session)
    assert repo.counts(LeadFilter(), ["priority", "referral"]) == {"priority": [], "referral": []}
    assert repo.counts(LeadFilter(), []) == {}
    with pytest.raises(InputError, match="unknown facet 'score'"):
        repo.counts(LeadFilter(), ["priority", "score"])


def _empty(name: str) -> Any:
    return next(f.default for f in fields(LeadFilter) if f.name == name)


def _as_filter(field: str, value: str) -> Any:
    if field == "priority":
        return (value,)
    if field == "referral":
        return value == "true"
    return value
