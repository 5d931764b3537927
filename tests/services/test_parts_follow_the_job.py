"""Parts held for a job follow the job, not the engineer who last had it.

The case: E015 (here E001) holds a valve on the van for a job, reports it incomplete (part
needed), the dispatcher sends it back to ``new``, the next plan gives it to E008 (here E002),
who fixes it with the valve from their own van. Once E001's van was debited while E002's
was not.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch.demo import DEMO_DATA
from dispatch.importer import import_directory
from dispatch.jobs import change_status
from dispatch.lifecycle import transition
from dispatch.parts import reserve_for_job
from dispatch.service_reports import VisitReport, submit_report
from dispatch.users import Principal

SKU = "WH-VALVE"


@pytest.fixture
def valve_job(sessions: sessionmaker[Session]) -> tuple[sessionmaker[Session], int, int, int]:
    """A valve job held on E001's van; E001 and E002 each carry two valves."""
    with sessions.begin() as s:
        import_directory(s, DEMO_DATA)
        valve = s.scalars(select(m.Part).where(m.Part.sku == SKU)).one()
        first, second = (
            s.scalars(select(m.Engineer).where(m.Engineer.code == c)).one() for c in ("E001", "E002")
        )
        for engineer in (first, second):
            row = s.scalars(
                select(m.Stock).where(m.Stock.engineer_id == engineer.id, m.Stock.part_id == valve.id)
            ).one_or_none()
            if row is None:
                row = m.Stock(part_id=valve.id, engineer_id=engineer.id, quantity=0, reserved=0, par=0)
                s.add(row)
            row.quantity, row.reserved = 2, 0
        s.flush()
        job = next(
            j
            for j in s.scalars(select(m.Job).where(m.Job.status == m.JobStatus.NEW).order_by(m.Job.code))
            if [p.part_id for p in j.parts] == [valve.id] and j.parts[0].quantity == 1
        )
        job.engineer_id = first.id
        assert reserve_for_job(s, job, first.id)  # on the van: it has them all free
        return sessions, job.id, first.id, second.id


def _van(s: Session, engineer_id: int) -> tuple[int, int]:
    row = s.scalars(
        select(m.Stock).join(m.Part).where(m.Stock.engineer_id == engineer_id, m.Part.sku == SKU)
    ).one()
    return row.quantity, row.reserved


def _visit(s: Session, job: m.Job, engineer_id: int) -> None:
    job.engineer_id = engineer_id
    for status in (m.JobStatus.SCHEDULED, m.JobStatus.DISPATCHED, m.JobStatus.EN_ROUTE, m.JobStatus.ON_SITE):
        transition(s, job, status, actor="test", at=datetime(2026, 11, 24, 2, tzinfo=UTC))


def test_a_job_sent_back_to_new_and_fixed_by_another_engineer_debits_that_engineers_van(
    valve_job: tuple[sessionmaker[Session], int, int, int],
) -> None:
    sessions, job_id, first, second = valve_job
    with sessions.begin() as s:
        job = s.get_one(m.Job, job_id)
        _visit(s, job, first)
        submit_report(
            s,
            Principal(0, "e1", m.Role.ENGINEER, first),
            job.code,
            VisitReport(outcome=m.JobStatus.INCOMPLETE, reason="needs_part"),
        )
        assert _van(s, first) == (2, 1)  # still held for the return visit
        change_status(s, job.code, m.JobStatus.NEW, Principal(0, "wu", m.Role.DISPATCHER, None))
        assert _van(s, first) == (2, 0)  # off the route: nothing held on anyone's van
        job.engineer_id = second  # the next plan gives it to the other engineer, publishing holds it
        assert reserve_for_job(s, job, second)
        assert _van(s, second) == (2, 1)
    with sessions.begin() as s:
        job = s.get_one(m.Job, job_id)
        _visit(s, job, second)
        submit_report(
            s,
            Principal(0, "e2", m.Role.ENGINEER, second),
            job.code,
            VisitReport(outcome=m.JobStatus.COMPLETED, parts_used={SKU: 1}, signed_by="Mrs Wu"),
        )
        assert _van(s, first) == (2, 0)
        assert _van(s, second) == (1, 0)


def test_publishing_moves_a_reservation_held_on_another_engineers_van(
    valve_job: tuple[sessionmaker[Session], int, int, int],
) -> None:
    """A plan that gives the job to another engineer holds the part where that visit gets it,
    and gives back what the previous engineer's van held for it."""
    sessions, job_id, first, second = valve_job
    with sessions.begin() as s:
        job = s.get_one(m.Job, job_id)
        assert reserve_for_job(s, job, second)
        assert _van(s, first) == (2, 0) and _van(s, second) == (2, 1)
        assert reserve_for_job(s, job, second) == []  # already where it should be: nothing changes
        assert _van(s, second) == (2, 1)
        held = s.scalars(
            select(m.PartReservation).where(
                m.PartReservation.job_id == job_id, m.PartReservation.status == m.ReservationStatus.RESERVED
            )
        ).all()
        assert len(held) == 1
