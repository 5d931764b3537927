"""The OR-Tools routing model: one small function per constraint family, one pure `solve`.

Routing nodes are the jobs (one node each, so each can be dropped on its own) followed by one
node per distinct start/end location, plus a zero-distance node for open-ended routes. Time is
a dimension whose transit is ``service(from) + travel(from, to)``; its cumul at a job node is
the service start, any feasible one, so the extraction re-times each route to the earliest
its order allows (`solver.timing`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import pairwise

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from solver import parts
from solver.decompose import Region, partition
from solver.explain import Candidates, candidate_shifts
from solver.model import (
    ArcCost,
    Depot,
    IntArray,
    Problem,
    Reason,
    Route,
    Solution,
    SolveParams,
    Status,
    StepType,
    Summary,
    Unassigned,
)
from solver.timing import DepotCall, Item, earliest_route

ProgressCallback = Callable[[float, int], None]
"""Called with (seconds elapsed, objective) each time the search finds a better plan."""

TIME = "time"


@dataclass(slots=True)
class _Model:
    problem: Problem
    params: SolveParams
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    node_loc: IntArray  # location per node; -1 for the open-end node
    job_nodes: dict[int, int]  # job position -> its plain node, for jobs in the model
    candidates: list[Candidates]
    horizon: int
    breaks: dict[int, list[tuple[str, pywrapcp.IntervalVar]]]
    depot_nodes: dict[int, int]  # node -> depot position, one node per possible depot stop
    tracked: list[parts.Resource]
    visit_nodes: dict[int, int]  # node -> job position, plain nodes and depot variants
    variants: dict[int, list[tuple[int, int]]]  # job position -> (variant node, its depot node)

    @property
    def time(self) -> pywrapcp.RoutingDimension:
        return self.routing.GetDimensionOrDie(TIME)

    def job_index(self, job_pos: int) -> int:
        return int(self.manager.NodeToIndex(self.job_nodes[job_pos]))


def solve(
    problem: Problem,
    params: SolveParams | None = None,
    progress: ProgressCallback | None = None,
    *,
    initial: Solution | None = None,
) -> Solution:
    """Plan ``problem``: assign and sequence jobs on shifts, dropping what cannot fit.

    Jobs that no shift can take alone are left out before the search, with their reason;
    the rest are optional with a penalty, so the search always returns a plan. ``initial``:
    a plan to start the local search from instead of a first-solution heuristic (its routes
    of jobs; depot stops and breaks are placed afresh).
    """
    params = params or SolveParams()
    searching = params.iterations is not None or (params.lns_share and params.solution_limit is None)
    if searching and initial is None:
        return _solve_then_search(problem, params, progress)
    if params.first_solutions and initial is None:
        return _solve_from_several_starts(problem, params, progress)
    started = time.monotonic()
    candidates = candidate_shifts(problem, hard_deadlines=params.hard_deadlines)
    if not problem.shifts:
        return _empty_solution(problem, candidates, started)
    plannable = sum(1 for c in candidates if c.shifts)
    region_jobs = params.region_size(plannable)
    if region_jobs and plannable > region_jobs * 3 // 2 and initial is None:
        return _solve_by_regions(
            problem, replace(params, region_jobs=region_jobs), candidates, started, progress
        )
    model = _build(problem, params, candidates)
    log: list[tuple[float, int]] = []

    def on_solution() -> None:
        cost = int(model.routing.CostVar().Value())
        if not log or cost < log[-1][1]:
            log.append((time.monotonic() - started, cost))
            if progress is not None:
                progress(*log[-1])

    model.routing.AddAtSolutionCallback(on_solution)
    if params.stall_time is not None:
        stall = params.stall_time

        def stalled() -> bool:
            last = log[-1][0] if log else 0.0
            return time.monotonic() - started - last > stall

        model.routing.AddSearchMonitor(model.routing.solver().CustomLimit(stalled))
    search = _search_parameters(params, params.time_limit, pairs=bool(model.variants))
    start = _assignment_of(model, initial, search) if initial is not None else None
    if start is not None:
        assignment = model.routing.SolveFromAssignmentWithParameters(start, search)
    else:
        assignment = model.routing.SolveWithParameters(search)
    if assignment is None:
        return Solution(
            status=Status.NO_SOLUTION,
            routes=(),
            unassigned=tuple(_reason(j, c, problem) for j, c in enumerate(candidates)),
            summary=_summary(problem, (), len(problem.jobs), 0, started),
            search_log=tuple(log),
        )
    return _extract(model, assignment, started, tuple(log))


def _solve_then_search(problem: Problem, params: SolveParams, progress: ProgressCallback | None) -> Solution:
    """The routing model's plan, then the ruin-and-recreate search over the whole day from it.
    With an iteration limit the model builds only its first plan (repeatable, unlike a timed
    search), and the search runs that many steps."""
    from solver import search

    started = time.monotonic()
    if params.iterations is not None:
        first_params = replace(params, lns_share=0.0, iterations=None, solution_limit=1, first_solutions=())
    else:
        model_time = max(0.2, params.time_limit * (1 - params.lns_share))
        first_params = replace(params, lns_share=0.0, time_limit=model_time)
    if problem.depots or any(j.parts or j.tools for j in problem.jobs):
        # Parts: the model plans the day without them (fast; depot variants slow its search
        # down), and the search then gives each visit the van cannot serve a depot stop of its
        # own, or another engineer (`solver.search.lns.initial_state`).
        first = solve(_parts_blind(problem), first_params)
    else:
        first = solve(problem, first_params, progress)
    if first.status is Status.NO_SOLUTION:  # no first plan in the model's share: build one
        first = replace(first, status=Status.SOLVED)
    left = params.time_limit - (time.monotonic() - started)
    better = search.improve(
        problem,
        first,
        params,
        time_limit=None if params.iterations is not None else max(0.1, left),
        iterations=params.iterations,
        seed=params.seed,
        workers=params.workers,
        progress=progress,
        stall_time=params.stall_time if params.iterations is None else None,
    )
    return replace(better, summary=replace(better.summary, wall_time=time.monotonic() - started))


def _parts_blind(problem: Problem) -> Problem:
    """The same day with no parts, tools, van stock or depots."""
    return Problem(
        locations=problem.locations,
        matrix=problem.matrix,
        jobs=tuple(replace(j, parts=(), tools=()) for j in problem.jobs),
        shifts=tuple(replace(s, stock=(), tools=()) for s in problem.shifts),
    )


def _assignment_of(model: _Model, initial: Solution, search: object) -> pywrapcp.Assignment | None:
    """``initial``'s routes as an assignment of ``model`` (closed with ``search``, so that
    its parameters hold); None if they do not fit the model (the caller starts afresh)."""
    model.routing.CloseModelWithParameters(search)
    job_pos = model.problem.job_index()
    shift_pos = model.problem.shift_index()
    routes: list[list[int]] = [[] for _ in model.problem.shifts]
    for route in initial.routes:
        v = shift_pos.get(route.shift_id)
        if v is None:
            return None
        for jid in route.job_ids():
            j = job_pos.get(jid)
            if j is None or j not in model.job_nodes:
                return None
            routes[v].append(model.job_index(j))
    assignment: pywrapcp.Assignment | None = model.routing.ReadAssignmentFromRoutes(routes, True)
    return assignment


def _solve_from_several_starts(
    problem: Problem, params: SolveParams, progress: ProgressCallback | None
) -> Solution:
    """Guided local search tends to stay in the basin of its first solution; one search per
    start in an equal share of the time, keeping the cheapest plan, escapes the worst of that."""
    started = time.monotonic()
    best: Solution | None = None
    starts = params.first_solutions
    for k, first in enumerate(starts):
        left = params.time_limit - (time.monotonic() - started)
        share = max(0.2, left / (len(starts) - k))
        sol = solve(
            problem, replace(params, first_solution=first, first_solutions=(), time_limit=share), progress
        )
        if best is None or (sol.status is not Status.NO_SOLUTION and sol.summary.cost < best.summary.cost):
            best = sol
    assert best is not None
    return replace(best, summary=replace(best.summary, wall_time=time.monotonic() - started))


def _solve_by_regions(
    problem: Problem,
    params: SolveParams,
    candidates: list[Candidates],
    started: float,
    progress: ProgressCallback | None,
) -> Solution:
    """Plan each region on its own (see solver.decompose), then offer the jobs a full region had
    to drop to the other regions that could take them, and merge.

    A search over the whole merged day would be better still, but at 2,000 jobs OR-Tools spends
    over 20 s just restoring such a plan (break propagation) before it can improve it.
    """
    regions = partition(problem, candidates, params.region_size(len(problem.jobs)))
    horizon = _horizon(problem)
    first_round_end = started + params.time_limit * params.region_time_share
    end = started + params.time_limit - 0.2  # leave time to merge and extract
    penalty = {j: unassigned_penalty(problem, params, j, horizon) for r in regions for j in r.jobs}
    results: dict[int, Solution] = {}
    log: list[tuple[float, int]] = []

    def report() -> None:
        planned = {j for g in results for j in regions[g].jobs}
        cost = sum(s.summary.cost for s in results.values()) + sum(
            p for j, p in penalty.items() if j not in planned
        )
        if not log or cost < log[-1][1]:
            log.append((time.monotonic() - started, cost))
            if progress is not None:
                progress(*log[-1])

    for g, region in enumerate(regions):
        # Each region's share of what is left, so model-building overheads don't add up.
        left = sum(len(r.jobs) for r in regions[g:]) or 1
        results[g] = _solve_region(
            problem,
            params,
            region,
            (first_round_end - time.monotonic()) * len(region.jobs) / left,
            _depots_left(problem, results.values()),
        )
        report()
    # Second round: dropped jobs go to the other region (among those with a candidate shift)
    # with the most free shift time, which is re-planned with its extra jobs.
    job_pos = problem.job_index()
    region_of_shift = {s: g for g, r in enumerate(regions) for s in r.shifts}
    dropped = [
        job_pos[u.job_id] for res in results.values() for u in res.unassigned if u.reason is Reason.CAPACITY
    ]
    extra: dict[int, list[int]] = defaultdict(list)
    for j in dropped:
        own = next(g for g, r in enumerate(regions) if j in r.jobs)
        others = {region_of_shift[s] for s in candidates[j].shifts} - {own}
        if others:
            extra[max(others, key=lambda g: _free_time(results[g]))].append(j)
    pending = sum(len(v) for v in extra.values())
    for g, offered in extra.items():
        if end - time.monotonic() < 0.3:
            break
        # A region re-planned earlier in this round may have placed its own dropped jobs.
        waiting = {job_pos[u.job_id] for res in results.values() for u in res.unassigned}
        jobs = [j for j in offered if j in waiting]
        if not jobs:
            pending -= len(offered)
            continue
        pending += len(jobs) - len(offered)
        share = (end - time.monotonic()) * len(jobs) / pending
        pending -= len(jobs)
        grown = Region(regions[g].shifts, regions[g].jobs + tuple(jobs))
        planned_elsewhere = [res for h, res in results.items() if h != g]
        again = _solve_region(problem, params, grown, share, _depots_left(problem, planned_elsewhere))
        if again.summary.cost < results[g].summary.cost + sum(penalty[j] for j in jobs):
            placed = {job_pos[j] for r in again.routes for j in r.job_ids()}
            for j in placed & set(jobs):
                own = next(h for h, r in enumerate(regions) if j in r.jobs)
                regions[own] = Region(regions[own].shifts, tuple(x for x in regions[own].jobs if x != j))
                results[own] = replace(
                    results[own],
                    unassigned=tuple(u for u in results[own].unassigned if job_pos[u.job_id] != j),
                )
            regions[g] = Region(
                grown.shifts, tuple(x for x in grown.jobs if x in placed or x in regions[g].jobs)
            )
            results[g] = replace(
                again,
                unassigned=tuple(u for u in again.unassigned if job_pos[u.job_id] not in set(jobs) - placed),
            )
            report()
    routes = tuple(r for res in results.values() for r in res.routes)
    routed = {j for r in routes for j in r.job_ids()}
    unassigned = [u for res in results.values() for u in res.unassigned]
    listed = routed | {u.job_id for u in unassigned}
    unassigned += [
        _reason(j, c, problem) for j, c in enumerate(candidates) if problem.jobs[j].id not in listed
    ]
    cost = sum(res.summary.cost for res in results.values())
    return Solution(
        status=Status.SOLVED,
        routes=routes,
        unassigned=tuple(unassigned),
        summary=_summary(problem, routes, len(unassigned), cost, started),
        search_log=tuple(log),
    )


def _solve_region(
    problem: Problem, params: SolveParams, region: Region, time_limit: float, depots: tuple[Depot, ...]
) -> Solution:
    sub = Problem(
        locations=problem.locations,
        matrix=problem.matrix,
        jobs=tuple(problem.jobs[j] for j in region.jobs),
        shifts=tuple(problem.shifts[s] for s in region.shifts),
        depots=depots,
    )
    return solve(sub, replace(params, time_limit=max(0.2, time_limit), region_jobs=0))


def _depots_left(problem: Problem, planned: Iterable[Solution]) -> tuple[Depot, ...]:
    """Depot stock minus what routes already planned load, so regions cannot overdraw it."""
    taken: dict[tuple[str, str], int] = defaultdict(int)
    for sol in planned:
        for route in sol.routes:
            for st in route.steps:
                if st.type is StepType.DEPOT and st.id is not None:
                    for part, qty in st.parts:
                        taken[st.id, part] += qty
    if not taken:
        return problem.depots
    return tuple(replace(d, stock=tuple((p, q - taken[d.id, p]) for p, q in d.stock)) for d in problem.depots)


def _free_time(solution: Solution) -> int:
    return -sum(r.service + r.travel_time for r in solution.routes)


# --------------------------------------------------------------------------- model building


def _build(problem: Problem, params: SolveParams, candidates: list[Candidates]) -> _Model:
    tracked = parts.resources(problem, candidates)
    options = parts.depot_options(problem, candidates, tracked)
    node_loc, job_nodes, variants, depot_nodes, starts, ends = _nodes(problem, candidates, options)
    manager = pywrapcp.RoutingIndexManager(len(node_loc), len(problem.shifts), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    horizon = _horizon(problem)
    visit_nodes = {node: j for j, node in job_nodes.items()}
    visit_nodes.update((v, j) for j, pairs in variants.items() for v, _ in pairs)
    model = _Model(
        problem,
        params,
        manager,
        routing,
        node_loc,
        job_nodes,
        candidates,
        horizon,
        {},
        depot_nodes,
        tracked,
        visit_nodes,
        variants,
    )
    travel = _node_matrix(problem.matrix.durations, node_loc)
    _add_arc_costs(model, travel)
    _add_time(model, travel)
    _add_allowed_shifts(model)
    _add_optional_jobs(model)
    _add_deadlines(model)
    _add_capacities(model)
    _add_max_jobs(model)
    _add_breaks(model)
    _add_pins(model)
    _add_stability(model)
    _add_depot_stops(model)
    return model


def _nodes(
    problem: Problem, candidates: list[Candidates], options: dict[int, list[int]]
) -> tuple[IntArray, dict[int, int], dict[int, list[tuple[int, int]]], dict[int, int], list[int], list[int]]:
    locs: list[int] = []
    job_nodes: dict[int, int] = {}
    for j, job in enumerate(problem.jobs):
        if candidates[j].shifts:
            job_nodes[j] = len(locs)
            locs.append(job.location)
    depot_nodes: dict[int, int] = {}
    variants: dict[int, list[tuple[int, int]]] = {}
    for j, depots in options.items():
        for d in depots:
            variants.setdefault(j, []).append((len(locs), len(locs) + 1))
            locs.append(problem.jobs[j].location)
            depot_nodes[len(locs)] = d
            locs.append(problem.depots[d].location)
    depot_node: dict[int, int] = {}

    def depot(loc: int) -> int:
        if loc not in depot_node:
            depot_node[loc] = len(locs)
            locs.append(loc)
        return depot_node[loc]

    starts = [depot(s.start) for s in problem.shifts]
    ends = [depot(s.end) if s.end is not None else -1 for s in problem.shifts]
    if any(e < 0 for e in ends):
        open_end = len(locs)
        locs.append(-1)
        ends = [open_end if e < 0 else e for e in ends]
    return np.array(locs, dtype=np.int64), job_nodes, variants, depot_nodes, starts, ends


def _node_matrix(values: IntArray, node_loc: IntArray) -> IntArray:
    """Location matrix re-indexed by node; legs into the open-end node are free."""
    idx = np.where(node_loc < 0, 0, node_loc)
    m: IntArray = values[np.ix_(idx, idx)].copy()
    m[:, node_loc < 0] = 0
    m[node_loc < 0, :] = 0
    return m


def _horizon(problem: Problem) -> int:
    ends = [s.time_window.end for s in problem.shifts]
    ends += [w.end + j.service for j in problem.jobs for w in j.time_windows]
    return max(ends, default=0) + 1


def _add_arc_costs(model: _Model, travel: IntArray) -> None:
    if model.params.arc_cost is ArcCost.DISTANCE:
        cost = _node_matrix(model.problem.matrix.distances, model.node_loc)
    else:
        cost = travel
    if model.depot_nodes:
        # A depot stop costs its counter time too, or one on the way would come for free.
        cost = cost.copy()
        for node, d in model.depot_nodes.items():
            cost[node, :] += model.problem.depots[d].service
    callback = model.routing.RegisterTransitMatrix(cost.tolist())
    model.routing.SetArcCostEvaluatorOfAllVehicles(callback)


def _service_per_node(model: _Model) -> IntArray:
    service = np.zeros(len(model.node_loc), dtype=np.int64)
    for node, j in model.visit_nodes.items():
        service[node] = model.problem.jobs[j].service
    for node, d in model.depot_nodes.items():
        service[node] = model.problem.depots[d].service
    return service


def _add_time(model: _Model, travel: IntArray) -> None:
    service = _service_per_node(model)
    transit = travel + service[:, None]
    callback = model.routing.RegisterTransitMatrix(transit.tolist())
    model.routing.AddDimension(callback, model.horizon, model.horizon, False, TIME)
    dim = model.time
    if model.params.span_cost:
        dim.SetSpanCostCoefficientForAllVehicles(model.params.span_cost)
    for v, shift in enumerate(model.problem.shifts):
        tw = shift.time_window
        dim.CumulVar(model.routing.Start(v)).SetRange(tw.start, tw.end)
        dim.CumulVar(model.routing.End(v)).SetRange(tw.start, tw.end)
    for node, j in model.visit_nodes.items():
        job = model.problem.jobs[j]
        var = dim.CumulVar(model.manager.NodeToIndex(node))
        if job.fixed_start is not None:
            var.SetValue(job.fixed_start)
        elif job.time_windows:
            var.SetRange(job.time_windows[0].start, job.time_windows[-1].end)
            for a, b in pairwise(job.time_windows):
                if b.start > a.end + 1:
                    var.RemoveInterval(a.end + 1, b.start - 1)
    for node, d in model.depot_nodes.items():
        window = model.problem.depots[d].time_window
        if window is not None:
            # A window opening after the horizon (a late transfer) leaves the stop unusable.
            lo, hi = min(window.start, model.horizon), min(window.end, model.horizon)
            dim.CumulVar(model.manager.NodeToIndex(node)).SetRange(lo, max(lo, hi))


def _add_allowed_shifts(model: _Model) -> None:
    """Skills, pins and reachability: a job may only ride with its candidate shifts.

    Encoded as a capacity-0 dimension whose per-vehicle transit is 1 at forbidden jobs, so the
    first-solution heuristics' and local search's filters reject a forbidden insertion at once.
    (Restricting the vehicle variable's domain is only seen at CP commit, where each rejected
    move costs a failure: at 2,000 jobs no first solution was found in 60 s that way. OR-Tools
    9.15's Python binding of SetAllowedVehiclesForIndex accepts no sequence type.)
    """
    n_nodes, n_shifts = len(model.node_loc), len(model.problem.shifts)
    forbidden = np.zeros((n_shifts, n_nodes), dtype=np.int64)
    restricted = False
    for node, j in model.visit_nodes.items():
        allowed = model.candidates[j].shifts
        if len(allowed) < n_shifts:
            restricted = True
            forbidden[:, node] = 1
            forbidden[list(allowed), node] = 0
    if not restricted:
        return
    callbacks: dict[bytes, int] = {}
    per_vehicle = []
    for v in range(n_shifts):
        key = forbidden[v].tobytes()
        if key not in callbacks:
            callbacks[key] = model.routing.RegisterUnaryTransitVector(forbidden[v].tolist())
        per_vehicle.append(callbacks[key])
    model.routing.AddDimensionWithVehicleTransits(per_vehicle, 0, 0, True, "allowed")


def unassigned_penalty(problem: Problem, params: SolveParams, job_pos: int, horizon: int) -> int:
    """What dropping a job costs: a base, more per priority point, more if its SLA deadline falls
    inside the horizon (dropping it breaks the promise), and prohibitive for pinned jobs."""
    job = problem.jobs[job_pos]
    if job.pinned_engineer is not None:
        return params.pinned_unassigned_cost
    penalty = params.unassigned_cost + params.unassigned_cost_per_priority * job.priority
    if job.deadline is not None and job.deadline < horizon:
        penalty += params.urgent_unassigned_cost * (1 + job.sla_tier)
    return penalty


def _add_optional_jobs(model: _Model) -> None:
    for j in model.job_nodes:
        penalty = unassigned_penalty(model.problem, model.params, j, model.horizon)
        nodes = [model.job_nodes[j], *(v for v, _ in model.variants.get(j, ()))]
        model.routing.AddDisjunction([model.manager.NodeToIndex(n) for n in nodes], penalty, 1)


def _add_deadlines(model: _Model) -> None:
    dim = model.time
    for node, j in model.visit_nodes.items():
        job = model.problem.jobs[j]
        if job.deadline is None:
            continue
        index = model.manager.NodeToIndex(node)
        if model.params.hard_deadlines:
            dim.CumulVar(index).SetMax(max(job.deadline, dim.CumulVar(index).Min()))
        else:
            per_second = max(1, round(model.params.late_cost(job.sla_tier) / 60))
            dim.SetCumulVarSoftUpperBound(index, job.deadline, per_second)


def _add_capacities(model: _Model) -> None:
    problem = model.problem
    for k in range(problem.capacity_dims):
        delivery = np.zeros(len(model.node_loc), dtype=np.int64)
        pickup = np.zeros(len(model.node_loc), dtype=np.int64)
        for node, j in model.visit_nodes.items():
            job = problem.jobs[j]
            delivery[node] = job.delivery[k] if job.delivery else 0
            pickup[node] = job.pickup[k] if job.pickup else 0
        caps = [s.capacity[k] for s in problem.shifts]
        if not pickup.any():
            callback = model.routing.RegisterUnaryTransitVector(delivery.tolist())
            model.routing.AddDimensionWithVehicleCapacity(callback, 0, caps, True, f"load{k}")
            continue
        # Deliveries ride from the start, pickups to the end: the load starts at the sum of the
        # route's deliveries and changes by pickup - delivery at each job. A second dimension
        # counts the route's deliveries, and its end value fixes the first one's start.
        routing = model.routing
        callback = routing.RegisterUnaryTransitVector((pickup - delivery).tolist())
        routing.AddDimensionWithVehicleCapacity(callback, 0, caps, False, f"load{k}")
        total = routing.RegisterUnaryTransitVector(delivery.tolist())
        routing.AddDimensionWithVehicleCapacity(total, 0, caps, True, f"delivered{k}")
        load, delivered = routing.GetDimensionOrDie(f"load{k}"), routing.GetDimensionOrDie(f"delivered{k}")
        for v in range(routing.vehicles()):
            routing.solver().Add(load.CumulVar(routing.Start(v)) == delivered.CumulVar(routing.End(v)))


def _add_depot_stops(model: _Model) -> None:
    """Each depot variant of a job rides with its own stop: same route, stop first (see
    solver.parts). The stop is active exactly when its variant is."""
    if not model.tracked:
        return
    routing, manager = model.routing, model.manager
    for pairs in model.variants.values():
        for visit, stop in pairs:
            vi, si = manager.NodeToIndex(visit), manager.NodeToIndex(stop)
            routing.AddDisjunction([si], 0)  # its cost is the variant's, through the shared disjunction
            # Both or neither, on one route, stop first: enforced by the routing filters, so
            # no CP constraints (which are only checked when a move is committed) are needed.
            routing.AddPickupAndDelivery(si, vi)
    parts.add_dimensions(
        model.routing, model.manager, model.problem, model.tracked, model.visit_nodes, model.depot_nodes
    )


def _add_max_jobs(model: _Model) -> None:
    shifts = model.problem.shifts
    if all(s.max_jobs is None for s in shifts):
        return
    ones = np.zeros(len(model.node_loc), dtype=np.int64)
    ones[list(model.visit_nodes)] = 1
    callback = model.routing.RegisterUnaryTransitVector(ones.tolist())
    caps = [len(model.job_nodes) if s.max_jobs is None else s.max_jobs for s in shifts]
    model.routing.AddDimensionWithVehicleCapacity(callback, 0, caps, True, "visits")


def _add_breaks(model: _Model) -> None:
    """Breaks as interval variables inside each shift's route span.

    Two known pitfalls are handled: every vehicle gets its own interval objects (sharing them
    across vehicles corrupts the model), and a break must lie between the route's start and
    end, else the solver may "take" it before the engineer leaves home, even on unused shifts.
    """
    routing, dim = model.routing, model.time
    solver = routing.solver()
    service = _service_per_node(model)
    visit_transits = [int(service[model.manager.IndexToNode(i)]) for i in range(routing.Size())]
    visit_transits += [0] * (routing.Size() + routing.vehicles() - len(visit_transits))
    for v, shift in enumerate(model.problem.shifts):
        if not shift.breaks:
            continue
        intervals = []
        for b in shift.breaks:
            first, last = b.time_windows[0], b.time_windows[-1]
            interval = solver.FixedDurationIntervalVar(
                first.start, last.end, b.duration, False, f"break {shift.id} {b.id}"
            )
            for w1, w2 in pairwise(b.time_windows):
                if w2.start > w1.end + 1:
                    interval.SafeStartExpr(0).Var().RemoveInterval(w1.end + 1, w2.start - 1)
            solver.Add(interval.StartExpr() >= dim.CumulVar(routing.Start(v)))
            solver.Add(interval.EndExpr() <= dim.CumulVar(routing.End(v)))
            routing.AddIntervalToAssignment(interval)
            intervals.append(interval)
            model.breaks.setdefault(v, []).append((b.id, interval))
        dim.SetBreakIntervalsOfVehicle(intervals, v, visit_transits)


def _add_pins(model: _Model) -> None:
    """Pinned ranks keep the dispatcher's order; other jobs may still be slotted between."""
    routing, dim = model.routing, model.time
    solver = routing.solver()
    ranked: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for j in model.job_nodes:
        job = model.problem.jobs[j]
        if job.pinned_engineer is not None and job.pinned_rank is not None:
            ranked[job.pinned_engineer].append((job.pinned_rank, j))
    for jobs in ranked.values():
        jobs.sort()
        for (_, a), (_, b) in pairwise(jobs):
            ia, ib = model.job_index(a), model.job_index(b)
            gap = dim.CumulVar(ib) - dim.CumulVar(ia) - model.problem.jobs[a].service
            solver.Add(routing.ActiveVar(ia) * routing.ActiveVar(ib) * gap >= 0)


def _add_stability(model: _Model) -> None:
    """A cost per job moved off its previous engineer: a counting dimension per engineer whose
    span is the number of newcomers on the route."""
    problem = model.problem
    if not any(problem.jobs[j].previous_engineer for j in model.job_nodes):
        return
    callbacks: dict[str, int] = {}
    per_vehicle = []
    for shift in problem.shifts:
        if shift.engineer_id not in callbacks:
            moved = np.zeros(len(model.node_loc), dtype=np.int64)
            for node, j in model.visit_nodes.items():
                prev = problem.jobs[j].previous_engineer
                moved[node] = int(prev is not None and prev != shift.engineer_id)
            callbacks[shift.engineer_id] = model.routing.RegisterUnaryTransitVector(moved.tolist())
        per_vehicle.append(callbacks[shift.engineer_id])
    model.routing.AddDimensionWithVehicleTransits(per_vehicle, 0, len(model.job_nodes) + 1, True, "moves")
    model.routing.GetDimensionOrDie("moves").SetSpanCostCoefficientForAllVehicles(model.params.stability_cost)


def _search_parameters(params: SolveParams, time_limit: float, *, pairs: bool = False) -> object:
    """OR-Tools search settings; with depot variants (``pairs``), also the move that trades a
    job's variant with its stop for its plain node, or back (no default operator does)."""
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, params.first_solution.value
    )
    search.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, params.metaheuristic.value
    )
    search.guided_local_search_lambda_coefficient = params.guided_local_search_lambda
    search.ls_operator_neighbors_ratio = params.neighbors_ratio
    search.ls_operator_min_neighbors = params.min_neighbors
    gci = search.global_cheapest_insertion_first_solution_parameters
    gci.neighbors_ratio = params.insertion_neighbors_ratio
    gci.min_neighbors = params.min_neighbors
    search.savings_parameters.neighbors_ratio = params.insertion_neighbors_ratio
    search.time_limit.FromMilliseconds(int(time_limit * 1000))
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    search.log_search = params.log_search
    for name in (*params.extra_operators, *(("use_node_pair_swap_active",) if pairs else ())):
        setattr(search.local_search_operators, name, optional_boolean_pb2.BOOL_TRUE)
    return search


# --------------------------------------------------------------------------- solution extraction


def _reason(job_pos: int, cand: Candidates, problem: Problem) -> Unassigned:
    job = problem.jobs[job_pos]
    if cand.reason is not None:
        return Unassigned(job_id=job.id, reason=cand.reason, detail=cand.detail)
    if job.pinned_engineer is not None:
        return Unassigned(
            job_id=job.id,
            reason=Reason.PINNED_INFEASIBLE,
            detail=f"does not fit engineer {job.pinned_engineer}'s planned day",
        )
    return Unassigned(
        job_id=job.id,
        reason=Reason.CAPACITY,
        detail=f"fits an empty shift of {len(cand.shifts)} engineer-shift(s) but no planned route has room",
    )


@dataclass(slots=True)
class _Visits:
    """One route as the search left it: stops ("job"/"depot", position), the solver's start
    times, the depot stops' slacks (stop position → dimension → value) and their loads."""

    vehicle: int
    stops: list[tuple[str, int]] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    slacks: dict[int, dict[str, int]] = field(default_factory=dict)
    loads: dict[int, tuple[tuple[tuple[str, int], ...], tuple[str, ...]]] = field(default_factory=dict)

    def drop(self, k: int) -> None:
        """Take stop ``k`` out (later stops only get earlier, so the rest stays feasible)."""
        del self.stops[k], self.starts[k]
        self.slacks = {(i if i < k else i - 1): v for i, v in self.slacks.items() if i != k}


def _extract(
    model: _Model, assignment: pywrapcp.Assignment, started: float, log: tuple[tuple[float, int], ...]
) -> Solution:
    problem, routing, manager, dim = model.problem, model.routing, model.manager, model.time
    routes: list[Route] = []
    served: set[int] = set()
    node_job = model.visit_nodes
    slack_dims = [routing.GetDimensionOrDie(r.dimension) for r in model.tracked]
    # First every route's stops, solver times and loads, so that visits can be taken back
    # where routes together overdraw a depot (see solver.parts).
    used: list[_Visits] = []
    for v, shift in enumerate(problem.shifts):
        if not routing.IsVehicleUsed(assignment, v):
            continue
        r = _Visits(v)
        index = assignment.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            if node in model.depot_nodes:
                r.slacks[len(r.stops)] = {
                    res.dimension: assignment.Value(d.SlackVar(index))
                    for res, d in zip(model.tracked, slack_dims, strict=True)
                }
                r.stops.append(("depot", model.depot_nodes[node]))
            else:
                r.stops.append(("job", node_job[node]))
            r.starts.append(assignment.Min(dim.CumulVar(index)))
            index = assignment.Value(routing.NextVar(index))
        r.loads = parts.loads(problem, shift, r.stops, r.slacks) if r.slacks else {}
        used.append(r)
    taken_back: dict[int, str] = {}  # job position → the part a depot ran out of
    while (over := parts.overdrawn(problem, [r.loads for r in used], [r.stops for r in used])) is not None:
        r, k, part = used[over[0]], over[1], over[2]
        taken_back[r.stops[k][1]] = part
        r.drop(k)
        r.loads = parts.loads(problem, problem.shifts[r.vehicle], r.stops, r.slacks)
    for r in used:
        v, stops, solver_starts, loads = r.vehicle, r.stops, r.starts, r.loads
        visits = [p for kind, p in stops if kind == "job"]
        if not visits:
            continue
        served.update(visits)
        # A stop that loads nothing the route uses is dropped; what follows only gets earlier.
        keep = [k for k, (kind, _) in enumerate(stops) if kind == "job" or any(loads.get(k, ((), ())))]
        loads = {keep.index(k): v for k, v in loads.items() if k in keep}
        stops = [stops[k] for k in keep]
        solver_starts = [solver_starts[k] for k in keep]
        breaks = sorted((assignment.StartMin(iv), bid) for bid, iv in model.breaks.get(v, []))
        routes.append(_schedule(problem, v, stops, solver_starts, breaks, loads))
    unassigned = tuple(
        Unassigned(
            job_id=problem.jobs[j].id,
            reason=Reason.PART_UNAVAILABLE,
            detail=f"the depot stock of {taken_back[j]} went to other visits",
        )
        if j in taken_back
        else _reason(j, c, problem)
        for j, c in enumerate(model.candidates)
        if j not in served
    )
    summary = _summary(problem, tuple(routes), len(unassigned), int(assignment.ObjectiveValue()), started)
    return Solution(
        status=Status.SOLVED, routes=tuple(routes), unassigned=unassigned, summary=summary, search_log=log
    )


def _schedule(
    problem: Problem,
    v: int,
    stops: list[tuple[str, int]],
    solver_starts: list[int],
    breaks: list[tuple[int, str]],
    loads: dict[int, tuple[tuple[tuple[str, int], ...], tuple[str, ...]]],
) -> Route:
    """The route in the solver's order, timed as early as that order allows (`solver.timing`).

    The solver's service starts (cumuls) are any feasible values, often later than needed, so
    they only place each break: on the leg to the first stop the solver starts after it.
    Earlier is feasible whenever the solver's times were (the schedule is monotone in time).
    """
    shift = problem.shifts[v]
    by_id = {b.id: b for b in shift.breaks}
    pending = list(breaks)
    items: list[Item] = []
    for k, ((kind, p), start) in enumerate(zip(stops, solver_starts, strict=True)):
        while pending and pending[0][0] < start:
            items.append(by_id[pending.pop(0)[1]])
        if kind == "depot":
            loaded_parts, loaded_tools = loads.get(k, ((), ()))
            items.append(DepotCall(problem.depots[p], loaded_parts, loaded_tools))
        else:
            items.append(problem.jobs[p])
    items += [by_id[bid] for _, bid in pending]
    return earliest_route(problem, shift, items)


def _summary(
    problem: Problem, routes: tuple[Route, ...], n_unassigned: int, cost: int, started: float
) -> Summary:
    jobs = {j.id: j for j in problem.jobs}
    served = [jid for r in routes for jid in r.job_ids()]
    return Summary(
        cost=cost,
        routes=len(routes),
        assigned=len(served),
        unassigned=n_unassigned,
        served_priority=sum(jobs[j].priority for j in served),
        travel_time=sum(r.travel_time for r in routes),
        distance=sum(r.distance for r in routes),
        service=sum(r.service for r in routes),
        waiting_time=sum(r.waiting_time for r in routes),
        lateness=sum(r.lateness for r in routes),
        late_jobs=sum(1 for r in routes for s in r.steps if s.lateness > 0),
        wall_time=time.monotonic() - started,
    )


def _empty_solution(problem: Problem, candidates: list[Candidates], started: float) -> Solution:
    unassigned = tuple(_reason(j, c, problem) for j, c in enumerate(candidates))
    return Solution(
        status=Status.SOLVED,
        routes=(),
        unassigned=unassigned,
        summary=_summary(problem, (), len(unassigned), 0, started),
    )
