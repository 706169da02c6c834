"""hunter/store/imports.py: batches and their per-row outcomes."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from hunter.store.imports import ImportRepository, ImportRowInput
from hunter.store.leads import LeadRepository


def outcome(row: int) -> str:
    return "rejected" if row % 10 == 0 else "duplicate" if row % 7 == 0 else "imported"


def test_a_batch_from_start_to_finish(session: Session) -> None:
    imports = ImportRepository(session)
    batch = imports.start("leads.xlsx")
    assert batch.id is not None and batch.status == "running" and batch.finished_at is None
    lead, _ = LeadRepository(session).upsert("acme.com.tr")
    rows = (ImportRowInput(row=n, value=f"d{n}.com", outcome=outcome(n),
                           reason="not a domain" if outcome(n) == "rejected" else None,
                           lead_id=None if outcome(n) == "rejected" else lead.id)
            for n in range(1, 2501))
    assert imports.add_rows(batch.id, rows) == 2500
    done = imports.finish(batch, 2500 - 250 - 322, 322, 250)
    assert imports.get(batch.id) is done
    assert (done.status, done.imported, done.duplicates, done.rejected, done.error) == ("done", 1928, 322, 250, None)
    assert done.finished_at is not None


def test_rows_by_outcome_in_file_order_with_paging(session: Session) -> None:
    imports = ImportRepository(session)
    batch = imports.start("leads.csv")
    other = imports.start("other.csv")
    imports.add_rows(other.id, [ImportRowInput(row=1, value="x", outcome="rejected", reason="empty")])
    imports.add_rows(batch.id, [ImportRowInput(row=n, value=f"v{n}", outcome=outcome(n),
                                               reason=f"r{n}" if outcome(n) == "rejected" else None)
                                for n in reversed(range(1, 101))])
    assert [r.row for r in imports.rows(batch.id, limit=5)] == [1, 2, 3, 4, 5]
    rejected = imports.rows(batch.id, outcome="rejected", limit=3, offset=2)
    assert [(r.row, r.value, r.reason) for r in rejected] == [(30, "v30", "r30"), (40, "v40", "r40"),
                                                               (50, "v50", "r50")]
    assert len(imports.rows(batch.id, outcome="duplicate", limit=1000)) == 13
    assert len(imports.rows(batch.id, limit=1000)) == 100


def test_a_failed_batch_keeps_its_error(session: Session) -> None:
    imports = ImportRepository(session)
    batch = imports.finish(imports.start("broken.xlsx"), 0, 0, 0, "failed", "not an Excel file")
    assert (batch.status, batch.error) == ("failed", "not an Excel file")
    assert imports.get(batch.id + 1) is None


def test_an_unknown_outcome_is_refused(session: Session) -> None:
    imports = ImportRepository(session)
    with pytest.raises(ValueError):
        imports.add_rows(imports.start("x").id, [ImportRowInput(row=1, value="x", outcome="maybe")])
