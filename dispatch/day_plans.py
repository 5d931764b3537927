"""Which stored plans cover a territory-day: the one plan every reader and writer of that day
agrees on (published first, else the newest draft)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import models as m

MAX_HORIZON_DAYS = 14
"""The longest plan: a plan covering ``day`` starts at most this many days before it."""


def covering(session: Session, territory_id: int, day: date) -> list[m.Plan]:
    """Draft and published plans whose days include ``day``, newest first."""
    plans = session.scalars(
        select(m.Plan)
        .where(
            m.Plan.territory_id == territory_id,
            m.Plan.day <= day,
            m.Plan.day > day - timedelta(days=MAX_HORIZON_DAYS),
            m.Plan.status.in_([m.PlanStatus.PUBLISHED, m.PlanStatus.DRAFT]),
        )
        .order_by(m.Plan.id.desc())
    ).all()
    return [p for p in plans if day < p.day + timedelta(days=p.days)]


def current_plan(session: Session, territory_id: int, day: date) -> m.Plan | None:
    """The plan of record for a territory-day: published if any, else the newest draft."""
    plans = covering(session, territory_id, day)
    published = [p for p in plans if p.status is m.PlanStatus.PUBLISHED]
    chosen = published or plans
    return chosen[0] if chosen else None


@dataclass(frozen=True, slots=True)
class Holder:
    """A published plan that has a job on an engineer's route for a day not yet over."""

    plan_id: int
    day: date
    route_id: int
    visit_id: int


def held_elsewhere(
    session: Session,
    territory_id: int,
    days: Collection[date],
    now: datetime,
    tz: str,
    job_ids: Collection[int] | None = None,
) -> dict[int, Holder]:
    """Jobs on a route of a published plan of the territory for a day outside ``days`` that is
    not over at ``now`` (local date ``tz``), still to be done (scheduled or dispatched): a job is
    on at most one published, unfinished route, so no other day may plan or publish them. A
    day already past holds nothing: what it missed is free for the next plan."""
    today = now.astimezone(ZoneInfo(tz)).date()
    q = (
        select(m.Visit.job_id, m.Visit.id, m.Route.id, m.Plan.id, m.Shift.day)
        .join(m.Route, m.Route.id == m.Visit.route_id)
        .join(m.Plan, m.Plan.id == m.Route.plan_id)
        .join(m.Shift, m.Shift.id == m.Route.shift_id)
        .join(m.Job, m.Job.id == m.Visit.job_id)
        .where(
            m.Plan.territory_id == territory_id,
            m.Plan.status == m.PlanStatus.PUBLISHED,
            m.Shift.day >= today,
            m.Shift.day.not_in(list(days)),
            m.Job.status.in_([m.JobStatus.SCHEDULED, m.JobStatus.DISPATCHED]),
        )
    )
    if job_ids is not None:
        q = q.where(m.Visit.job_id.in_(list(job_ids)))
    out: dict[int, Holder] = {}
    for job_id, visit_id, route_id, plan_id, day in session.execute(q):
        if job_id is not None:
            out[job_id] = Holder(plan_id, day, route_id, visit_id)
    return out
