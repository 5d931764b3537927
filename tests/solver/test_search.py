"""The ruin-and-recreate search (`solver.search`): every operator leaves a plan the independent
checker accepts, the search never ends worse than it started, its cost is the checker's
schedule priced by the model's objective, and a seed with an iteration limit repeats."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from solver import SolveParams, check, solve
from solver.generate import engineers_for, field_service_day
from solver.io.solomon import read_solomon, solomon_params
from solver.model import ArcCost, Problem, Solution
from solver.search.day import DEPOT_BASE, Day
from solver.search.lns import RUINS, Search, State, improve, initial_state, to_solution
from tests.solver.conftest import assert_valid

DATA = Path(__file__).resolve().parent.parent / "data"
MODEL_ONLY = SolveParams(time_limit=5, solution_limit=50, region_jobs=0)


@pytest.fixture(scope="module")
def day_plan() -> tuple[Problem, Solution]:
    """A full 60-job day (windows, lunch breaks, SLA tiers, skills) and a first plan of it."""
    problem = field_service_day(60, engineers_for(60, True), seed=7)
    return problem, solve(problem, MODEL_ONLY)


@pytest.fixture(scope="module")
def parts_plan() -> tuple[Problem, Solution]:
    """A 60-job day with spare parts (vans, depots with stock, a part nowhere) and the model's
    first plan of it (with depot variants), which the search restarts from its own stops."""
    problem = field_service_day(60, engineers_for(60), seed=2024, parts=True)
    assert any(j.parts for j in problem.jobs) and problem.depots
    return problem, solve(problem, MODEL_ONLY)


@pytest.fixture(scope="module")
def solomon() -> tuple[Problem, Solution]:
    """Solomon C101 (capacity and windows) at scale 100 with distance costs, and a first plan."""
    problem = read_solomon(DATA / "C101.txt").to_problem(scale=100)
    params = replace(solomon_params(5), first_solutions=(), solution_limit=1, lns_share=0.0)
    return problem, solve(problem, params)


def _state_solution(day: Day, state: State) -> Solution:
    return to_solution(day, state, 0.0, ())


@pytest.mark.parametrize("how", RUINS)
@pytest.mark.parametrize("which", ["day_plan", "solomon", "parts_plan"])
def test_each_ruin_leaves_a_plan_the_checker_accepts(
    how: str, which: str, request: pytest.FixtureRequest
) -> None:
    problem, start = request.getfixturevalue(which)
    params = SolveParams(arc_cost=ArcCost.DISTANCE) if which == "solomon" else SolveParams()
    day = Day(problem, params)
    search = Search(day, seed=11)
    for _ in range(5):
        state = initial_state(day, start)
        routed = set(state.where)
        removed, touched = search.ruin(state, how)
        assert removed and removed <= routed and not removed & set(state.where)
        assert touched and all(s in range(len(problem.shifts)) for s in touched)
        assert_valid(problem, _state_solution(day, state))  # removed jobs are listed unassigned


@pytest.mark.parametrize("which", ["day_plan", "solomon", "parts_plan"])
def test_recreate_puts_jobs_back_into_a_checked_plan(which: str, request: pytest.FixtureRequest) -> None:
    problem, start = request.getfixturevalue(which)
    params = SolveParams(arc_cost=ArcCost.DISTANCE) if which == "solomon" else SolveParams()
    day = Day(problem, params)
    search = Search(day, seed=3)
    for how in RUINS:
        state = initial_state(day, start)
        removed, touched = search.ruin(state, how)
        search.recreate(state, removed, touched)
        placed = removed & set(state.where)
        assert placed, how  # the room they left is there to take
        solution = _state_solution(day, state)
        assert_valid(problem, solution)
        assert {u.job_id for u in solution.unassigned} >= {problem.jobs[j].id for j in removed - placed}


@pytest.mark.parametrize("which", ["day_plan", "solomon", "parts_plan"])
def test_the_search_never_ends_worse_and_prices_what_the_checker_times(
    which: str, request: pytest.FixtureRequest
) -> None:
    problem, start = request.getfixturevalue(which)
    params = SolveParams(arc_cost=ArcCost.DISTANCE) if which == "solomon" else SolveParams()
    day = Day(problem, params)
    first = initial_state(day, start)
    best = Search(day, seed=5).run(first.copy(), iterations=300)
    assert best.cost <= first.cost
    solution = _state_solution(day, best)
    assert_valid(problem, solution)
    report = check(problem, solution)
    # The search's schedule is the checker's: same service starts, same lateness, same arcs.
    starts = {
        st.id: begin
        for r in solution.routes
        for st, begin in zip(r.steps, r.service_starts(), strict=True)
        if st.id is not None and st.type.value == "job"
    }
    assert starts == report.service_start
    arcs = report.distance if which == "solomon" else report.travel_time
    counters = sum(s.service for r in solution.routes for s in r.steps if s.type.value == "depot")
    assert sum(sc.arc for sc in best.scheds) == arcs + counters  # the model prices counter time too
    late = sum(day.late_cost(j, starts[problem.jobs[j].id]) for j in best.where)
    assert sum(sc.late for sc in best.scheds) == late


def test_a_seed_and_an_iteration_limit_repeat_the_plan(day_plan: tuple[Problem, Solution]) -> None:
    problem, _ = day_plan
    params = SolveParams(iterations=200, seed=9, region_jobs=0)
    one, two = solve(problem, params), solve(problem, params)
    assert_valid(problem, one)
    assert [r.job_ids() for r in one.routes] == [r.job_ids() for r in two.routes]
    assert one.summary.cost == two.summary.cost
    other = solve(problem, replace(params, seed=10))
    assert_valid(problem, other)


def test_two_chains_keep_the_better_plan_and_repeat(day_plan: tuple[Problem, Solution]) -> None:
    problem, _ = day_plan
    params = SolveParams(iterations=150, seed=4, region_jobs=0)
    alone = solve(problem, params)
    both = solve(problem, replace(params, workers=2))
    again = solve(problem, replace(params, workers=2))
    assert_valid(problem, both)
    assert both.summary.cost <= alone.summary.cost  # the first chain is the lone one
    assert [r.job_ids() for r in both.routes] == [r.job_ids() for r in again.routes]


def test_the_search_improves_a_plain_model_plan(solomon: tuple[Problem, Solution]) -> None:
    """From the model's first plan of C101 (one solution), a few hundred steps find shorter
    routes; the optimum is 827.3 (scaled: 82,730)."""
    problem, start = solomon
    params = replace(solomon_params(5), first_solutions=(), iterations=600, seed=1)
    better = solve(problem, params)
    assert_valid(problem, better)
    assert not better.unassigned
    assert better.summary.distance < start.summary.distance


def test_hard_deadlines_stay_hard_in_the_search(day_plan: tuple[Problem, Solution]) -> None:
    """With hard deadlines no step may trade a promise for travel (it once priced it)."""
    problem, _ = day_plan
    params = SolveParams(iterations=400, seed=2, region_jobs=0, hard_deadlines=True)
    solution = solve(problem, params)
    assert_valid(problem, solution, hard_deadlines=True)
    assert solution.summary.late_jobs == 0


def test_jobs_the_van_cannot_serve_get_a_depot_stop(parts_plan: tuple[Problem, Solution]) -> None:
    """From the parts-blind start every visit whose parts are not on the van is left out; the
    search serves such jobs after a depot stop (a new one, or an earlier stop of the route that
    loads for it too), and no depot gives more than it holds (the checker follows each van and
    every depot's stock)."""
    problem, start = parts_plan
    day = Day(problem, SolveParams())
    first = initial_state(day, start)
    best = Search(day, seed=8).run(first.copy(), iterations=400)
    solution = _state_solution(day, best)
    assert_valid(problem, solution)
    assert best.stops
    for sid, stop in best.stops.items():  # each stop loads what the jobs it serves need, later on
        route = best.routes[best.where[stop.jobs[0]]]
        at = route.index(DEPOT_BASE - sid)
        assert set(stop.jobs) <= set(route[at + 1 :])
        assert all(best.served_by[j] == sid for j in stop.jobs)
    steps = [st for r in solution.routes for st in r.steps if st.type.value == "depot"]
    loaded = sum(q for st in steps for _, q in st.parts)
    wanted = [problem.jobs[j].parts for stop in best.stops.values() for j in stop.jobs]
    assert loaded == sum(q for parts in wanted for _, q in parts)
    assert best.cost <= first.cost and len(best.unassigned) <= len(first.unassigned)
    assert all(v >= 0 for v in best.depot_left.values())


def test_the_search_builds_a_plan_when_the_model_found_none(day_plan: tuple[Problem, Solution]) -> None:
    """With too little time the model may return no plan: the search then places the jobs
    itself (its first step re-inserts everything the start left out)."""
    problem, start = day_plan
    nothing = replace(start, routes=(), unassigned=())
    solution = improve(problem, nothing, SolveParams(), iterations=50, seed=1)
    assert_valid(problem, solution)
    assert solution.summary.assigned >= 0.8 * start.summary.assigned


@pytest.mark.parametrize("which", ["day_plan", "solomon", "parts_plan"])
def test_the_slack_shortcut_agrees_with_re_timing_the_rest_of_the_route(
    which: str, request: pytest.FixtureRequest
) -> None:
    """Insertion decides most places from the forward slack (`routes._fast_ok`); wherever it
    answers, re-timing the rest of the route (`routes._suffix_ok`) must give the same answer,
    at every gap of every route, resumed at times from early to hopeless."""
    from solver.search.routes import _fast_ok, _suffix_ok

    problem, start = request.getfixturevalue(which)
    params = SolveParams(arc_cost=ArcCost.DISTANCE) if which == "solomon" else SolveParams()
    day = Day(problem, params)
    state = Search(day, seed=3).run(initial_state(day, start), iterations=20)
    answered = both = 0
    for sh, items in enumerate(state.routes):
        sched = state.scheds[sh]
        if not sched.feasible or not items:
            continue
        for k in range(len(items) + 1):
            for j in day.neighbours[0][:4]:
                for shift_by in (-3600, 0, 600, 1800, 7200, 36000):
                    t = sched.t[k] + shift_by
                    fast = _fast_ok(day, sh, items, sched, k, t, day.loc[j])
                    slow = _suffix_ok(day, sh, items, sched, k, t, day.loc[j], state.stops)
                    if fast is not None:
                        answered += 1
                        both += slow
                        assert fast == slow, (sh, k, j, shift_by)
    assert answered and both  # the shortcut answered, and some places were feasible
