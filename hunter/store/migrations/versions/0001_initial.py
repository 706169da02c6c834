"""Initial schema: leads, scans, change events, imports, jobs, API tokens.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Hand-written to mirror ``hunter/store/models.py`` exactly (a test compares the migrated
database with the models on SQLite and PostgreSQL).  Types are spelled out here rather than
imported from the models, so this revision keeps meaning what it meant when later revisions
change the models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")   # JSONB on PostgreSQL
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    _leads()
    _scans()
    # leads.last_scan_id -> scans.id closes a cycle, so it is added once both tables exist
    # (batch mode: SQLite cannot ALTER TABLE … ADD CONSTRAINT, so it copies the empty table).
    with op.batch_alter_table("leads") as batch:
        batch.create_foreign_key("fk_leads_last_scan", "scans", ["last_scan_id"], ["id"])
    _lead_indexes()
    _change_events()
    _imports()
    _jobs()
    _api_tokens()


def downgrade() -> None:
    for table in ("api_tokens", "job_items", "jobs", "import_rows", "import_batches",
                  "change_events"):
        op.drop_table(table)
    with op.batch_alter_table("leads") as batch:
        batch.drop_constraint("fk_leads_last_scan", type_="foreignkey")
    op.drop_table("scans")
    op.drop_table("leads")


def _leads() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("company", sa.String(300), nullable=True),
        sa.Column("source", sa.String(300), nullable=True),
        sa.Column("contacts", JSON, nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("last_scan_id", sa.Integer(), nullable=True),
        sa.Column("scanned_at", TIMESTAMP, nullable=True),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("provider_key", sa.String(60), nullable=True),
        sa.Column("provider_kind", sa.String(20), nullable=True),
        sa.Column("local_provider", sa.String(100), nullable=True),
        sa.Column("gateway_key", sa.String(60), nullable=True),
        sa.Column("segment", sa.String(30), nullable=True),
        sa.Column("priority", sa.String(2), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("tenant_size", sa.String(20), nullable=True),
        sa.Column("m365_tenant", sa.String(253), nullable=True),
        sa.Column("dmarc_policy", sa.String(20), nullable=True),
        sa.Column("rules_version", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_leads"),
        sa.UniqueConstraint("domain", name="uq_leads_domain"),
    )


def _lead_indexes() -> None:
    for name, columns in (
        ("ix_leads_priority_score", ["priority", "score", "id"]),
        ("ix_leads_score", ["score", "id"]),
        ("ix_leads_provider_key", ["provider_key", "score"]),
        ("ix_leads_provider_kind", ["provider_kind", "score"]),
        ("ix_leads_segment", ["segment", "score"]),
        ("ix_leads_gateway_key", ["gateway_key"]),
        ("ix_leads_local_provider", ["local_provider"]),
        ("ix_leads_status", ["status"]),
        ("ix_leads_tenant_size", ["tenant_size"]),
        ("ix_leads_scanned_at", ["scanned_at"]),
        ("ix_leads_company", ["company"]),
    ):
        op.create_index(name, "leads", columns)


def _scans() -> None:
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("scanned_at", TIMESTAMP, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("rules_version", sa.String(100), nullable=True),
        sa.Column("job_id", sa.String(36), nullable=True),
        sa.Column("analysis", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scans"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_scans_lead_id_leads",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_scans_lead_id", "scans", ["lead_id"])
    op.create_index("ix_scans_job_id", "scans", ["job_id"])


def _change_events() -> None:
    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_change_events"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_change_events_lead_id_leads",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name="fk_change_events_scan_id_scans",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_change_events_lead", "change_events", ["lead_id", "id"])


def _imports() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_import_batches"),
    )
    op.create_table(
        "import_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_import_rows"),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"],
                                name="fk_import_rows_batch_id_import_batches", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_import_rows_lead_id_leads",
                                ondelete="SET NULL"),
    )
    op.create_index("ix_import_rows_batch", "import_rows", ["batch_id", "row"])


def _jobs() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )
    op.create_index("ix_jobs_status", "jobs", ["status", "created_at"])
    op.create_table(
        "job_items",
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("job_id", "seq", name="pk_job_items"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_job_items_job_id_jobs",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name="fk_job_items_lead_id_leads",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_job_items_pending", "job_items", ["job_id", "state", "seq"])


def _api_tokens() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
