"""A lead's scans newest first from one index: (lead_id, id) instead of lead_id alone.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

``ScanRepository.latest`` (asked for every lead a scan stores) is ``WHERE lead_id = ? ORDER BY id
DESC LIMIT 1``. With an index on ``lead_id`` alone, PostgreSQL's planner, its statistics behind a
fast-growing table, walked the primary key backwards filtering on ``lead_id``: for a lead with
no scan yet that reads every scan, so a bulk scan slowed down as it went (27 ms a lead at 66 000
scans). On ``(lead_id, id)`` the answer is the first entry of one range.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_scans_lead", "scans", ["lead_id", "id"])
    op.drop_index("ix_scans_lead_id", table_name="scans")


def downgrade() -> None:
    op.create_index("ix_scans_lead_id", "scans", ["lead_id"])
    op.drop_index("ix_scans_lead", table_name="scans")
