"""Which stored plans cover a territory-day: the one plan every reader and writer of that day
agrees on (published first, else the newest draft)."""

from __future__ import annotations

from datetime import date, timedelta

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
