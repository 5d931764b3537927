"""Work orders, what they need, and their history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base, str_enum, utcnow


class JobStatus(StrEnum):
    NEW = "new"
    SCHEDULED = "scheduled"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    INCOMPLETE = "incomplete"
    CANCELLED = "cancelled"


ACTIVE_VISIT = "status IN ('en_route', 'on_site')"
"""An engineer's visit in hand: at most one per engineer (the database holds it)."""


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="positive_duration"),
        CheckConstraint("priority BETWEEN 0 AND 100", name="priority_range"),
        Index(
            "uq_job_active_visit",
            "engineer_id",
            unique=True,
            sqlite_where=text(ACTIVE_VISIT),
            postgresql_where=text(ACTIVE_VISIT),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int]
    reported_at: Mapped[datetime]
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policy.id"))
    response_deadline: Mapped[datetime | None]  # derived from the SLA policy and its calendar
    resolution_deadline: Mapped[datetime | None]
    # The cover decided when the call was logged (contract, warranty, chargeable), kept for billing.
    cover: Mapped[str | None] = mapped_column(String(20))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    billable: Mapped[bool | None]
    priority: Mapped[int] = mapped_column(default=50)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.NEW, index=True)
    incomplete_reason: Mapped[str | None] = mapped_column(String(40))
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineer.id"), index=True)
    pinned: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    skills: Mapped[list[JobSkill]] = relationship(cascade="all, delete-orphan", order_by="JobSkill.skill")
    windows: Mapped[list[JobWindow]] = relationship(cascade="all, delete-orphan", order_by="JobWindow.start")
    parts: Mapped[list[JobPart]] = relationship(cascade="all, delete-orphan")
    events: Mapped[list[JobEvent]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobEvent.id"
    )


class JobSkill(Base):
    __tablename__ = "job_skill"
    __table_args__ = (CheckConstraint("min_level BETWEEN 1 AND 5", name="level_range"),)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(String(40), primary_key=True)
    min_level: Mapped[int] = mapped_column(default=1)


class JobWindow(Base):
    """A customer window: the visit must start inside one of the job's windows."""

    __tablename__ = "job_window"
    __table_args__ = (CheckConstraint('"end" > start', name="ends_after_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime]
    end: Mapped[datetime]


class JobPart(Base):
    __tablename__ = "job_part"
    __table_args__ = (CheckConstraint("quantity > 0", name="positive_quantity"),)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(default=1)


class JobEvent(Base):
    """One status transition: the audit trail a dispatcher and a customer dispute rely on."""

    __tablename__ = "job_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    from_status: Mapped[JobStatus | None] = mapped_column(str_enum(JobStatus))
    to_status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus))
    note: Mapped[str] = mapped_column(Text, default="")

    job: Mapped[Job] = relationship(back_populates="events")


class ServiceReport(Base):
    """What the engineer reports on leaving: kept for billing, first-time-fix and disputes."""

    __tablename__ = "service_report"
    __table_args__ = (CheckConstraint("minutes_on_site >= 0", name="minutes_not_negative"),)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), primary_key=True)
    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineer.id"), index=True)
    outcome: Mapped[JobStatus] = mapped_column(str_enum(JobStatus))  # completed or incomplete
    work_done: Mapped[str] = mapped_column(Text, default="")
    parts_used: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{sku, quantity}]
    minutes_on_site: Mapped[int]
    signed_by: Mapped[str] = mapped_column(String(120), default="")
    first_time_fix: Mapped[bool]  # completed on the job's first on-site visit
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
