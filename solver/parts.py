"""Parts and tools in the routing model: what each van carries, and depot stops that load more.

Each part a job uses up is a dimension whose cumul is the quantity on the van: it starts at
the shift's stock, a job's transit takes its need away, and the cumul can never go below
zero, so a job is only served with its parts on board. Depot stops are optional nodes (one
per possible stop: a few copies of each useful depot) whose *slack* is what the van loads
there, bounded by the depot's stock; every other node has zero slack. A tool is the same with
nothing used up: the cumul is 0 or 1, and a job needing the tool requires 1 on arrival.

This is why the solver, not a rule, chooses the depot: a stop is just another node to insert,
and its detour and counter time compete with every other use of the engineer's day. The
depot's total stock over all routes is a constraint on the sum of its copies' slacks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp

from solver.explain import Candidates
from solver.model import Depot, Job, Problem, Shift, Step, StepType


@dataclass(frozen=True, slots=True)
class Resource:
    """A part (used up) or a tool (kept) tracked by one dimension."""

    name: str
    consumed: bool

    @property
    def dimension(self) -> str:
        return f"{'part' if self.consumed else 'tool'}:{self.name}"


def needs_depot(job: Job, shifts: Sequence[Shift], allowed: Sequence[int], demand: dict[str, int]) -> bool:
    """Whether some shift the job may ride with could lack, on its own van, what the job needs:
    a tool it does not carry, or less of a part than all jobs together use (``demand``)."""
    for v in allowed:
        van, tools = dict(shifts[v].stock), set(shifts[v].tools)
        if any(van.get(p, 0) < demand[p] for p, _ in job.parts) or any(t not in tools for t in job.tools):
            return True
    return False


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


def depot_copies(
    problem: Problem, candidates: Sequence[Candidates], tracked: Sequence[Resource]
) -> list[int]:
    """Depot positions, one entry per stop node: each depot holding something tracked gets as
    many stops as there are jobs that may need a depot, up to one per shift (a second stop on
    one route is rare; more nodes slow every search move)."""
    demand: dict[str, int] = defaultdict(int)
    for j, job in enumerate(problem.jobs):
        if candidates[j].shifts:
            for p, q in job.parts:
                demand[p] += q
    needy = sum(
        1
        for j, job in enumerate(problem.jobs)
        if candidates[j].shifts and needs_depot(job, problem.shifts, candidates[j].shifts, demand)
    )
    if not needy:
        return []
    parts = {r.name for r in tracked if r.consumed}
    tools = {r.name for r in tracked if not r.consumed}
    copies = min(needy, len(problem.shifts))
    out: list[int] = []
    for d, depot in enumerate(problem.depots):
        if any(p in parts for p, _ in depot.stock) or tools.intersection(depot.tools):
            out.extend([d] * copies)
    return out


def add_dimensions(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: Problem,
    tracked: Sequence[Resource],
    job_nodes: dict[int, int],
    depot_nodes: dict[int, int],
) -> list[pywrapcp.IntVar]:
    """One dimension per tracked resource; returns the depot stops' slack variables, which the
    caller must keep in the assignment to read what was loaded."""
    n_nodes = manager.GetNumberOfNodes()
    solver = routing.solver()
    kept: list[pywrapcp.IntVar] = []
    for res in tracked:
        need = np.zeros(n_nodes, dtype=np.int64)
        required: list[int] = []  # job nodes that need a tool on arrival
        for j, node in job_nodes.items():
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
        cap = max(start, default=0) + int(need.sum()) if res.consumed else 1
        callback = routing.RegisterUnaryTransitVector((-need).tolist())
        routing.AddDimension(callback, cap, cap, False, res.dimension)
        dim = routing.GetDimensionOrDie(res.dimension)
        for v, amount in enumerate(start):
            dim.CumulVar(routing.Start(v)).SetValue(min(amount, cap))
        loaders: dict[int, list[pywrapcp.IntVar]] = defaultdict(list)
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
            loaders[d].append(slack)
            if res.consumed and held[d] < cap:
                # An unvisited stop loads nothing, so the depot's stock bounds the visited ones.
                solver.Add(slack <= held[d] * routing.ActiveVar(index))
        if res.consumed:
            for d, slacks in loaders.items():
                if held[d] < cap and len(slacks) > 1:
                    solver.Add(solver.Sum(slacks) <= held[d])
        for node in required:
            dim.CumulVar(manager.NodeToIndex(node)).SetMin(1)
    return kept


def loads(
    problem: Problem,
    shift: Shift,
    stops: Sequence[tuple[str, int]],
    loaded: dict[int, dict[str, int]],
) -> dict[int, tuple[tuple[tuple[str, int], ...], tuple[str, ...]]]:
    """What each depot stop of one route loads: the solver's slack values, trimmed so that no
    more is loaded than the rest of the route uses (the model has no reason to load less).

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
            # Load a tool at the first stop that offers it, if a later job needs it.
            have = res in shift.tools
            for k, (what, _) in enumerate(stops):
                later = (res in problem.jobs[p].tools for w, p in stops[k + 1 :] if w == "job")
                if what == "depot" and amounts[k] and not have and any(later):
                    out[k][1].add(res)
                    have = True
            continue
        use = [dict(problem.jobs[p].parts).get(res, 0) if what == "job" else 0 for what, p in stops]
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


def depot_step(
    depot: Depot, arrival: int, begin: int, parts: tuple[tuple[str, int], ...], tools: tuple[str, ...]
) -> Step:
    return Step(
        type=StepType.DEPOT,
        id=depot.id,
        location=depot.location,
        arrival=arrival,
        waiting_time=begin - arrival,
        service=depot.service,
        parts=parts,
        tools=tools,
    )
