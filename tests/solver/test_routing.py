"""Each test builds a tiny problem where one rule decides the answer, solves it, and has the
independent checker validate the plan."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest

from solver import Break, Job, SolveParams, StepType, solve
from tests.solver.conftest import DAY, FAST, assert_valid, line_problem, reasons, route_of, shift, tw


def test_engineers_start_and_end_at_their_own_locations() -> None:
    # Two engineers at opposite ends of a line; each job goes to the engineer living next to it.
    p = line_problem(
        [0, 1000, 50, 950],
        [Job(id="near-a", location=2, service=60), Job(id="near-b", location=3, service=60)],
        [shift("a", start=0, end=0), shift("b", start=1, end=1)],
    )
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert route_of(sol, "near-a") == "a"
    assert route_of(sol, "near-b") == "b"
    route_b = next(r for r in sol.routes if r.shift_id == "b")
    assert route_b.steps[0].location == 1 and route_b.steps[-1].location == 1
    assert sol.summary.travel_time == 200


def test_open_route_ends_at_last_visit() -> None:
    p = line_problem([0, 500], [Job(id="j", location=1)], [shift("a", end=None)])
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert sol.summary.travel_time == 500
    assert sol.routes[0].steps[-1].arrival == sol.routes[0].steps[-2].arrival


def test_multi_day_horizon_uses_the_shift_on_the_jobs_day() -> None:
    day2 = (DAY + 8 * 3600, DAY + 17 * 3600)
    p = line_problem(
        [0, 100],
        [Job(id="tuesday", location=1, service=600, time_windows=(tw(*day2),))],
        [
            shift("e1-mon", engineer="e1", window=(8 * 3600, 17 * 3600)),
            shift("e1-tue", engineer="e1", window=day2),
        ],
    )
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert route_of(sol, "tuesday") == "e1-tue"
    assert sol.routes[0].engineer_id == "e1"


def test_service_starts_inside_the_second_window_when_the_first_is_unreachable() -> None:
    p = line_problem(
        [0, 500],
        [Job(id="j", location=1, service=60, time_windows=(tw(0, 100), tw(1000, 1100)))],
        [shift("a")],
    )
    sol = solve(p, FAST)
    assert_valid(p, sol)
    step = next(s for s in sol.routes[0].steps if s.type is StepType.JOB)
    assert 1000 <= step.arrival + step.waiting_time <= 1100


def test_skill_levels_decide_who_takes_the_job() -> None:
    p = line_problem(
        [0, 10, 1000],
        [Job(id="hvac2", location=1, service=60, skills=(("hvac", 2),))],
        [
            shift("junior", start=0, end=0, skills={"hvac": 1}),
            shift("senior", start=2, end=2, skills={"hvac": 3}),
        ],
    )
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert route_of(sol, "hvac2") == "senior"


def test_a_job_needing_two_skills_needs_an_engineer_with_both() -> None:
    p = line_problem(
        [0, 10],
        [Job(id="both", location=1, skills=(("hvac", 1), ("washer", 1)))],
        [shift("hvac-only", skills={"hvac": 2}), shift("both", skills={"hvac": 1, "washer": 1})],
    )
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert route_of(sol, "both") == "both"


def test_soft_deadline_is_served_late_and_lateness_reported() -> None:
    p = line_problem(
        [0, 1000],
        [Job(id="sla", location=1, service=60, deadline=400, sla_tier=2)],
        [shift("a")],
    )
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert route_of(sol, "sla") == "a"
    assert sol.summary.lateness == 600
    assert sol.summary.late_jobs == 1


def test_hard_deadline_that_cannot_be_met_leaves_the_job_unassigned() -> None:
    p = line_problem([0, 1000], [Job(id="sla", location=1, deadline=400, sla_tier=2)], [shift("a")])
    params = replace(FAST, hard_deadlines=True)
    sol = solve(p, params)
    assert_valid(p, sol, hard_deadlines=True)
    assert reasons(sol) == {"sla": "deadline_unreachable"}


def test_hard_deadlines_are_met_when_a_reorder_allows_it() -> None:
    # Going to the far job first is shorter overall, but the near job's deadline forbids it.
    p = line_problem(
        [0, 100, 1000],
        [Job(id="near", location=1, service=60, deadline=150), Job(id="far", location=2, service=60)],
        [shift("a", end=None)],
    )
    sol = solve(p, replace(FAST, hard_deadlines=True))
    assert_valid(p, sol, hard_deadlines=True)
    assert sol.routes[0].job_ids() == ("near", "far")
    assert sol.summary.lateness == 0


def test_higher_sla_tier_is_served_on_time_when_only_one_can_be() -> None:
    # Two jobs at the same place, both due at 200; the one visited second is 600 s late.
    jobs = [
        Job(id="gold", location=1, service=600, deadline=200, sla_tier=1),
        Job(id="p1", location=1, service=600, deadline=200, sla_tier=3),
    ]
    p = line_problem([0, 100], jobs, [shift("a")])
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert sol.routes[0].job_ids() == ("p1", "gold")


def test_when_not_everything_fits_the_lowest_priority_job_is_dropped_with_a_reason() -> None:
    jobs = [
        Job(id="low", location=1, service=3000, priority=10),
        Job(id="high", location=1, service=3000, priority=90),
    ]
    p = line_problem([0, 100], jobs, [shift("a", window=(0, 4000))])
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert route_of(sol, "high") == "a"
    assert reasons(sol) == {"low": "capacity"}


def test_between_equal_priorities_the_job_with_most_slack_is_dropped() -> None:
    jobs = [
        Job(id="due-today", location=1, service=3000, priority=50, deadline=3600, sla_tier=2),
        Job(id="due-later", location=1, service=3000, priority=50, deadline=10 * DAY, sla_tier=2),
    ]
    p = line_problem([0, 100], jobs, [shift("a", window=(0, 4000))])
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert reasons(sol) == {"due-later": "capacity"}


LUNCH = Break(id="lunch", time_windows=(tw(12 * 3600, 13 * 3600 + 1800),), duration=1800)
WORKDAY = (8 * 3600, 17 * 3600)


def test_lunch_break_is_taken_inside_its_window() -> None:
    jobs = [Job(id=f"j{i}", location=i, service=3600) for i in range(1, 7)]
    p = line_problem(
        [0, 300, 600, 900, 1200, 1500, 1800], jobs, [shift("a", window=WORKDAY, breaks=(LUNCH,))]
    )
    sol = solve(p, FAST)
    assert_valid(p, sol)
    brk = [s for s in sol.routes[0].steps if s.type is StepType.BREAK]
    assert len(brk) == 1 and 12 * 3600 <= brk[0].arrival <= 13 * 3600 + 1800


def test_break_never_overlaps_a_visit_that_spans_lunchtime() -> None:
    # The only job must run 11:30-14:00, so lunch has to move to 14:00-... or before 11:30: it
    # can't (window 12:00-13:30 start), so the job cannot be done that day.
    p = line_problem(
        [0, 0],
        [Job(id="long", location=1, service=9000, time_windows=(tw(11 * 3600 + 1800, 11 * 3600 + 1800),))],
        [shift("a", window=WORKDAY, breaks=(LUNCH,))],
    )
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert [u.job_id for u in sol.unassigned] == ["long"]


def test_engineers_without_jobs_keep_the_model_feasible() -> None:
    # Pitfall: breaks on unused vehicles. Three engineers with lunch, one job.
    shifts = [shift(f"e{i}", window=WORKDAY, breaks=(LUNCH,)) for i in range(3)]
    p = line_problem([0, 100], [Job(id="j", location=1, service=600)], shifts)
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert sol.summary.assigned == 1 and len(sol.routes) == 1


def test_each_engineer_takes_their_own_break() -> None:
    # Pitfall: several vehicles with breaks. Two engineers, both busy all day.
    jobs = [Job(id=f"j{i}", location=1, service=3600) for i in range(14)]
    shifts = [shift(f"e{i}", window=WORKDAY, breaks=(LUNCH,)) for i in range(2)]
    p = line_problem([0, 0], jobs, shifts)
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert sol.summary.assigned == 14
    for r in sol.routes:
        assert sum(s.type is StepType.BREAK for s in r.steps) == 1


def test_a_late_starting_shift_still_takes_lunch_inside_its_route() -> None:
    late = shift("a", window=(11 * 3600, 17 * 3600), breaks=(LUNCH,))
    p = line_problem(
        [0, 100], [Job(id="j", location=1, service=600, time_windows=(tw(15 * 3600, 16 * 3600),))], [late]
    )
    sol = solve(p, FAST)
    assert_valid(p, sol)
    steps = sol.routes[0].steps
    assert [s.type for s in steps] == [StepType.START, StepType.BREAK, StepType.JOB, StepType.END]


def test_pinned_job_goes_to_its_engineer_even_when_another_is_closer() -> None:
    p = line_problem(
        [0, 1000, 10],
        [Job(id="pinned", location=2, service=60, pinned_engineer="far")],
        [shift("near", start=0, end=0), shift("far", start=1, end=1)],
    )
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert route_of(sol, "pinned") == "far"


def test_pinned_ranks_fix_the_order() -> None:
    # Unpinned, the natural order is a, b, c along the line; ranks ask for c first.
    jobs = [
        Job(id="a", location=1, service=10, pinned_engineer="e", pinned_rank=2),
        Job(id="b", location=2, service=10),
        Job(id="c", location=3, service=10, pinned_engineer="e", pinned_rank=1),
    ]
    p = line_problem([0, 100, 200, 300], jobs, [shift("e")])
    sol = solve(p, FAST)
    assert_valid(p, sol)
    order = sol.routes[0].job_ids()
    assert order.index("c") < order.index("a")


def test_in_progress_visit_keeps_its_fixed_start() -> None:
    jobs = [
        Job(id="on-site", location=1, service=1800, pinned_engineer="e", fixed_start=1000),
        Job(id="next", location=2, service=600),
    ]
    p = line_problem([0, 0, 300], jobs, [shift("e", window=(1000, 10_000))])
    sol = solve(p, FAST)
    assert_valid(p, sol)
    first = sol.routes[0].steps[1]
    assert first.id == "on-site" and first.arrival + first.waiting_time == 1000


def test_stability_keeps_a_job_with_its_previous_engineer_when_the_cost_is_close() -> None:
    # Both engineers are equally far (one slightly nearer); the previous engineer keeps the job.
    job = Job(id="j", location=2, service=60, previous_engineer="b")
    p = line_problem([0, 210, 100], [job], [shift("a", start=0, end=0), shift("b", start=1, end=1)])
    assert route_of(solve(p, FAST), "j") == "b"
    # Without the previous plan the nearer engineer wins.
    fresh = replace(p, jobs=(replace(job, previous_engineer=None),))
    assert route_of(solve(fresh, FAST), "j") == "a"


def test_vehicle_capacity_limits_deliveries() -> None:
    jobs = [Job(id=f"j{i}", location=1, delivery=(4,)) for i in range(3)]
    p = line_problem([0, 100], jobs, [shift("a", capacity=(10,)), shift("b", capacity=(10,))])
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert sol.summary.assigned == 3 and len(sol.routes) == 2


def test_pickups_and_deliveries_share_the_van() -> None:
    # Deliver 6 then pick up 6 fits a van of 6 in that order only.
    jobs = [Job(id="drop", location=1, delivery=(6,)), Job(id="collect", location=2, pickup=(6,))]
    p = line_problem([0, 200, 100], jobs, [shift("a", capacity=(6,))])
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert sol.routes[0].job_ids() == ("drop", "collect")


def test_max_jobs_per_engineer_day() -> None:
    jobs = [Job(id=f"j{i}", location=1) for i in range(5)]
    p = line_problem([0, 10], jobs, [shift("a", max_jobs=2), shift("b", start=0, max_jobs=3)])
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert sorted(len(r.job_ids()) for r in sol.routes) == [2, 3]


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        (Job(id="x", location=1, skills=(("gas", 1),)), "no_skill"),
        (Job(id="x", location=1, time_windows=(tw(20_000, 30_000),)), "no_shift_in_window"),
        (Job(id="x", location=2, service=60), "unreachable"),
        (Job(id="x", location=1, delivery=(99,)), "too_large"),
        (Job(id="x", location=1, pinned_engineer="b", time_windows=(tw(9000, 9100),)), "pinned_infeasible"),
    ],
)
def test_unassigned_reasons(job: Job, expected: str) -> None:
    shifts = [shift("a", capacity=(10,)), shift("b", capacity=(10,), window=(0, 5000))]
    p = line_problem([0, 100, 6000], [job], shifts)
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert reasons(sol) == {"x": expected}
    assert sol.unassigned[0].detail


def test_no_shifts_at_all_returns_every_job_unassigned() -> None:
    p = line_problem([0, 10], [Job(id="j", location=1)], [])
    sol = solve(p, FAST)
    assert_valid(p, sol)
    assert reasons(sol) == {"j": "no_skill"}


def test_progress_callback_reports_improving_objectives() -> None:
    jobs = [Job(id=f"j{i}", location=i) for i in range(1, 9)]
    p = line_problem([0, 70, 20, 90, 10, 50, 30, 80, 60], jobs, [shift("a"), shift("b")])
    seen: list[tuple[float, int]] = []
    sol = solve(p, SolveParams(time_limit=5, solution_limit=100), progress=lambda t, c: seen.append((t, c)))
    assert_valid(p, sol)
    assert seen and all(b[1] < a[1] for a, b in pairwise(seen))
    assert seen[-1][1] == sol.summary.cost


def test_same_input_and_solution_limit_give_the_same_plan() -> None:
    jobs = [Job(id=f"j{i}", location=i, service=60) for i in range(1, 11)]
    positions = [0, 130, 20, 990, 410, 50, 300, 870, 620, 240, 710]
    p = line_problem(positions, jobs, [shift("a"), shift("b", start=3, end=3)])
    params = SolveParams(time_limit=30, solution_limit=300)
    first, second = solve(p, params), solve(p, params)
    assert [r.steps for r in first.routes] == [r.steps for r in second.routes]


def test_large_days_are_planned_region_by_region_and_stay_valid() -> None:
    from solver.decompose import partition
    from solver.explain import candidate_shifts
    from solver.generate import field_service_day

    p = field_service_day(240, seed=3)
    regions = partition(p, candidate_shifts(p), 60)
    assert len(regions) == 4
    # Every plannable job is in exactly one region, with shifts of that region able to take it.
    placed = [j for r in regions for j in r.jobs]
    assert len(placed) == len(set(placed))
    cands = candidate_shifts(p)
    for r in regions:
        for j in r.jobs:
            assert set(cands[j].shifts) & set(r.shifts)
    sol = solve(p, SolveParams(time_limit=4, region_jobs=60, lns_share=0.0))
    assert_valid(p, sol)
    assert sol.summary.assigned >= 0.9 * len(p.jobs)
    assert {u.reason for u in sol.unassigned} <= {"capacity", "no_skill", "unreachable", "no_shift_in_window"}


def test_several_starts_keep_the_cheapest_plan() -> None:
    from dataclasses import replace as with_

    from solver import FirstSolution
    from solver.generate import field_service_day

    p = field_service_day(40, seed=4)
    base = SolveParams(time_limit=30, solution_limit=40, region_jobs=0)
    starts = (FirstSolution.PATH_CHEAPEST_ARC, FirstSolution.PARALLEL_CHEAPEST_INSERTION)
    singles = [solve(p, with_(base, first_solution=f)) for f in starts]
    both = solve(p, with_(base, first_solutions=starts))
    assert_valid(p, both)
    assert both.summary.cost == min(s.summary.cost for s in singles)
