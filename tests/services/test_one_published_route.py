"""A job is on at most one published, unfinished route.

Once, planning and publishing Guangzhou for one day and then for the next put 39 jobs on both
published plans. Now planning a day leaves out what another published day not yet over holds,
publishing refuses a plan holding such a job (under the jobs' row locks, so two publishes of
adjacent days cannot both take one), and a dispatcher who moves a job to another day on
purpose takes it off the first.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch.demo import DEMO_DATA
from dispatch.errors import ConflictError
from dispatch.importer import import_directory
from dispatch.plan_edits import Move, move_job
from dispatch.planning import create_run, publish, run_plan, territory_by_code

CST = timezone(timedelta(hours=8))
DAY = date(2026, 11, 24)
NEXT = DAY + timedelta(days=1)
MORNING = datetime(2026, 11, 24, 6, 0, tzinfo=CST).astimezone(UTC)  # both days still to come


@pytest.fixture
def two_days(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The demo region with Guangzhou's shifts repeated on the next day."""
    with sessions.begin() as s:
        import_directory(s, DEMO_DATA)
        gz = territory_by_code(s, "GZ")
        for sh in s.scalars(select(m.Shift).join(m.Engineer).where(m.Engineer.territory_id == gz.id)).all():
            one = timedelta(days=1)
            s.add(
                m.Shift(
                    engineer_id=sh.engineer_id,
                    day=NEXT,
                    start=sh.start + one,
                    end=sh.end + one,
                    break_earliest=sh.break_earliest + one if sh.break_earliest else None,
                    break_latest_end=sh.break_latest_end + one if sh.break_latest_end else None,
                    break_minutes=sh.break_minutes,
                    max_jobs=sh.max_jobs,
                )
            )
    return sessions


def _draft(sessions: sessionmaker[Session], url: str, day: date) -> int:
    with sessions.begin() as s:
        run = create_run(s, territory_by_code(s, "GZ"), day)
        run.created_at = MORNING  # the moment the dispatcher asked
        run_id = run.id
    assert run_plan(url, run_id, 2) == "succeeded"
    with sessions() as s:
        plan_id = s.get_one(m.PlanRun, run_id).plan_id
        assert plan_id is not None
        return plan_id


def _publish(sessions: sessionmaker[Session], plan_id: int) -> None:
    with sessions.begin() as s:
        publish(s, plan_id, actor="dispatcher:wu", now=MORNING)


def _jobs(s: Session, plan_id: int) -> set[int]:
    plan = s.get_one(m.Plan, plan_id)
    return {v.job_id for r in plan.routes for v in r.visits if v.job_id is not None}


def _on_published_routes(s: Session) -> Counter[int]:
    rows = s.execute(
        select(m.Visit.job_id)
        .join(m.Route, m.Route.id == m.Visit.route_id)
        .join(m.Plan, m.Plan.id == m.Route.plan_id)
        .where(m.Plan.status == m.PlanStatus.PUBLISHED, m.Visit.job_id.is_not(None))
    ).scalars()
    return Counter(j for j in rows if j is not None)


def test_the_next_day_is_planned_without_what_the_first_day_holds(
    two_days: sessionmaker[Session], database_url: str
) -> None:
    first = _draft(two_days, database_url, DAY)
    _publish(two_days, first)
    second = _draft(two_days, database_url, NEXT)
    with two_days() as s:
        assert not _jobs(s, first) & _jobs(s, second)
        assert _jobs(s, second)  # the next day has work of its own (jobs with no window)
    _publish(two_days, second)
    with two_days() as s:
        assert max(_on_published_routes(s).values()) == 1


def test_a_stale_draft_holding_another_days_job_is_not_published(
    two_days: sessionmaker[Session], database_url: str
) -> None:
    """Both days planned before either is published: the second publish is refused, naming
    the jobs, and changes nothing."""
    first = _draft(two_days, database_url, DAY)
    second = _draft(two_days, database_url, NEXT)
    with two_days() as s:
        shared = _jobs(s, first) & _jobs(s, second)
        assert shared
        codes = {s.get_one(m.Job, j).code for j in shared}
    _publish(two_days, first)
    with two_days() as s:
        before = {j.id: (j.status, j.engineer_id) for j in s.scalars(select(m.Job))}
    with pytest.raises(ConflictError) as refused:
        _publish(two_days, second)
    assert refused.value.field == "plan" and all(code in refused.value.reason for code in codes)
    with two_days() as s:
        assert {j.id: (j.status, j.engineer_id) for j in s.scalars(select(m.Job))} == before
        assert s.get_one(m.Plan, second).status is m.PlanStatus.DRAFT
        assert max(_on_published_routes(s).values()) == 1


def test_two_publishes_of_adjacent_days_racing_cannot_both_take_a_job(
    two_days: sessionmaker[Session], database_url: str
) -> None:
    """On PostgreSQL the second waits for the first's row locks and is then refused; SQLite has
    one writer at a time and answers the loser 'busy' (the API's 503: retry)."""
    first = _draft(two_days, database_url, DAY)
    second = _draft(two_days, database_url, NEXT)
    with two_days() as s:
        assert _jobs(s, first) & _jobs(s, second)
    outcome: dict[int, str] = {}
    barrier = threading.Barrier(2)

    def go(plan_id: int) -> None:
        barrier.wait()
        try:
            _publish(two_days, plan_id)
            outcome[plan_id] = "published"
        except ConflictError:
            outcome[plan_id] = "refused"
        except OperationalError as exc:  # SQLite: the other writer holds the database
            assert "locked" in str(exc) or "busy" in str(exc)
            outcome[plan_id] = "refused"

    threads = [threading.Thread(target=go, args=(p,)) for p in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome.values()) == ["published", "refused"]
    with two_days() as s:
        assert max(_on_published_routes(s).values()) == 1


def test_moving_a_job_to_the_next_day_on_purpose_takes_it_off_the_first(
    two_days: sessionmaker[Session], database_url: str
) -> None:
    first = _draft(two_days, database_url, DAY)
    _publish(two_days, first)
    second = _draft(two_days, database_url, NEXT)
    _publish(two_days, second)
    with two_days() as s:
        plan = s.get_one(m.Plan, first)
        windowless = {j.id for j in s.scalars(select(m.Job)) if not j.windows and not j.parts}
        route, visit = next(
            (r, v) for r in plan.routes for v in r.visits if v.job_id in windowless and len(r.visits) > 2
        )
        code = s.get_one(m.Job, visit.job_id).code
        target = s.get_one(m.Engineer, route.engineer_id).code  # the same engineer, a day later
        version = route.version
    with two_days.begin() as s:
        move_job(s, second, Move(job=code, engineer=target), actor="dispatcher:wu", now=MORNING)
    with two_days() as s:
        assert visit.job_id in _jobs(s, second) and visit.job_id not in _jobs(s, first)
        assert s.get_one(m.Route, route.id).version == version + 1
        assert max(_on_published_routes(s).values()) == 1
