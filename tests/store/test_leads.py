"""hunter/store/leads.py: idempotent upserts, every filter, every sort, both paginations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hunter.errors import InputError
from hunter.store.leads import SORTS, LeadFilter, LeadInput, LeadRepository, PageRequest
from hunter.store.models import Lead

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PROVIDERS = [("microsoft365", "cloud_suite"), ("google", "cloud_suite"), ("turhost", "local_hosting"),
             ("self", "self_hosted"), (None, None)]


def verdict(i: int) -> dict[str, Any]:
    """Deterministic, varied verdicts with NULLs and many ties (scores, companies)."""
    scanned = i % 10 != 0
    key, kind = PROVIDERS[i % 5]
    return {
        "company": None if i % 9 == 0 else f"Company {i % 50:02d}",
        "score": (i * 37) % 101 if scanned else None,
        "priority": f"P{1 + i % 6}" if scanned else None,
        "provider_key": key if scanned else None, "provider_kind": kind if scanned else None,
        "gateway_key": {0: "mimecast", 1: "proofpoint"}.get(i % 7) if scanned else None,
        "local_provider": "Turhost" if scanned and i % 5 == 2 else None,
        "segment": ["smb", "mid", "enterprise"][i % 3] if scanned else None,
        "tenant_size": ["small", "medium", "large"][i % 4 % 3] if scanned else None,
        "status": ("nxdomain" if i % 11 == 0 else "ok") if scanned else None,
        "scanned_at": NOW - timedelta(days=i % 40, minutes=i) if scanned else None,
    }


@pytest.fixture
def leads(session: Session) -> list[dict[str, Any]]:
    """250 leads with verdicts; returns their plain values (with ``id``) for expectations."""
    repo = LeadRepository(session)
    ids = repo.upsert_many([LeadInput(f"lead{i:03d}.com.tr") for i in range(250)])
    plain = []
    for i in range(250):
        lead = session.get(Lead, ids[f"lead{i:03d}.com.tr"][0])
        for name, value in verdict(i).items():
            setattr(lead, name, value)
        plain.append({"id": lead.id, "domain": lead.domain, **verdict(i)})
    session.flush()
    return plain


# --- upsert ------------------------------------------------------------------------------------

def test_upsert_twice_gives_the_same_lead_and_merges(session: Session) -> None:
    repo = LeadRepository(session)
    first, created = repo.upsert("Example.COM.", source="a.csv", tags=["x", "y"],
                                 contacts=[{"email": "A@Example.com", "name": "Ayşe"}])
    assert created and first.domain == "example.com" and first.company is None
    again, created = repo.upsert("example.com", company="Örnek A.Ş.", source="b.csv", tags=["y", "z"],
                                 contacts=[{"name": "Ayşe", "email": "a@example.com"}, {"email": "b@example.com"}])
    assert not created and again.id == first.id
    assert again.company == "Örnek A.Ş." and again.source == "a.csv"        # filled only when missing
    assert again.tags == ["x", "y", "z"]
    assert again.contacts == [{"email": "a@example.com", "name": "Ayşe"}, {"email": "b@example.com"}]
    third, _ = repo.upsert("example.com", company="Other")
    assert third.company == "Örnek A.Ş." and third.tags == ["x", "y", "z"]
    assert session.scalar(select(func.count()).select_from(Lead)) == 1


def test_upsert_many_is_idempotent_across_chunks(session: Session) -> None:
    repo = LeadRepository(session)
    rows = [LeadInput(f"d{i}.com", company=f"C{i}", tags=[f"t{i % 3}"]) for i in range(1203)]
    first = repo.upsert_many(rows)
    second = repo.upsert_many(rows)
    assert len(first) == 1203 and all(created for _, created in first.values())
    assert {d: i for d, (i, _) in first.items()} == {d: i for d, (i, _) in second.items()}
    assert not any(created for _, created in second.values())
    assert session.scalar(select(func.count()).select_from(Lead)) == 1203
    assert repo.by_domain("d7.com").tags == ["t1"]


def test_upsert_many_merges_rows_repeating_a_domain(session: Session) -> None:
    result = LeadRepository(session).upsert_many([
        LeadInput("x.com", tags=["a"], contacts=[{"email": "a@x.com"}]),
        LeadInput("X.com", company="X", tags=["b"], contacts=[{"email": "a@x.com"}])])
    lead = LeadRepository(session).get(result["x.com"][0])
    assert list(result) == ["x.com"]
    assert (lead.company, lead.tags, lead.contacts) == ("X", ["a", "b"], [{"email": "a@x.com"}])


def test_a_lead_needs_a_domain(session: Session) -> None:
    with pytest.raises(InputError):
        LeadRepository(session).upsert("  ")


def test_get_and_by_domain(session: Session) -> None:
    repo = LeadRepository(session)
    lead, _ = repo.upsert("acme.com.tr")
    assert repo.get(lead.id) is lead and repo.by_domain("ACME.com.tr") is lead
    assert repo.get(lead.id + 1000) is None and repo.by_domain("nope.com") is None


# --- filters -----------------------------------------------------------------------------------

FILTERS: list[tuple[LeadFilter, Any]] = [
    (LeadFilter(), lambda r: True),
    (LeadFilter(provider_key="google"), lambda r: r["provider_key"] == "google"),
    (LeadFilter(provider_kind="cloud_suite"), lambda r: r["provider_kind"] == "cloud_suite"),
    (LeadFilter(gateway_key="mimecast"), lambda r: r["gateway_key"] == "mimecast"),
    (LeadFilter(gateway=True), lambda r: r["gateway_key"] is not None),
    (LeadFilter(gateway=False), lambda r: r["gateway_key"] is None),
    (LeadFilter(local_provider="Turhost"), lambda r: r["local_provider"] == "Turhost"),
    (LeadFilter(local_provider=False), lambda r: r["local_provider"] is None),
    (LeadFilter(segment="mid"), lambda r: r["segment"] == "mid"),
    (LeadFilter(priority=["P1", "P3"]), lambda r: r["priority"] in ("P1", "P3")),
    (LeadFilter(score_min=40), lambda r: r["score"] is not None and r["score"] >= 40),
    (LeadFilter(score_max=40), lambda r: r["score"] is not None and r["score"] <= 40),
    (LeadFilter(score_min=20, score_max=30), lambda r: r["score"] is not None and 20 <= r["score"] <= 30),
    (LeadFilter(tenant_size="large"), lambda r: r["tenant_size"] == "large"),
    (LeadFilter(status="nxdomain"), lambda r: r["status"] == "nxdomain"),
    (LeadFilter(q="LEAD01"), lambda r: r["domain"].startswith("lead01")),
    (LeadFilter(q="company 07"), lambda r: r["company"] == "Company 07"),
    (LeadFilter(scanned_before=NOW - timedelta(days=30)),
     lambda r: r["scanned_at"] is None or r["scanned_at"] < NOW - timedelta(days=30)),
    (LeadFilter(provider_kind="cloud_suite", priority=["P2"], gateway=False, score_min=10),
     lambda r: r["provider_kind"] == "cloud_suite" and r["priority"] == "P2"
     and r["gateway_key"] is None and r["score"] is not None and r["score"] >= 10),
]


def test_every_filter(session: Session, leads: list[dict[str, Any]], subtests: Any) -> None:
    """One database for all the cases (creating one per case is the slow part)."""
    repo = LeadRepository(session)
    for filters, wanted in FILTERS:
        with subtests.test(filters=filters):
            expected = sorted(r["id"] for r in leads if wanted(r))
            assert 0 < len(expected) < 250 or filters == LeadFilter()    # the case discriminates
            page = repo.list(filters, "domain", PageRequest(limit=1000))
            assert sorted(lead.id for lead in page.items) == expected
            assert page.total == len(expected) == repo.count(filters)
            assert list(repo.ids_matching(filters, batch=7)) == expected


def test_free_text_escapes_like_wildcards(session: Session, leads: list[dict[str, Any]]) -> None:
    repo = LeadRepository(session)
    repo.upsert("percent.com", company="100% Yerli")
    assert [lead.domain for lead in repo.list(LeadFilter(q="0%"), "domain").items] == ["percent.com"]
    assert repo.list(LeadFilter(q="_"), "domain").total == 0


def test_free_text_with_turkish_letters(session: Session) -> None:
    """PostgreSQL ILIKE folds Ş/ş; SQLite LIKE folds ASCII letters only (docs/store.md)."""
    repo = LeadRepository(session)
    repo.upsert("sisecam.com.tr", company="Şişecam A.Ş.")
    repo.upsert("telekom.com.tr", company="Türk Telekom")

    def found(q: str) -> list[str]:
        return [lead.domain for lead in repo.list(LeadFilter(q=q), "domain").items]

    assert found("Şişe") == ["sisecam.com.tr"]           # same case: both backends
    assert found("türk TELEKOM") == ["telekom.com.tr"]   # ASCII letters fold on both
    if session.get_bind().dialect.name == "postgresql":
        assert found("şişe") == ["sisecam.com.tr"]
        assert found("TÜRK") == ["telekom.com.tr"]
    else:
        assert found("şişe") == []
        assert found("TÜRK") == []


# --- sorting and pagination --------------------------------------------------------------------

def expected_order(rows: list[dict[str, Any]], sort: str) -> list[int]:
    def when(r: dict[str, Any]) -> float:
        return (r["scanned_at"] or EPOCH).timestamp()

    keys = {
        "score": lambda r: (r["score"] is None, r["score"] or 0, r["id"]),
        "-score": lambda r: (r["score"] is None, -(r["score"] or 0), r["id"]),
        "priority": lambda r: (r["priority"] is None, r["priority"] or "", r["score"] is None,
                               -(r["score"] or 0), r["id"]),
        "domain": lambda r: (r["domain"], r["id"]),
        "company": lambda r: (r["company"] is None, r["company"] or "", r["id"]),
        "scanned_at": lambda r: (r["scanned_at"] is not None, when(r), r["id"]),
        "-scanned_at": lambda r: (r["scanned_at"] is None, -when(r), r["id"]),
    }
    return [r["id"] for r in sorted(rows, key=keys[sort])]


def walk(repo: LeadRepository, filters: LeadFilter, sort: str, limit: int) -> tuple[list[int], int]:
    """Every id the keyset pages give, and how many pages it took."""
    seen: list[int] = []
    cursor, pages = None, 0
    while True:
        page = repo.list(filters, sort, PageRequest(limit=limit, cursor=cursor, count=False))
        seen += [lead.id for lead in page.items]
        pages += 1
        if (cursor := page.next_cursor) is None:
            return seen, pages


def test_keyset_pages_walk_every_lead_once_in_order(session: Session, leads: list[dict[str, Any]],
                                                     subtests: Any) -> None:
    repo = LeadRepository(session)
    for sort in SORTS:
        with subtests.test(sort=sort):
            seen, pages = walk(repo, LeadFilter(), sort, 17)
            assert pages == 15                  # 250 / 17 rounded up: no empty last page
            assert seen == expected_order(leads, sort)


def test_keyset_pages_with_a_filter(session: Session, leads: list[dict[str, Any]], subtests: Any) -> None:
    repo = LeadRepository(session)
    wanted = [r for r in leads if r["provider_kind"] == "cloud_suite"]
    for sort in SORTS:
        with subtests.test(sort=sort):
            seen, _ = walk(repo, LeadFilter(provider_kind="cloud_suite"), sort, 9)
            assert seen == expected_order(wanted, sort)


def test_offset_pagination(session: Session, leads: list[dict[str, Any]]) -> None:
    repo = LeadRepository(session)
    order = expected_order(leads, "priority")
    page = repo.list(LeadFilter(), "priority", PageRequest(limit=10, offset=20))
    assert [lead.id for lead in page.items] == order[20:30] and page.total == 250
    last = repo.list(LeadFilter(), "priority", PageRequest(limit=10, offset=245))
    assert [lead.id for lead in last.items] == order[245:] and last.next_cursor is None
    uncounted = repo.list(LeadFilter(), "priority", PageRequest(limit=5, count=False))
    assert uncounted.total is None and len(uncounted.items) == 5


def test_stream_yields_every_lead_in_sort_order(session: Session, leads: list[dict[str, Any]]) -> None:
    repo = LeadRepository(session)
    assert [lead.id for lead in repo.stream(LeadFilter(), "-score", batch=16)] == expected_order(leads, "-score")
    gated = [lead.id for lead in repo.stream(LeadFilter(gateway=True), "domain", batch=5)]
    assert gated == expected_order([r for r in leads if r["gateway_key"]], "domain")


def test_bad_sort_and_cursors_are_input_errors(session: Session, leads: list[dict[str, Any]]) -> None:
    repo = LeadRepository(session)
    cursor = repo.list(LeadFilter(), "score", PageRequest(limit=3)).next_cursor
    with pytest.raises(InputError):
        repo.list(LeadFilter(), "-company")
    with pytest.raises(InputError):
        repo.list(LeadFilter(), "domain", PageRequest(cursor=cursor))    # cursor of another sort
    with pytest.raises(InputError):
        repo.list(LeadFilter(), "score", PageRequest(cursor="not-base64!"))
    with pytest.raises(InputError):
        repo.list(LeadFilter(), "score", PageRequest(limit=0))


def test_stream_export_gives_plain_tuples_and_the_analysis_without_omitted_keys(
        session: Session, leads: list[dict[str, Any]], make_analysis: Any) -> None:
    from hunter.store.scans import ScanRepository

    repo = LeadRepository(session)
    scanned = leads[3]["id"]
    ScanRepository(session).add(scanned, make_analysis("lead003.com.tr", gateway="proofpoint"))
    session.flush()
    rows = list(repo.stream_export(("id", "domain", "score"), LeadFilter(), "-score",
                                  omit=("evidence", "google", "no_such_key"), batch=7))
    assert [r[0] for r in rows] == [lead.id for lead in repo.stream(LeadFilter(), "-score")]
    assert len(rows) == len(leads) and ("lead003.com.tr", 72) in [r[1:3] for r in rows if r[0] == scanned]
    analyses = {r[0]: r[-1] for r in rows}
    assert all(v is None for k, v in analyses.items() if k != scanned)
    stored = make_analysis("lead003.com.tr", gateway="proofpoint").model_dump(mode="json")
    assert analyses[scanned] == {k: v for k, v in stored.items() if k not in ("evidence", "google")}
    everything = {r[0]: r[-1] for r in repo.stream_export(("id",), LeadFilter(gateway=True), "domain")}
    assert everything[scanned] == stored
