"""IP enrichment rows: the IP addresses behind each lead and what the offline databases said.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

One row per (lead, IP) from the lead's latest scan run with enrichment on; a rescan updates
the rows in place and removes the IPs the lead no longer uses (``store/enrichment.py``).  The
index on ``ip`` answers "which leads sit on this address".  Both backends.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")   # JSONB on PostgreSQL
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ip_enrichment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("roles", JSON, nullable=False),
        sa.Column("facts", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ip_enrichment"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_ip_enrichment_lead_id_leads",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name="fk_ip_enrichment_scan_id_scans"),
        sa.UniqueConstraint("lead_id", "ip", name="uq_ip_enrichment_lead_id_ip"),
    )
    op.create_index("ix_ip_enrichment_ip", "ip_enrichment", ["ip"])


def downgrade() -> None:
    op.drop_index("ix_ip_enrichment_ip", table_name="ip_enrichment")
    op.drop_table("ip_enrichment")
