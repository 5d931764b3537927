"""In-day re-planning: what is done stays done, what is in hand stays in hand, and the rest
of the day is re-planned from where each engineer is, preferring to keep jobs where they were."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch.demo import DEMO_DATA
from dispatch.importer import import_directory
from dispatch.lifecycle import transition
from dispatch.planning import create_run, load_day, publish, run_plan, territory_by_code

DAY = date(2026, 11, 24)
CST = timezone(timedelta(hours=8))


def _plan(sessions: sessionmaker[Session], url: str, as_of: datetime | None = None) -> int:
    with sessions.begin() as s:
        run_id = create_run(s, territory_by_code(s, "GZ"), DAY, as_of=as_of).id
    assert run_plan(url, run_id, 2) == "succeeded"
    with sessions() as s:
        plan_id = s.get_one(m.PlanRun, run_id).plan_id
        assert plan_id is not None
        return plan_id


def _routes(s: Session, plan_id: int) -> dict[int, list[m.Visit]]:
    plan = s.get_one(m.Plan, plan_id)
    return {r.engineer_id: [v for v in r.visits if v.kind == "job"] for r in plan.routes}


@pytest.fixture
def morning(
    sessions: sessionmaker[Session], database_url: str
) -> tuple[sessionmaker[Session], int, dict[str, int]]:
    """GZ planned and published; by 10:30 one engineer has finished a visit and is on site at
    the next since 10:10, another is driving to their first visit."""
    with sessions.begin() as s:
        import_directory(s, DEMO_DATA)
    plan_id = _plan(sessions, database_url)
    with sessions.begin() as s:
        publish(s, plan_id, actor="dispatcher:wu", dispatch_now=True)
    with sessions.begin() as s:
        routes = sorted(_routes(s, plan_id).items())
        busy, busy_visits = next((e, v) for e, v in routes if len(v) >= 3)

        def open_late(visit: m.Visit) -> bool:  # still reachable after 10:30, whatever the search did
            windows = s.get_one(m.Job, visit.job_id).windows
            return not windows or max(w.end for w in windows) >= datetime(2026, 11, 24, 15, tzinfo=CST)

        driving, driving_visits = next((e, v) for e, v in routes if e != busy and v and open_late(v[0]))
        done = s.get_one(m.Job, busy_visits[0].job_id)
        on_site = s.get_one(m.Job, busy_visits[1].job_id)
        heading = s.get_one(m.Job, driving_visits[0].job_id)
        t = datetime(2026, 11, 24, 9, 0, tzinfo=CST)
        for job, steps in (
            (done, [m.JobStatus.EN_ROUTE, m.JobStatus.ON_SITE, m.JobStatus.COMPLETED]),
            (on_site, [m.JobStatus.EN_ROUTE, m.JobStatus.ON_SITE]),
            (heading, [m.JobStatus.EN_ROUTE]),
        ):
            for status in steps:
                t += timedelta(minutes=10)
                transition(s, job, status, actor="engineer", at=t.astimezone(UTC))
        ids = {
            "busy": busy,
            "driving": driving,
            "done": done.id,
            "on_site": on_site.id,
            "heading": heading.id,
        }
    return sessions, plan_id, ids


def test_replanning_keeps_finished_and_in_hand_work(
    morning: tuple[sessionmaker[Session], int, dict[str, int]], database_url: str
) -> None:
    sessions, _first, ids = morning
    as_of = datetime(2026, 11, 24, 10, 30, tzinfo=CST)
    with sessions() as s:
        td = load_day(s, territory_by_code(s, "GZ"), DAY, as_of.astimezone(UTC))
        codes = {v: k for k, v in td.job_ids.items()}
        assert ids["done"] not in codes  # finished visits are not planned again
        on_site = next(j for j in td.problem.jobs if td.job_ids[j.id] == ids["on_site"])
        assert on_site.fixed_start is not None and on_site.pinned_rank == 0
    second = _plan(sessions, database_url, as_of.astimezone(UTC))
    with sessions() as s:
        routes = _routes(s, second)
        on_site_at = s.get_one(m.Job, ids["on_site"]).events[-1].at
        first_visit = routes[ids["busy"]][0]
        assert first_visit.job_id == ids["on_site"] and first_visit.start == on_site_at
        assert routes[ids["driving"]][0].job_id == ids["heading"]
        planned = [v for visits in routes.values() for v in visits]
        assert all(v.start >= as_of for v in planned if v.job_id != ids["on_site"])
        assert ids["done"] not in {v.job_id for v in planned}
        # Stability is the solver's (tests/solver); here: every job already given to an
        # engineer reaches it with that engineer as the one to prefer.
        engineer_code = {e.id: e.code for e in s.scalars(select(m.Engineer))}
        dispatched = {
            j.code: j for j in s.scalars(select(m.Job).where(m.Job.status == m.JobStatus.DISPATCHED))
        }
        for job in td.problem.jobs:
            if job.id in dispatched:
                assert job.previous_engineer == engineer_code[dispatched[job.id].engineer_id]
