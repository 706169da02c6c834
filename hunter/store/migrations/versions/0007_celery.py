"""Celery: delivery attempts per job item, and one row per beat schedule slot.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

- ``job_items.attempts``: how many times a worker started on the item's chunk; an item whose
  chunk keeps killing its worker ends ``failed`` after a few attempts (a poison item) instead of
  being redelivered forever.
- ``schedule_runs``: (schedule name, slot) unique, so the daily sync, the periodic rescan and the
  Dynamics re-push run once per slot even when beat's message is delivered twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job_items") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("slot", sa.String(40), nullable=False),
        sa.Column("job_id", sa.String(36)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_runs"),
        sa.UniqueConstraint("name", "slot", name="uq_schedule_runs_name_slot"),
    )


def downgrade() -> None:
    op.drop_table("schedule_runs")
    with op.batch_alter_table("job_items") as batch:
        batch.drop_column("attempts")
