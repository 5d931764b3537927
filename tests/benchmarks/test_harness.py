"""The benchmark harness: the day generator, the peers' conversions and that every plan is checked."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from benchmarks import fieldservice, solomon
from benchmarks.peers import PeerPlan, skill_codes, solve_vroom, to_solution
from solver import Problem, Rule, StepType, check
from solver.explain import candidate_shifts
from solver.generate import LAT_RANGE, LON_RANGE, engineers_for, field_service_day
from solver.io.solomon import read_solomon

C101 = Path(__file__).resolve().parent.parent / "data" / "C101.txt"
C101_REF = solomon.Reference(exact=828.9369, hier_vehicles=10, hier_distance=828.94)
HOUR = 3600


def _same(a: Problem, b: Problem) -> bool:
    return (
        a.jobs == b.jobs
        and a.shifts == b.shifts
        and a.locations == b.locations
        and np.array_equal(a.matrix.durations, b.matrix.durations)
        and np.array_equal(a.matrix.distances, b.matrix.distances)
    )


def test_generator_is_deterministic_per_seed() -> None:
    assert _same(field_service_day(60, seed=7), field_service_day(60, seed=7))
    assert not _same(field_service_day(60, seed=7), field_service_day(60, seed=8))


def test_generator_day_is_realistic_and_staffable() -> None:
    day = field_service_day(300, seed=3)
    assert len(day.jobs) == 300 and len(day.shifts) == engineers_for(300) == 50
    assert engineers_for(2000, oversubscribed=True) == 200
    assert all(LAT_RANGE[0] <= loc.lat <= LAT_RANGE[1] for loc in day.locations if loc.lat is not None)
    assert all(LON_RANGE[0] <= loc.lon <= LON_RANGE[1] for loc in day.locations if loc.lon is not None)
    for s in day.shifts:
        assert 7 * HOUR <= s.time_window.start <= 10 * HOUR
        assert s.time_window.end - s.time_window.start == 8 * HOUR
        assert [b.duration for b in s.breaks] == [1800]
    for j in day.jobs:
        assert 20 * 60 <= j.service <= 90 * 60
        assert 1 <= len(j.skills) <= 2 and all(1 <= lv <= 2 for _, lv in j.skills)
        assert (j.deadline is not None) == (j.sla_tier >= 2)
        if j.deadline is not None:
            assert 8 * HOUR <= j.deadline <= 18 * HOUR
    tiers = np.array([j.sla_tier for j in day.jobs])
    prio = np.array([j.priority for j in day.jobs])
    assert prio[tiers == 3].mean() > prio[tiers == 0].mean() + 40
    assert all(c.shifts for c in candidate_shifts(day)), "every job fits some engineer's empty day"


def test_generator_imports_no_business_layer() -> None:
    code = (
        "import sys, solver.generate; "
        "print([m for m in ('dispatch', 'api', 'sqlalchemy', 'fastapi') if m in sys.modules])"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], check=True, cwd=root, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def c101_rows() -> list[solomon.Row]:
    return solomon.run_instance(C101, C101_REF, solomon.SOLVERS, [1.0])


def test_solomon_runs_all_solvers_and_checks_every_plan(c101_rows: list[solomon.Row]) -> None:
    assert [(r.solver, r.time_limit) for r in c101_rows] == [("ours", 1.0), ("pyvrp", 1.0), ("vroom", None)]
    for r in c101_rows:
        assert r.feasible, r
        assert r.unserved == 0 and r.n_violations == 0
        assert r.vehicles >= 10 and r.gap_pct > -0.01
    summary = solomon.summarise(c101_rows)
    assert {s["solver"]: s["feasible"] for s in summary} == {"ours": 1, "pyvrp": 1, "vroom": 1}
    assert "| C101 | vroom | none |" in solomon.markdown(c101_rows, summary)


def test_checker_rejects_a_broken_peer_route() -> None:
    inst = read_solomon(C101)
    problem, validation = inst.to_problem(), inst.to_problem(scale=solomon.VALIDATION_SCALE)
    plan = solve_vroom(problem, costs=problem.matrix.distances)
    (v, visits), *rest = plan.routes
    dropped = replace(plan, routes=((v, visits[1:]), *rest))
    solution = to_solution(problem, dropped)
    row = solomon.evaluate("C101", "vroom", None, inst, validation, C101_REF, solution, 0.0)
    assert not row.feasible and row.unserved == 1 and Rule.MISSING_JOB in row.rules
    reversed_plan = replace(plan, routes=((v, visits[::-1]), *rest))
    report = check(validation, to_solution(problem, reversed_plan))
    assert not report.feasible and Rule.TIME_WINDOW in report.rules()


def test_skill_levels_map_to_vroom_codes() -> None:
    day = field_service_day(12, 3, seed=1)
    codes = skill_codes(day)
    held = {(name, lv) for s in day.shifts for name, level in s.skills for lv in range(level + 1)}
    assert set(codes) >= held and len(set(codes.values())) == len(codes)


def test_fieldservice_vroom_plan_is_checked_in_its_own_process() -> None:
    day = field_service_day(30, 4, seed=5)
    run = fieldservice.run_isolated("vroom", day, 1.0)
    row = fieldservice.evaluate(day, "vroom", run)
    assert row.feasible, row.rules
    assert row.served + row.unserved == 30 and row.peak_mb >= row.base_mb > 0
    assert all(s.type is not StepType.JOB or s.id for r in run.solution.routes for s in r.steps)
    lost = to_solution(day, PeerPlan(routes=(), unassigned=(), wall_s=0.0))
    assert Rule.MISSING_JOB in check(day, lost).rules()
