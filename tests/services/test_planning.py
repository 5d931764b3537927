"""The planning service: territory-day in, a checked plan stored whole or not at all."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from dispatch import models as m
from dispatch import planning
from dispatch.planning import create_run, load_day, run_plan, territory_by_code
from solver import CheckReport

DAY = date(2026, 11, 24)


def _queue(sessions: sessionmaker[Session], code: str = "SZ") -> str:
    with sessions.begin() as s:
        return create_run(s, territory_by_code(s, code), DAY).id


def _count(sessions: sessionmaker[Session], model: type[m.Base]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_territory_day_is_planned_checked_and_stored(
    demo: sessionmaker[Session], engine: Engine, database_url: str
) -> None:
    run_id = _queue(demo)
    assert run_plan(database_url, run_id, time_limit=2) == "succeeded"
    with demo() as s:
        run = s.get_one(m.PlanRun, run_id)
        assert run.progress == 1.0 and run.plan_id is not None and run.finished_at is not None
        plan = s.get_one(m.Plan, run.plan_id)
        td = load_day(s, territory_by_code(s, "SZ"), DAY)
        visited = [v.job_id for r in plan.routes for v in r.visits if v.kind == "job"]
        left = [u.job_id for u in plan.unassigned]
        # Every job of the day is either visited exactly once or listed with its reason.
        assert sorted(visited + left) == sorted(td.job_ids.values())
        assert plan.kpis["served"] == len(visited) and plan.kpis["jobs"] == len(td.job_ids)
        shifts = {sh.id: sh for sh in s.scalars(select(m.Shift))}
        jobs = {j.id: j for j in s.scalars(select(m.Job))}
        for route in plan.routes:
            shift = shifts[route.shift_id]
            assert shift.start <= route.start and route.end <= shift.end
            assert [v.seq for v in route.visits] == list(range(1, len(route.visits) + 1))
            for a, b in zip(route.visits, route.visits[1:], strict=False):
                assert a.end <= b.start  # no overlap
                assert a.end <= b.arrival or a.kind == "break"  # travel takes time; lunch on arrival
            for v in route.visits:
                if v.kind == "job" and jobs[v.job_id].windows:
                    assert any(w.start <= v.start <= w.end for w in jobs[v.job_id].windows)
            assert sum(v.kind == "break" for v in route.visits) == (1 if shift.break_minutes else 0)


def test_a_failure_while_writing_stores_nothing(demo: sessionmaker[Session], database_url: str) -> None:
    run_id = _queue(demo)

    def crash(session: Session, plan: m.Plan) -> None:
        assert plan.id is not None and plan.routes  # the plan is half way into the database
        raise OSError("disk full")

    assert run_plan(database_url, run_id, time_limit=1, on_stored=crash) == "failed"
    for model in (m.Plan, m.Route, m.Visit, m.UnassignedJob):
        assert _count(demo, model) == 0
    with demo() as s:
        run = s.get_one(m.PlanRun, run_id)
        assert run.status is m.RunStatus.FAILED and "disk full" in run.message and run.plan_id is None


def test_a_plan_the_checker_rejects_is_never_stored(
    demo: sessionmaker[Session], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from solver.check import Rule, Violation

    def reject(problem: object, solution: object, **_: object) -> CheckReport:
        return CheckReport(violations=[Violation(rule=Rule.SKILL, message="planted", shift_id="x")])

    monkeypatch.setattr(planning, "check", reject)
    run_id = _queue(demo)
    assert run_plan(database_url, run_id, time_limit=1) == "failed"
    assert _count(demo, m.Plan) == 0
    with demo() as s:
        assert "checker rejected" in s.get_one(m.PlanRun, run_id).message


def test_unknown_territory_names_the_known_ones(demo: sessionmaker[Session]) -> None:
    from dispatch.errors import NotFoundError

    with pytest.raises(NotFoundError, match="known: FD, GZ, SZ"), demo() as s:
        territory_by_code(s, "HK")


def test_a_two_day_horizon_uses_both_days_shifts(demo: sessionmaker[Session], database_url: str) -> None:
    from datetime import timedelta

    with demo.begin() as s:
        fd = territory_by_code(s, "FD")
        for shift in s.scalars(
            select(m.Shift).join(m.Engineer).where(m.Engineer.territory_id == fd.id)
        ).all():
            later = timedelta(days=1)
            s.add(
                m.Shift(
                    engineer_id=shift.engineer_id,
                    day=shift.day + later,
                    start=shift.start + later,
                    end=shift.end + later,
                    break_earliest=shift.break_earliest + later,
                    break_latest_end=shift.break_latest_end + later,
                    break_minutes=shift.break_minutes,
                )
            )
        one = create_run(s, fd, DAY).id
    assert run_plan(database_url, one, 2) == "succeeded"
    with demo.begin() as s:  # one active run per territory-day: the second once the first ended
        two = create_run(s, territory_by_code(s, "FD"), DAY, days=2).id
    assert run_plan(database_url, two, 2) == "succeeded"
    with demo() as s:
        plans = [s.get_one(m.Plan, s.get_one(m.PlanRun, r).plan_id) for r in (one, two)]
        shift_days = {s.get_one(m.Shift, route.shift_id).day for route in plans[1].routes}
        assert plans[1].days == 2 and shift_days == {DAY, DAY + timedelta(days=1)}
        assert plans[1].kpis["served"] > plans[0].kpis["served"]
        # Jobs booked into a Tuesday window are never put on Wednesday.
        for route in plans[1].routes:
            for v in route.visits:
                if v.job_id is not None:
                    windows = s.get_one(m.Job, v.job_id).windows
                    assert not windows or any(w.start <= v.start <= w.end for w in windows)
