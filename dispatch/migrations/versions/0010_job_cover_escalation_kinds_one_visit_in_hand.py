"""job cover and billable, escalation kinds, one visit in hand per engineer

Revision ID: 0010
Revises: 0009
Created: 2026-12-02 12:48:51.128389
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ACTIVE_VISIT = sa.text("status IN ('en_route', 'on_site')")


def upgrade() -> None:
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), server_default="response", nullable=False)
        )
        batch_op.drop_constraint("once_per_level", type_="unique")
        batch_op.create_unique_constraint("once_per_level", ["job_id", "kind", "level"])

    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cover", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("contract_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("billable", sa.Boolean(), nullable=True))
        batch_op.create_index(
            "uq_job_active_visit",
            ["engineer_id"],
            unique=True,
            sqlite_where=ACTIVE_VISIT,
            postgresql_where=ACTIVE_VISIT,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_job_contract_id_contract"), "contract", ["contract_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_job_contract_id_contract"), type_="foreignkey")
        batch_op.drop_index("uq_job_active_visit")
        batch_op.drop_column("billable")
        batch_op.drop_column("contract_id")
        batch_op.drop_column("cover")

    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_constraint("once_per_level", type_="unique")
        batch_op.create_unique_constraint("once_per_level", ["job_id", "level"])
        batch_op.drop_column("kind")
