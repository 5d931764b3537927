"""The job lifecycle as an explicit state machine. Every transition writes an event row, in
the caller's transaction, so the status and its history can never disagree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import notify
from dispatch.errors import ConflictError, InvalidInputError
from dispatch.models import Engineer, Job, JobEvent, JobStatus, utcnow
from dispatch.parts import release_for_job

S = JobStatus
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    S.NEW: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.DISPATCHED, S.NEW, S.CANCELLED}),  # back to new: taken off a plan
    S.DISPATCHED: frozenset({S.EN_ROUTE, S.SCHEDULED, S.NEW, S.CANCELLED}),
    S.EN_ROUTE: frozenset({S.ON_SITE, S.DISPATCHED}),  # turned back: re-dispatch later
    S.ON_SITE: frozenset({S.COMPLETED, S.INCOMPLETE}),
    S.COMPLETED: frozenset(),
    S.INCOMPLETE: frozenset({S.NEW, S.CANCELLED}),  # a follow-up visit is planned from scratch
    S.CANCELLED: frozenset(),
}

INCOMPLETE_REASONS = frozenset({"needs_part", "no_access", "customer_absent", "needs_second_visit", "other"})

OPEN = frozenset({S.NEW, S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE, S.ON_SITE})
"""Statuses of jobs still to be done; planning looks only at these."""

FIXED = frozenset({S.EN_ROUTE, S.ON_SITE})
"""In progress: in-day re-planning keeps these with their engineer, first on the route."""


def can_move(current: JobStatus, target: JobStatus) -> bool:
    return target in TRANSITIONS[current]


def transition(
    session: Session,
    job: Job,
    target: JobStatus,
    *,
    actor: str,
    note: str = "",
    reason: str | None = None,
    at: datetime | None = None,
) -> JobEvent:
    """Move ``job`` to ``target`` and record who did it; refuse what the lifecycle forbids."""
    target = JobStatus(target)
    if not actor.strip():
        raise InvalidInputError("actor", "say who makes the change")
    if not can_move(job.status, target):
        allowed = ", ".join(sorted(TRANSITIONS[job.status])) or "none (final)"
        raise ConflictError(
            "status", f"job {job.code} cannot go from {job.status} to {target}; allowed: {allowed}"
        )
    if target is S.INCOMPLETE:
        if reason not in INCOMPLETE_REASONS:
            raise InvalidInputError(
                "reason", f"an incomplete visit needs one of {', '.join(sorted(INCOMPLETE_REASONS))}"
            )
        job.incomplete_reason = reason
    elif reason is not None:
        raise InvalidInputError("reason", "only an incomplete visit takes a reason")
    if target in FIXED and job.status not in FIXED:
        _one_visit_in_hand(session, job, target)
    if target is S.NEW:
        # Off its route: it no longer holds parts on anyone's van or shelf; whoever plans it
        # next reserves them afresh where that visit gets them.
        release_for_job(session, job)
    event = JobEvent(
        job=job, at=at or utcnow(), actor=actor, from_status=job.status, to_status=target, note=note
    )
    job.status = target
    notify.status_changed(session, job, target, event.at)
    if target in (S.NEW, S.CANCELLED):
        if target is S.NEW:
            job.engineer_id = None
        job.pinned = False
    session.add(event)
    return event


def _one_visit_in_hand(session: Session, job: Job, target: JobStatus) -> None:
    """An engineer is en route to or on site at one job at a time (the database holds it too,
    `models.jobs.ACTIVE_VISIT`); the engineer row is locked so two taps cannot both pass."""
    if job.engineer_id is None:
        return
    session.execute(select(Engineer.id).where(Engineer.id == job.engineer_id).with_for_update())
    busy = session.execute(
        select(Job.code, Job.status).where(
            Job.engineer_id == job.engineer_id, Job.status.in_(FIXED), Job.id != job.id
        )
    ).first()
    if busy is not None:
        raise ConflictError(
            "status",
            f"the engineer is {busy.status} at job {busy.code}; finish it or turn back from it "
            f"before setting job {job.code} {target}",
        )


def record_creation(session: Session, job: Job, *, actor: str, note: str = "") -> JobEvent:
    """The first event of every job: it came into being as ``new``."""
    event = JobEvent(
        job=job, at=job.created_at or utcnow(), actor=actor, from_status=None, to_status=S.NEW, note=note
    )
    session.add(event)
    return event
