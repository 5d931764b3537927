"""Peer solvers (PyVRP, VROOM) on our `Problem`, and their plans read back as our `Solution`.

A peer's plan is converted to routes of steps in the peer's order only: the independent
checker recomputes every time from the order, so nothing the peer reports about its schedule
is trusted. Jobs a peer leaves out are listed as unassigned only when the peer says so; a job
it silently loses is then reported by the checker as missing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from solver.model import (
    IntArray,
    Problem,
    Reason,
    Route,
    Solution,
    Status,
    Step,
    StepType,
    Summary,
    Unassigned,
)

_UNBOUNDED = 2**63 - 1  # PyVRP's default tw_late (int64 max)

Visit = tuple[StepType, str]
"""A job or break step of a route, by id."""


@dataclass(frozen=True, slots=True)
class PeerPlan:
    """Routes as (shift position, visits in order), the jobs the peer declared unassigned, and
    the peer's wall time (model building included)."""

    routes: tuple[tuple[int, tuple[Visit, ...]], ...]
    unassigned: tuple[str, ...]
    wall_s: float


def to_solution(problem: Problem, plan: PeerPlan) -> Solution:
    """Our `Solution` holding only the order of steps; times are left to the checker."""
    routes = tuple(_route(problem, v, visits) for v, visits in plan.routes)
    served = {jid for r in routes for jid in r.job_ids()}
    priority = {j.id: j.priority for j in problem.jobs}
    summary = Summary(
        cost=0,
        routes=len(routes),
        assigned=len(served),
        unassigned=len(plan.unassigned),
        served_priority=sum(priority.get(j, 0) for j in served),
        travel_time=0,
        distance=0,
        service=0,
        waiting_time=0,
        lateness=0,
        late_jobs=0,
        wall_time=plan.wall_s,
    )
    unassigned = tuple(
        Unassigned(job_id=j, reason=Reason.CAPACITY, detail="left out by the peer solver")
        for j in plan.unassigned
    )
    return Solution(status=Status.SOLVED, routes=routes, unassigned=unassigned, summary=summary)


def _route(problem: Problem, v: int, visits: Sequence[Visit]) -> Route:
    shift = problem.shifts[v]
    steps = (
        Step(type=StepType.START, location=shift.start),
        *(Step(type=kind, id=ident) for kind, ident in visits),
        Step(type=StepType.END, location=shift.end),
    )
    return Route(
        shift_id=shift.id,
        engineer_id=shift.engineer_id,
        steps=steps,
        travel_time=0,
        distance=0,
        service=0,
        waiting_time=0,
        lateness=0,
    )


def served_jobs(solution: Solution) -> set[str]:
    return {jid for r in solution.routes for jid in r.job_ids()}


# --------------------------------------------------------------------------- VROOM


def skill_codes(problem: Problem) -> dict[tuple[str, int], int]:
    """VROOM skills are plain ints with subset semantics, so a level becomes one code per
    (skill, level): an engineer at level L holds the codes for levels 0..L, and a job that
    needs level L requires just the code for L."""
    pairs: set[tuple[str, int]] = set()
    for shift in problem.shifts:
        pairs.update((name, lv) for name, level in shift.skills for lv in range(level + 1))
    for job in problem.jobs:
        pairs.update(job.skills)
    return {pair: k for k, pair in enumerate(sorted(pairs))}


def vroom_caveats(problem: Problem) -> list[str]:
    """What VROOM cannot model for this problem (it plans without it; the checker measures it)."""
    notes = []
    if any(j.deadline is not None for j in problem.jobs):
        notes.append("SLA deadlines are not modelled by VROOM (no soft upper bound on arrival)")
    if any(j.pinned_engineer or j.fixed_start is not None for j in problem.jobs):
        notes.append("pins and fixed starts are not passed to VROOM")
    if any(j.previous_engineer for j in problem.jobs):
        notes.append("plan stability is not modelled by VROOM")
    return notes


def vroom_input(problem: Problem, costs: IntArray | None = None) -> Any:
    """A `vroom.Input` with the same matrix, shifts, skills, breaks, windows and priorities.

    ``costs`` (default: the durations) is what VROOM minimises; Solomon passes distances.
    """
    import vroom

    inp = vroom.Input()
    inp.set_durations_matrix("car", problem.matrix.durations)
    if costs is not None:
        inp.set_costs_matrix("car", costs)
    codes = skill_codes(problem)
    for v, shift in enumerate(problem.shifts):
        inp.add_vehicle(_vroom_vehicle(vroom, v, shift, codes))
    dims = problem.capacity_dims
    inp.add_job(
        [
            vroom.Job(
                j,
                location=job.location,
                default_service=job.service,
                delivery=vroom.Amount(list(job.delivery) or [0] * dims),
                pickup=vroom.Amount(list(job.pickup) or [0] * dims),
                skills={codes[s] for s in job.skills},
                priority=job.priority,
                time_windows=[vroom.TimeWindow(w.start, w.end) for w in job.time_windows],
            )
            for j, job in enumerate(problem.jobs)
        ]
    )
    return inp


def _vroom_vehicle(vroom: Any, v: int, shift: Any, codes: dict[tuple[str, int], int]) -> Any:
    kwargs: dict[str, Any] = {}
    if shift.max_jobs is not None:
        kwargs["max_tasks"] = shift.max_jobs
    return vroom.Vehicle(
        v,
        start=shift.start,
        end=shift.end,
        capacity=list(shift.capacity),
        skills={codes[(name, lv)] for name, level in shift.skills for lv in range(level + 1)},
        time_window=vroom.TimeWindow(shift.time_window.start, shift.time_window.end),
        breaks=[
            vroom.Break(k, [vroom.TimeWindow(w.start, w.end) for w in b.time_windows], service=b.duration)
            for k, b in enumerate(shift.breaks)
        ],
        **kwargs,
    )


def solve_vroom(
    problem: Problem,
    costs: IntArray | None = None,
    exploration_level: int = 5,
    timeout: float | None = None,
) -> PeerPlan:
    """Solve with VROOM on one thread. By default it runs to the end of its own search (no time
    limit) and its wall time is recorded; ``timeout`` caps it for very large days."""
    started = time.monotonic()
    inp = vroom_input(problem, costs)
    limit = None if timeout is None else timedelta(seconds=timeout)
    out = inp.solve(exploration_level=exploration_level, nb_threads=1, timeout=limit).to_dict()
    wall = time.monotonic() - started
    routes = []
    for r in out.get("routes", []):
        shift = problem.shifts[int(r["vehicle"])]
        visits: list[Visit] = []
        for step in r["steps"]:
            if step["type"] == "job":
                visits.append((StepType.JOB, problem.jobs[int(step["id"])].id))
            elif step["type"] == "break":
                visits.append((StepType.BREAK, shift.breaks[int(step["id"])].id))
        routes.append((int(r["vehicle"]), tuple(visits)))
    unassigned = tuple(problem.jobs[int(u["id"])].id for u in out.get("unassigned", []))
    return PeerPlan(routes=tuple(routes), unassigned=unassigned, wall_s=wall)


# --------------------------------------------------------------------------- PyVRP


def pyvrp_unsupported(problem: Problem) -> list[str]:
    """Features of ``problem`` this PyVRP conversion cannot express (it refuses such problems)."""
    out = []
    if any(s.skills or s.breaks or s.max_jobs is not None or s.end is None for s in problem.shifts):
        out.append("shift skills, breaks, max_jobs or open ends")
    if any(len(j.time_windows) > 1 or j.skills or j.deadline is not None for j in problem.jobs):
        out.append("multiple windows, skills or deadlines")
    return out


def pyvrp_data(problem: Problem, coords: Iterable[tuple[float, float]] | None = None) -> Any:
    """PyVRP `ProblemData` on the same integer matrices: one depot per shift start/end location,
    one vehicle type per `shift_groups` group, one required client per job (in job order)."""
    import pyvrp

    unsupported = pyvrp_unsupported(problem)
    if unsupported:
        raise ValueError(f"PyVRP conversion does not support: {'; '.join(unsupported)}")
    xy = list(coords) if coords is not None else [(0.0, 0.0)] * len(problem.locations)
    ends = {s.end for s in problem.shifts if s.end is not None}
    depot_locs = sorted({s.start for s in problem.shifts} | ends)
    depot_of = {loc: k for k, loc in enumerate(depot_locs)}
    dims = problem.capacity_dims
    clients = [
        pyvrp.Client(
            location=job.location,
            delivery=list(job.delivery) or [0] * dims,
            pickup=list(job.pickup) or [0] * dims,
            service_duration=job.service,
            tw_early=job.time_windows[0].start if job.time_windows else 0,
            tw_late=job.time_windows[0].end if job.time_windows else _UNBOUNDED,
            name=job.id,
        )
        for job in problem.jobs
    ]
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=len(members),
            capacity=list(s.capacity),
            start_depot=depot_of[s.start],
            end_depot=depot_of[s.end if s.end is not None else s.start],
            tw_early=s.time_window.start,
            tw_late=s.time_window.end,
        )
        for members in shift_groups(problem)
        for s in (problem.shifts[members[0]],)
    ]
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(x, y) for x, y in xy],
        clients=clients,
        depots=[pyvrp.Depot(location=loc) for loc in depot_locs],
        vehicle_types=vehicle_types,
        distance_matrices=[_any(problem.matrix.distances)],
        duration_matrices=[_any(problem.matrix.durations)],
    )


def shift_groups(problem: Problem) -> list[list[int]]:
    """Shifts that are interchangeable for PyVRP (same ends, window, capacity), as positions:
    one vehicle type each, since a homogeneous fleet searches faster than 25 one-off types."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for v, s in enumerate(problem.shifts):
        key = (s.start, s.end, s.time_window.start, s.time_window.end, s.capacity)
        groups.setdefault(key, []).append(v)
    return list(groups.values())


def _any(matrix: IntArray) -> Any:
    """PyVRP's stubs type a matrix as ``ndarray[int]``; ours is a plain int64 array."""
    return matrix


def solve_pyvrp(
    problem: Problem, time_limit: float, coords: Iterable[tuple[float, float]] | None = None, seed: int = 1
) -> PeerPlan:
    """Solve with PyVRP's iterated local search for ``time_limit`` seconds (one core).

    PyVRP serves every client or returns an infeasible best; it never declares a job
    unassigned, so whatever it misses shows up as missing in the checker.
    """
    import pyvrp
    from pyvrp.stop import MaxRuntime

    started = time.monotonic()
    data = pyvrp_data(problem, coords)
    result = pyvrp.solve(data, stop=MaxRuntime(time_limit), seed=seed, display=False)
    wall = time.monotonic() - started
    free = [list(reversed(members)) for members in shift_groups(problem)]
    routes = []
    for route in result.best.routes():
        visits = tuple(
            (StepType.JOB, problem.jobs[act.idx].id) for act in route.schedule() if act.is_client()
        )
        routes.append((free[int(route.vehicle_type())].pop(), visits))
    return PeerPlan(routes=tuple(routes), unassigned=(), wall_s=wall)
