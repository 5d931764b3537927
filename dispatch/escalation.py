"""Promises at risk, raised before they break.

Three promises are watched, each raised level by level (level 1: the dispatcher acts; level 2:
a manager is told):

- ``response``: an engineer on site by the response deadline. At risk when the planned ETA is
  after it, or the job is on no plan and the deadline is nearer than a threshold; breached when
  it has passed and nobody has been on site. A job that has had a visit (an incomplete report)
  kept this promise, so it is no longer watched for it.
- ``resolution``: the job completed by the resolution deadline. At risk when the planned visit
  ends after it, or no visit is planned (on no plan, or waiting for a return visit; not while
  an engineer has it in hand) and less than the threshold plus the job's own duration is left:
  the work itself takes that long.
  Breached when it has passed and the job is not completed.
- ``return_visit``: an incomplete job (``incomplete``, or back to ``new`` with its reason kept)
  that no live plan visits again. Level 1 at once, so it is not forgotten; level 2 once it has
  waited longer than ``return_wait`` since the incomplete report.

Completed and cancelled jobs are never raised. Each (job, promise, level) is raised once (a
unique row), so the watcher may run as often as it likes, from `dispatch sla watch` or after a
plan is published, and two watchers racing each other raise it once between them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch import models as m
from dispatch.planning import territory_by_code

S = m.JobStatus
WAITING = (S.NEW, S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE)
"""Not yet on site: the response promise is still open."""

UNFINISHED = (*WAITING, S.ON_SITE, S.INCOMPLETE)
"""Not completed nor cancelled: the resolution promise is still open."""

AWAITING_RETURN = (S.INCOMPLETE, S.NEW)
"""With an incomplete report, a job in these statuses still needs its return visit planned."""

IN_HAND = (S.EN_ROUTE, S.ON_SITE)
"""An engineer has the job: without a planned end there is nothing to judge until breach."""

DEFAULT_THRESHOLD = timedelta(hours=2)
DEFAULT_RETURN_WAIT = timedelta(hours=24)
"""A day to arrange a return visit (order the part, call the customer) before a manager hears."""


class Promise(StrEnum):
    """What an escalation is about (``Escalation.kind``)."""

    RESPONSE = "response"
    RESOLUTION = "resolution"
    RETURN_VISIT = "return_visit"


@dataclass(frozen=True, slots=True)
class AtRisk:
    job: str
    job_id: int
    territory: str
    status: m.JobStatus
    kind: Promise
    deadline: datetime  # the promise's deadline; for a return visit: when the wait is too long
    eta: datetime | None  # planned service start in the live plan, if any
    planned_end: datetime | None  # planned end of that visit
    engineer: str | None
    level: int  # 1 at risk, 2 breached
    reason: str  # see REASONS
    minutes: int  # late by (planned or now past the deadline), or left before the deadline
    detail: str  # for people: which promise, and why it is raised


REASONS: dict[Promise, frozenset[str]] = {
    Promise.RESPONSE: frozenset({"breached", "eta_after_deadline", "unplanned_near_deadline"}),
    Promise.RESOLUTION: frozenset(
        {"breached", "end_after_deadline", "unplanned_near_deadline", "awaiting_return_near_deadline"}
    ),
    Promise.RETURN_VISIT: frozenset({"no_return_visit", "waited_too_long"}),
}


@dataclass(frozen=True, slots=True)
class _Visit:
    start: datetime
    end: datetime
    engineer_id: int


def _span(minutes: int) -> str:
    if minutes < 120:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _minutes(delta: timedelta) -> int:
    return delta // timedelta(minutes=1)


def _incomplete_at(session: Session, jobs: Sequence[m.Job]) -> dict[int, datetime]:
    """job id → when its last visit was reported incomplete (the event row says when)."""
    ids = [j.id for j in jobs if j.incomplete_reason is not None]
    if not ids:
        return {}
    rows = session.execute(
        select(m.JobEvent.job_id, func.max(m.JobEvent.at))
        .where(m.JobEvent.job_id.in_(ids), m.JobEvent.to_status == S.INCOMPLETE)
        .group_by(m.JobEvent.job_id)
    ).all()
    return {job_id: at for job_id, at in rows}


def _planned(session: Session, jobs: Sequence[m.Job], since: dict[int, datetime]) -> dict[int, _Visit]:
    """job id → its visit in the live plan (published before draft, then the newest plan).

    For a job with an incomplete report at ``since[job]``, only a visit starting after the
    report is a return visit; and while the job is new or incomplete, a published plan holding
    it is the plan of record of the visit already made (publishing, or moving a job into a
    published plan, schedules the job), even when that visit was planned to start after the
    engineer in fact finished, so only drafts count then."""
    by_id = {j.id: j for j in jobs}
    rows = session.execute(
        select(m.Visit.job_id, m.Visit.start, m.Visit.end, m.Route.engineer_id, m.Plan.status, m.Plan.id)
        .join(m.Route, m.Route.id == m.Visit.route_id)
        .join(m.Plan, m.Plan.id == m.Route.plan_id)
        .where(
            m.Visit.job_id.in_(list(by_id)), m.Plan.status.in_([m.PlanStatus.PUBLISHED, m.PlanStatus.DRAFT])
        )
    ).all()
    best: dict[int, tuple[bool, int, _Visit]] = {}
    for job_id, start, end, engineer_id, status, plan_id in rows:
        if job_id is None:
            continue
        published = status is m.PlanStatus.PUBLISHED
        reported = since.get(job_id)
        if reported is not None and (
            start <= reported or (published and by_id[job_id].status in AWAITING_RETURN)
        ):
            continue
        key = (published, plan_id)
        if job_id not in best or key > best[job_id][:2]:
            best[job_id] = (published, plan_id, _Visit(start, end, engineer_id))
    return {j: v for j, (_, _, v) in best.items()}


def _response(
    job: m.Job, visit: _Visit | None, now: datetime, threshold: timedelta
) -> tuple[int, str, int, str] | None:
    """(level, reason, minutes, detail) for the response promise, or None when it is safe."""
    deadline = job.response_deadline
    if deadline is None or job.status not in WAITING or job.incomplete_reason is not None:
        return None
    if now > deadline:
        late = _minutes(now - deadline)
        return 2, "breached", late, f"response deadline passed {_span(late)} ago and nobody is on site"
    if visit is not None and visit.start > deadline:
        late = _minutes(visit.start - deadline)
        return 1, "eta_after_deadline", late, f"planned on site {_span(late)} after the response deadline"
    if visit is None and deadline - now <= threshold:
        left = _minutes(deadline - now)
        return 1, "unplanned_near_deadline", left, f"on no plan, {_span(left)} left to the response deadline"
    return None


def _resolution(
    job: m.Job, visit: _Visit | None, now: datetime, threshold: timedelta
) -> tuple[int, str, int, str] | None:
    """(level, reason, minutes, detail) for the resolution promise, or None when it is safe."""
    deadline = job.resolution_deadline
    if deadline is None or job.status not in UNFINISHED:
        return None
    awaiting = job.incomplete_reason is not None and job.status in AWAITING_RETURN and visit is None
    if now > deadline:
        late = _minutes(now - deadline)
        waiting = "; it waits for a return visit" if awaiting else ""
        return (
            2,
            "breached",
            late,
            f"resolution deadline passed {_span(late)} ago and the job is not done{waiting}",
        )
    if visit is not None:
        if visit.end <= deadline:
            return None
        late = _minutes(visit.end - deadline)
        return 1, "end_after_deadline", late, f"planned to finish {_span(late)} after the resolution deadline"
    if job.status in IN_HAND or deadline - now > threshold + timedelta(minutes=job.duration_minutes):
        return None
    left = _minutes(deadline - now)
    if awaiting:
        why = (job.incomplete_reason or "").replace("_", " ")
        return (
            1,
            "awaiting_return_near_deadline",
            left,
            f"waiting for a return visit ({why}), {_span(left)} left to the resolution deadline",
        )
    return 1, "unplanned_near_deadline", left, f"on no plan, {_span(left)} left to the resolution deadline"


def _return_visit(
    job: m.Job, visit: _Visit | None, reported: datetime | None, now: datetime, wait: timedelta
) -> tuple[datetime, int, str, int, str] | None:
    """(deadline, level, reason, minutes, detail) for an unplanned return visit, or None.

    Without an event row (a job imported incomplete) the wait is counted from the call."""
    if job.incomplete_reason is None or job.status not in AWAITING_RETURN or visit is not None:
        return None
    since = reported or job.reported_at
    due = since + wait
    waited = _span(max(0, _minutes(now - since)))
    why = job.incomplete_reason.replace("_", " ")
    if now > due:
        detail = f"waiting {waited} for a return visit ({why}), none planned"
        return due, 2, "waited_too_long", _minutes(now - due), detail
    detail = f"incomplete {waited} ago ({why}) and no return visit planned"
    return due, 1, "no_return_visit", _minutes(due - now), detail


def at_risk(
    session: Session,
    now: datetime,
    *,
    territory: str | None = None,
    threshold: timedelta = DEFAULT_THRESHOLD,
    return_wait: timedelta = DEFAULT_RETURN_WAIT,
    kinds: Collection[Promise] = tuple(Promise),
) -> list[AtRisk]:
    """Every open promise at risk or breached at ``now``, most urgent first. An unknown
    ``territory`` is 404 naming it, as everywhere else: an empty list would read as "all well"."""
    if territory is not None:
        territory_by_code(session, territory)
    q = (
        select(m.Job, m.Territory.code)
        .join(m.Site, m.Site.id == m.Job.site_id)
        .join(m.Territory, m.Territory.id == m.Site.territory_id)
        .where(
            m.Job.status.in_(UNFINISHED),
            m.Job.response_deadline.is_not(None)
            | m.Job.resolution_deadline.is_not(None)
            | m.Job.incomplete_reason.is_not(None),
        )
    )
    if territory is not None:
        q = q.where(m.Territory.code == territory)
    rows = session.execute(q).all()
    jobs = [job for job, _ in rows]
    since = _incomplete_at(session, jobs)
    planned = _planned(session, jobs, since)
    codes = {eid: code for eid, code in session.execute(select(m.Engineer.id, m.Engineer.code))}
    out: list[AtRisk] = []
    for job, terr in rows:
        visit = planned.get(job.id)
        found: list[tuple[Promise, datetime, int, str, int, str]] = []
        if Promise.RESPONSE in kinds and (r := _response(job, visit, now, threshold)) is not None:
            assert job.response_deadline is not None
            found.append((Promise.RESPONSE, job.response_deadline, *r))
        if Promise.RESOLUTION in kinds and (r := _resolution(job, visit, now, threshold)) is not None:
            assert job.resolution_deadline is not None
            found.append((Promise.RESOLUTION, job.resolution_deadline, *r))
        if (
            Promise.RETURN_VISIT in kinds
            and (rv := _return_visit(job, visit, since.get(job.id), now, return_wait)) is not None
        ):
            found.append((Promise.RETURN_VISIT, *rv))
        for kind, deadline, level, reason, minutes, detail in found:
            out.append(
                AtRisk(
                    job=job.code,
                    job_id=job.id,
                    territory=terr,
                    status=job.status,
                    kind=kind,
                    deadline=deadline,
                    eta=visit.start if visit else None,
                    planned_end=visit.end if visit else None,
                    engineer=codes.get(visit.engineer_id) if visit else None,
                    level=level,
                    reason=reason,
                    minutes=minutes,
                    detail=detail,
                )
            )
    out.sort(key=lambda a: (-a.level, a.deadline, a.job, a.kind))
    return out


def _raised(session: Session, job_ids: list[int]) -> set[tuple[int, str, int]]:
    """(job id, kind, level) already on record for these jobs."""
    return {
        (job_id, kind, level)
        for job_id, kind, level in session.execute(
            select(m.Escalation.job_id, m.Escalation.kind, m.Escalation.level).where(
                m.Escalation.job_id.in_(job_ids)
            )
        )
    }


def escalate(
    session: Session,
    now: datetime,
    *,
    territory: str | None = None,
    threshold: timedelta = DEFAULT_THRESHOLD,
    return_wait: timedelta = DEFAULT_RETURN_WAIT,
) -> list[AtRisk]:
    """Record each level not yet raised (level 2 also records level 1); returns what is new."""
    found = at_risk(session, now, territory=territory, threshold=threshold, return_wait=return_wait)
    if not found:
        return []
    raised = _raised(session, sorted({a.job_id for a in found}))
    new: list[AtRisk] = []
    for a in found:
        for level in range(1, a.level + 1):
            if (a.job_id, a.kind, level) in raised:
                continue
            try:
                with session.begin_nested():  # a concurrent watcher may raise it first
                    session.add(
                        m.Escalation(
                            job_id=a.job_id,
                            kind=a.kind.value,
                            level=level,
                            reason=a.reason if level == a.level else "at_risk",
                            detail=a.detail,
                            deadline=a.deadline,
                            raised_at=now,
                        )
                    )
            except IntegrityError:
                continue
            raised.add((a.job_id, a.kind, level))
            if level == a.level:
                new.append(a)
    return new
