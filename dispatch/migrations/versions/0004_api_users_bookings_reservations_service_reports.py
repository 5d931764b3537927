"""api users, bookings, reservations, service reports

Revision ID: 0004
Revises: 0003
Created: 2026-11-23 14:12:39.276734
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dispatch.models.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "dispatcher", "agent", "engineer", name="role", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("engineer_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_prefix", sa.String(length=12), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(role = 'engineer') = (engineer_id IS NOT NULL)", name=op.f("ck_api_user_engineer_link")
        ),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["engineer.id"], name=op.f("fk_api_user_engineer_id_engineer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_user")),
        sa.UniqueConstraint("engineer_id", name=op.f("uq_api_user_engineer_id")),
        sa.UniqueConstraint("name", name=op.f("uq_api_user_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_user_token_hash")),
    )
    op.create_table(
        "booking_quote",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("entitlement", sa.JSON(), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_booking_quote_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_quote")),
    )
    with op.batch_alter_table("booking_quote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_quote_site_id"), ["site_id"], unique=False)

    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("quote_id", sa.String(length=36), nullable=False),
        sa.Column("slot_id", sa.String(length=40), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_booking_job_id_job")),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["booking_quote.id"], name=op.f("fk_booking_quote_id_booking_quote")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_booking_idempotency_key")),
        sa.UniqueConstraint("job_id", name=op.f("uq_booking_job_id")),
    )
    op.create_table(
        "part_reservation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("stock_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "reserved", "released", "consumed", name="reservationstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("created_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_part_reservation_positive_quantity")),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_part_reservation_job_id_job"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["stock_id"], ["stock.id"], name=op.f("fk_part_reservation_stock_id_stock")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_reservation")),
    )
    with op.batch_alter_table("part_reservation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_part_reservation_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_part_reservation_stock_id"), ["stock_id"], unique=False)

    op.create_table(
        "service_report",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("engineer_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "new",
                "scheduled",
                "dispatched",
                "en_route",
                "on_site",
                "completed",
                "incomplete",
                "cancelled",
                name="jobstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("work_done", sa.Text(), nullable=False),
        sa.Column("parts_used", sa.JSON(), nullable=False),
        sa.Column("minutes_on_site", sa.Integer(), nullable=False),
        sa.Column("signed_by", sa.String(length=120), nullable=False),
        sa.Column("first_time_fix", sa.Boolean(), nullable=False),
        sa.Column("created_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("minutes_on_site >= 0", name=op.f("ck_service_report_minutes_not_negative")),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["engineer.id"], name=op.f("fk_service_report_engineer_id_engineer")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_service_report_job_id_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_service_report")),
    )
    with op.batch_alter_table("service_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_report_engineer_id"), ["engineer_id"], unique=False)

    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("service_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_report_engineer_id"))

    op.drop_table("service_report")
    with op.batch_alter_table("part_reservation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_part_reservation_stock_id"))
        batch_op.drop_index(batch_op.f("ix_part_reservation_job_id"))

    op.drop_table("part_reservation")
    op.drop_table("booking")
    with op.batch_alter_table("booking_quote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_quote_site_id"))

    op.drop_table("booking_quote")
    op.drop_table("api_user")
