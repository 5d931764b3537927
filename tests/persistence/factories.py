"""Smallest valid rows for tests: one territory, one customer site, jobs on it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.lifecycle import record_creation
from dispatch.models import Customer, Job, JobSkill, Site, Territory

REPORTED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def site(session: Session) -> Site:
    existing = session.scalars(select(Site)).first()
    if existing is not None:
        return existing
    t = Territory(code="GZ", name="Guangzhou", timezone="Asia/Shanghai")
    session.add(t)
    session.flush()
    s = Site(
        code="S1",
        customer=Customer(code="C1", name="Chen Household"),
        territory_id=t.id,
        address="Tianhe Rd 1",
        lat=23.13,
        lon=113.33,
    )
    session.add(s)
    session.flush()
    return s


def job(session: Session, code: str = "J1") -> Job:
    j = Job(
        code=code, site_id=site(session).id, duration_minutes=45, reported_at=REPORTED, created_at=REPORTED
    )
    j.skills.append(JobSkill(skill="hvac", min_level=1))
    session.add(j)
    record_creation(session, j, actor="agent:zhang")
    session.flush()
    return j
