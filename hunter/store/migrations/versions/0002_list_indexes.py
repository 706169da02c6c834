"""Indexes that keep the lead list fast at 100 000 leads on PostgreSQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

- One expression index per sort order of ``LeadRepository.list`` (NULL flag, value, id — the
  exact expressions ``store.leads._terms`` renders), so a page is an index walk, not a sort of
  every matching row.
- Trigram (pg_trgm) GIN indexes on domain and company for the free-text filter (``ILIKE
  '%…%'``).
PostgreSQL only: SQLite has no such index types and its lists are small; on SQLite this
revision changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EPOCH = "'1970-01-01 00:00:00+00'::timestamptz"
NULL_LAST = "(CASE WHEN {c} IS NULL THEN 1 ELSE 0 END)"
NULL_FIRST = "(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)"
SCORE_DESC = f"{NULL_LAST.format(c='score')}, coalesce(score, 0) DESC"
SORT_INDEXES = {
    "ix_leads_sort_score": f"{NULL_LAST.format(c='score')}, coalesce(score, 0), id",
    "ix_leads_sort_score_desc": f"{SCORE_DESC}, id",
    "ix_leads_sort_priority": f"{NULL_LAST.format(c='priority')}, coalesce(priority, ''), {SCORE_DESC}, id",
    "ix_leads_sort_company": f"{NULL_LAST.format(c='company')}, coalesce(company, ''), id",
    "ix_leads_sort_scanned": f"{NULL_FIRST.format(c='scanned_at')}, coalesce(scanned_at, {EPOCH}), id",
    "ix_leads_sort_scanned_desc": f"{NULL_LAST.format(c='scanned_at')}, coalesce(scanned_at, {EPOCH}) DESC, id",
}
TRIGRAM_INDEXES = {"ix_leads_domain_trgm": "domain", "ix_leads_company_trgm": "company"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, columns in SORT_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON leads ({columns})")
    for name, column in TRIGRAM_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON leads USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in [*SORT_INDEXES, *TRIGRAM_INDEXES]:
        op.execute(f"DROP INDEX IF EXISTS {name}")
