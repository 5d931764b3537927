"""one active run per territory-day, run heartbeats, idempotency keys per caller

Revision ID: 0011
Revises: 0010
Created: 2026-12-02 14:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dispatch.models.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ACTIVE_RUN = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_booking_idempotency_key"), type_="unique")
        batch_op.create_unique_constraint("one_key_per_caller", ["created_by", "idempotency_key"])

    # Runs left queued or running by a server that stopped for this upgrade will never finish
    # (and two of one territory-day would stop the index below): they end here, with the reason.
    op.execute(
        "UPDATE plan_run SET status = 'failed', "
        "message = 'interrupted: the server stopped before the run finished (schema upgrade)' "
        "WHERE status IN ('queued', 'running')"
    )
    with op.batch_alter_table("plan_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("worker", sa.String(length=120), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("heartbeat_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "uq_plan_run_active",
            ["territory_id", "day"],
            unique=True,
            sqlite_where=ACTIVE_RUN,
            postgresql_where=ACTIVE_RUN,
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_run", schema=None) as batch_op:
        batch_op.drop_index("uq_plan_run_active")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("worker")

    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_constraint("one_key_per_caller", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_booking_idempotency_key"), ["idempotency_key"])
