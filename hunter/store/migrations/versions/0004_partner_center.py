"""Partner Center referrals, sync runs, and the lead's referral count.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

- ``pc_referrals``: one row per referral id (unique), the fields people filter on, the company
  domain derived from the customer's contacts and how, the raw JSON, first/last synced times and
  the lead it is linked to (``SET NULL`` when the lead is deleted: the referral stays).
- ``pc_sync_runs``: one row per sync run: mode, counts, watermark before/after, outcome, reason.
- ``leads.pc_referral_count`` and ``leads.pc_referral_state`` (the latest referral's
  "Status/Substatus"): kept by the sync so the lead list filters ``referral=true|false`` on an
  indexed column and exports show the state without a join.  Both backends (SQLite through a batch ALTER).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")   # JSONB on PostgreSQL
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pc_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(64), nullable=False),
        sa.Column("engagement_id", sa.String(64)),
        sa.Column("name", sa.String(300)),
        sa.Column("status", sa.String(30)),
        sa.Column("substatus", sa.String(30)),
        sa.Column("type", sa.String(30)),
        sa.Column("qualification", sa.String(30)),
        sa.Column("direction", sa.String(30)),
        sa.Column("customer_name", sa.String(300)),
        sa.Column("customer_country", sa.String(10)),
        sa.Column("customer_size", sa.String(40)),
        sa.Column("domain", sa.String(253)),
        sa.Column("domain_source", sa.String(20)),
        sa.Column("domain_reason", sa.Text()),
        sa.Column("deal_value", sa.Float()),
        sa.Column("currency", sa.String(3)),
        sa.Column("created", TIMESTAMP),
        sa.Column("updated", TIMESTAMP),
        sa.Column("updated_text", sa.String(40)),
        sa.Column("raw", JSON, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("first_synced_at", TIMESTAMP, nullable=False),
        sa.Column("last_synced_at", TIMESTAMP, nullable=False),
        sa.Column("lead_id", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name="pk_pc_referrals"),
        sa.UniqueConstraint("referral_id", name="uq_pc_referrals_referral_id"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_pc_referrals_lead_id_leads",
                                ondelete="SET NULL"),
    )
    op.create_index("ix_pc_referrals_lead", "pc_referrals", ["lead_id", "updated"])
    op.create_index("ix_pc_referrals_domain", "pc_referrals", ["domain"])
    op.create_index("ix_pc_referrals_status", "pc_referrals", ["status", "updated"])
    op.create_table(
        "pc_sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("trigger", sa.String(20)),
        sa.Column("job_id", sa.String(36)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text()),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in (
            "pages", "fetched", "created", "updated", "unchanged", "errors", "leads_created",
            "leads_linked")),
        sa.Column("watermark_before", sa.String(40)),
        sa.Column("watermark_after", sa.String(40)),
        sa.Column("request_ids", JSON, nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pc_sync_runs"),
    )
    op.create_index("ix_pc_sync_runs_status", "pc_sync_runs", ["status", "id"])
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("pc_referral_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("pc_referral_state", sa.String(61), nullable=True))
        batch.create_index("ix_leads_pc_referral_count", ["pc_referral_count"])


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.drop_index("ix_leads_pc_referral_count")
        batch.drop_column("pc_referral_state")
        batch.drop_column("pc_referral_count")
    op.drop_index("ix_pc_sync_runs_status", table_name="pc_sync_runs")
    op.drop_table("pc_sync_runs")
    for name in ("ix_pc_referrals_status", "ix_pc_referrals_domain", "ix_pc_referrals_lead"):
        op.drop_index(name, table_name="pc_referrals")
    op.drop_table("pc_referrals")
