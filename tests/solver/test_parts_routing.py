"""Parts-aware routing: vans, depot stops chosen by the solver, depot stock, tools, transfers.

Every plan goes through the independent checker, which follows the van's stock along the
route; the mutation tests at the end show it catches what it claims to.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from solver import Job, Problem, Reason, Rule, Solution, SolveParams, StepType, check, solve
from solver.model import Depot, Shift, Step
from tests.solver.conftest import FAST, assert_valid, line_problem, reasons, shift, tw

# Locations on a line: 0 home, 1 near depot (x=10), 2 far depot (x=-40), 3 job A (x=30), 4 job B (x=35)
POSITIONS = [0, 10, -40, 30, 35]
NEAR = Depot(id="near", location=1, service=60, stock=(("P", 5),), tools=("T",))
FAR = Depot(id="far", location=2, service=60, stock=(("P", 5), ("Q", 5)))


def problem(jobs: list[Job], shifts: list[Shift], depots: tuple[Depot, ...] = (NEAR, FAR)) -> Problem:
    return replace(line_problem(POSITIONS, jobs, shifts), depots=depots)


def steps_of(solution: Solution, shift_id: str) -> list[Step]:
    route = next(r for r in solution.routes if r.shift_id == shift_id)
    return [s for s in route.steps if s.type in (StepType.JOB, StepType.DEPOT)]


def test_part_on_the_van_needs_no_depot_stop(fast: SolveParams) -> None:
    p = problem(
        [Job(id="A", location=3, service=100, parts=(("P", 1),))], [replace(shift("e"), stock=(("P", 2),))]
    )
    sol = solve(p, fast)
    assert_valid(p, sol)
    assert [s.type for s in steps_of(sol, "e")] == [StepType.JOB]


def test_solver_picks_the_nearer_depot_before_the_visit(fast: SolveParams) -> None:
    p = problem([Job(id="A", location=3, service=100, parts=(("P", 1),))], [shift("e")])
    sol = solve(p, fast)
    assert_valid(p, sol)
    steps = steps_of(sol, "e")
    assert [(s.type, s.id) for s in steps] == [(StepType.DEPOT, "near"), (StepType.JOB, "A")]
    assert steps[0].parts == (("P", 1),)  # loads what the route uses, not the depot's whole stock
    assert steps[1].arrival >= steps[0].arrival + NEAR.service


def test_only_the_depot_holding_the_part_serves(fast: SolveParams) -> None:
    p = problem([Job(id="A", location=3, service=100, parts=(("Q", 2),))], [shift("e")])
    sol = solve(p, fast)
    assert_valid(p, sol)
    assert [(s.type, s.id) for s in steps_of(sol, "e")] == [(StepType.DEPOT, "far"), (StepType.JOB, "A")]


def test_part_nowhere_in_stock_is_unassigned_with_its_reason(fast: SolveParams) -> None:
    p = problem(
        [Job(id="A", location=3, service=100, parts=(("Z", 1),)), Job(id="B", location=4, parts=(("P", 9),))],
        [shift("e")],
    )
    sol = solve(p, fast)
    assert_valid(p, sol)
    assert reasons(sol) == {"A": Reason.PART_UNAVAILABLE, "B": Reason.PART_UNAVAILABLE}
    detail = {u.job_id: u.detail for u in sol.unassigned}
    assert "Z" in detail["A"] and "9 × P" in detail["B"]


def test_two_jobs_sharing_one_van_part_send_the_route_to_a_depot(fast: SolveParams) -> None:
    jobs = [Job(id=j, location=loc, service=100, parts=(("P", 1),)) for j, loc in (("A", 3), ("B", 4))]
    p = problem(jobs, [replace(shift("e"), stock=(("P", 1),))])
    sol = solve(p, fast)
    assert_valid(p, sol)
    steps = steps_of(sol, "e")
    assert sum(s.type is StepType.DEPOT for s in steps) == 1
    assert {j for s in steps if s.type is StepType.JOB for j in [s.id]} == {"A", "B"}
    assert sum(q for s in steps for _, q in s.parts) == 1  # one on the van, one loaded


def test_depot_stock_is_shared_by_all_routes(fast: SolveParams) -> None:
    # Two engineers, no van stock, one unit in the only depot: one job is served, not both.
    one = Depot(id="near", location=1, service=60, stock=(("P", 1),))
    jobs = [Job(id=j, location=loc, service=100, parts=(("P", 1),)) for j, loc in (("A", 3), ("B", 4))]
    p = problem(jobs, [shift("e1", max_jobs=1), shift("e2", max_jobs=1)], depots=(one,))
    sol = solve(p, fast)
    assert_valid(p, sol)
    assert sol.summary.assigned == 1
    loaded = [q for r in sol.routes for s in r.steps if s.type is StepType.DEPOT for _, q in s.parts]
    assert sum(loaded) == 1


def test_a_tool_is_fetched_once_and_kept(fast: SolveParams) -> None:
    jobs = [Job(id=j, location=loc, service=100, tools=("T",)) for j, loc in (("A", 3), ("B", 4))]
    p = problem(jobs, [shift("e")])
    sol = solve(p, fast)
    assert_valid(p, sol)
    steps = steps_of(sol, "e")
    assert steps[0].type is StepType.DEPOT and steps[0].id == "near" and steps[0].tools == ("T",)
    assert sum(s.type is StepType.DEPOT for s in steps) == 1


def test_engineer_with_the_part_on_board_is_preferred(fast: SolveParams) -> None:
    # Both engineers live at x=0; only e2's van holds the part, so e2 saves the depot detour.
    p = problem(
        [Job(id="A", location=3, service=100, parts=(("P", 1),))],
        [shift("e1"), replace(shift("e2"), stock=(("P", 1),))],
    )
    sol = solve(p, fast)
    assert_valid(p, sol)
    assert [r.shift_id for r in sol.routes] == ["e2"]
    assert not any(s.type is StepType.DEPOT for s in sol.routes[0].steps)


def test_transferred_stock_is_collected_after_it_arrives(fast: SolveParams) -> None:
    # The part reaches the near depot by transfer at t=2,000: the visit is planned after that.
    transfer = Depot(
        id="near+transfer", location=1, service=60, stock=(("R", 1),), time_window=tw(2_000, 9_000)
    )
    p = problem([Job(id="A", location=3, service=100, parts=(("R", 1),))], [shift("e")], depots=(transfer,))
    sol = solve(p, fast)
    assert_valid(p, sol)
    steps = steps_of(sol, "e")
    assert steps[0].id == "near+transfer" and steps[0].arrival + steps[0].waiting_time >= 2_000
    assert steps[1].arrival >= 2_060


def test_parts_routing_on_a_larger_day_stays_valid() -> None:
    # Twelve jobs, three engineers with different vans, two depots: a real search.
    jobs = [
        Job(id=f"J{k}", location=3 + k % 2, service=300, parts=((("P", "Q")[k % 2], 1 + k % 3),))
        for k in range(12)
    ]
    vans = [(("P", 2),), (("Q", 1),), ()]
    shifts = [replace(shift(f"e{k}", window=(0, 20_000)), stock=vans[k]) for k in range(3)]
    ample = (replace(NEAR, stock=(("P", 20),)), replace(FAR, stock=(("P", 20), ("Q", 20))))
    p = problem(jobs, shifts, depots=ample)
    sol = solve(p, SolveParams(time_limit=3, stall_time=0.5))
    assert_valid(p, sol)
    assert sol.summary.assigned == 12
    # With the depots' real stock (P: 2 on a van + 10, Q: 1 + 5 for 12 each) some must wait.
    short = problem(jobs, shifts)
    sol = solve(short, SolveParams(time_limit=3, stall_time=0.5))
    assert_valid(short, sol)
    used_q = sum(
        dict(j.parts).get("Q", 0) for j in jobs if j.id in {i for r in sol.routes for i in r.job_ids()}
    )
    assert 0 < used_q <= 6 and sol.summary.assigned < 12


# ------------------------------------------------------------------------------ checker mutations


@pytest.fixture(scope="module")
def planned() -> tuple[Problem, Solution]:
    p = problem([Job(id="A", location=3, service=100, parts=(("P", 1),), tools=("T",))], [shift("e")])
    sol = solve(p, FAST)
    assert_valid(p, sol)
    return p, sol


def with_steps(sol: Solution, steps: list[Step]) -> Solution:
    return replace(sol, routes=(replace(sol.routes[0], steps=tuple(steps)),))


def test_checker_rejects_a_visit_without_its_parts(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    steps = [s for s in sol.routes[0].steps if s.type is not StepType.DEPOT]
    assert Rule.PARTS_MISSING in check(p, with_steps(sol, steps)).rules()


def test_checker_rejects_loading_after_the_visit(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    s = list(sol.routes[0].steps)
    k = next(i for i, st in enumerate(s) if st.type is StepType.DEPOT)
    depot = s.pop(k)
    s.insert(len(s) - 1, depot)
    assert Rule.PARTS_MISSING in check(p, with_steps(sol, s)).rules()


def test_checker_rejects_overdrawing_a_depot(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    s = [replace(st, parts=(("P", 6),)) if st.type is StepType.DEPOT else st for st in sol.routes[0].steps]
    assert check(p, with_steps(sol, s)).rules() == {Rule.DEPOT_STOCK}


def test_checker_rejects_what_a_depot_does_not_hold(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    s = [replace(st, id="far") if st.type is StepType.DEPOT else st for st in sol.routes[0].steps]
    rules = check(p, with_steps(sol, s)).rules()
    assert Rule.DEPOT_STOCK in rules  # the far depot lends no tool T
    s = [replace(st, id="nowhere") if st.type is StepType.DEPOT else st for st in sol.routes[0].steps]
    assert Rule.UNKNOWN_DEPOT in check(p, with_steps(sol, s)).rules()


def test_checker_rejects_a_closed_depot(planned: tuple[Problem, Solution]) -> None:
    p, sol = planned
    closed = replace(p, depots=(replace(NEAR, time_window=tw(0, 1)), FAR))
    assert Rule.DEPOT_HOURS in check(closed, sol).rules()
