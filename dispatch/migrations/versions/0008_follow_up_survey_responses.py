"""follow-up survey responses

Revision ID: 0008
Revises: 0007
Created: 2026-11-23 15:23:41.183019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dispatch.models.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_response",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("csat", sa.Integer(), nullable=False),
        sa.Column("nps", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", dispatch.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("csat BETWEEN 1 AND 5", name=op.f("ck_survey_response_csat_range")),
        sa.CheckConstraint("nps BETWEEN 0 AND 10", name=op.f("ck_survey_response_nps_range")),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_survey_response_job_id_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_survey_response")),
    )


def downgrade() -> None:
    op.drop_table("survey_response")
