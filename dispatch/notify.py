"""Customer-facing changes go to the outbox, in the transaction that makes them: a status a
customer cares about, or a new ETA window once a plan is published. A sender drains it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dispatch import models as m

ETA_MARGIN = timedelta(minutes=30)

CUSTOMER_WORDING: dict[m.JobStatus, str] = {
    m.JobStatus.NEW: "We have your request and are arranging a visit.",
    m.JobStatus.SCHEDULED: "Your visit is booked.",
    m.JobStatus.DISPATCHED: "Your visit is booked and on the engineer's route for the day.",
    m.JobStatus.EN_ROUTE: "Your engineer is on the way.",
    m.JobStatus.ON_SITE: "Your engineer is with you.",
    m.JobStatus.COMPLETED: "The work is done.",
    m.JobStatus.INCOMPLETE: "The work needs another visit; we will contact you to arrange it.",
    m.JobStatus.CANCELLED: "The visit is cancelled.",
}

CUSTOMER_FACING = frozenset(
    {
        m.JobStatus.SCHEDULED,
        m.JobStatus.EN_ROUTE,
        m.JobStatus.ON_SITE,
        m.JobStatus.COMPLETED,
        m.JobStatus.INCOMPLETE,
        m.JobStatus.CANCELLED,
    }
)
"""Internal steps (new, dispatched) are not announced: the customer hears nothing new."""


def eta_window(start: datetime, booked: tuple[datetime, datetime] | None) -> tuple[datetime, datetime]:
    """The planned start ± `ETA_MARGIN`, clipped to the booked window when they overlap."""
    lo, hi = start - ETA_MARGIN, start + ETA_MARGIN
    if booked is not None and max(lo, booked[0]) < min(hi, booked[1]):
        lo, hi = max(lo, booked[0]), min(hi, booked[1])
    return lo, hi


def status_changed(session: Session, job: m.Job, status: m.JobStatus, at: datetime) -> None:
    if status not in CUSTOMER_FACING:
        return
    if job.id is None:
        session.flush()
    session.add(
        m.OutboxMessage(
            topic="job.status",
            job_id=job.id,
            payload={"job": job.code, "status": status.value, "message": CUSTOMER_WORDING[status]},
            created_at=at,
        )
    )


def eta_changed(session: Session, job: m.Job, window: tuple[datetime, datetime], at: datetime) -> None:
    session.add(
        m.OutboxMessage(
            topic="job.eta",
            job_id=job.id,
            payload={"job": job.code, "eta_from": window[0].isoformat(), "eta_to": window[1].isoformat()},
            created_at=at,
        )
    )
