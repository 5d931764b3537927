"""Closing a visit: the job leaves ``on_site`` for ``completed`` or ``incomplete`` and its
service report is written in the same transaction, so no job is finished without a report
(billing, first-time-fix and disputes read it) and no report exists for an unfinished visit.

The ``service_report`` table keeps one row per job. A job needing a second visit therefore
has one report that grows: the first visit writes it (``incomplete``), the next visit adds its
work, parts and minutes and sets the final outcome; the job's events keep each visit's
history. Parts are recorded, not yet taken out of stock (consumption is a later change).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from dispatch import models as m
from dispatch.engineer_day import check_today, own_job
from dispatch.errors import ConflictError, InvalidInputError
from dispatch.jobs import parts_by_sku
from dispatch.lifecycle import INCOMPLETE_REASONS, transition
from dispatch.parts import consume
from dispatch.users import Principal

OUTCOMES = frozenset({m.JobStatus.COMPLETED, m.JobStatus.INCOMPLETE})


@dataclass(frozen=True, slots=True)
class VisitReport:
    outcome: m.JobStatus
    reason: str | None = None
    work_done: str = ""
    parts_used: dict[str, int] = field(default_factory=dict)
    minutes_on_site: int | None = None  # default: since the last on_site event
    signed_by: str = ""


def _validate(report: VisitReport) -> None:
    if report.outcome not in OUTCOMES:
        raise InvalidInputError("outcome", f"a visit ends completed or incomplete (got {report.outcome})")
    if report.outcome is m.JobStatus.INCOMPLETE:
        if report.reason not in INCOMPLETE_REASONS:
            raise InvalidInputError(
                "reason", f"an incomplete visit needs one of {', '.join(sorted(INCOMPLETE_REASONS))}"
            )
    elif report.reason is not None:
        raise InvalidInputError("reason", "only an incomplete visit takes a reason")
    if report.outcome is m.JobStatus.COMPLETED and not report.signed_by.strip():
        raise InvalidInputError("signed_by", "a completed visit needs the customer's sign-off name")
    if report.minutes_on_site is not None and report.minutes_on_site < 0:
        raise InvalidInputError("minutes_on_site", "cannot be negative")
    for sku, quantity in report.parts_used.items():
        if quantity <= 0:
            raise InvalidInputError(f"parts_used.{sku}", f"quantity must be positive (got {quantity})")


def submit_report(
    session: Session, who: Principal, code: str, report: VisitReport, *, now: datetime | None = None
) -> tuple[m.Job, m.ServiceReport]:
    """Finish the engineer's visit to job ``code`` and write its report (caller's transaction).
    Only a visit on today's route or under way (`engineer_day.check_today`, on ``now``: the API
    passes its clock, which tests pin; default the real time)."""
    _validate(report)
    now = now or m.utcnow()
    job = own_job(session, who, code, lock=True)
    parts_by_sku(session, report.parts_used, "parts_used")
    existing = session.get(m.ServiceReport, job.id)
    if existing is not None and existing.outcome is m.JobStatus.COMPLETED:
        raise ConflictError("report", f"job {code} already has its final report")
    check_today(session, who, job, now, "job")
    if job.status is not m.JobStatus.ON_SITE:
        raise ConflictError("status", f"job {code} is {job.status}; a report closes an on-site visit")
    on_site = [e for e in job.events if e.to_status is m.JobStatus.ON_SITE]
    minutes = report.minutes_on_site
    if minutes is None:
        since = max(e.at for e in on_site)
        minutes = max(0, int((now - since).total_seconds() // 60))
    transition(
        session,
        job,
        report.outcome,
        actor=who.actor,
        note="service report",
        reason=report.reason,
        at=now,
    )
    assert who.engineer_id is not None  # own_job admits only the job's engineer
    consume(session, job, who.engineer_id, dict(report.parts_used))
    first_time_fix = report.outcome is m.JobStatus.COMPLETED and len(on_site) == 1
    used = Counter(report.parts_used)
    if existing is None:
        row = m.ServiceReport(
            job_id=job.id,
            engineer_id=who.engineer_id,
            outcome=report.outcome,
            work_done=report.work_done,
            parts_used=[{"sku": s, "quantity": q} for s, q in sorted(used.items())],
            minutes_on_site=minutes,
            signed_by=report.signed_by,
            first_time_fix=first_time_fix,
            created_at=now,
        )
        session.add(row)
    else:  # a follow-up visit: the job's one report accumulates every visit
        row = existing
        used.update({p["sku"]: int(p["quantity"]) for p in row.parts_used})
        row.engineer_id = who.engineer_id
        row.outcome = report.outcome
        row.work_done = "\n---\n".join(w for w in (row.work_done, report.work_done) if w)
        row.parts_used = [{"sku": s, "quantity": q} for s, q in sorted(used.items())]
        row.minutes_on_site += minutes
        row.signed_by = report.signed_by or row.signed_by
        row.first_time_fix = first_time_fix
    session.flush()
    return job, row
