"""sla calendars: weekly hours and holidays

Revision ID: 0007
Revises: 0006
Created: 2026-11-23 15:21:42.577330
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sla_policy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("weekly_hours", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("holidays", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sla_policy", schema=None) as batch_op:
        batch_op.drop_column("holidays")
        batch_op.drop_column("weekly_hours")
