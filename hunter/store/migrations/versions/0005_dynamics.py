"""Dynamics 365 pushes: the acknowledgement per lead, the push log, and the lead's push state.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

- ``dynamics_pushes``: one row per lead (unique): the Dataverse id, the state (``pending``,
  ``pushed``, ``stale``, ``failed``), the fingerprint of the values last pushed, pushed-at,
  attempts, the last error in plain words with its code and the service's request id.
- ``dynamics_push_log``: one row per attempt (outcome, HTTP status, request id, error).
- ``leads.dynamics_state``: a copy of the state so the lead list filters on an indexed column.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dynamics_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), sa.ForeignKey("leads.id", name="fk_dynamics_pushes_lead_id_leads",
                                                         ondelete="CASCADE"), nullable=False),
        sa.Column("record_id", sa.String(36)),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("pushed_at", TIMESTAMP),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_attempt_at", TIMESTAMP),
        sa.Column("last_error", sa.Text()),
        sa.Column("last_error_code", sa.String(40)),
        sa.Column("last_request_id", sa.String(100)),
        sa.PrimaryKeyConstraint("id", name="pk_dynamics_pushes"),
        sa.UniqueConstraint("lead_id", name="uq_dynamics_pushes_lead_id"),
    )
    op.create_table(
        "dynamics_push_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), sa.ForeignKey("leads.id", name="fk_dynamics_push_log_lead_id_leads",
                                                         ondelete="CASCADE"), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("job_id", sa.String(36)),
        sa.Column("trigger", sa.String(20)),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("record_id", sa.String(36)),
        sa.Column("status_code", sa.Integer()),
        sa.Column("request_id", sa.String(100)),
        sa.Column("error_code", sa.String(40)),
        sa.Column("error", sa.Text()),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("id", name="pk_dynamics_push_log"),
    )
    op.create_index("ix_dynamics_push_log_lead", "dynamics_push_log", ["lead_id", "at"])
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("dynamics_state", sa.String(10), nullable=True))
        batch.create_index("ix_leads_dynamics_state", ["dynamics_state"])


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.drop_index("ix_leads_dynamics_state")
        batch.drop_column("dynamics_state")
    op.drop_index("ix_dynamics_push_log_lead", table_name="dynamics_push_log")
    op.drop_table("dynamics_push_log")
    op.drop_table("dynamics_pushes")
