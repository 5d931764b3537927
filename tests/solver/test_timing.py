"""Planned visits start as early as their order allows, and a step's arrival is the arrival.

The solver's own times (its cumuls) are any feasible values, so the extraction re-times each
route; these tests hold every solved route to the earliest schedule, check it against the
independent checker's, and pin down what ``arrival`` and ``waiting_time`` mean around a break
taken on arrival (issue 18, item 9).
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import (
    Break,
    Job,
    Metaheuristic,
    Problem,
    Route,
    Rule,
    Solution,
    SolveParams,
    Step,
    StepType,
    check,
    solve,
)
from solver.check import TimedStep
from solver.generate import field_service_day
from solver.insertion import apply, insert, timed_route
from solver.model import Depot
from solver.timing import DepotCall, earliest_route
from tests.solver.conftest import FAST, line_problem, shift, tw

H = 3600
QUICK = SolveParams(time_limit=2, solution_limit=60, metaheuristic=Metaheuristic.GREEDY_DESCENT)


def _ready(route: Route, k: int) -> int:
    """When service at step ``k`` can begin: its arrival, or the end of the last break taken
    on the leg to it if that is later."""
    ready = route.steps[k].arrival
    j = k - 1
    while route.steps[j].type is StepType.BREAK:
        ready = max(ready, route.steps[j].arrival + route.steps[j].service)
        j -= 1
    return ready


def _earliest_begin(job: Job, ready: int) -> int:
    begin = ready
    window = job.window_for(ready)
    if window is not None:
        begin = max(begin, window.start)
    if job.fixed_start is not None:
        begin = max(begin, job.fixed_start)
    return begin


def assert_earliest(problem: Problem, solution: Solution) -> None:
    """No stop waits when an earlier start keeps the route feasible, the first stop waits only
    behind a break, and the checker accepts the plan and recomputes the same times."""
    report = check(problem, solution)
    assert report.feasible, report.describe()
    jobs = {j.id: j for j in problem.jobs}
    depots = {d.id: d for d in problem.depots}
    for route in solution.routes:
        starts = route.service_starts()
        checked: list[TimedStep] = report.schedules[route.shift_id].steps
        inner = list(route.steps[1:-1])
        assert [(s.type, s.id) for s in inner] == [(c.type, c.id) for c in checked]
        for k, (step, mine) in enumerate(zip(inner, checked, strict=True), 1):
            assert starts[k] == mine.start, (route.shift_id, step)
            if step.type is StepType.BREAK:
                assert step.arrival == mine.arrival
                continue
            assert step.waiting_time >= 0
            ready = _ready(route, k)
            if step.type is StepType.JOB:
                assert starts[k] == _earliest_begin(jobs[step.id or ""], ready), (route.shift_id, step)
                assert report.service_start[step.id or ""] == starts[k]
            else:
                window = depots[step.id or ""].time_window
                assert starts[k] == max(ready, window.start if window else ready), (route.shift_id, step)
            if k == 1:  # the engineer left late instead of waiting at the first door
                assert (step.arrival, step.waiting_time) == (mine.start, 0)
            else:
                assert (step.arrival, step.waiting_time) == (mine.arrival, mine.waiting)
        assert route.steps[-1].arrival == report.schedules[route.shift_id].end
        assert route.waiting_time == sum(s.waiting_time for s in route.steps)
    assert solution.summary.lateness == sum(report.lateness.values())


@pytest.mark.parametrize(("seed", "parts"), [(1, False), (2, False), (3, True)])
def test_generated_days_start_every_visit_as_early_as_the_route_allows(seed: int, parts: bool) -> None:
    p = field_service_day(36, seed=seed, parts=parts)
    sol = solve(p, replace(FAST, region_jobs=0))
    assert sol.summary.assigned > 0
    assert_earliest(p, sol)


@st.composite
def line_days(draw: st.DrawFn) -> Problem:
    """One or two engineers on a line with jobs in 0-2 windows, a lunch break, sometimes a
    fixed start, and sometimes parts held at a depot that opens late (a transfer)."""
    n = draw(st.integers(1, 6))
    positions = [0, 2500, *draw(st.lists(st.integers(0, 3000), min_size=n + 1, max_size=n + 1))]
    depot_at = len(positions) - 1
    with_depot = draw(st.booleans())
    jobs = []
    for i in range(n):
        kind = draw(st.sampled_from(["none", "one", "two"]))
        a = draw(st.integers(0, 6 * H))
        windows = {
            "none": (),
            "one": (tw(a, a + draw(st.sampled_from([0, 1800, 2 * H]))),),
            "two": (tw(a, a + 600), tw(a + 2 * H, a + 3 * H)),
        }[kind]
        jobs.append(
            Job(
                id=f"j{i}",
                location=2 + i,
                service=draw(st.sampled_from([0, 300, 1800])),
                time_windows=windows,
                deadline=draw(st.one_of(st.none(), st.integers(H, 8 * H))),
                parts=(("P", 1),) if with_depot and draw(st.booleans()) else (),
            )
        )
    if draw(st.booleans()):  # in progress: the start is fixed, the window no longer applies
        fixed = draw(st.integers(0, 4 * H))
        jobs[0] = replace(jobs[0], pinned_engineer="a", fixed_start=fixed, time_windows=())
    opens = draw(st.integers(0, 5 * H))
    lunch = Break(id="lunch", time_windows=(tw(opens, opens + draw(st.sampled_from([0, H]))),), duration=1800)
    shifts = [shift("a", window=(0, 9 * H), breaks=(lunch,) if draw(st.booleans()) else ())]
    if draw(st.booleans()):
        shifts.append(shift("b", start=1, end=None, window=(H, 9 * H), breaks=(lunch,)))
    p = line_problem(positions, jobs, shifts)
    if not with_depot:
        return p
    depot = Depot(id="d", location=depot_at, service=300, stock=(("P", 9),), time_window=tw(opens, 9 * H))
    return replace(p, depots=(depot,))


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(line_days())
def test_solved_routes_never_wait_when_an_earlier_start_is_feasible(p: Problem) -> None:
    assert_earliest(p, solve(p, QUICK))


# The break-on-arrival case: home 0, A at 300, B at 600; the route must be A, lunch, B.
# A ends at 1300 and B is reached at 1600, the lunch starts in [2000, 2100], B opens at 3000.
BREAK_ON_ARRIVAL = line_problem(
    [0, 300, 600],
    [
        Job(id="A", location=1, service=1000),
        Job(id="B", location=2, service=600, time_windows=(tw(3000, 4000),)),
    ],
    [shift("e", end=None, breaks=(Break(id="lunch", time_windows=(tw(2000, 2100),), duration=1000),))],
)


def _kinds(route: Route) -> list[tuple[str, str | None]]:
    return [(s.type.value, s.id) for s in route.steps]


def _assert_break_on_arrival(route: Route) -> None:
    assert _kinds(route) == [("start", None), ("job", "A"), ("break", "lunch"), ("job", "B"), ("end", None)]
    _, a, lunch, b, _ = route.steps
    assert (a.arrival, a.waiting_time) == (300, 0)
    # Driven the whole leg, then the break at B: B's arrival is before it, its wait (1600 to
    # 2000, for the break window) excludes the break itself.
    assert (lunch.arrival, lunch.location) == (2000, None)
    assert (b.arrival, b.waiting_time) == (1600, 400)
    assert route.service_starts() == (0, 300, 2000, 3000, 3600)
    assert route.waiting_time == 400


def test_a_break_taken_on_arrival_comes_after_the_arrival_and_is_not_waiting() -> None:
    p = BREAK_ON_ARRIVAL
    sol = solve(p, FAST)
    _assert_break_on_arrival(sol.routes[0])
    assert_earliest(p, sol)
    # The checker reports the same arrival and service start; its rules still judge B by
    # when service can begin (3000, inside B's window).
    report = check(p, sol)
    _, _, b = report.schedules["e"].steps
    assert (b.arrival, b.start, b.waiting) == (1600, 3000, 400)
    assert report.violations == []
    # Reached at 1600 inside a 1500-1900 window, but served after the lunch: still a violation.
    tight = replace(p, jobs=(p.jobs[0], replace(p.jobs[1], time_windows=(tw(1500, 1900),))))
    assert Rule.TIME_WINDOW in check(tight, sol).rules()


def test_booking_times_a_break_on_arrival_the_same_way() -> None:
    p = BREAK_ON_ARRIVAL
    order = [
        Step(type=StepType.START),
        *(Step(type=StepType.JOB if x != "lunch" else StepType.BREAK, id=x) for x in ("A", "lunch", "B")),
        Step(type=StepType.END),
    ]
    _assert_break_on_arrival(timed_route(p, p.shifts[0], order, {j.id: j for j in p.jobs}))
    # A quote for B after the lunch: the option's arrival is the arrival too.
    base = timed_route(p, p.shifts[0], [s for s in order if s.id != "B"], {j.id: j for j in p.jobs})
    [opt] = insert(p, [base], "B", [tw(3000, 4000)])
    assert (opt.position, opt.arrival, opt.start) == (3, 1600, 3000)


def test_breaks_on_the_road_and_before_leaving_end_before_the_arrival() -> None:
    job = Job(id="J", location=1, service=600)
    p = line_problem([0, 3000], [job], [shift("e")])
    sh = p.shifts[0]
    on_road = earliest_route(
        p, replace(sh, breaks=()), [Break(id="b", time_windows=(tw(1000, 1100),), duration=500), job]
    )
    _, brk, j, _ = on_road.steps
    assert brk.arrival == 1000  # 1000 s driven, 2000 s to go
    assert (j.arrival, j.waiting_time) == (3500, 0)
    assert on_road.service_starts()[2] == 3500
    at_home = earliest_route(p, sh, [Break(id="b", time_windows=(tw(0, 100),), duration=500), job])
    _, brk, j, _ = at_home.steps
    assert brk.arrival == 0
    assert (j.arrival, j.waiting_time) == (3500, 0)


def test_a_job_without_a_window_is_served_on_arrival() -> None:
    # E004: nothing but the solver's slack made the first visit wait; the later window does
    # not hold it back, the wait (if any) is at the windowed job.
    jobs = [
        Job(id="free", location=1, service=600),
        Job(id="slot", location=2, service=600, time_windows=(tw(5000, 6000),)),
    ]
    p = line_problem([0, 100, 200], jobs, [shift("e", window=(0, 10_000))])
    sol = solve(p, FAST)
    assert_earliest(p, sol)
    route = sol.routes[0]
    assert route.job_ids() == ("free", "slot")
    start, free, slot, _ = route.steps
    assert (start.arrival, free.arrival, free.waiting_time) == (0, 100, 0)
    assert route.service_starts()[1:3] == (100, 5000)
    assert (slot.arrival, slot.waiting_time) == (800, 4200)


def test_the_engineer_leaves_late_rather_than_wait_at_the_first_door() -> None:
    # E038: reached inside its window, a visit starts on arrival; a window opening later
    # delays the departure, not the start.
    p = line_problem(
        [0, 100], [Job(id="j", location=1, service=600, time_windows=(tw(3000, 4000),))], [shift("e")]
    )
    sol = solve(p, FAST)
    assert_earliest(p, sol)
    start, j, end = sol.routes[0].steps
    assert (start.arrival, j.arrival, j.waiting_time, end.arrival) == (2900, 3000, 0, 3700)
    assert sol.routes[0].waiting_time == 0


def test_a_depot_stop_waits_for_its_opening_and_loads_what_it_says() -> None:
    transfer = Depot(id="d+t", location=1, service=60, stock=(("R", 1),), time_window=tw(2000, 9000))
    job = Job(id="A", location=2, service=100, parts=(("R", 1),))
    p = replace(line_problem([0, 10, 30], [job], [shift("e")]), depots=(transfer,))
    route = earliest_route(p, p.shifts[0], [DepotCall(transfer, (("R", 1),)), job])
    start, stop, a, _ = route.steps
    assert (start.arrival, stop.arrival, stop.waiting_time, stop.parts) == (1990, 2000, 0, (("R", 1),))
    assert (a.arrival, a.waiting_time) == (2080, 0)
    sol = solve(p, FAST)
    assert_earliest(p, sol)
    assert sol.routes[0].steps == route.steps


def test_a_fixed_start_past_its_window_keeps_the_arrival_inside_the_window() -> None:
    # Not what dispatch sends (an in-progress visit has no window), but delaying the departure
    # must not move the arrival past the window the visit was reached in.
    job = Job(id="j", location=1, time_windows=(tw(0, 600),), pinned_engineer="e", fixed_start=900)
    p = line_problem([0, 100], [job], [shift("e")])
    start, j, _ = earliest_route(p, p.shifts[0], [job]).steps
    assert (start.arrival, j.arrival, j.waiting_time) == (500, 600, 300)


def test_a_quoted_arrival_and_start_are_those_of_the_route_booked() -> None:
    from tests.solver.test_insertion import _random_case

    rng = random.Random(5)
    compared = 0
    for _ in range(150):
        p, routes, windows, pickups = _random_case(rng)
        for o in insert(p, routes, "new", windows, pickups=pickups):
            booked = apply(p, routes[0], o, "new")
            k = next(i for i, s in enumerate(booked.steps) if s.id == "new")
            assert (booked.steps[k].arrival, booked.service_starts()[k]) == (o.arrival, o.start)
            compared += 1
    assert compared > 100
