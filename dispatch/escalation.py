"""Promises at risk, raised before they break.

A job's response promise is *at risk* (level 1: the dispatcher acts) when its planned ETA is
after its deadline, or it is on no plan and the deadline is nearer than a threshold; it is
*breached* (level 2: a manager is told) when the deadline has passed and nobody is on site.
Each level is raised once per job (a unique row), so the watcher may run as often as it likes,
from `dispatch sla watch` or after a plan is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch import models as m

S = m.JobStatus
WAITING = (S.NEW, S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE)
"""Not yet on site: the response promise is still open."""

DEFAULT_THRESHOLD = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class AtRisk:
    job: str
    job_id: int
    territory: str
    status: m.JobStatus
    deadline: datetime
    eta: datetime | None  # planned service start in the current plan, if any
    engineer: str | None
    level: int  # 1 at risk, 2 breached
    reason: str  # eta_after_deadline | unplanned_near_deadline | breached
    minutes: int  # late by (eta or now past the deadline), or left before the deadline

    @property
    def detail(self) -> str:
        if self.reason == "breached":
            return f"deadline passed {self.minutes} min ago and nobody is on site"
        if self.reason == "eta_after_deadline":
            return f"planned {self.minutes} min after the deadline"
        return f"on no plan, {self.minutes} min left"


def _planned(session: Session, job_ids: list[int]) -> dict[int, tuple[datetime, int]]:
    """job id → (planned start, engineer id) from the live plan visiting it (published first)."""
    rows = session.execute(
        select(m.Visit.job_id, m.Visit.start, m.Route.engineer_id, m.Plan.status, m.Plan.id)
        .join(m.Route, m.Route.id == m.Visit.route_id)
        .join(m.Plan, m.Plan.id == m.Route.plan_id)
        .where(m.Visit.job_id.in_(job_ids), m.Plan.status.in_([m.PlanStatus.PUBLISHED, m.PlanStatus.DRAFT]))
    ).all()
    best: dict[int, tuple[bool, int, datetime, int]] = {}
    for job_id, start, engineer_id, status, plan_id in rows:
        key = (status is m.PlanStatus.PUBLISHED, plan_id, start, engineer_id)
        if job_id is not None and (job_id not in best or key[:2] > best[job_id][:2]):
            best[job_id] = key
    return {j: (k[2], k[3]) for j, k in best.items()}


def at_risk(
    session: Session,
    now: datetime,
    *,
    territory: str | None = None,
    threshold: timedelta = DEFAULT_THRESHOLD,
) -> list[AtRisk]:
    """Every open promise at risk or breached at ``now``, most urgent first."""
    q = (
        select(m.Job, m.Territory.code)
        .join(m.Site, m.Site.id == m.Job.site_id)
        .join(m.Territory, m.Territory.id == m.Site.territory_id)
        .where(m.Job.status.in_(WAITING), m.Job.response_deadline.is_not(None))
    )
    if territory is not None:
        q = q.where(m.Territory.code == territory)
    rows = session.execute(q).all()
    planned = _planned(session, [job.id for job, _ in rows])
    codes = {eid: code for eid, code in session.execute(select(m.Engineer.id, m.Engineer.code))}
    out: list[AtRisk] = []
    for job, terr in rows:
        deadline = job.response_deadline
        assert deadline is not None
        eta, engineer_id = planned.get(job.id, (None, None))
        engineer = codes.get(engineer_id) if engineer_id is not None else None
        if now > deadline:
            level, reason, minutes = 2, "breached", (now - deadline) // timedelta(minutes=1)
        elif eta is not None and eta > deadline:
            level, reason, minutes = 1, "eta_after_deadline", (eta - deadline) // timedelta(minutes=1)
        elif eta is None and deadline - now <= threshold:
            level, reason, minutes = 1, "unplanned_near_deadline", (deadline - now) // timedelta(minutes=1)
        else:
            continue
        out.append(
            AtRisk(job.code, job.id, terr, job.status, deadline, eta, engineer, level, reason, minutes)
        )
    out.sort(key=lambda a: (-a.level, a.deadline, a.job))
    return out


def escalate(
    session: Session,
    now: datetime,
    *,
    territory: str | None = None,
    threshold: timedelta = DEFAULT_THRESHOLD,
) -> list[AtRisk]:
    """Record each level not yet raised (level 2 also records level 1); returns what is new."""
    found = at_risk(session, now, territory=territory, threshold=threshold)
    if not found:
        return []
    raised = {
        (job_id, level)
        for job_id, level in session.execute(
            select(m.Escalation.job_id, m.Escalation.level).where(
                m.Escalation.job_id.in_([a.job_id for a in found])
            )
        )
    }
    new: list[AtRisk] = []
    for a in found:
        for level in range(1, a.level + 1):
            if (a.job_id, level) in raised:
                continue
            try:
                with session.begin_nested():  # a concurrent watcher may raise it first
                    session.add(
                        m.Escalation(
                            job_id=a.job_id,
                            level=level,
                            reason=a.reason if level == a.level else "at_risk",
                            detail=a.detail,
                            deadline=a.deadline,
                            raised_at=now,
                        )
                    )
            except IntegrityError:
                continue
            raised.add((a.job_id, level))
            if level == a.level:
                new.append(a)
    return new
