"""multi-day planning horizon

Revision ID: 0003
Revises: 0002
Created: 2026-11-23 12:29:49.277849
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("days", sa.Integer(), server_default=sa.text("1"), nullable=False))

    with op.batch_alter_table("plan_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("days", sa.Integer(), server_default=sa.text("1"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("plan_run", schema=None) as batch_op:
        batch_op.drop_column("days")

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("days")
