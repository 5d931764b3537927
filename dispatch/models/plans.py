"""Stored plans: one per territory-day run, its routes, visits and the jobs it left out."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base, str_enum, utcnow


class PlanStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE_RUN = "status IN ('queued', 'running')"
"""A run not yet ended: at most one per territory-day (the database holds it)."""


class PlanRun(Base):
    """A planning request: it can take a minute, so callers poll its status and progress."""

    __tablename__ = "plan_run"
    __table_args__ = (
        Index(
            "uq_plan_run_active",
            "territory_id",
            "day",
            unique=True,
            sqlite_where=text(ACTIVE_RUN),
            postgresql_where=text(ACTIVE_RUN),
        ),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"), index=True)
    day: Mapped[date]
    days: Mapped[int] = mapped_column(default=1, server_default=text("1"))  # horizon: day, day + 1, ...
    as_of: Mapped[datetime | None]  # in-day re-planning: the moment the plan starts from
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus), default=RunStatus.QUEUED)
    progress: Mapped[float] = mapped_column(default=0.0)
    best_objective: Mapped[int | None] = mapped_column(BigInteger)  # penalties exceed 2**31
    message: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    # Who holds it ("host:pid": the process that queued it, then the worker executing it) and
    # when it last said so: a run whose process is gone is failed by the stale-run sweep
    # (dispatch/run_watch.py).
    worker: Mapped[str] = mapped_column(String(120), default="", server_default="")
    heartbeat_at: Mapped[datetime | None]


class Plan(Base):
    __tablename__ = "plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    days: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus), default=PlanStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    objective: Mapped[int] = mapped_column(BigInteger, default=0)
    kpis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    solve_seconds: Mapped[float] = mapped_column(default=0.0)

    routes: Mapped[list[Route]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Route.id"
    )
    unassigned: Mapped[list[UnassignedJob]] = relationship(cascade="all, delete-orphan")


class Route(Base):
    __tablename__ = "route"
    __table_args__ = (UniqueConstraint("plan_id", "shift_id", name="one_per_shift"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"))
    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineer.id"), index=True)
    start: Mapped[datetime]
    end: Mapped[datetime]
    travel_seconds: Mapped[int]
    distance_m: Mapped[int]
    # Bumped by every change after the solver wrote it (booking, manual move): concurrent
    # writers update "where version = what I read", so one of two racing bookings loses.
    version: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    plan: Mapped[Plan] = relationship(back_populates="routes")
    visits: Mapped[list[Visit]] = relationship(
        back_populates="route", cascade="all, delete-orphan", order_by="Visit.seq"
    )


class Visit(Base):
    """A stop on a route: a job (with its ETA), the lunch break, or a depot stop for parts."""

    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("route_id", "seq", name="route_order"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))  # "job" | "break" | "depot"
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"), index=True)
    # A depot stop: where, and what the van loads there ({"parts": {sku: qty}, and
    # "transfer_from": depot code when the stock arrives there by transfer}).
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("depot.id"))
    loads: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    collected_at: Mapped[datetime | None]  # when the engineer made the depot stop
    arrival: Mapped[datetime]
    start: Mapped[datetime]
    end: Mapped[datetime]
    waiting_seconds: Mapped[int] = mapped_column(default=0)
    late_seconds: Mapped[int] = mapped_column(default=0)

    route: Mapped[Route] = relationship(back_populates="visits")


class UnassignedJob(Base):
    __tablename__ = "plan_unassigned"
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
