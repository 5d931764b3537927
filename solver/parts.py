"""Parts and tools in the routing model: what each van carries, and depot stops that load more.

Each part a job uses up is a dimension whose cumul is the quantity on the van: it starts at
the shift's stock, a job's transit takes its need away, and the cumul can never go below
zero, so a job is only served with its parts on board. Depot stops are nodes whose *slack* is
what the van loads there, bounded by the depot's stock; every other node has zero slack. A
tool is the same with nothing used up: the cumul is 0 or 1, and a job needing it requires 1.

A job that may need a depot gets, besides its plain node, one variant per nearby depot
holding its parts: a copy of the visit paired (pick-up and delivery: same route, depot first)
with its own stop at that depot, all in one disjunction, so exactly one is served. Insertion
heuristics and local search move such pairs as a unit, which they cannot do with a free depot
node that is worth nothing on its own; and a stop made for one job can load for later ones,
which then take their plain node. So the solver, not a rule, chooses whether and where to stop,
and the detour and counter time compete with every other use of the engineer's day.

A depot's stock shared by several routes is not in the model: a CP constraint over the stops'
slacks is only seen when a move is committed, and with one the first-solution heuristics
placed nothing at all. Each stop is bounded by the stock alone, and `overdrawn` tells the
extraction which visits to take back when routes together load more than a depot holds
(rare: a day's demand is usually far below a depot's stock).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp

from solver.explain import Candidates
from solver.model import Job, Problem, Shift


@dataclass(frozen=True, slots=True)
class Resource:
    """A part (used up) or a tool (kept) tracked by one dimension."""

    name: str
    consumed: bool

    @property
    def dimension(self) -> str:
        return f"{'part' if self.consumed else 'tool'}:{self.name}"


def needs_depot(job: Job, shifts: Sequence[Shift], allowed: Sequence[int], demand: dict[str, int]) -> bool:
    """Whether the job may need a depot stop: some shift it may ride with lacks, on its own van,
    a tool or the quantity of a part it needs, or the vans of all those shifts together hold
    less of a part than all jobs use (``demand``). Not whenever one van holds less than the day's
    demand: that gave nearly every job a variant, and on the generated parts days the leaner
    rule planned 10-20 % less travel for as many jobs (BENCHMARKS.md)."""
    vans = [dict(shifts[v].stock) for v in allowed]
    for p, q in job.parts:
        if any(van.get(p, 0) < q for van in vans) or sum(van.get(p, 0) for van in vans) < demand[p]:
            return True
    return any(t not in shifts[v].tools for v in allowed for t in job.tools)


def resources(problem: Problem, candidates: Sequence[Candidates]) -> list[Resource]:
    """Every part a plannable job uses up (vans run out when several jobs share them), and
    every tool some allowed van lacks (a tool on every allowed van needs no tracking)."""
    parts: set[str] = set()
    tools: set[str] = set()
    for j, job in enumerate(problem.jobs):
        allowed = candidates[j].shifts
        if not allowed:
            continue
        parts.update(p for p, _ in job.parts)
        for t in job.tools:
            if any(t not in problem.shifts[v].tools for v in allowed):
                tools.add(t)
    return [Resource(p, True) for p in sorted(parts)] + [Resource(t, False) for t in sorted(tools)]


def depot_options(
    problem: Problem, candidates: Sequence[Candidates], tracked: Sequence[Resource], nearest: int = 1
) -> dict[int, list[int]]:
    """Job position → depots (positions) a stop made for it may be at: for each job that may
    need a depot, the ``nearest`` depots holding something it needs. Jobs with a pinned rank or
    a fixed start get none (their order is the dispatcher's; the parts of a visit in hand are
    on board already). One depot per job by default: every variant adds two nodes to every
    search move, and on the generated parts days (200 and 500 jobs, 30 s) one variant served
    more jobs on less travel than three (197 vs 194 jobs, 54.5 vs 56.7 h; 491 vs 490, 133.8 vs
    140.8 h and 1 vs 9 late promises). Other depots still serve through other jobs' stops."""
    demand: dict[str, int] = defaultdict(int)
    for j, job in enumerate(problem.jobs):
        if candidates[j].shifts:
            for p, q in job.parts:
                demand[p] += q
    tracked_names = {r.name for r in tracked}
    dur = problem.matrix.durations
    out: dict[int, list[int]] = {}
    for j, job in enumerate(problem.jobs):
        allowed = candidates[j].shifts
        if not allowed or job.pinned_rank is not None or job.fixed_start is not None:
            continue
        if not needs_depot(job, problem.shifts, allowed, demand):
            continue
        wanted = {p for p, _ in job.parts} | set(job.tools)
        offered = [{p for p, q in depot.stock if q > 0} | set(depot.tools) for depot in problem.depots]
        holding = [d for d in range(len(problem.depots)) if wanted & tracked_names & offered[d]]
        # A variant has one stop: depots holding everything the job needs come first.
        holding.sort(
            key=lambda d: (not wanted <= offered[d], int(dur[problem.depots[d].location, job.location]), d)
        )
        if holding:
            out[j] = holding[:nearest]
    return out


def add_dimensions(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: Problem,
    tracked: Sequence[Resource],
    visit_nodes: dict[int, int],
    depot_nodes: dict[int, int],
) -> list[pywrapcp.IntVar]:
    """One dimension per tracked resource; returns the depot stops' slack variables, which the
    caller must keep in the assignment to read what was loaded."""
    n_nodes = manager.GetNumberOfNodes()
    kept: list[pywrapcp.IntVar] = []
    for res in tracked:
        need = np.zeros(n_nodes, dtype=np.int64)
        required: list[int] = []  # job nodes that need a tool on arrival
        for node, j in visit_nodes.items():
            job = problem.jobs[j]
            if res.consumed:
                need[node] = dict(job.parts).get(res.name, 0)
            elif res.name in job.tools:
                required.append(node)
        start = [
            dict(s.stock).get(res.name, 0) if res.consumed else int(res.name in s.tools)
            for s in problem.shifts
        ]
        held = {
            d: dict(dep.stock).get(res.name, 0) if res.consumed else int(res.name in dep.tools)
            for d, dep in enumerate(problem.depots)
        }
        # What all jobs together use: a depot holding this much cannot run out.
        total = sum(dict(problem.jobs[j].parts).get(res.name, 0) for j in set(visit_nodes.values()))
        cap = max(start, default=0) + total if res.consumed else 1
        callback = routing.RegisterUnaryTransitVector((-need).tolist())
        routing.AddDimension(callback, cap, cap, False, res.dimension)
        dim = routing.GetDimensionOrDie(res.dimension)
        for v, amount in enumerate(start):
            dim.CumulVar(routing.Start(v)).SetValue(min(amount, cap))
        depot_index = {int(manager.NodeToIndex(node)): d for node, d in depot_nodes.items()}
        for index in range(routing.Size()):
            slack = dim.SlackVar(index)
            d = depot_index.get(index)
            if d is None:
                slack.SetValue(0)
                continue
            slack.SetMax(min(cap, held[d]))
            # Kept in the assignment and minimised by the finalizer, the slack is the least
            # load consistent with the route (otherwise the stored value is just the domain
            # minimum, 0; and the finalizer alone, without AddToAssignment, crashes OR-Tools 9.15).
            routing.AddToAssignment(slack)
            routing.AddVariableMinimizedByFinalizer(slack)
            kept.append(slack)
        for node in required:
            dim.CumulVar(manager.NodeToIndex(node)).SetMin(1)
    return kept


def loads(
    problem: Problem,
    shift: Shift,
    stops: Sequence[tuple[str, int]],
    loaded: dict[int, dict[str, int]],
) -> dict[int, tuple[tuple[tuple[str, int], ...], tuple[str, ...]]]:
    """What each depot stop of one route loads: the solver's slack values, moved to the first
    stop at the same depot, then trimmed so that no more is loaded than the rest of the route
    uses (the model has no reason to load less).

    ``stops``: the route's visits in order as ("job", job position) or ("depot", depot position);
    ``loaded``: stop position in ``stops`` → resource dimension name → slack value.
    Returns stop position → (parts, tools).
    """
    depot_at = [k for k, (kind, _) in enumerate(stops) if kind == "depot"]
    names = {name for per in loaded.values() for name in per}
    out: dict[int, tuple[dict[str, int], set[str]]] = {k: ({}, set()) for k in depot_at}
    van = dict(shift.stock)
    for name in sorted(names):
        kind, res = name.split(":", 1)
        amounts = [loaded.get(k, {}).get(name, 0) for k in range(len(stops))]
        if kind == "tool":
            # Take a tool at the first stop at a depot lending it, if a later job needs it.
            lenders = {stops[k][1] for k in depot_at if amounts[k]}
            have = res in shift.tools
            for k, (what, d) in enumerate(stops):
                later = (res in problem.jobs[p].tools for w, p in stops[k + 1 :] if w == "job")
                if what == "depot" and d in lenders and not have and any(later):
                    out[k][1].add(res)
                    have = True
            continue
        use = [dict(problem.jobs[p].parts).get(res, 0) if what == "job" else 0 for what, p in stops]
        # Load at the first stop at the same depot: later stops there may then load nothing and
        # be dropped (the search pairs a stop with each job that needs one).
        first: dict[int, int] = {}
        for k in depot_at:
            f = first.setdefault(stops[k][1], k)
            if f != k:
                amounts[f], amounts[k] = amounts[f] + amounts[k], 0
        for k in reversed(depot_at):
            # The van never needs more than it holds at the tightest point after this stop.
            level, lowest = van.get(res, 0), None
            for i in range(len(stops)):
                level += amounts[i] - use[i]
                if i >= k:
                    lowest = level if lowest is None else min(lowest, level)
            amounts[k] -= min(amounts[k], max(lowest or 0, 0))
        for k in depot_at:
            if amounts[k]:
                out[k][0][res] = amounts[k]
    return {k: (tuple(sorted(p.items())), tuple(sorted(t))) for k, (p, t) in out.items()}


def overdrawn(
    problem: Problem,
    loaded: Sequence[dict[int, tuple[tuple[tuple[str, int], ...], tuple[str, ...]]]],
    stops: Sequence[Sequence[tuple[str, int]]],
) -> tuple[int, int, str] | None:
    """A visit to take back because routes load more than a depot holds: (route, position in
    its stops, part), the last visit using that part after a stop at the overdrawn depot on
    the route loading most of it; None when every depot's stock suffices."""
    taken: Counter[tuple[int, str]] = Counter()
    for per_route, route_stops in zip(loaded, stops, strict=True):
        for k, (part_loads, _) in per_route.items():
            for part, qty in part_loads:
                taken[route_stops[k][1], part] += qty
    for (d, part), qty in sorted(taken.items()):
        if qty <= dict(problem.depots[d].stock).get(part, 0):
            continue
        best: tuple[int, int, int] | None = None  # (load, route, position)
        for r, (per_route, route_stops) in enumerate(zip(loaded, stops, strict=True)):
            load = sum(
                q for k, (pl, _) in per_route.items() if route_stops[k][1] == d for p, q in pl if p == part
            )
            users = [
                i
                for i, (kind, j) in enumerate(route_stops)
                if kind == "job" and dict(problem.jobs[j].parts).get(part, 0)
            ]
            if load and users and (best is None or load > best[0]):
                best = (load, r, users[-1])
        if best is not None:
            return best[1], best[2], part
    return None
