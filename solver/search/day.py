"""The problem as the search reads it: plain Python numbers per job and shift, the objective's
coefficients, and each job's nearest neighbours.

The search evaluates many thousands of candidate routes, so nothing here is an object it has
to look up by id: jobs and shifts are positions, matrices are read through ``ndarray.item``
(a Python int without creating a numpy scalar), and the objective is the routing model's own
(`solver.routing`): arc costs, SLA lateness per second by tier, a route's span, a cost per
job moved off its previous engineer, and the penalty of each job left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from solver.explain import Candidates, candidate_shifts
from solver.model import ArcCost, Break, Problem, SolveParams
from solver.routing import unassigned_penalty

NEIGHBOURS = 40  # per job, for string removal and for choosing where a removed job may go
STOP_OPTIONS = 2  # depots tried for a job's own depot stop, nearest first
DEPOT_BASE = -1000  # route item of a depot stop at depot d: DEPOT_BASE - d (breaks are -1 - b)


@dataclass(frozen=True, slots=True)
class ShiftData:
    start: int  # location
    end: int | None  # location; None: the route ends at its last visit
    open_at: int
    close_at: int
    breaks: tuple[Break, ...]
    capacity: tuple[int, ...]
    max_jobs: int | None
    engineer: str


class Day:
    """Static data of one problem for the search (see the module docstring)."""

    def __init__(self, problem: Problem, params: SolveParams, candidates: list[Candidates] | None = None):
        self.problem = problem
        self.params = params
        self.candidates = candidates or candidate_shifts(problem, hard_deadlines=params.hard_deadlines)
        matrix = problem.matrix
        self.dur: Callable[[int, int], int] = matrix.durations.item
        cost = matrix.distances if params.arc_cost is ArcCost.DISTANCE else matrix.durations
        self.cost: Callable[[int, int], int] = cost.item
        jobs = problem.jobs
        self.n = len(jobs)
        self.loc = [j.location for j in jobs]
        self.service = [j.service for j in jobs]
        self.windows = [tuple((w.start, w.end) for w in j.time_windows) for j in jobs]
        self.deadline = [j.deadline for j in jobs]
        self.fixed = [j.fixed_start for j in jobs]
        self.late_rate = [max(1, round(params.late_cost(j.sla_tier) / 60)) for j in jobs]
        self.priority = [j.priority for j in jobs]
        self.previous = [j.previous_engineer for j in jobs]
        dims = problem.capacity_dims
        self.dims = dims
        self.delivery = [tuple(j.delivery) if j.delivery else (0,) * dims for j in jobs]
        self.pickup = [tuple(j.pickup) if j.pickup else (0,) * dims for j in jobs]
        horizon = _horizon(problem)
        self.penalty = [unassigned_penalty(problem, params, j, horizon) for j in range(self.n)]
        self.allowed: list[frozenset[int]] = [frozenset(c.shifts) for c in self.candidates]
        self.shifts = [
            ShiftData(
                s.start,
                s.end,
                s.time_window.start,
                s.time_window.end,
                s.breaks,
                tuple(s.capacity),
                s.max_jobs,
                s.engineer_id,
            )
            for s in problem.shifts
        ]
        self.hard_deadlines = params.hard_deadlines  # then lateness is not priced but forbidden
        self.span_cost = params.span_cost
        self.stability_cost = params.stability_cost
        self.neighbours = _neighbours(cost, self.loc, NEIGHBOURS)
        self.plannable = [j for j in range(self.n) if self.allowed[j]]
        # Parts and tools: what each job needs, what each van starts with, what each depot
        # holds; a job may be preceded by a stop of its own at one of its `stop_options`.
        self.parts = [j.parts for j in jobs]
        self.tools = [frozenset(j.tools) for j in jobs]
        self.van = [dict(s.stock) for s in problem.shifts]
        self.van_tools = [frozenset(s.tools) for s in problem.shifts]
        self.depots = problem.depots
        self.depot_stock = [dict(d.stock) for d in problem.depots]
        self.has_parts = any(self.parts) or any(self.tools)
        self.stop_options = [self._stop_options(j) for j in range(self.n)]

    def _stop_options(self, j: int) -> tuple[int, ...]:
        """Depots holding all that job ``j`` needs, nearest first (none if it needs nothing)."""
        parts, tools = self.parts[j], self.tools[j]
        if not parts and not tools:
            return ()
        holding = [
            d
            for d, depot in enumerate(self.depots)
            if all(self.depot_stock[d].get(p, 0) >= q for p, q in parts) and tools <= set(depot.tools)
        ]
        here = self.loc[j]
        holding.sort(key=lambda d: (self.dur(self.depots[d].location, here), d))
        return tuple(holding[:STOP_OPTIONS])

    def late_cost(self, j: int, begin: int) -> int:
        d = self.deadline[j]
        return (begin - d) * self.late_rate[j] if d is not None and begin > d else 0

    def too_late(self, j: int, begin: int) -> bool:
        """With hard deadlines, a visit after its deadline breaks a rule."""
        d = self.deadline[j]
        return self.hard_deadlines and d is not None and begin > d

    def moved_cost(self, j: int, s: int) -> int:
        prev = self.previous[j]
        return self.stability_cost if prev is not None and prev != self.shifts[s].engineer else 0


def _horizon(problem: Problem) -> int:
    ends = [s.time_window.end for s in problem.shifts]
    ends += [w.end + j.service for j in problem.jobs for w in j.time_windows]
    return max(ends, default=0) + 1


def _neighbours(cost: np.ndarray, locations: list[int], k: int) -> list[list[int]]:
    """Each job's ``k`` nearest other jobs by arc cost (both ways), nearest first."""
    n = len(locations)
    if n <= 1:
        return [[] for _ in range(n)]
    idx = np.asarray(locations, dtype=np.int64)
    between = cost[np.ix_(idx, idx)].astype(np.int64)
    between = np.minimum(between, between.T)
    np.fill_diagonal(between, np.iinfo(np.int64).max)
    k = min(k, n - 1)
    near = np.argpartition(between, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(between, near, axis=1).argsort(axis=1, kind="stable")
    return np.take_along_axis(near, order, axis=1).tolist()  # type: ignore[no-any-return]
