"""Escalation beyond the response deadline: the resolution deadline, and incomplete jobs that
wait for a return visit. A small hand-built world (one territory, one engineer, plans written
row by row) so each case sets exactly the times it tests. Both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dispatch import escalation
from dispatch import models as m
from dispatch.escalation import DEFAULT_RETURN_WAIT, DEFAULT_THRESHOLD, Promise, at_risk, escalate
from dispatch.lifecycle import transition
from dispatch.service_reports import VisitReport, submit_report
from dispatch.users import Principal
from tests.persistence import factories

CST = timezone(timedelta(hours=8))
DAY = date(2026, 11, 24)
S = m.JobStatus


def at(hour: int, minute: int = 0, day: int = 24) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CST)


def _engineer(s: Session, code: str = "E1") -> m.Engineer:
    existing = s.scalars(select(m.Engineer).where(m.Engineer.code == code)).one_or_none()
    if existing is not None:
        return existing
    site = factories.site(s)
    eng = m.Engineer(code=code, name=code, territory_id=site.territory_id, home_lat=23.1, home_lon=113.3)
    for day in (DAY, DAY + timedelta(days=1)):
        eng.shifts.append(
            m.Shift(
                day=day, start=datetime(day.year, day.month, day.day, 8, tzinfo=CST), end=at(18, day=day.day)
            )
        )
    s.add(eng)
    s.flush()
    return eng


def _job(
    s: Session,
    code: str,
    *,
    response: datetime | None = None,
    resolution: datetime | None = None,
) -> m.Job:
    job = factories.job(s, code)
    job.response_deadline, job.resolution_deadline = response, resolution
    s.flush()
    return job


def _plan(
    s: Session,
    job: m.Job,
    start: datetime,
    end: datetime,
    *,
    status: m.PlanStatus = m.PlanStatus.PUBLISHED,
    engineer: str = "E1",
) -> m.Plan:
    """A plan with one route visiting ``job`` from ``start`` to ``end``."""
    eng = _engineer(s, engineer)
    shift = next(sh for sh in eng.shifts if sh.start <= start < sh.end)
    plan = m.Plan(
        territory_id=eng.territory_id,
        day=shift.day,
        status=status,
        published_at=at(20, day=23) if status is m.PlanStatus.PUBLISHED else None,
    )
    route = m.Route(
        shift_id=shift.id,
        engineer_id=eng.id,
        start=shift.start,
        end=shift.end,
        travel_seconds=0,
        distance_m=0,
    )
    route.visits.append(m.Visit(seq=0, kind="job", job_id=job.id, arrival=start, start=start, end=end))
    plan.routes.append(route)
    s.add(plan)
    s.flush()
    return plan


def _on_site(s: Session, job: m.Job, when: datetime, engineer: str = "E1") -> None:
    job.engineer_id = _engineer(s, engineer).id
    if job.status is S.NEW:
        transition(s, job, S.SCHEDULED, actor="dispatcher:wu", at=when - timedelta(hours=2))
    transition(s, job, S.DISPATCHED, actor="dispatcher:wu", at=when - timedelta(hours=1))
    transition(s, job, S.EN_ROUTE, actor="engineer:li", at=when - timedelta(minutes=30))
    transition(s, job, S.ON_SITE, actor="engineer:li", at=when)


def _report(s: Session, job: m.Job, when: datetime, outcome: S, reason: str | None = None) -> None:
    """The engineer closes the visit through the service (the event row records when)."""
    assert job.engineer_id is not None
    who = Principal(user_id=1, name="li", role=m.Role.ENGINEER, engineer_id=job.engineer_id)
    report = VisitReport(
        outcome=outcome,
        reason=reason,
        work_done="looked",
        minutes_on_site=20,
        signed_by="Chen" if outcome is S.COMPLETED else "",
    )
    submit_report(s, who, job.code, report, now=when)


def _risks(
    s: Session,
    now: datetime,
    *,
    threshold: timedelta = DEFAULT_THRESHOLD,
    return_wait: timedelta = DEFAULT_RETURN_WAIT,
) -> dict[tuple[str, Promise], tuple[int, str]]:
    found = at_risk(s, now, threshold=threshold, return_wait=return_wait)
    return {(a.job, a.kind): (a.level, a.reason) for a in found}


def _rows(s: Session) -> set[tuple[str, str, int]]:
    """(job, kind, level) on record."""
    q = select(m.Job.code, m.Escalation.kind, m.Escalation.level).join(
        m.Escalation, m.Escalation.job_id == m.Job.id
    )
    return {(code, kind, level) for code, kind, level in s.execute(q)}


# --- resolution deadline --------------------------------------------------------------------


def test_resolution_at_risk_when_the_planned_visit_ends_after_the_deadline(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        late = _job(s, "LATE", resolution=at(14))
        _plan(s, late, at(13, 30), at(14, 30))
        fine = _job(s, "FINE", resolution=at(14))
        _plan(s, fine, at(12), at(12, 45))
        # published before draft: the plan of record finishes in time, a draft would not
        kept = _job(s, "KEPT", resolution=at(14))
        _plan(s, kept, at(13), at(13, 45))
        _plan(s, kept, at(14, 15), at(15), status=m.PlanStatus.DRAFT)
    with sessions() as s:
        found = at_risk(s, at(9))
        assert [(a.job, a.kind, a.level, a.reason) for a in found] == [
            ("LATE", Promise.RESOLUTION, 1, "end_after_deadline")
        ]
        a = found[0]
        assert (a.eta, a.planned_end, a.engineer, a.minutes) == (at(13, 30), at(14, 30), "E1", 30)
        assert a.deadline == at(14) and "resolution deadline" in a.detail and "30 min" in a.detail


def test_resolution_at_risk_when_unplanned_and_the_work_no_longer_fits(
    sessions: sessionmaker[Session],
) -> None:
    """Near means less than the threshold plus the job's own 45 minutes of work."""
    with sessions.begin() as s:
        _job(s, "NEAR", resolution=at(11, 40))  # 2 h 40 min left: under 2 h + 45 min
        _job(s, "FAR", resolution=at(11, 50))  # 2 h 50 min left
    with sessions() as s:
        assert _risks(s, at(9)) == {("NEAR", Promise.RESOLUTION): (1, "unplanned_near_deadline")}
        (a,) = at_risk(s, at(9))
        assert a.minutes == 160 and "on no plan" in a.detail and "2 h 40 min" in a.detail
        assert _risks(s, at(9), threshold=timedelta(minutes=30)) == {}


def test_resolution_breached_while_on_site_is_raised_once_with_level_1_on_record(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        job = _job(s, "SLOW", response=at(10), resolution=at(12))
        _plan(s, job, at(9, 30), at(10, 15))
        _on_site(s, job, at(9, 40))
    with sessions() as s:  # on site in time: the response promise is kept, the resolution one not
        assert _risks(s, at(12, 30)) == {("SLOW", Promise.RESOLUTION): (2, "breached")}
    with sessions.begin() as s:
        new = escalate(s, at(12, 30))
        assert [(a.job, a.kind, a.level) for a in new] == [("SLOW", Promise.RESOLUTION, 2)]
        assert "30 min ago and the job is not done" in new[0].detail
    with sessions.begin() as s:
        assert escalate(s, at(13)) == []
        assert _rows(s) == {("SLOW", "resolution", 1), ("SLOW", "resolution", 2)}
        second = s.scalars(select(m.Escalation).where(m.Escalation.level == 2)).one()
        assert (second.reason, second.deadline, second.raised_at) == ("breached", at(12), at(12, 30))


def test_completed_and_cancelled_jobs_are_never_raised(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        done = _job(s, "DONE", response=at(10), resolution=at(12))
        _plan(s, done, at(9), at(9, 45))
        _on_site(s, done, at(9))
        _report(s, done, at(9, 30), S.INCOMPLETE, "needs_part")
        transition(s, done, S.NEW, actor="dispatcher:wu", at=at(10))
        _on_site(s, done, at(16))
        _report(s, done, at(17), S.COMPLETED)  # after both deadlines, but done
        gone = _job(s, "GONE", response=at(10), resolution=at(12))
        _on_site(s, gone, at(9, 50))
        _report(s, gone, at(10), S.INCOMPLETE, "no_access")
        transition(s, gone, S.CANCELLED, actor="dispatcher:wu", at=at(11))
        never = _job(s, "NEVER", response=at(10), resolution=at(12))
        transition(s, never, S.CANCELLED, actor="agent:zhang", at=at(9))
    with sessions.begin() as s:
        later = at(12, day=26)
        assert at_risk(s, later) == []
        assert escalate(s, later, return_wait=timedelta(0)) == []
        assert _rows(s) == set()


# --- incomplete jobs waiting for a return visit ----------------------------------------------


@pytest.fixture
def incomplete(sessions: sessionmaker[Session]) -> int:
    """J1 visited on the published plan and reported incomplete (needs a part) at 10:00; the
    engineer came early, so the visit made was planned to start after the report."""
    with sessions.begin() as s:
        job = _job(s, "J1", response=at(12), resolution=at(18, day=25))
        _plan(s, job, at(10, 30), at(11, 15))
        _on_site(s, job, at(9, 30))
        _report(s, job, at(10), S.INCOMPLETE, "needs_part")
        return job.id


def test_an_incomplete_job_with_no_return_visit_is_raised_then_escalated_after_a_day(
    sessions: sessionmaker[Session], incomplete: int
) -> None:
    with sessions.begin() as s:
        (a,) = at_risk(s, at(11))  # the response promise was kept by the visit: not raised
        assert (a.job, a.kind, a.level, a.reason, a.status) == (
            "J1",
            Promise.RETURN_VISIT,
            1,
            "no_return_visit",
            S.INCOMPLETE,
        )
        assert a.deadline == at(10, day=25) and a.minutes == 23 * 60 and a.eta is None
        assert a.detail == "incomplete 60 min ago (needs part) and no return visit planned"
        assert [(n.kind, n.level) for n in escalate(s, at(11))] == [(Promise.RETURN_VISIT, 1)]
        assert escalate(s, at(11, 5)) == []
    with sessions.begin() as s:  # back to new for planning: still waiting, and past the response deadline
        transition(s, s.get_one(m.Job, incomplete), S.NEW, actor="dispatcher:wu", at=at(12))
    with sessions.begin() as s:
        assert _risks(s, at(13)) == {("J1", Promise.RETURN_VISIT): (1, "no_return_visit")}
        assert escalate(s, at(13)) == []
        new = escalate(s, at(10, 30, day=25))
        assert [(a.kind, a.level, a.reason) for a in new] == [(Promise.RETURN_VISIT, 2, "waited_too_long")]
        assert new[0].detail == "waiting 24 h 30 min for a return visit (needs part), none planned"
        assert new[0].status is S.NEW and new[0].minutes == 30
    with sessions.begin() as s:
        assert escalate(s, at(11, day=25)) == []
        assert _rows(s) == {("J1", "return_visit", 1), ("J1", "return_visit", 2)}


def test_a_planned_return_visit_clears_it(sessions: sessionmaker[Session], incomplete: int) -> None:
    with sessions.begin() as s:
        assert len(escalate(s, at(11))) == 1
        job = s.get_one(m.Job, incomplete)
        transition(s, job, S.NEW, actor="dispatcher:wu", at=at(12))
        _plan(s, job, at(9, day=25), at(9, 45, day=25), status=m.PlanStatus.DRAFT)
    with sessions.begin() as s:
        assert at_risk(s, at(13)) == []
        assert escalate(s, at(12, day=25)) == []  # past the wait, but the return visit is planned
        assert _rows(s) == {("J1", "return_visit", 1)}
    with sessions.begin() as s:  # the draft is dropped: waiting again, and by now too long
        s.execute(
            select(m.Plan).where(m.Plan.status == m.PlanStatus.DRAFT)
        ).scalar_one().status = m.PlanStatus.SUPERSEDED
        assert _risks(s, at(12, day=25)) == {("J1", Promise.RETURN_VISIT): (2, "waited_too_long")}


def test_the_wait_is_an_argument(sessions: sessionmaker[Session], incomplete: int) -> None:
    with sessions() as s:
        assert _risks(s, at(11, 59), return_wait=timedelta(hours=2)) == {
            ("J1", Promise.RETURN_VISIT): (1, "no_return_visit")
        }
        assert _risks(s, at(12, 1), return_wait=timedelta(hours=2)) == {
            ("J1", Promise.RETURN_VISIT): (2, "waited_too_long")
        }


def test_an_incomplete_job_near_its_resolution_deadline(
    sessions: sessionmaker[Session], incomplete: int
) -> None:
    with sessions.begin() as s:
        found = _risks(s, at(16, day=25))
        assert found == {
            ("J1", Promise.RETURN_VISIT): (2, "waited_too_long"),
            ("J1", Promise.RESOLUTION): (1, "awaiting_return_near_deadline"),
        }
        new = escalate(s, at(16, day=25))
        assert [(a.kind, a.level) for a in new] == [(Promise.RETURN_VISIT, 2), (Promise.RESOLUTION, 1)]
        assert "waiting for a return visit (needs part), 2 h left" in new[1].detail
        assert _rows(s) == {("J1", "return_visit", 1), ("J1", "return_visit", 2), ("J1", "resolution", 1)}
    with sessions.begin() as s:
        new = escalate(s, at(18, 1, day=25))
        assert [(a.kind, a.level, a.reason) for a in new] == [(Promise.RESOLUTION, 2, "breached")]
        assert new[0].detail.endswith("; it waits for a return visit")


def test_a_watcher_that_loses_the_race_skips_the_row_and_keeps_its_transaction(
    sessions: sessionmaker[Session], incomplete: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two watchers read what is raised, then both insert: the unique (job, kind, level) row
    refuses the second, inside a savepoint, and the rest of its pass is still written."""
    with sessions.begin() as s:
        escalate(s, at(11))
    monkeypatch.setattr(escalation, "_raised", lambda session, job_ids: set())  # read before the other wrote
    with sessions.begin() as s:
        new = escalate(s, at(11, day=25))
        assert [(a.kind, a.level) for a in new] == [(Promise.RETURN_VISIT, 2)]
        assert escalate(s, at(11, day=25)) == []
    with sessions() as s:
        assert _rows(s) == {("J1", "return_visit", 1), ("J1", "return_visit", 2)}


def test_the_return_visit_not_the_visit_made_is_judged_by_the_resolution_deadline(
    sessions: sessionmaker[Session], incomplete: int
) -> None:
    with sessions.begin() as s:
        job = s.get_one(m.Job, incomplete)
        transition(s, job, S.NEW, actor="dispatcher:wu", at=at(12))
        plan = _plan(s, job, at(17, 30, day=25), at(18, 30, day=25), status=m.PlanStatus.DRAFT)
    with sessions.begin() as s:
        (a,) = at_risk(s, at(9, day=25))
        assert (a.kind, a.reason, a.planned_end, a.minutes) == (
            Promise.RESOLUTION,
            "end_after_deadline",
            at(18, 30, day=25),
            30,
        )
        # published (which schedules the job), the return visit is the plan of record's
        s.get_one(m.Plan, plan.id).status = m.PlanStatus.PUBLISHED
        transition(s, s.get_one(m.Job, incomplete), S.SCHEDULED, actor="dispatcher:wu", at=at(13))
        assert [(a.kind, a.reason) for a in at_risk(s, at(9, day=25))] == [
            (Promise.RESOLUTION, "end_after_deadline")
        ]
