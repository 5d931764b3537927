"""The parts benchmark: the generator's parts, the first-time-fix count, and both plans on a tiny day."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from benchmarks import fieldservice
from benchmarks import fieldservice_parts as bench
from benchmarks.fieldservice import Run
from solver import Job, Problem, Reason, Route, Rule, Solution, Status, Step, StepType, Summary, check
from solver.generate import DEPOT_SERVICE, field_service_day, part_catalogue
from solver.model import Depot
from tests.solver.conftest import line_problem, shift


def _same(a: Problem, b: Problem) -> bool:
    return (
        a.jobs == b.jobs
        and a.shifts == b.shifts
        and a.depots == b.depots
        and a.locations == b.locations
        and np.array_equal(a.matrix.durations, b.matrix.durations)
    )


def test_parts_day_is_reproducible_and_the_plain_day_unchanged() -> None:
    day = field_service_day(40, seed=5, parts=True)
    assert _same(day, field_service_day(40, seed=5, parts=True))
    assert not _same(day, field_service_day(40, seed=6, parts=True))
    plain = field_service_day(40, seed=5)
    stripped = bench.strip_parts(day)
    assert stripped.jobs == plain.jobs and stripped.shifts == plain.shifts and not stripped.depots
    n = len(plain.locations)
    assert day.locations[:n] == plain.locations and len(day.locations) == n + len(day.depots)
    assert np.array_equal(day.matrix.durations[:n, :n], plain.matrix.durations)
    assert not any(j.parts for j in plain.jobs) and not any(s.stock for s in plain.shifts)


def test_parts_day_has_the_promised_mix() -> None:
    day = field_service_day(600, seed=11, parts=True)
    facts = bench.day_facts(day)
    assert 25 <= facts["jobs_with_parts_pct"] <= 35
    assert 35 <= facts["not_on_qualified_van_pct"] <= 65
    assert 3 <= len(day.depots) <= 5 and all(d.service == DEPOT_SERVICE for d in day.depots)
    assert facts["parts_nowhere_in_stock"] and facts["jobs_needing_a_part_nowhere"] > 0
    with_parts = [j for j in day.jobs if j.parts]
    assert any(len(j.parts) == 2 for j in with_parts) and any(q == 2 for j in with_parts for _, q in j.parts)
    assert all(len(j.parts) <= 2 and sum(q for _, q in j.parts) <= 3 for j in with_parts)
    # Depots differ: some stocked part is missing at some depot.
    stocked = [{p for p, _ in d.stock} for d in day.depots]
    assert set.union(*stocked) != set.intersection(*stocked)
    # A part is always of one of the job's trades (e.g. AIR-03 for an aircon job).
    catalogue = part_catalogue()
    assert all(any(p in catalogue[t] for t, _ in j.skills) for j in with_parts for p, _ in j.parts)


# ------------------------------------------------------------------ first visits, on a line


# Locations: 0 home, 1 depot (x=10), 2 job A (x=30), 3 job B (x=35), 4 job C (x=50)
DEPOT = Depot(id="d", location=1, service=60, stock=(("Q", 3),))


def _plan(problem: Problem, order: list[str]) -> Solution:
    steps = [Step(type=StepType.START)]
    steps += [
        Step(type=StepType.DEPOT, id="d", location=1, parts=(("Q", 1),))
        if o == "d"
        else Step(type=StepType.JOB, id=o)
        for o in order
    ]
    steps.append(Step(type=StepType.END))
    zero = dict.fromkeys(("travel_time", "distance", "service", "waiting_time", "lateness"), 0)
    route = Route(shift_id="e", engineer_id="e", steps=tuple(steps), **zero)
    summary = Summary(
        cost=0, routes=1, assigned=3, unassigned=0, served_priority=0, late_jobs=0, wall_time=0.0, **zero
    )
    return Solution(status=Status.SOLVED, routes=(route,), unassigned=(), summary=summary)


def test_first_visits_follow_the_van() -> None:
    jobs = [
        Job(id="A", location=2, service=10, parts=(("P", 1),)),
        Job(id="B", location=3, service=10, parts=(("P", 1),)),
        Job(id="C", location=4, service=10, parts=(("Q", 1),)),
    ]
    van = replace(shift("e"), stock=(("P", 1),))
    p = replace(line_problem([0, 10, 30, 35, 50], jobs, [van]), depots=(DEPOT,))
    loaded = bench.first_visits(p, _plan(p, ["A", "d", "B", "C"]))
    assert loaded == bench.Visits(fixed=("A", "C"), failed=("B",))
    bare = bench.first_visits(p, _plan(p, ["A", "B", "C"]))
    assert bare == bench.Visits(fixed=("A",), failed=("B", "C"))
    report = check(p, _plan(p, ["A", "B", "C"]))
    missing = {v.job_id for v in report.violations if v.rule is Rule.PARTS_MISSING}
    assert missing == set(bare.failed)
    # 0 → 10 → 30 → 35 → 50 → 0 against 0 → 30 → 35 → 50 → 0: the stop on the way adds nothing;
    # made after A it adds 20 + 25 − 5.
    assert bench.depot_detour(p, _plan(p, ["d", "A", "B", "C"])) == 0
    assert bench.depot_detour(p, _plan(p, ["A", "d", "B", "C"])) == 40


# ------------------------------------------------------------------ both plans of a tiny day


@pytest.fixture(scope="module")
def tiny() -> tuple[Problem, list[bench.Row], dict[str, Solution]]:
    day = field_service_day(30, seed=3, parts=True)
    solutions: dict[str, Solution] = {}

    def runner(solver: str, problem: Problem, time_limit: float) -> Run:
        run = fieldservice.run_isolated(solver, problem, time_limit)
        solutions["parts-aware" if problem.depots else "parts-blind"] = run.solution
        return run

    return day, bench.compare(day, 2.0, runner), solutions


def test_both_plans_are_valid_for_the_day_they_were_made_for(
    tiny: tuple[Problem, list[bench.Row], dict[str, Solution]],
) -> None:
    day, rows, solutions = tiny
    blind, repaired, aware = rows
    assert [r.variant for r in rows] == ["parts-blind", "blind + stops", "parts-aware"]
    assert blind.feasible and repaired.feasible and aware.feasible, [r.rules for r in rows]
    assert check(bench.strip_parts(day), solutions["parts-blind"]).feasible
    assert check(day, solutions["parts-aware"]).feasible
    for r in rows:
        assert r.served + r.unserved == 30
        assert r.fixed_first_time + r.failed_first_visits == r.served
        assert r.promises == sum(1 for j in day.jobs if j.deadline is not None)
        assert r.promises_met_fixed <= r.promises_met <= r.promises


def test_parts_blind_plan_fails_first_visits_the_checker_also_finds(
    tiny: tuple[Problem, list[bench.Row], dict[str, Solution]],
) -> None:
    day, (blind, _, _), solutions = tiny
    plan = solutions["parts-blind"]
    visits = bench.first_visits(day, plan)
    assert blind.failed_first_visits == len(visits.failed) > 0
    assert blind.depot_stops == 0 and blind.depot_detour_h == 0
    missing = {v.job_id for v in check(day, plan).violations if v.rule is Rule.PARTS_MISSING}
    assert blind.checker_parts_missing == len(missing)
    assert set(visits.failed) <= missing
    # The checker takes what there is from a failed visit, so it may flag a later job on the
    # same route that needs a part such a visit partly found; nothing else.
    jobs = {j.id: j for j in day.jobs}
    for route in plan.routes:
        order = route.job_ids()
        for k, jid in enumerate(order):
            if jid in missing and jid not in visits.failed:
                parts = {p for p, _ in jobs[jid].parts}
                assert any(f in visits.failed and parts & {p for p, _ in jobs[f].parts} for f in order[:k])
    assert blind.ftf_pct == round(100 * (blind.served - blind.failed_first_visits) / blind.served, 1)


def test_parts_aware_plan_has_every_part_on_board(
    tiny: tuple[Problem, list[bench.Row], dict[str, Solution]],
) -> None:
    day, (_, _, aware), solutions = tiny
    plan = solutions["parts-aware"]
    assert aware.failed_first_visits == 0 and aware.checker_parts_missing == 0 and aware.ftf_pct == 100.0
    nowhere = set(bench.day_facts(day)["parts_nowhere_in_stock"])
    reasons = {u.job_id: u.reason for u in plan.unassigned}
    for job in day.jobs:
        if any(p in nowhere for p, _ in job.parts):
            assert reasons.get(job.id) is Reason.PART_UNAVAILABLE
    stops = sum(1 for r in plan.routes for s in r.steps if s.type is StepType.DEPOT)
    assert aware.depot_stops == stops and aware.depot_detour_h >= 0


def test_repaired_plan_fetches_the_parts_or_drops_the_visit(
    tiny: tuple[Problem, list[bench.Row], dict[str, Solution]],
) -> None:
    day, (blind, repaired, _), solutions = tiny
    plan = bench.add_depot_stops(day, solutions["parts-blind"])
    assert check(day, plan).feasible
    assert repaired.failed_first_visits == repaired.checker_parts_missing == 0
    jobs = {j.id: j for j in day.jobs}
    taken_off = {u.job_id for u in plan.unassigned} - {u.job_id for u in solutions["parts-blind"].unassigned}
    assert repaired.served == blind.served - len(taken_off)
    assert all(jobs[j].parts for j in taken_off)
    # Every failed visit of the blind plan now has a stop of its own before it, or is dropped
    # (a visit that found its parts only because a failed one before it used none may need one too).
    assert repaired.depot_stops >= blind.failed_first_visits - len(taken_off) > 0
    assert bench.depot_detour(day, plan) > 0
