"""plan run as_of for in-day replanning

Revision ID: 0002
Revises: 0001
Created: 2026-11-23 12:19:52.947620
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dispatch.models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("as_of", dispatch.models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_run", schema=None) as batch_op:
        batch_op.drop_column("as_of")
