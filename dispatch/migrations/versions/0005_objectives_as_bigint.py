"""objectives as 64-bit integers

Large territory-days have solver objectives beyond 2**31 (SLA penalties and dropped-job
costs); PostgreSQL refused them in a 32-bit column. SQLite's INTEGER was already 64-bit.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.alter_column(
            "objective", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )
    with op.batch_alter_table("plan_run", schema=None) as batch_op:
        batch_op.alter_column(
            "best_objective", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_run", schema=None) as batch_op:
        batch_op.alter_column(
            "best_objective", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True
        )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.alter_column(
            "objective", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
