"""initial schema

Revision ID: 0001
Revises: (none)
Created: 2026-11-23 11:51:56.377198
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dispatch.models.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("on_credit_hold", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("code", name=op.f("uq_customer_code")),
    )
    op.create_table(
        "part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("unit_cost_cents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part")),
        sa.UniqueConstraint("sku", name=op.f("uq_part_sku")),
    )
    op.create_table(
        "sla_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "calendar",
            sa.Enum("24x7", "business_hours", name="calendar", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("business_start_hour", sa.Integer(), nullable=False),
        sa.Column("business_end_hour", sa.Integer(), nullable=False),
        sa.Column("business_days", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "response_minutes > 0 AND resolution_minutes >= response_minutes",
            name=op.f("ck_sla_policy_targets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policy")),
        sa.UniqueConstraint("code", name=op.f("uq_sla_policy_code")),
    )
    op.create_table(
        "territory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_territory")),
        sa.UniqueConstraint("code", name=op.f("uq_territory_code")),
    )
    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("sla_policy_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_contract_dates")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_contract_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["sla_policy_id"], ["sla_policy.id"], name=op.f("fk_contract_sla_policy_id_sla_policy")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
        sa.UniqueConstraint("code", name=op.f("uq_contract_code")),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "depot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("address", sa.String(length=240), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territory.id"], name=op.f("fk_depot_territory_id_territory")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depot")),
        sa.UniqueConstraint("code", name=op.f("uq_depot_code")),
    )
    with op.batch_alter_table("depot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_depot_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "engineer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("home_lat", sa.Double(), nullable=False),
        sa.Column("home_lon", sa.Double(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "home_lat BETWEEN -90 AND 90 AND home_lon BETWEEN -180 AND 180",
            name=op.f("ck_engineer_home_on_earth"),
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territory.id"], name=op.f("fk_engineer_territory_id_territory")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engineer")),
        sa.UniqueConstraint("code", name=op.f("uq_engineer_code")),
    )
    with op.batch_alter_table("engineer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_engineer_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "published", "superseded", name="planstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("objective", sa.Integer(), nullable=False),
        sa.Column("kpis", sa.JSON(), nullable=False),
        sa.Column("solve_seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territory.id"], name=op.f("fk_plan_territory_id_territory")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
    )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=240), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.CheckConstraint(
            "lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name=op.f("ck_site_on_earth")
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_site_customer_id_customer")),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territory.id"], name=op.f("fk_site_territory_id_territory")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("code", name=op.f("uq_site_code")),
    )
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_site_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("warranty_end", sa.Date(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"], name=op.f("fk_asset_contract_id_contract")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_asset_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
        sa.UniqueConstraint("serial", name=op.f("uq_asset_serial")),
    )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_site_id"), ["site_id"], unique=False)

    op.create_table(
        "engineer_skill",
        sa.Column("engineer_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_engineer_skill_level_range")),
        sa.ForeignKeyConstraint(
            ["engineer_id"],
            ["engineer.id"],
            name=op.f("fk_engineer_skill_engineer_id_engineer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("engineer_id", "skill", name=op.f("pk_engineer_skill")),
    )
    op.create_table(
        "plan_run",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued", "running", "succeeded", "failed", name="runstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Double(), nullable=False),
        sa.Column("best_objective", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_plan_run_plan_id_plan")),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territory.id"], name=op.f("fk_plan_run_territory_id_territory")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_run")),
    )
    with op.batch_alter_table("plan_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_run_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engineer_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("break_earliest", dispatch.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("break_latest_end", dispatch.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("break_minutes", sa.Integer(), nullable=False),
        sa.Column("max_jobs", sa.Integer(), nullable=True),
        sa.CheckConstraint('"end" > start', name=op.f("ck_shift_ends_after_start")),
        sa.CheckConstraint("break_minutes >= 0", name=op.f("ck_shift_break_not_negative")),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["engineer.id"], name=op.f("fk_shift_engineer_id_engineer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift")),
        sa.UniqueConstraint("engineer_id", "day", name="one_per_day"),
    )
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_engineer_id"), ["engineer_id"], unique=False)

    op.create_table(
        "stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("depot_id", sa.Integer(), nullable=True),
        sa.Column("engineer_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.CheckConstraint("(depot_id IS NULL) <> (engineer_id IS NULL)", name=op.f("ck_stock_one_place")),
        sa.CheckConstraint(
            "quantity >= 0 AND reserved >= 0 AND reserved <= quantity", name=op.f("ck_stock_quantities")
        ),
        sa.ForeignKeyConstraint(["depot_id"], ["depot.id"], name=op.f("fk_stock_depot_id_depot")),
        sa.ForeignKeyConstraint(["engineer_id"], ["engineer.id"], name=op.f("fk_stock_engineer_id_engineer")),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_stock_part_id_part")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock")),
    )
    with op.batch_alter_table("stock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_depot_id"), ["depot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_engineer_id"), ["engineer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_part_id"), ["part_id"], unique=False)
        batch_op.create_index(
            "uq_stock_part_depot",
            ["part_id", "depot_id"],
            unique=True,
            sqlite_where=sa.text("depot_id IS NOT NULL"),
            postgresql_where=sa.text("depot_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_stock_part_van",
            ["part_id", "engineer_id"],
            unique=True,
            sqlite_where=sa.text("engineer_id IS NOT NULL"),
            postgresql_where=sa.text("engineer_id IS NOT NULL"),
        )

    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("reported_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sla_policy_id", sa.Integer(), nullable=True),
        sa.Column("response_deadline", dispatch.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution_deadline", dispatch.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column(
            "status",
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
        sa.Column("incomplete_reason", sa.String(length=40), nullable=True),
        sa.Column("engineer_id", sa.Integer(), nullable=True),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("created_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_job_positive_duration")),
        sa.CheckConstraint("priority BETWEEN 0 AND 100", name=op.f("ck_job_priority_range")),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_job_asset_id_asset")),
        sa.ForeignKeyConstraint(["engineer_id"], ["engineer.id"], name=op.f("fk_job_engineer_id_engineer")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_job_site_id_site")),
        sa.ForeignKeyConstraint(
            ["sla_policy_id"], ["sla_policy.id"], name=op.f("fk_job_sla_policy_id_sla_policy")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
        sa.UniqueConstraint("code", name=op.f("uq_job_code")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_engineer_id"), ["engineer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_status"), ["status"], unique=False)

    op.create_table(
        "route",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("engineer_id", sa.Integer(), nullable=False),
        sa.Column("start", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("travel_seconds", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["engineer_id"], ["engineer.id"], name=op.f("fk_route_engineer_id_engineer")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_route_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["shift_id"], ["shift.id"], name=op.f("fk_route_shift_id_shift")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route")),
        sa.UniqueConstraint("plan_id", "shift_id", name="one_per_shift"),
    )
    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_route_engineer_id"), ["engineer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_route_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "job_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("at", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column(
            "from_status",
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
            nullable=True,
        ),
        sa.Column(
            "to_status",
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
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_job_event_job_id_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_event")),
    )
    with op.batch_alter_table("job_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_event_job_id"), ["job_id"], unique=False)

    op.create_table(
        "job_part",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_job_part_positive_quantity")),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_job_part_job_id_job"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_job_part_part_id_part")),
        sa.PrimaryKeyConstraint("job_id", "part_id", name=op.f("pk_job_part")),
    )
    op.create_table(
        "job_skill",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=40), nullable=False),
        sa.Column("min_level", sa.Integer(), nullable=False),
        sa.CheckConstraint("min_level BETWEEN 1 AND 5", name=op.f("ck_job_skill_level_range")),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_job_skill_job_id_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "skill", name=op.f("pk_job_skill")),
    )
    op.create_table(
        "job_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("start", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('"end" > start', name=op.f("ck_job_window_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_job_window_job_id_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_window")),
    )
    with op.batch_alter_table("job_window", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_window_job_id"), ["job_id"], unique=False)

    op.create_table(
        "plan_unassigned",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_plan_unassigned_job_id_job")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_unassigned_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("plan_id", "job_id", name=op.f("pk_plan_unassigned")),
    )
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("arrival", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("start", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("waiting_seconds", sa.Integer(), nullable=False),
        sa.Column("late_seconds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_visit_job_id_job")),
        sa.ForeignKeyConstraint(
            ["route_id"], ["route.id"], name=op.f("fk_visit_route_id_route"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
        sa.UniqueConstraint("route_id", "seq", name="route_order"),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_route_id"), ["route_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_route_id"))
        batch_op.drop_index(batch_op.f("ix_visit_job_id"))

    op.drop_table("visit")
    op.drop_table("plan_unassigned")
    with op.batch_alter_table("job_window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_window_job_id"))

    op.drop_table("job_window")
    op.drop_table("job_skill")
    op.drop_table("job_part")
    with op.batch_alter_table("job_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_event_job_id"))

    op.drop_table("job_event")
    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_route_plan_id"))
        batch_op.drop_index(batch_op.f("ix_route_engineer_id"))

    op.drop_table("route")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_status"))
        batch_op.drop_index(batch_op.f("ix_job_site_id"))
        batch_op.drop_index(batch_op.f("ix_job_engineer_id"))

    op.drop_table("job")
    with op.batch_alter_table("stock", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_stock_part_van",
            sqlite_where=sa.text("engineer_id IS NOT NULL"),
            postgresql_where=sa.text("engineer_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_stock_part_depot",
            sqlite_where=sa.text("depot_id IS NOT NULL"),
            postgresql_where=sa.text("depot_id IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_stock_part_id"))
        batch_op.drop_index(batch_op.f("ix_stock_engineer_id"))
        batch_op.drop_index(batch_op.f("ix_stock_depot_id"))

    op.drop_table("stock")
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_engineer_id"))

    op.drop_table("shift")
    with op.batch_alter_table("plan_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_run_territory_id"))

    op.drop_table("plan_run")
    op.drop_table("engineer_skill")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_site_id"))
        batch_op.drop_index(batch_op.f("ix_asset_contract_id"))

    op.drop_table("asset")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_territory_id"))
        batch_op.drop_index(batch_op.f("ix_site_customer_id"))

    op.drop_table("site")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_territory_id"))
        batch_op.drop_index(batch_op.f("ix_plan_day"))

    op.drop_table("plan")
    with op.batch_alter_table("engineer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engineer_territory_id"))

    op.drop_table("engineer")
    with op.batch_alter_table("depot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_depot_territory_id"))

    op.drop_table("depot")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_customer_id"))

    op.drop_table("contract")
    op.drop_table("territory")
    op.drop_table("sla_policy")
    op.drop_table("part")
    op.drop_table("customer")
