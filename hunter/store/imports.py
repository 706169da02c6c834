"""Import batches: one per imported file, with every row's outcome for the import report.

Nothing here commits; the import flow owns the transaction (it may commit per chunk so a
long import shows progress).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .models import ImportBatch, ImportRow

CHUNK = 1000
OUTCOMES = ("imported", "duplicate", "rejected")


@dataclass(frozen=True, slots=True)
class ImportRowInput:
    row: int                        # row number in the file (1 = first data row)
    value: str                      # the text as read
    outcome: str                    # imported, duplicate, rejected
    reason: str | None = None       # why rejected / what it duplicated
    lead_id: int | None = None


class ImportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def start(self, source: str) -> ImportBatch:
        """A new batch in state ``running`` (flushed: it has its id)."""
        batch = ImportBatch(source=source, created_at=datetime.now(UTC), status="running",
                            imported=0, duplicates=0, rejected=0)
        self.session.add(batch)
        self.session.flush()
        return batch

    def add_rows(self, batch_id: int, rows: Iterable[ImportRowInput]) -> int:
        """Bulk-insert row outcomes (executemany in chunks); returns how many were added."""
        added, chunk = 0, []
        for row in rows:
            if row.outcome not in OUTCOMES:
                raise ValueError(f"unknown outcome {row.outcome!r}")
            chunk.append({"batch_id": batch_id, **asdict(row)})
            if len(chunk) == CHUNK:
                added += self._insert(chunk)
                chunk = []
        return added + self._insert(chunk)

    def _insert(self, chunk: list[dict[str, object]]) -> int:
        if chunk:
            self.session.execute(insert(ImportRow), chunk)
        return len(chunk)

    def finish(self, batch: ImportBatch, imported: int, duplicates: int, rejected: int,
               status: str = "done", error: str | None = None) -> ImportBatch:
        """Record the counts and the final status (``done`` or ``failed``)."""
        batch.imported, batch.duplicates, batch.rejected = imported, duplicates, rejected
        batch.status, batch.error = status, error
        batch.finished_at = datetime.now(UTC)
        self.session.flush()
        return batch

    def get(self, batch_id: int) -> ImportBatch | None:
        return self.session.get(ImportBatch, batch_id)

    def rows(self, batch_id: int, outcome: str | None = None, limit: int = 100,
             offset: int = 0) -> Sequence[ImportRow]:
        """The batch's rows in file order, optionally only one ``outcome``."""
        stmt = select(ImportRow).where(ImportRow.batch_id == batch_id)
        if outcome is not None:
            stmt = stmt.where(ImportRow.outcome == outcome)
        return self.session.scalars(stmt.order_by(ImportRow.row, ImportRow.id)
                                    .limit(limit).offset(offset)).all()


__all__ = ["OUTCOMES", "ImportRepository", "ImportRowInput"]
