"""depot stops on routes, transfer lanes, van standard stock

Revision ID: 0009
Revises: 0008
Created: 2026-11-23 16:32:33.478252
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dispatch.models.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stock", schema=None) as batch_op:
        batch_op.add_column(sa.Column("par", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint(batch_op.f("ck_stock_par_not_negative"), "par >= 0")
    op.create_table(
        "depot_lane",
        sa.Column("from_depot_id", sa.Integer(), nullable=False),
        sa.Column("to_depot_id", sa.Integer(), nullable=False),
        sa.Column("lead_minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint("lead_minutes >= 0", name=op.f("ck_depot_lane_lead_not_negative")),
        sa.ForeignKeyConstraint(
            ["from_depot_id"],
            ["depot.id"],
            name=op.f("fk_depot_lane_from_depot_id_depot"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_depot_id"], ["depot.id"], name=op.f("fk_depot_lane_to_depot_id_depot"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("from_depot_id", "to_depot_id", name=op.f("pk_depot_lane")),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("depot_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("loads", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("collected_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(batch_op.f("fk_visit_depot_id_depot"), "depot", ["depot_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("stock", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_stock_par_not_negative"), type_="check")
        batch_op.drop_column("par")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_column("collected_at")
        batch_op.drop_constraint(batch_op.f("fk_visit_depot_id_depot"), type_="foreignkey")
        batch_op.drop_column("loads")
        batch_op.drop_column("depot_id")

    op.drop_table("depot_lane")
