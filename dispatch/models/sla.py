"""Promises at risk and what customers are told: escalations raised level by level, and an
outbox of notifications that a sender (SMS, e-mail, app push) drains."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.models.base import Base, utcnow


class Escalation(Base):
    """One level raised for one promise of one job: level 1 (at risk, the dispatcher acts),
    level 2 (breached, a manager is told). ``kind`` is the promise watched: the response
    deadline, the resolution deadline, or a return visit an incomplete job waits for. Unique
    per job, kind and level, so watching twice raises nothing new."""

    __tablename__ = "escalation"
    __table_args__ = (UniqueConstraint("job_id", "kind", "level", name="once_per_level"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="response", server_default="response")
    level: Mapped[int]
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[datetime]
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A customer-facing change, written in the same transaction as the change itself (the
    transactional-outbox pattern): nothing is announced that did not happen, nothing lost."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(40))  # job.status | job.eta
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)


class SurveyResponse(Base):
    """The follow-up call after a visit: satisfaction (1–5) and likelihood to recommend (0–10)."""

    __tablename__ = "survey_response"
    __table_args__ = (
        CheckConstraint("csat BETWEEN 1 AND 5", name="csat_range"),
        CheckConstraint("nps BETWEEN 0 AND 10", name="nps_range"),
    )
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), primary_key=True)
    csat: Mapped[int]
    nps: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
