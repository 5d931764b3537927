"""Mutate good plans and show the checker catches each broken rule."""

from __future__ import annotations

from dataclasses import replace

import pytest

from solver import Break, Job, Problem, Rule, Solution, Step, StepType, Unassigned, check, solve
from solver.model import Reason
from tests.solver.conftest import FAST, line_problem, shift, tw

LUNCH = Break(id="lunch", time_windows=(tw(12 * 3600, 13 * 3600),), duration=1800)


@pytest.fixture(scope="module")
def planned() -> tuple[Problem, Solution]:
    jobs = [
        Job(
            id="hvac",
            location=1,
            service=1800,
            skills=(("hvac", 2),),
            time_windows=(tw(9 * 3600, 11 * 3600),),
        ),
        Job(id="washer", location=2, service=1800, skills=(("washer", 1),), deadline=15 * 3600, sla_tier=2),
        Job(id="any1", location=3, service=3600, delivery=(3,)),
        Job(id="any2", location=4, service=3600, delivery=(3,)),
    ]
    shifts = [
        shift("senior", skills={"hvac": 3}, window=(8 * 3600, 17 * 3600), breaks=(LUNCH,), capacity=(5,)),
        shift(
            "washer",
            start=5,
            end=5,
            skills={"washer": 1},
            window=(8 * 3600, 17 * 3600),
            breaks=(LUNCH,),
            capacity=(5,),
        ),
    ]
    p = line_problem([0, 600, 9000, 1200, 8000, 9600], jobs, shifts)
    sol = solve(p, FAST)
    report = check(p, sol)
    assert report.feasible, report.describe()
    assert sol.summary.assigned == 4
    return p, sol


def _edit(sol: Solution, shift_id: str, steps: list[Step]) -> Solution:
    routes = tuple(replace(r, steps=tuple(steps)) if r.shift_id == shift_id else r for r in sol.routes)
    return replace(sol, routes=routes)


def _route(sol: Solution, job_id: str) -> tuple[str, list[Step]]:
    r = next(r for r in sol.routes if job_id in r.job_ids())
    return r.shift_id, list(r.steps)


def test_good_plan_has_no_violations(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    assert check(p, sol).violations == []


def test_job_moved_to_an_unskilled_engineer(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    sid, steps = _route(sol, "hvac")
    other = next(r for r in sol.routes if r.shift_id != sid)
    hvac = next(s for s in steps if s.id == "hvac")
    sol = _edit(sol, sid, [s for s in steps if s.id != "hvac"])
    sol = _edit(sol, other.shift_id, [*other.steps[:-1], hvac, other.steps[-1]])
    assert Rule.SKILL in check(p, sol).rules()


def test_visit_pushed_outside_its_window(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    sid, steps = _route(sol, "hvac")
    jobs = [s for s in steps if s.type is StepType.JOB]
    # Put the windowed job last, after hours of other work on the route.
    reordered = [
        steps[0],
        *[s for s in steps[1:-1] if s.id != "hvac"],
        next(s for s in jobs if s.id == "hvac"),
        steps[-1],
    ]
    report = check(p, _edit(sol, sid, reordered))
    assert Rule.TIME_WINDOW in report.rules()


def test_dropped_break(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    sid, steps = _route(sol, "hvac")
    report = check(p, _edit(sol, sid, [s for s in steps if s.type is not StepType.BREAK]))
    assert Rule.BREAK_MISSING in report.rules()


def test_break_placed_after_its_window_closed(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    # The plan takes lunch after some visits; a break that must start by 08:05 no longer fits there.
    early = Break(id="lunch", time_windows=(tw(8 * 3600, 8 * 3600 + 300),), duration=1800)
    moved = replace(p, shifts=tuple(replace(s, breaks=(early,)) for s in p.shifts))
    assert Rule.BREAK_WINDOW in check(moved, sol).rules()


def test_duplicate_and_missing_jobs(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    sid, steps = _route(sol, "any1")
    any1 = next(s for s in steps if s.id == "any1")
    dup = _edit(sol, sid, [*steps[:-1], any1, steps[-1]])
    assert Rule.DUPLICATE_JOB in check(p, dup).rules()
    missing = _edit(sol, sid, [s for s in steps if s.id != "any1"])
    assert Rule.MISSING_JOB in check(p, missing).rules()
    both = replace(missing, unassigned=(Unassigned(job_id="ghost", reason=Reason.CAPACITY),))
    assert {Rule.MISSING_JOB, Rule.UNKNOWN_JOB} <= check(p, both).rules()


def test_shift_end_and_capacity_overrun(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    sid, _ = _route(sol, "any1")
    short = replace(
        p,
        shifts=tuple(replace(s, time_window=tw(8 * 3600, 9 * 3600)) if s.id == sid else s for s in p.shifts),
    )
    assert Rule.SHIFT_END in check(short, sol).rules()
    small = replace(p, shifts=tuple(replace(s, capacity=(2,)) for s in p.shifts))
    assert Rule.CAPACITY in check(small, sol).rules()


def test_sla_lateness_is_soft_unless_deadlines_are_hard(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    tight = replace(p, jobs=tuple(replace(j, deadline=0) if j.id == "washer" else j for j in p.jobs))
    soft = check(tight, sol)
    assert Rule.SLA_LATE in soft.rules() and soft.feasible and soft.lateness["washer"] > 0
    assert not check(tight, sol, hard_deadlines=True).feasible


def test_checker_never_reads_the_solvers_times(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    zeroed = replace(
        sol,
        routes=tuple(
            replace(r, steps=tuple(replace(s, arrival=0, waiting_time=0) for s in r.steps))
            for r in sol.routes
        ),
    )
    assert check(p, zeroed).violations == check(p, sol).violations
    assert check(p, zeroed).service_start == check(p, sol).service_start


def test_pinned_engineer_and_order(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    sid, steps = _route(sol, "any1")
    other = next(s.engineer_id for s in p.shifts if s.id != sid)
    pinned = replace(
        p, jobs=tuple(replace(j, pinned_engineer=other) if j.id == "any1" else j for j in p.jobs)
    )
    assert Rule.PINNED_ENGINEER in check(pinned, sol).rules()
    order = [s.id for s in steps if s.type is StepType.JOB]
    eng = next(s.engineer_id for s in p.shifts if s.id == sid)
    ranks = {jid: len(order) - k for k, jid in enumerate(order)}  # reverse of the planned order
    ranked = replace(
        p,
        jobs=tuple(
            replace(j, pinned_engineer=eng, pinned_rank=ranks[j.id]) if j.id in ranks else j for j in p.jobs
        ),
    )
    assert Rule.PINNED_ORDER in check(ranked, sol).rules()


def test_route_for_unknown_shift_and_malformed_route(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    ghost = replace(sol, routes=(*sol.routes, replace(sol.routes[0], shift_id="nobody")))
    assert Rule.UNKNOWN_SHIFT in check(p, ghost).rules()
    sid, steps = _route(sol, "any1")
    assert Rule.MALFORMED_ROUTE in check(p, _edit(sol, sid, steps[1:])).rules()
